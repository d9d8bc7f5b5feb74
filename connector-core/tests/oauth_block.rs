//! The OAuth 2.0 block against a wiremock provider: exact requests and every failure mapping.

use std::time::Duration;

use connector_core::oauth::{
    ClientAuth, OAuth2Client, OAuth2Provider, TokenCall, TokenEndpointError,
};
use connector_core::*;
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REDIRECT: &str = "https://id.example.com/callback";

static BASIC: OAuth2Provider = OAuth2Provider {
    name: "Basic",
    authorize_url: "https://provider.example/oauth/authorize",
    token_url: "https://provider.example/oauth/token",
    client_auth: ClientAuth::BasicAuth,
    pkce: true,
    map_token_error: None,
};

fn github_like(error: &TokenEndpointError, _: TokenCall) -> Option<ConnectorError> {
    (error.error == "bad_verification_code").then(|| {
        ConnectorError::new(
            ErrorCode::SocialAuthCodeInvalid,
            format!("code refused: {}", error.detail()),
        )
    })
}

static POST: OAuth2Provider = OAuth2Provider {
    name: "Post",
    authorize_url: "https://provider.example/login/oauth/authorize",
    token_url: "https://provider.example/login/oauth/access_token",
    client_auth: ClientAuth::RequestBody,
    pkce: true,
    map_token_error: Some(github_like),
};

async fn client(provider: &OAuth2Provider, mock: &MockServer, http: HttpClient) -> OAuth2Client {
    let ctx = ConnectorContext::new(http).with_base_url(mock.uri().parse().expect("mock uri"));
    OAuth2Client::new(provider, "my-client", &Secret::new("my-secret"), &ctx).expect("client")
}

async fn start(client: &OAuth2Client) -> (FlowState, CallbackParams) {
    let start = client
        .authorization_url(&AuthorizationRequest::new(REDIRECT), "read write")
        .expect("start");
    let callback =
        CallbackParams::from_map([("code", "the-code"), ("state", start.flow.state.as_str())]);
    (start.flow, callback)
}

async fn token_reply(mock: &MockServer, token_path: &str, reply: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(token_path))
        .respond_with(reply)
        .mount(mock)
        .await;
}

fn form(request: &wiremock::Request) -> std::collections::BTreeMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

#[tokio::test]
async fn authorization_url_carries_every_parameter_and_a_matching_pkce_pair() {
    let mock = MockServer::start().await;
    let client = client(&BASIC, &mock, HttpClient::default()).await;
    let start = client
        .authorization_url_with(
            &AuthorizationRequest::new(REDIRECT),
            "openid profile",
            &[("prompt", "consent")],
        )
        .expect("url");
    let params: std::collections::BTreeMap<_, _> = start.url.query_pairs().into_owned().collect();
    assert_eq!(start.url.path(), "/oauth/authorize");
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], "my-client");
    assert_eq!(params["redirect_uri"], REDIRECT);
    assert_eq!(params["scope"], "openid profile");
    assert_eq!(params["state"], start.flow.state);
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["prompt"], "consent");
    let verifier = start.flow.pkce_verifier.as_ref().expect("verifier kept");
    let expected = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
        &oauth2::PkceCodeVerifier::new(verifier.expose().to_owned()),
    );
    assert_eq!(&params["code_challenge"], expected.as_str());
    assert!(!start.url.as_str().contains("my-secret"));
}

#[tokio::test]
async fn basic_auth_exchange_sends_credentials_in_the_header_only() {
    let mock = MockServer::start().await;
    token_reply(
        &mock,
        "/oauth/token",
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at", "token_type": "Bearer", "expires_in": 3600,
            "refresh_token": "rt", "scope": "openid profile", "id_token": "idt"
        })),
    )
    .await;
    let client = client(&BASIC, &mock, HttpClient::default()).await;
    let (flow, callback) = start(&client).await;
    let tokens = client
        .exchange_code(&callback, &flow)
        .await
        .expect("tokens");
    assert_eq!(tokens.access_token.expose(), "at");
    assert_eq!(tokens.token_type, "bearer");
    assert_eq!(
        tokens.refresh_token.as_ref().map(Secret::expose),
        Some("rt")
    );
    assert_eq!(tokens.id_token.as_ref().map(Secret::expose), Some("idt"));
    assert_eq!(tokens.scope.as_deref(), Some("openid profile"));
    assert!(tokens.expires_at.is_some());

    let requests = mock.received_requests().await.expect("recorded");
    let fields = form(&requests[0]);
    assert_eq!(fields["grant_type"], "authorization_code");
    assert_eq!(fields["code"], "the-code");
    assert_eq!(fields["redirect_uri"], REDIRECT);
    assert_eq!(
        &fields["code_verifier"],
        flow.pkce_verifier.as_ref().expect("pkce").expose()
    );
    assert!(!fields.contains_key("client_secret"));
    let authorization = requests[0]
        .headers
        .get("authorization")
        .expect("basic header");
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode("my-client:my-secret");
    assert_eq!(
        authorization.to_str().expect("ascii"),
        format!("Basic {expected}")
    );
    assert_eq!(
        requests[0].headers.get("accept").expect("accept"),
        "application/json"
    );
}

