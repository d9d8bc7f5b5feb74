//! WeChat's token call carries the AppSecret and the code in its query string: neither may reach
//! a trace, a log line or an error. These tests capture everything traced at TRACE level while the
//! connector runs (current-thread runtime, so the scoped subscriber sees the HTTP client's work).

use std::io;
use std::sync::{Arc, Mutex};

use connector_core::{
    AuthorizationRequest, CallbackParams, ConnectorContext, ConnectorError, ConnectorFactory,
    ErrorCode, SocialUserInfo,
};
use connector_wechat_web::WechatWebFactory;
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "s3cr3tAppSecret0123456789abcdef0";
const CODE: &str = "061Abc0w3QJZ0d3rDq0w3bG1Bc1Abc0G";
const ACCESS_TOKEN: &str = "ACCESS_TOKEN_a1b2c3d4e5f6";

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("buffer lock")).into_owned()
    }
}

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("buffer lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Runs a whole sign-in against `base` with every trace captured; returns the result and the
/// captured text.
async fn traced_sign_in(base: &str) -> (Result<SocialUserInfo, ConnectorError>, String) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(captured.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);

    let ctx = ConnectorContext::default().with_base_url(base.parse().expect("base URL"));
    let config = json!({"appId": "wx1234567890abcdef", "appSecret": APP_SECRET});
    let connector = WechatWebFactory
        .create(config, &ctx)
        .expect("created")
        .into_social()
        .expect("social");
    let start = connector
        .authorization_url(AuthorizationRequest::new("https://id.example.com/cb"))
        .await
        .expect("authorization URL");
    let callback = CallbackParams::from_query(&format!("code={CODE}&state={}", start.flow.state))
        .expect("callback");
    tracing::info!(connector = ?connector, callback = ?callback, "signing in");
    let result = connector.user_info(callback, &start.flow).await;
    if let Err(err) = &result {
        tracing::error!(error = %err, debug = ?err, "sign-in failed");
    }

    drop(guard);
    (result, captured.text())
}

fn assert_secret_free(text: &str) {
    for secret in [APP_SECRET, CODE, ACCESS_TOKEN] {
        assert!(!text.contains(secret), "`{secret}` leaked into:\n{text}");
    }
}

fn assert_error_secret_free(err: &ConnectorError) {
    let serialized = serde_json::to_string(err).expect("error serializes");
    assert_secret_free(&format!("{err}\n{err:?}\n{err:#?}\n{serialized}"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_rejected_app_secret_leaves_no_secret_in_traces_or_the_error() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/sns/oauth2/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            json!({"errcode": 40125, "errmsg": "invalid appsecret, rid: 6650f1a2"}).to_string(),
            "text/plain",
        ))
        .expect(1)
        .mount(&mock)
        .await;

    let (result, traces) = traced_sign_in(&mock.uri()).await;

    let err = result.expect_err("rejected");
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    // The capture works: the HTTP client's span and our own events are in it.
    assert!(traces.contains("/sns/oauth2/access_token"), "{traces}");
    assert!(traces.contains("sign-in failed"), "{traces}");
    assert_secret_free(&traces);
    assert_error_secret_free(&err);
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_connection_leaves_no_secret_in_traces_or_the_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);

    let (result, traces) = traced_sign_in(&format!("http://127.0.0.1:{port}")).await;

    let err = result.expect_err("refused");
    assert_eq!(err.code(), ErrorCode::General, "{err}");
    assert!(err.is_retryable());
    assert!(traces.contains("/sns/oauth2/access_token"), "{traces}");
    assert_secret_free(&traces);
    assert_error_secret_free(&err);
}

#[tokio::test(flavor = "current_thread")]
async fn a_successful_sign_in_traces_no_secret_code_or_token() {
    let mock = MockServer::start().await;
    let token = json!({
        "access_token": ACCESS_TOKEN, "expires_in": 7200, "refresh_token": "REFRESH_x",
        "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "scope": "snsapi_login",
    });
    Mock::given(method("GET"))
        .and(path("/sns/oauth2/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token))
        .mount(&mock)
        .await;
    let profile = json!({"openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "nickname": "张三"});
    Mock::given(method("GET"))
        .and(path("/sns/userinfo"))
        .respond_with(ResponseTemplate::new(200).set_body_json(profile))
        .mount(&mock)
        .await;

    let (result, traces) = traced_sign_in(&mock.uri()).await;

    let user = result.expect("signed in");
    assert!(traces.contains("/sns/userinfo"), "{traces}");
    assert_secret_free(&traces);
    assert_secret_free(&format!("{user:?}"));
}
