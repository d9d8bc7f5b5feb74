//! Sign-ins against a mock WeChat on 127.0.0.1: the token call, the profile call, and every way
//! they fail (WeChat reports errors as HTTP 200 bodies with an `errcode`, quirk 5).

use std::sync::Arc;

use connector_core::{
    AuthorizationRequest, CallbackParams, ConnectorContext, ConnectorError, ConnectorFactory,
    ErrorCode, FlowState, SocialConnector, SocialUserInfo,
};
use connector_wechat_web::WechatWebFactory;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_ID: &str = "wx1234567890abcdef";
const APP_SECRET: &str = "s3cr3t0123456789abcdef0123456789";
const CODE: &str = "061Abc0w3QJZ0d3rDq0w3bG1Bc1Abc0G";
const TOKEN_PATH: &str = "/sns/oauth2/access_token";
const USERINFO_PATH: &str = "/sns/userinfo";
const OPENID: &str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";
const UNIONID: &str = "o6_bmasdasdsad6_2sgVt7hMZOPfL";

fn fixture(name: &str) -> Value {
    let file = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn config(scope: &str) -> Value {
    json!({"clientId": APP_ID, "clientSecret": APP_SECRET, "scope": scope})
}

fn connector(mock: &MockServer, config: Value) -> Arc<dyn SocialConnector> {
    let ctx = ConnectorContext::default().with_base_url(mock.uri().parse().expect("mock URI"));
    WechatWebFactory
        .create(config, &ctx)
        .expect("config creates")
        .into_social()
        .expect("social connector")
}

/// WeChat's usual answer: JSON, served as `application/json`.
fn json_answer(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

/// WeChat's other usual answer: JSON, served as `text/plain`.
fn text_answer(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "text/plain")
}

async fn mount(mock: &MockServer, endpoint: &str, answer: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path(endpoint))
        .respond_with(answer)
        .expect(times)
        .mount(mock)
        .await;
}

/// Starts a flow and returns it with the callback WeChat sends after the user agreed.
async fn start(connector: &dyn SocialConnector) -> (FlowState, CallbackParams) {
    let start = connector
        .authorization_url(AuthorizationRequest::new(
            "https://id.example.com/callback/wechat",
        ))
        .await
        .expect("authorization URL");
    let query = format!("code={CODE}&state={}", start.flow.state);
    let callback = CallbackParams::from_query(&query).expect("callback");
    (start.flow, callback)
}

async fn sign_in(mock: &MockServer, config: Value) -> Result<SocialUserInfo, ConnectorError> {
    let connector = connector(mock, config);
    let (flow, callback) = start(connector.as_ref()).await;
    connector.user_info(callback, &flow).await
}

/// A sign-in whose token call gets `answer`; the profile must not be asked for.
async fn token_failure(answer: ResponseTemplate) -> ConnectorError {
    let mock = MockServer::start().await;
    mount(&mock, TOKEN_PATH, answer, 1).await;
    mount(
        &mock,
        USERINFO_PATH,
        json_answer(&fixture("sns_userinfo")),
        0,
    )
    .await;
    sign_in(&mock, config("snsapi_login"))
        .await
        .expect_err("the sign-in fails")
}

/// A sign-in whose profile call gets `answer`.
async fn userinfo_failure(answer: ResponseTemplate) -> ConnectorError {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 1).await;
    mount(&mock, USERINFO_PATH, answer, 1).await;
    sign_in(&mock, config("snsapi_login"))
        .await
        .expect_err("the sign-in fails")
}

#[tokio::test]
async fn desktop_sign_in_uses_the_unionid_and_records_the_choice() {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 1).await;
    mount(
        &mock,
        USERINFO_PATH,
        json_answer(&fixture("sns_userinfo")),
        1,
    )
    .await;

    let user = sign_in(&mock, config("snsapi_login"))
        .await
        .expect("signed in");

    assert_eq!(user.id, UNIONID);
    assert_eq!(user.name.as_deref(), Some("张三"));
    assert!(user
        .avatar
        .as_deref()
        .is_some_and(|a| a.starts_with("https://thirdwx.qlogo.cn/")));
    assert_eq!(user.email, None);
    assert!(user.tokens.is_none());
    assert_eq!(user.raw_data["idSource"], "unionid");
    assert_eq!(user.raw_data["token"]["openid"], OPENID);
    assert_eq!(user.raw_data["token"]["expires_in"], 7200);
    assert_eq!(user.raw_data["userInfo"]["city"], "广州");
}

