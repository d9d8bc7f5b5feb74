//! The whole sign-in against a mock Hugging Face on 127.0.0.1: the exact requests sent, the profile
//! mapping, and how every way Hugging Face can fail maps to an error code.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use connector_core::{
    AuthorizationRequest, AuthorizationStart, CallbackParams, ConnectorContext, ConnectorError,
    ConnectorFactory, ErrorCode, SocialConnector, SocialUserInfo,
};
use connector_huggingface::HuggingFaceFactory;
use serde_json::{json, Value};
use url::form_urlencoded;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

// Characters that HTTP Basic requires to be form-urlencoded first (RFC 6749 §2.3.1).
const CLIENT_ID: &str = "hf client/ü";
const CLIENT_SECRET: &str = "s3cr3t+/:=&%hf";
const REDIRECT_URI: &str = "https://id.example.com/callback/huggingface";
const CODE: &str = "hf-authorization-code-7Qw9";
const ACCESS_TOKEN: &str = "hf_oauth_eyJhbGciOiJFZERTQSJ9.TESTACCESSTOKEN";

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture file exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn config() -> Value {
    json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET})
}

fn connector(mock: &MockServer, config: Value) -> Arc<dyn SocialConnector> {
    let ctx = ConnectorContext::default().with_base_url(mock.uri().parse().expect("mock URI"));
    HuggingFaceFactory
        .create(config, &ctx)
        .expect("config creates a connector")
        .into_social()
        .expect("a social connector")
}

async fn start(
    connector: &dyn SocialConnector,
    request: AuthorizationRequest,
) -> AuthorizationStart {
    connector
        .authorization_url(request)
        .await
        .expect("authorization URL")
}

fn query(start: &AuthorizationStart) -> BTreeMap<String, String> {
    start.url.query_pairs().into_owned().collect()
}

fn callback(query: &str) -> CallbackParams {
    CallbackParams::from_query(query).expect("callback query")
}

async fn mount(mock: &MockServer, verb: &str, endpoint: &str, response: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(endpoint))
        .respond_with(response)
        .mount(mock)
        .await;
}

/// A mock whose token endpoint and userinfo answer with these responses.
async fn provider(token: ResponseTemplate, userinfo: ResponseTemplate) -> MockServer {
    let mock = MockServer::start().await;
    mount(&mock, "POST", "/oauth/token", token).await;
    mount(&mock, "GET", "/oauth/userinfo", userinfo).await;
    mock
}

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn raw_response(status: u16, body: &str, content_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), content_type)
}

/// Runs a complete sign-in (authorize, callback with the right state, user info).
async fn sign_in(mock: &MockServer) -> Result<SocialUserInfo, ConnectorError> {
    let connector = connector(mock, config());
    let start = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;
    let callback = callback(&format!("code={CODE}&state={}", start.flow.state));
    connector.user_info(callback, &start.flow).await
}

async fn sign_in_error(token: ResponseTemplate, userinfo: ResponseTemplate) -> ConnectorError {
    let mock = provider(token, userinfo).await;
    sign_in(&mock).await.expect_err("the sign-in fails")
}

fn ok_token() -> ResponseTemplate {
    json_response(200, fixture("token.json"))
}