#[tokio::test]
async fn request_body_exchange_sends_client_secret_in_the_form() {
    let mock = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login/oauth/access_token"))
        .and(body_string_contains("client_secret=my-secret"))
        .and(body_string_contains("client_id=my-client"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "at", "token_type": "bearer", "scope": "read:user,user:email"}),
        ))
        .expect(1)
        .mount(&mock)
        .await;
    let client = client(&POST, &mock, HttpClient::default()).await;
    let (flow, callback) = start(&client).await;
    let tokens = client
        .exchange_code(&callback, &flow)
        .await
        .expect("tokens");
    assert_eq!(tokens.scope.as_deref(), Some("read:user,user:email"));
    let requests = mock.received_requests().await.expect("recorded");
    assert!(requests[0].headers.get("authorization").is_none());
}

async fn failure(provider: &OAuth2Provider, reply: ResponseTemplate) -> ConnectorError {
    let mock = MockServer::start().await;
    let token_path = url::Url::parse(provider.token_url)
        .expect("url")
        .path()
        .to_owned();
    token_reply(&mock, &token_path, reply).await;
    let http = HttpClient::builder()
        .timeout(Duration::from_millis(500))
        .max_body_bytes(4096)
        .build()
        .expect("http");
    let client = client(provider, &mock, http).await;
    let (flow, callback) = start(&client).await;
    client
        .exchange_code(&callback, &flow)
        .await
        .expect_err("must fail")
}

#[tokio::test]
async fn error_object_with_http_200_goes_through_the_provider_table() {
    let err = failure(
        &POST,
        ResponseTemplate::new(200).set_body_json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
            "error_uri": "https://docs.github.com/apps/troubleshooting"
        })),
    )
    .await;
    assert_eq!(err.code(), ErrorCode::SocialAuthCodeInvalid);
    assert!(err.message().contains("incorrect or expired"), "{err}");
    assert_eq!(err.status(), Some(200));
}

#[tokio::test]
async fn unmapped_provider_errors_fall_back_to_the_standard_table() {
    let cases = [
        (
            400,
            "invalid_grant",
            ErrorCode::SocialAuthCodeInvalid,
            false,
        ),
        (401, "invalid_client", ErrorCode::InvalidConfig, false),
        (400, "unauthorized_client", ErrorCode::InvalidConfig, false),
        (400, "invalid_scope", ErrorCode::InvalidConfig, false),
        (400, "slow_down", ErrorCode::RateLimitExceeded, true),
        (503, "temporarily_unavailable", ErrorCode::General, true),
        (400, "something_else", ErrorCode::General, false),
    ];
    for (status, error, code, retryable) in cases {
        let err = failure(
            &BASIC,
            ResponseTemplate::new(status).set_body_json(json!({"error": error})),
        )
        .await;
        assert_eq!(err.code(), code, "{error}: {err}");
        assert_eq!(err.is_retryable(), retryable, "{error}: {err}");
        assert_eq!(err.status(), Some(status));
        assert!(err.message().contains(error), "{err}");
    }
}

#[tokio::test]
async fn server_errors_are_retryable_general_with_status() {
    let err = failure(
        &BASIC,
        ResponseTemplate::new(502).set_body_raw("<html>Bad Gateway</html>", "text/html"),
    )
    .await;
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(502));
    assert!(err.body().expect("excerpt").contains("Bad Gateway"));
}

#[tokio::test]
async fn html_with_200_is_invalid_response() {
    let err = failure(
        &BASIC,
        ResponseTemplate::new(200).set_body_raw("<html>Sign in</html>", "text/html"),
    )
    .await;
    assert_eq!(err.code(), ErrorCode::InvalidResponse);
    assert!(err.message().contains("not JSON"), "{err}");
}

#[tokio::test]
async fn truncated_json_is_invalid_response() {
    let err = failure(
        &BASIC,
        ResponseTemplate::new(200).set_body_raw("{\"access_token\":\"a", "application/json"),
    )
    .await;
    assert_eq!(err.code(), ErrorCode::InvalidResponse);
    assert!(err.message().contains("truncated"), "{err}");
}