#[tokio::test]
async fn raw_data_keeps_no_access_or_refresh_token() {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 1).await;
    mount(
        &mock,
        USERINFO_PATH,
        json_answer(&fixture("sns_userinfo")),
        1,
    )
    .await;

    let user = sign_in(&mock, config("snsapi_login"))
        .await
        .expect("signed in");

    let serialized = serde_json::to_string(&user).expect("profile serializes");
    for secret in [
        "ACCESS_TOKEN_a1b2c3d4e5f6",
        "REFRESH_TOKEN_f6e5d4c3b2a1",
        APP_SECRET,
        CODE,
    ] {
        assert!(!serialized.contains(secret), "{secret} in {serialized}");
        assert!(!format!("{user:?}").contains(secret), "{secret} in Debug");
    }
    assert!(user.raw_data["token"].get("access_token").is_none());
    assert!(user.raw_data["token"].get("refresh_token").is_none());
}

#[tokio::test]
async fn without_a_unionid_the_openid_is_the_id() {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token_without_unionid"));
    mount(&mock, TOKEN_PATH, token, 1).await;
    let profile = json_answer(&fixture("sns_userinfo_without_unionid"));
    mount(&mock, USERINFO_PATH, profile, 1).await;

    let user = sign_in(&mock, config("snsapi_login"))
        .await
        .expect("signed in");

    assert_eq!(user.id, OPENID);
    assert_eq!(user.raw_data["idSource"], "openid");
    assert_eq!(user.name.as_deref(), Some("张三"));
    // WeChat sends an empty `headimgurl` for a user without an avatar.
    assert_eq!(user.avatar, None);
}

#[tokio::test]
async fn a_unionid_in_the_token_answer_counts_when_the_profile_has_none() {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 1).await;
    let profile = json_answer(&fixture("sns_userinfo_without_unionid"));
    mount(&mock, USERINFO_PATH, profile, 1).await;

    let user = sign_in(&mock, config("snsapi_login"))
        .await
        .expect("signed in");

    assert_eq!(user.id, UNIONID);
    assert_eq!(user.raw_data["idSource"], "unionid");
}

#[tokio::test]
async fn token_request_is_a_get_with_appid_secret_code_and_grant_type() {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 1).await;
    mount(
        &mock,
        USERINFO_PATH,
        json_answer(&fixture("sns_userinfo")),
        1,
    )
    .await;

    sign_in(&mock, config("snsapi_login"))
        .await
        .expect("signed in");

    let requests = mock.received_requests().await.expect("requests recorded");
    let token_call = requests
        .iter()
        .find(|r| r.url.path() == TOKEN_PATH)
        .expect("token call");
    assert_eq!(token_call.method.as_str(), "GET");
    assert_eq!(
        token_call.url.query(),
        Some(
            format!("appid={APP_ID}&secret={APP_SECRET}&code={CODE}&grant_type=authorization_code")
                .as_str()
        )
    );
}

#[tokio::test]
async fn userinfo_request_carries_the_access_token_and_openid() {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 1).await;
    mount(
        &mock,
        USERINFO_PATH,
        json_answer(&fixture("sns_userinfo")),
        1,
    )
    .await;

    sign_in(&mock, config("snsapi_login"))
        .await
        .expect("signed in");

    let requests = mock.received_requests().await.expect("requests recorded");
    let userinfo_call = requests
        .iter()
        .find(|r| r.url.path() == USERINFO_PATH)
        .expect("userinfo call");
    assert_eq!(userinfo_call.method.as_str(), "GET");
    assert_eq!(
        userinfo_call.url.query(),
        Some(format!("access_token=ACCESS_TOKEN_a1b2c3d4e5f6&openid={OPENID}").as_str())
    );
}

#[tokio::test]
async fn snsapi_userinfo_reads_the_profile() {
    let mock = MockServer::start().await;
    let mut token = fixture("sns_oauth2_access_token_without_unionid");
    token["scope"] = json!("snsapi_userinfo");
    mount(&mock, TOKEN_PATH, json_answer(&token), 1).await;
    let profile = json_answer(&fixture("sns_userinfo_without_unionid"));
    mount(&mock, USERINFO_PATH, profile, 1).await;

    let user = sign_in(&mock, config("snsapi_userinfo"))
        .await
        .expect("signed in");

    assert_eq!(user.id, OPENID);
    assert_eq!(user.name.as_deref(), Some("张三"));
    assert_eq!(user.raw_data["userInfo"]["province"], "广东");
}