fn ok_userinfo() -> ResponseTemplate {
    json_response(200, fixture("userinfo.json"))
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn huggingface_token_request_uses_basic_auth_and_sends_the_pkce_verifier() {
    let mock = provider(ok_token(), ok_userinfo()).await;
    let connector = connector(&mock, config());
    let start = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;
    let callback = callback(&format!("code={CODE}&state={}", start.flow.state));
    connector
        .user_info(callback, &start.flow)
        .await
        .expect("sign-in succeeds");

    let requests = mock.received_requests().await.expect("recording is on");
    let token = requests
        .iter()
        .find(|r| r.url.path() == "/oauth/token")
        .expect("a token request");
    assert_eq!(token.method.as_str(), "POST");
    let credentials = format!("{}:{}", urlencode(CLIENT_ID), urlencode(CLIENT_SECRET));
    let basic = base64::engine::general_purpose::STANDARD.encode(credentials);
    assert_eq!(header(token, "authorization"), format!("Basic {basic}"));
    assert!(header(token, "content-type").starts_with("application/x-www-form-urlencoded"));

    let form: BTreeMap<String, String> = form_urlencoded::parse(&token.body).into_owned().collect();
    let verifier = start.flow.pkce_verifier.as_ref().expect("PKCE verifier");
    let expected: BTreeMap<String, String> = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.expose()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(
        form, expected,
        "exactly these form fields, no client_secret"
    );
    let body = String::from_utf8_lossy(&token.body);
    assert!(
        !body.contains("s3cr3t"),
        "the secret travels only in the header"
    );
}

#[tokio::test]
async fn huggingface_userinfo_request_sends_the_access_token_as_bearer() {
    let mock = provider(ok_token(), ok_userinfo()).await;
    sign_in(&mock).await.expect("sign-in succeeds");

    let requests = mock.received_requests().await.expect("recording is on");
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/oauth/token", "/oauth/userinfo"]);
    let userinfo = &requests[1];
    assert_eq!(userinfo.method.as_str(), "GET");
    assert_eq!(
        header(userinfo, "authorization"),
        format!("Bearer {ACCESS_TOKEN}")
    );
    assert!(userinfo.body.is_empty());
}

fn header<'r>(request: &'r Request, name: &str) -> &'r str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("request has a `{name}` header"))
}

#[tokio::test]
async fn huggingface_authorization_url_carries_code_state_and_pkce_s256() {
    let mock = MockServer::start().await;
    let connector = connector(&mock, config());
    let start = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;

    assert_eq!(start.url.path(), "/oauth/authorize");
    let params = query(&start);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], REDIRECT_URI);
    assert_eq!(params["scope"], "profile", "the default scope");
    assert_eq!(params["state"], start.flow.state);
    assert_eq!(params["code_challenge_method"], "S256");
    let verifier = start.flow.pkce_verifier.as_ref().expect("PKCE verifier");
    // base64url of a SHA-256 digest, never the verifier itself.
    assert_eq!(params["code_challenge"].len(), 43);
    assert_ne!(params["code_challenge"], verifier.expose());
    assert_eq!(start.flow.redirect_uri, REDIRECT_URI);
    assert!(
        mock.received_requests()
            .await
            .expect("recording")
            .is_empty(),
        "building the URL calls nobody"
    );
}

#[tokio::test]
async fn huggingface_each_authorization_has_its_own_state_and_verifier() {
    let mock = MockServer::start().await;
    let connector = connector(&mock, config());
    let a = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;
    let b = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;
    assert_ne!(a.flow.state, b.flow.state);
    assert_ne!(a.flow.pkce_verifier, b.flow.pkce_verifier);
}

#[tokio::test]
async fn huggingface_configured_scope_replaces_the_default() {
    let mock = MockServer::start().await;
    let mut config = config();
    config["scope"] = json!("openid profile email read-repos");
    let connector = connector(&mock, config);
    let start = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;
    assert_eq!(query(&start)["scope"], "openid profile email read-repos");
}

#[tokio::test]
async fn huggingface_request_scope_overrides_the_configured_scope() {
    let mock = MockServer::start().await;
    let mut config = config();
    config["scope"] = json!("openid profile");
    let connector = connector(&mock, config);
    let request = AuthorizationRequest::new(REDIRECT_URI).with_scope("openid profile write-repos");
    let start = start(connector.as_ref(), request).await;
    assert_eq!(query(&start)["scope"], "openid profile write-repos");
}