#[tokio::test]
async fn json_without_a_token_is_invalid_response() {
    let err = failure(
        &BASIC,
        ResponseTemplate::new(200).set_body_json(json!({"hello": "world"})),
    )
    .await;
    assert_eq!(err.code(), ErrorCode::InvalidResponse);
    assert!(err.message().contains("access_token"), "{err}");
}

#[tokio::test]
async fn oversize_body_is_invalid_response() {
    let big = format!(
        "{{\"access_token\":\"{}\",\"token_type\":\"bearer\"}}",
        "a".repeat(10_000)
    );
    let err = failure(
        &BASIC,
        ResponseTemplate::new(200).set_body_raw(big, "application/json"),
    )
    .await;
    assert_eq!(err.code(), ErrorCode::InvalidResponse);
    assert!(err.message().contains("cap"), "{err}");
}

#[tokio::test]
async fn stalled_token_endpoint_times_out_retryably() {
    let started = std::time::Instant::now();
    let err = failure(
        &BASIC,
        ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "returned after {:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn rate_limited_token_endpoint() {
    let err = failure(
        &BASIC,
        ResponseTemplate::new(429).set_body_string("slow down"),
    )
    .await;
    assert_eq!(err.code(), ErrorCode::RateLimitExceeded);
}

#[tokio::test]
async fn json_served_as_text_plain_is_accepted() {
    let mock = MockServer::start().await;
    token_reply(
        &mock,
        "/oauth/token",
        ResponseTemplate::new(200).set_body_raw(
            r#"{"access_token":"at","token_type":"bearer"}"#,
            "text/plain",
        ),
    )
    .await;
    let client = client(&BASIC, &mock, HttpClient::default()).await;
    let (flow, callback) = start(&client).await;
    assert!(client.exchange_code(&callback, &flow).await.is_ok());
}

#[tokio::test]
async fn bad_state_never_reaches_the_token_endpoint() {
    let mock = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&mock)
        .await;
    let client = client(&BASIC, &mock, HttpClient::default()).await;
    let (flow, _) = start(&client).await;
    let forged = CallbackParams::from_map([("code", "c"), ("state", "forged")]);
    let err = client
        .exchange_code(&forged, &flow)
        .await
        .expect_err("forged");
    assert_eq!(err.code(), ErrorCode::AuthorizationFailed);
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant() {
    let mock = MockServer::start().await;
    token_reply(
        &mock,
        "/oauth/token",
        ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "new", "token_type": "bearer", "refresh_token": "rt2"}),
        ),
    )
    .await;
    let client = client(&BASIC, &mock, HttpClient::default()).await;
    let tokens = client
        .refresh(&Secret::new("rt1"))
        .await
        .expect("refreshed");
    assert_eq!(tokens.access_token.expose(), "new");
    let requests = mock.received_requests().await.expect("recorded");
    let fields = form(&requests[0]);
    assert_eq!(fields["grant_type"], "refresh_token");
    assert_eq!(fields["refresh_token"], "rt1");
}

#[tokio::test]
async fn refresh_with_invalid_grant_is_invalid_access_token() {
    let mock = MockServer::start().await;
    token_reply(
        &mock,
        "/oauth/token",
        ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"})),
    )
    .await;
    let client = client(&BASIC, &mock, HttpClient::default()).await;
    let err = client
        .refresh(&Secret::new("rt1"))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), ErrorCode::SocialInvalidAccessToken);
}

#[tokio::test]
async fn bearer_json_get_maps_statuses() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(header("authorization", "Bearer tok"))
        .and(header("x-extra", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sub": "1"})))
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/expired"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&mock)
        .await;
    let client = client(&BASIC, &mock, HttpClient::default()).await;
    let base = url::Url::parse(&mock.uri()).expect("uri");
    let me: serde_json::Value = client
        .get_json(
            base.join("/me").expect("url"),
            &Secret::new("tok"),
            &[("x-extra", "1")],
        )
        .await
        .expect("me");
    assert_eq!(me["sub"], "1");
    let err = client
        .get_json::<serde_json::Value>(
            base.join("/expired").expect("url"),
            &Secret::new("tok"),
            &[],
        )
        .await
        .expect_err("401");
    assert_eq!(err.code(), ErrorCode::SocialInvalidAccessToken);
}

#[test]
fn client_debug_shows_no_secret() {
    let ctx = ConnectorContext::default();
    let client = OAuth2Client::new(&BASIC, "id", &Secret::new("my-secret"), &ctx).expect("client");
    let text = format!("{client:?}");
    assert!(
        text.contains("Basic") && !text.contains("my-secret"),
        "{text}"
    );
}