#[tokio::test]
async fn snsapi_base_skips_the_profile_and_returns_only_the_id() {
    let mock = MockServer::start().await;
    let mut token = fixture("sns_oauth2_access_token_without_unionid");
    token["scope"] = json!("snsapi_base");
    mount(&mock, TOKEN_PATH, json_answer(&token), 1).await;
    mount(
        &mock,
        USERINFO_PATH,
        json_answer(&fixture("sns_userinfo")),
        0,
    )
    .await;

    let user = sign_in(&mock, config("snsapi_base"))
        .await
        .expect("signed in");

    assert_eq!(user.id, OPENID);
    assert_eq!(user.raw_data["idSource"], "openid");
    assert_eq!((user.name, user.avatar, user.email), (None, None, None));
    assert!(user.raw_data.get("userInfo").is_none());
}

#[tokio::test]
async fn a_snapshot_page_virtual_account_is_refused() {
    let mock = MockServer::start().await;
    let mut token = fixture("sns_oauth2_access_token");
    token["scope"] = json!("snsapi_userinfo");
    token["is_snapshotuser"] = json!(1);
    mount(&mock, TOKEN_PATH, json_answer(&token), 1).await;
    mount(
        &mock,
        USERINFO_PATH,
        json_answer(&fixture("sns_userinfo")),
        0,
    )
    .await;

    let err = sign_in(&mock, config("snsapi_userinfo"))
        .await
        .expect_err("virtual account");

    assert_eq!(err.code(), ErrorCode::AuthorizationFailed, "{err}");
    assert!(err.message().contains("is_snapshotuser"), "{err}");
}

#[tokio::test]
async fn json_served_as_text_plain_is_accepted() {
    let mock = MockServer::start().await;
    let token = text_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 1).await;
    mount(
        &mock,
        USERINFO_PATH,
        text_answer(&fixture("sns_userinfo")),
        1,
    )
    .await;

    let user = sign_in(&mock, config("snsapi_login"))
        .await
        .expect("signed in");

    assert_eq!(user.id, UNIONID);
    assert_eq!(user.name.as_deref(), Some("张三"));
}

#[tokio::test]
async fn an_errcode_served_as_text_plain_is_mapped() {
    let err = token_failure(text_answer(&fixture(
        "sns_oauth2_access_token_invalid_code",
    )))
    .await;
    assert_eq!(err.code(), ErrorCode::SocialAuthCodeInvalid, "{err}");
    assert!(err.message().contains("40029"), "{err}");
    assert!(
        err.message().contains("invalid code, rid: 6650f1a2"),
        "{err}"
    );
}

#[tokio::test]
async fn each_token_errcode_class_maps_to_its_error_code() {
    let cases = [
        (40029, ErrorCode::SocialAuthCodeInvalid),
        (40163, ErrorCode::SocialAuthCodeInvalid),
        (42003, ErrorCode::SocialAuthCodeInvalid),
        (40001, ErrorCode::SocialInvalidAccessToken),
        (40014, ErrorCode::SocialInvalidAccessToken),
        (42001, ErrorCode::SocialInvalidAccessToken),
        (40013, ErrorCode::InvalidConfig),
        (40125, ErrorCode::InvalidConfig),
        (45009, ErrorCode::RateLimitExceeded),
        (45011, ErrorCode::RateLimitExceeded),
    ];
    for (errcode, expected) in cases {
        let body = json!({"errcode": errcode, "errmsg": "from wechat, rid: 1"});
        let err = token_failure(json_answer(&body)).await;
        assert_eq!(err.code(), expected, "{errcode}: {err}");
        assert!(err.message().contains(&errcode.to_string()), "{err}");
        assert!(err.message().starts_with("token exchange: "), "{err}");
        let rate_limited = expected == ErrorCode::RateLimitExceeded;
        assert_eq!(err.is_retryable(), rate_limited, "{errcode}: {err}");
    }
}