#[tokio::test]
async fn huggingface_full_profile_maps_every_claim_and_keeps_orgs_in_raw_data() {
    let mock = provider(ok_token(), ok_userinfo()).await;
    let user = sign_in(&mock).await.expect("sign-in succeeds");

    assert_eq!(user.id, "64f1c2a9b8e7d6c5b4a39281");
    assert_eq!(user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(user.username.as_deref(), Some("ada"));
    assert_eq!(
        user.avatar.as_deref(),
        Some("https://cdn-avatars.huggingface.co/v1/production/uploads/64f1c2a9b8e7d6c5b4a39281/ada.png")
    );
    assert_eq!(user.email.as_deref(), Some("ada@example.org"));
    assert!(user.email_verified);
    assert_eq!(user.phone, None);
    assert_eq!(user.raw_data, fixture("userinfo.json"));
    assert_eq!(user.raw_data["orgs"][0]["roleInOrg"], "admin");
    assert!(user.tokens.is_none(), "tokens are not stored");
}

#[tokio::test]
async fn huggingface_profile_scope_only_gives_no_email_and_names_by_username() {
    let userinfo = json_response(200, fixture("userinfo_profile_only.json"));
    let mock = provider(ok_token(), userinfo).await;
    let user = sign_in(&mock).await.expect("sign-in succeeds");

    assert_eq!(user.id, "65a0b1c2d3e4f5a6b7c8d9e0");
    assert_eq!(
        user.name.as_deref(),
        Some("charles"),
        "falls back to the username"
    );
    assert_eq!(user.username.as_deref(), Some("charles"));
    assert_eq!(user.email, None);
    assert!(!user.email_verified);
    assert_eq!(user.raw_data, fixture("userinfo_profile_only.json"));
}

#[tokio::test]
async fn huggingface_access_denied_callback_is_authorization_failed() {
    let mock = provider(ok_token(), ok_userinfo()).await;
    let connector = connector(&mock, config());
    let start = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;
    let denied = callback(&format!(
        "error=access_denied&error_description=The+user+denied+access&state={}",
        start.flow.state
    ));
    let err = connector
        .user_info(denied, &start.flow)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), ErrorCode::AuthorizationFailed);
    assert!(err.message().contains("access_denied"), "{err}");
    assert!(err.message().contains("The user denied access"), "{err}");
    assert_no_requests(&mock).await;
}

#[tokio::test]
async fn huggingface_wrong_or_missing_state_is_authorization_failed() {
    let mock = provider(ok_token(), ok_userinfo()).await;
    let connector = connector(&mock, config());
    let start = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;
    let other = start_other_state(connector.as_ref()).await;
    for query in [
        format!("code={CODE}&state={other}"),
        format!("code={CODE}&state="),
        format!("code={CODE}"),
    ] {
        let err = connector
            .user_info(callback(&query), &start.flow)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), ErrorCode::AuthorizationFailed, "{query}");
        assert!(err.message().contains("state"), "{err}");
    }
    assert_no_requests(&mock).await;
}

/// The state of another sign-in: a real, well-formed state that belongs to a different flow.
async fn start_other_state(connector: &dyn SocialConnector) -> String {
    start(connector, AuthorizationRequest::new(REDIRECT_URI))
        .await
        .flow
        .state
}

async fn assert_no_requests(mock: &MockServer) {
    let requests = mock.received_requests().await.expect("recording is on");
    assert!(requests.is_empty(), "no call to Hugging Face: {requests:?}");
}

#[tokio::test]
async fn huggingface_invalid_grant_is_auth_code_invalid() {
    let body = json!({"error": "invalid_grant", "error_description": "Invalid or expired code"});
    let err = sign_in_error(json_response(400, body), ok_userinfo()).await;
    assert_eq!(err.code(), ErrorCode::SocialAuthCodeInvalid);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.http_status(), 401);
    assert!(!err.is_retryable());
    assert!(err.message().contains("Invalid or expired code"), "{err}");
}

#[tokio::test]
async fn huggingface_invalid_client_is_invalid_config() {
    let body =
        json!({"error": "invalid_client", "error_description": "Invalid client credentials"});
    let err = sign_in_error(json_response(401, body), ok_userinfo()).await;
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    assert_eq!(err.status(), Some(401));
    assert!(err.message().contains("clientSecret"), "{err}");
}

