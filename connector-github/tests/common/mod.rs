//! A GitHub on 127.0.0.1: wiremock with the connector's endpoints rebased onto it.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use connector_core::{
    AuthorizationRequest, AuthorizationStart, CallbackParams, ConnectorContext, ConnectorFactory,
    Result, SocialConnector, SocialUserInfo,
};
use connector_github::GithubFactory;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub(crate) const CLIENT_ID: &str = "Ov23liTq5hVtE3xHf8Gk";
pub(crate) const CLIENT_SECRET: &str = "9f2c1e5d7a9b3c4d6c3f0a528d1e4b7a9f2c1e5d";
pub(crate) const REDIRECT_URI: &str = "https://id.example.com/callback/github";
pub(crate) const CODE: &str = "a1b2c3d4e5f6a7b8c9d0";
/// The access token in `fixtures/access_token.json`.
pub(crate) const ACCESS_TOKEN: &str = "gho_16C7e42F292c6912E7710c838347Ae178B4a";

pub(crate) const TOKEN_PATH: &str = "/login/oauth/access_token";
pub(crate) const USER_PATH: &str = "/user";
pub(crate) const EMAILS_PATH: &str = "/user/emails";

/// A fixture from `tests/fixtures/<name>.json`, named after the endpoint it imitates.
pub(crate) fn fixture(name: &str) -> Value {
    let file = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).expect("fixture file exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// The smallest working config.
pub(crate) fn config() -> Value {
    json!({ "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET })
}

/// A JSON answer with GitHub's content type.
pub(crate) fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

pub(crate) struct Github {
    pub(crate) mock: MockServer,
    pub(crate) connector: Arc<dyn SocialConnector>,
}

impl Github {
    /// A mock GitHub and a connector with the default config.
    pub(crate) async fn new() -> Self {
        Self::with_config(config()).await
    }

    pub(crate) async fn with_config(config: Value) -> Self {
        let mock = MockServer::start().await;
        let base = mock.uri().parse().expect("mock URI is a URL");
        let ctx = ConnectorContext::default().with_base_url(base);
        let connector = GithubFactory
            .create(config, &ctx)
            .expect("config creates")
            .into_social()
            .expect("social connector");
        Self { mock, connector }
    }

    pub(crate) async fn token_responds(&self, response: ResponseTemplate) {
        mount(&self.mock, "POST", TOKEN_PATH, response).await;
    }

    pub(crate) async fn user_responds(&self, response: ResponseTemplate) {
        mount(&self.mock, "GET", USER_PATH, response).await;
    }

    pub(crate) async fn emails_respond(&self, response: ResponseTemplate) {
        mount(&self.mock, "GET", EMAILS_PATH, response).await;
    }

    /// `/user/emails` must not be called: verified when the mock server drops.
    pub(crate) async fn emails_never_called(&self) {
        Mock::given(method("GET"))
            .and(path(EMAILS_PATH))
            .respond_with(json_response(200, fixture("user_emails")))
            .expect(0)
            .named("GET /user/emails")
            .mount(&self.mock)
            .await;
    }

    /// The token, `/user` and `/user/emails` answers of a user with a private e-mail.
    pub(crate) async fn happy(&self) {
        self.token_responds(json_response(200, fixture("access_token")))
            .await;
        self.user_responds(json_response(200, fixture("user")))
            .await;
        self.emails_respond(json_response(200, fixture("user_emails")))
            .await;
    }

    pub(crate) async fn start(&self) -> AuthorizationStart {
        self.connector
            .authorization_url(AuthorizationRequest::new(REDIRECT_URI))
            .await
            .expect("authorization URL")
    }

    /// A whole sign-in: authorization URL, then GitHub's callback with `code` and the right `state`.
    pub(crate) async fn sign_in(&self) -> Result<SocialUserInfo> {
        let start = self.start().await;
        let callback = CallbackParams::from_map([("code", CODE), ("state", &start.flow.state)]);
        self.connector.user_info(callback, &start.flow).await
    }

    /// The requests GitHub received at `path`, in order.
    pub(crate) async fn requests(&self, at: &str) -> Vec<Request> {
        self.mock
            .received_requests()
            .await
            .expect("request recording is on")
            .into_iter()
            .filter(|r| r.url.path() == at)
            .collect()
    }

    /// The one request GitHub received at `path`.
    pub(crate) async fn request(&self, at: &str) -> Request {
        let mut requests = self.requests(at).await;
        assert_eq!(requests.len(), 1, "exactly one request to {at}");
        requests.remove(0)
    }
}

async fn mount(mock: &MockServer, verb: &str, at: &str, response: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(response)
        .mount(mock)
        .await;
}

/// The form fields of a request body.
pub(crate) fn form(request: &Request) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for (key, value) in url_pairs(&request.body) {
        assert!(
            fields.insert(key.clone(), value).is_none(),
            "form field {key} sent twice"
        );
    }
    fields
}

fn url_pairs(body: &[u8]) -> Vec<(String, String)> {
    connector_core::url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A request header as text.
pub(crate) fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The query parameters of a URL, each once.
pub(crate) fn query(url: &connector_core::url::Url) -> BTreeMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