#[tokio::test]
async fn access_token_errcodes_at_userinfo_are_invalid_access_token() {
    for errcode in [40001, 40014, 42001] {
        let body = json!({"errcode": errcode, "errmsg": "invalid credential"});
        let err = userinfo_failure(json_answer(&body)).await;
        assert_eq!(err.code(), ErrorCode::SocialInvalidAccessToken, "{err}");
        assert!(err.message().starts_with("user info: "), "{err}");
    }
}

#[tokio::test]
async fn system_busy_is_a_retryable_general_error() {
    let body = json!({"errcode": -1, "errmsg": "system error"});
    let err = token_failure(json_answer(&body)).await;
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable());
    assert!(err.message().contains("-1"), "{err}");
}

#[tokio::test]
async fn an_unknown_errcode_keeps_errcode_and_errmsg() {
    let body = json!({"errcode": 41008, "errmsg": "missing code, rid: 65f1"});
    let err = token_failure(json_answer(&body)).await;
    assert_eq!(err.code(), ErrorCode::General);
    assert!(!err.is_retryable());
    assert!(err.message().contains("41008"), "{err}");
    assert!(err.message().contains("missing code, rid: 65f1"), "{err}");
}

#[tokio::test]
async fn an_errmsg_echoing_the_secret_or_code_is_scrubbed() {
    let body =
        json!({"errcode": 40125, "errmsg": format!("invalid appsecret {APP_SECRET} for {CODE}")});
    let err = token_failure(json_answer(&body)).await;
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(APP_SECRET) && !shown.contains(CODE),
        "{shown}"
    );
    assert!(
        err.message().contains("invalid appsecret [redacted]"),
        "{err}"
    );
}

#[tokio::test]
async fn an_answer_with_neither_token_nor_errcode_is_invalid_response() {
    for body in [
        json!({"foo": "bar"}),
        json!({"errcode": 0, "errmsg": "ok"}),
        json!([]),
    ] {
        let err = token_failure(json_answer(&body)).await;
        assert_eq!(err.code(), ErrorCode::InvalidResponse, "{body}: {err}");
        assert!(
            err.message()
                .contains("neither an access token nor an errcode"),
            "{err}"
        );
    }
    let err = userinfo_failure(json_answer(&json!({"nickname": "x"}))).await;
    assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
    assert!(
        err.message().contains("neither a profile nor an errcode"),
        "{err}"
    );
}

#[tokio::test]
async fn an_html_answer_is_invalid_response() {
    let page =
        ResponseTemplate::new(200).set_body_raw("<html><body>维护中</body></html>", "text/html");
    let err = token_failure(page).await;
    assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
    assert_eq!(err.status(), Some(200));
}

#[tokio::test]
async fn http_errors_are_general_with_the_status_and_retryable_when_5xx() {
    let err = token_failure(ResponseTemplate::new(502).set_body_string("bad gateway")).await;
    assert_eq!(err.code(), ErrorCode::General);
    assert_eq!(err.status(), Some(502));
    assert!(err.is_retryable());
    assert!(err.message().contains("HTTP 502"), "{err}");

    let err = userinfo_failure(ResponseTemplate::new(404)).await;
    assert_eq!(err.code(), ErrorCode::General);
    assert_eq!(err.status(), Some(404));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_user_who_refuses_comes_back_without_code_and_gets_authorization_failed() {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 0).await;
    let connector = connector(&mock, config("snsapi_login"));
    let (flow, _) = start(connector.as_ref()).await;

    let refusal = CallbackParams::from_query(&format!("state={}", flow.state)).expect("callback");
    let err = connector
        .user_info(refusal, &flow)
        .await
        .expect_err("refused");

    assert_eq!(err.code(), ErrorCode::AuthorizationFailed, "{err}");
}

#[tokio::test]
async fn a_wrong_or_missing_state_is_refused_before_any_call() {
    let mock = MockServer::start().await;
    let token = json_answer(&fixture("sns_oauth2_access_token"));
    mount(&mock, TOKEN_PATH, token, 0).await;
    let connector = connector(&mock, config("snsapi_login"));
    let (flow, _) = start(connector.as_ref()).await;

    for query in [format!("code={CODE}&state=forged"), format!("code={CODE}")] {
        let callback = CallbackParams::from_query(&query).expect("callback");
        let err = connector
            .user_info(callback, &flow)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), ErrorCode::AuthorizationFailed, "{query}: {err}");
    }
}