#[tokio::test]
async fn huggingface_userinfo_401_is_invalid_access_token() {
    let body = json!({"error": "invalid_token"});
    let err = sign_in_error(ok_token(), json_response(401, body)).await;
    assert_eq!(err.code(), ErrorCode::SocialInvalidAccessToken);
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn huggingface_token_5xx_is_retryable_general_with_status() {
    for status in [500, 502, 503] {
        let page = raw_response(status, "<html><body>Bad gateway</body></html>", "text/html");
        let err = sign_in_error(page, ok_userinfo()).await;
        assert_eq!(err.code(), ErrorCode::General, "{status}");
        assert_eq!(err.status(), Some(status));
        assert!(err.is_retryable(), "{status}");
        assert!(
            err.body().is_some_and(|b| b.contains("Bad gateway")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn huggingface_userinfo_5xx_is_retryable_general_with_status() {
    let page = raw_response(
        503,
        "<html><body>Service Unavailable</body></html>",
        "text/html",
    );
    let err = sign_in_error(ok_token(), page).await;
    assert_eq!(err.code(), ErrorCode::General);
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn huggingface_html_bodies_are_invalid_response() {
    let page = "<!doctype html><html><body>Hugging Face is down for maintenance</body></html>";
    let token_err = sign_in_error(raw_response(200, page, "text/html"), ok_userinfo()).await;
    let userinfo_err = sign_in_error(ok_token(), raw_response(200, page, "text/html")).await;
    for err in [token_err, userinfo_err] {
        assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
        assert_eq!(err.status(), Some(200));
        assert!(
            err.body().is_some_and(|b| b.contains("maintenance")),
            "{err:?}"
        );
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn huggingface_truncated_json_is_invalid_response() {
    let token = r#"{"access_token": "hf_oauth_x", "token_ty"#;
    let userinfo = r#"{"sub": "64f1c2a9b8e7d6c5b4a39281", "name": "Ada"#;
    let token_err =
        sign_in_error(raw_response(200, token, "application/json"), ok_userinfo()).await;
    let userinfo_err =
        sign_in_error(ok_token(), raw_response(200, userinfo, "application/json")).await;
    for err in [token_err, userinfo_err] {
        assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
        assert_eq!(err.status(), Some(200));
    }
}

#[tokio::test]
async fn huggingface_userinfo_without_sub_is_invalid_response() {
    let mut no_sub = fixture("userinfo.json");
    no_sub
        .as_object_mut()
        .expect("fixture is an object")
        .remove("sub");
    for body in [no_sub, json!({"sub": ""}), json!({"sub": 42}), json!([])] {
        let err = sign_in_error(ok_token(), json_response(200, body.clone())).await;
        assert_eq!(err.code(), ErrorCode::InvalidResponse, "{body}");
        assert!(err.message().contains("sub"), "{err}");
    }
}

#[tokio::test]
async fn huggingface_never_shows_a_secret_in_debug_display_or_errors() {
    let mock = provider(ok_token(), ok_userinfo()).await;
    let connector = connector(&mock, config());
    let start = start(connector.as_ref(), AuthorizationRequest::new(REDIRECT_URI)).await;
    let verifier = start
        .flow
        .pkce_verifier
        .as_ref()
        .expect("PKCE verifier")
        .expose()
        .to_owned();
    let callback = callback(&format!("code={CODE}&state={}", start.flow.state));
    let user = connector
        .user_info(callback.clone(), &start.flow)
        .await
        .expect("sign-in succeeds");
    let mut texts = vec![
        format!("{connector:?}"),
        format!("{start:?}"),
        format!("{:?}", start.flow),
        format!("{callback:?}"),
        format!("{user:?}"),
    ];

    // Failures whose bodies a careless provider or connector might echo back.
    let token_without_type = json_response(200, json!({"access_token": ACCESS_TOKEN}));
    let failures = [
        (
            json_response(400, json!({"error": "invalid_grant"})),
            ok_userinfo(),
        ),
        (
            json_response(401, json!({"error": "invalid_client"})),
            ok_userinfo(),
        ),
        (token_without_type, ok_userinfo()),
        (
            ok_token(),
            json_response(401, json!({"error": "invalid_token"})),
        ),
        (
            ok_token(),
            raw_response(200, "<html>oops</html>", "text/html"),
        ),
    ];
    for (token, userinfo) in failures {
        let err = sign_in_error(token, userinfo).await;
        texts.push(format!("{err}"));
        texts.push(format!("{err:?}"));
        texts.push(serde_json::to_string(&err).expect("error serializes"));
    }

    for text in &texts {
        for secret in [CLIENT_SECRET, ACCESS_TOKEN, CODE, verifier.as_str()] {
            assert!(!text.contains(secret), "`{secret}` leaked in: {text}");
        }
        assert!(!text.contains(&urlencode(CLIENT_SECRET)), "{text}");
    }
}
