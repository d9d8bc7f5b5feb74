//! The social conformance suite: what every [`SocialConnector`] must do, checked against a mock
//! provider on 127.0.0.1.
//!
//! A connector describes itself with a [`SocialFixture`] (factory, a good config, bad configs, its
//! secrets, and its token and user-info endpoints with a successful answer each), then calls
//! [`run`]. See the [crate documentation](crate) for a complete example.
//!
//! # The checks
//!
//! | area | check |
//! |---|---|
//! | `metadata.*` | `ConnectorMetadata::validate`, kebab-case id and target, type `Social`, the logo is an SVG document with the SVG namespace and no script, `metadata()` is deterministic |
//! | `schema.*` | the config schema equals `metadata().config_schema`, is valid against its JSON Schema meta-schema, accepts the good config, and marks every secret field `writeOnly` |
//! | `config.*` | the factory registers; the good config creates a social connector; each bad config, a non-object, `{}` and an unknown field fail with `invalid_config` naming the field |
//! | `authorize.*` | the URL carries `response_type=code`, the client id, the redirect URI, a scope and the flow's `state` (no parameter twice); `state` is unpredictable; PKCE S256 matches the verifier when `metadata.pkce`, and is absent otherwise; the flow state round-trips through JSON |
//! | `callback.*` | a wrong, missing or replayed `state`, a provider `error=access_denied` and a missing `code` are `authorization_failed`, *before* any request to the provider; a code used twice is refused as the provider refuses it |
//! | `signin.*` | a full sign-in returns a profile with a non-empty id; the token request carries the code (and the PKCE verifier) |
//! | `token.*`, `userinfo.*` | each declared [`ErrorCase`] plus 5xx, HTML, truncated JSON, a body over the cap and a stalled answer give the right code (and `is_retryable()`) within [`Limits::call_bound`]; a server that accepts the connection and never answers too |
//! | `secrets.*` | no secret of the config in any `Debug`, `Display`, error, URL, profile or flow state, nor in the tracing output captured at TRACE level |
//!
//! "Replayed state" means a callback whose `state` belongs to an earlier flow, presented with a
//! newer flow. A callback presented twice with its own flow cannot be told apart by a stateless
//! connector: the provider refuses the second exchange of a single-use code, and the suite checks
//! the connector reports that refusal as `social_auth_code_invalid` (`callback.code_reuse`).

use std::sync::Arc;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use connector_core::{
    AnyConnector, AuthorizationRequest, AuthorizationStart, CallbackParams, ConnectorFactory,
    ConnectorType, ErrorCode, FlowState, SocialConnector, SocialUserInfo,
};
use serde_json::Value;
use wiremock::ResponseTemplate;

use crate::common::{self, call, describe_error, expect_error, record, Called, Session};
use crate::mock::{Limits, MockEndpoint, MockProvider, SilentServer};
use crate::reply;
use crate::report::Report;

/// The redirect URI the suite starts flows with, unless the fixture says otherwise.
pub const DEFAULT_REDIRECT_URI: &str = "https://id.example.test/callback/conformance";

/// The authorization code the suite's callbacks carry.
pub const TEST_CODE: &str = "conformance-authorization-code";

/// A scripted provider failure and the error the connector must turn it into.
///
/// ```
/// use connector_core::ErrorCode;
/// use connector_testkit::{reply, social::ErrorCase};
/// // WeChat answers errors with HTTP 200 and a JSON body served as text/plain.
/// let case = ErrorCase::new(
///     "errcode 40029 (invalid code)",
///     reply::text(200, "text/plain", r#"{"errcode":40029,"errmsg":"invalid code"}"#),
///     ErrorCode::SocialAuthCodeInvalid,
/// );
/// assert_eq!(case.retryable, None);
/// ```
#[derive(Debug, Clone)]
pub struct ErrorCase {
    /// What the provider does, e.g. `400 invalid_grant`; the check is named after it.
    pub name: String,
    /// The provider's answer.
    pub reply: ResponseTemplate,
    /// The code the connector must return.
    pub code: ErrorCode,
    /// Whether the error must be retryable (`None`: not checked).
    pub retryable: Option<bool>,
}

impl ErrorCase {
    /// A case whose retryability is not checked.
    pub fn new(name: impl Into<String>, reply: ResponseTemplate, code: ErrorCode) -> Self {
        Self {
            name: name.into(),
            reply,
            code,
            retryable: None,
        }
    }

    /// Requires `is_retryable()` to be `retryable`.
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = Some(retryable);
        self
    }
}

/// The token endpoint failures a standard OAuth 2.0 provider (RFC 6749 §5.2) answers with, and
/// the codes they map to. The default of [`SocialFixture::token_errors`].
///
/// | reply | code |
/// |---|---|
/// | 400 `{"error": "invalid_grant"}` | `social_auth_code_invalid` |
/// | 401 `{"error": "invalid_client"}` | `invalid_config` |
/// | 429, no body | `rate_limit_exceeded` (retryable) |
pub fn standard_token_errors() -> Vec<ErrorCase> {
    vec![
        ErrorCase::new(
            "400 invalid_grant",
            reply::oauth_error(
                400,
                "invalid_grant",
                "The provided authorization grant is invalid, expired, revoked, or was issued to another client.",
            ),
            ErrorCode::SocialAuthCodeInvalid,
        ),
        ErrorCase::new(
            "401 invalid_client",
            reply::oauth_error(401, "invalid_client", "Client authentication failed."),
            ErrorCode::InvalidConfig,
        ),
        ErrorCase::new("429 without a body", reply::empty(429), ErrorCode::RateLimitExceeded)
            .retryable(true),
    ]
}

/// The user-info failures every bearer-token API answers with. The default of
/// [`SocialFixture::userinfo_errors`].
///
/// | reply | code |
/// |---|---|
/// | 401 | `social_invalid_access_token` |
pub fn standard_userinfo_errors() -> Vec<ErrorCase> {
    vec![ErrorCase::new(
        "401 invalid token",
        reply::json(401, serde_json::json!({"message": "401 Unauthorized"})),
        ErrorCode::SocialInvalidAccessToken,
    )]
}

/// Failures every connector must classify the same way whatever its provider, at `endpoint`:
/// 5xx, HTML where JSON was expected, truncated JSON, a body over the cap, and an answer that
/// never comes.
fn mandatory_cases(endpoint: &MockEndpoint, limits: &Limits) -> Vec<ErrorCase> {
    vec![
        ErrorCase::new(
            "500 with an HTML page",
            reply::html(500),
            ErrorCode::General,
        )
        .retryable(true),
        ErrorCase::new(
            "503 with an empty body",
            reply::empty(503),
            ErrorCode::General,
        )
        .retryable(true),
        ErrorCase::new(
            "200 with an HTML page",
            reply::html(200),
            ErrorCode::InvalidResponse,
        ),
        ErrorCase::new(
            "200 with truncated JSON",
            endpoint.truncated_reply(),
            ErrorCode::InvalidResponse,
        ),
        ErrorCase::new(
            "200 with a body over the size cap",
            endpoint.oversize_reply(limits.max_body_bytes),
            ErrorCode::InvalidResponse,
        ),
        ErrorCase::new("never answers", reply::stall(), ErrorCode::General).retryable(true),
    ]
}

/// How a social connector describes itself to the suite.
///
/// Required: the factory, a good config, bad configs, the secrets, and the token and user-info
/// endpoints with a successful answer each. Everything else has a default that fits a standard
/// OAuth 2.0 provider; override the `script_*` methods when a sign-in calls more endpoints (GitHub's
/// `/user/emails`) or needs finer matching, and the `*_errors` lists when the provider reports errors
/// its own way (WeChat: HTTP 200 with `errcode`).
#[async_trait]
pub trait SocialFixture: Send + Sync {
    /// The factory under test.
    fn factory(&self) -> Arc<dyn ConnectorFactory>;

    /// A config that must create a working connector.
    fn good_config(&self) -> Value;

    /// Configs that must fail with `invalid_config`, each with the JSON path a problem must name
    /// (`"clientSecret"`, `"templates[0].usageType"`).
    fn bad_configs(&self) -> Vec<(Value, &'static str)>;

    /// Values that must never appear in any output: the good config's client secret, passwords.
    /// Values of fields the schema marks `writeOnly` are added automatically. Use distinctive
    /// values of 8 characters or more.
    fn secrets(&self) -> Vec<String>;

    /// The token endpoint (path as the connector calls it once rebased onto the mock) and the
    /// JSON of a successful answer.
    fn token_endpoint(&self) -> MockEndpoint;

    /// The user-info endpoint and the JSON of a successful answer.
    fn userinfo_endpoint(&self) -> MockEndpoint;

    /// Mounts everything a successful sign-in needs. Default: the token and user-info successes.
    async fn script_success(&self, mock: &MockProvider) {
        mock.mount_success(&self.token_endpoint()).await;
        mock.mount_success(&self.userinfo_endpoint()).await;
    }

    /// Routes `reply` to the token endpoint. Default: mounted on [`SocialFixture::token_endpoint`]'s route.
    async fn script_token_reply(&self, mock: &MockProvider, reply: ResponseTemplate) {
        mock.mount(self.token_endpoint().route, reply).await;
    }

    /// Routes a successful token answer, then `reply` to the user-info endpoint.
    async fn script_userinfo_reply(&self, mock: &MockProvider, reply: ResponseTemplate) {
        mock.mount_success(&self.token_endpoint()).await;
        mock.mount(self.userinfo_endpoint().route, reply).await;
    }

    /// Provider-specific token endpoint failures and their codes; default
    /// [`standard_token_errors`]. The suite adds 5xx, HTML, truncated JSON, oversize and stall
    /// cases itself. The first case whose code is `social_auth_code_invalid` also serves as the
    /// provider's answer to a code used twice.
    fn token_errors(&self) -> Vec<ErrorCase> {
        standard_token_errors()
    }

    /// Provider-specific user-info failures and their codes; default [`standard_userinfo_errors`].
    fn userinfo_errors(&self) -> Vec<ErrorCase> {
        standard_userinfo_errors()
    }

    /// The redirect URI flows are started with.
    fn redirect_uri(&self) -> String {
        DEFAULT_REDIRECT_URI.to_owned()
    }

    /// The client id the authorization URL must carry. Default: the good config's `clientId`
    /// (or `appId`).
    fn client_id(&self) -> String {
        let config = self.good_config();
        ["clientId", "appId"]
            .iter()
            .find_map(|key| config.get(*key).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned()
    }

    /// The query parameter carrying the client id: `client_id`, or WeChat's `appid`.
    fn client_id_param(&self) -> &'static str {
        "client_id"
    }

    /// The HTTP limits of the suite's context.
    fn limits(&self) -> Limits {
        Limits::default()
    }
}

/// Runs every check and panics with the list of failed checks (each with why) if any failed.
///
/// Call it from a `#[tokio::test]`. It starts its own mock provider on 127.0.0.1.
pub async fn run<F: SocialFixture + ?Sized>(fixture: &F) -> Report {
    check(fixture).await.assert_passed()
}

/// Runs every check and returns the report, whatever the outcome.
pub async fn check<F: SocialFixture + ?Sized>(fixture: &F) -> Report {
    let factory = fixture.factory();
    let meta = factory.metadata();
    let mut session = Session::new("social", &meta.id);
    let good_config = fixture.good_config();

    common::metadata_checks(
        &mut session.report,
        factory.as_ref(),
        &meta,
        ConnectorType::Social,
    );
    session.report.check(
        "metadata.default_scope",
        match &meta.default_scope {
            Some(scope) if scope.trim().is_empty() => {
                Err("default_scope is set but blank".to_owned())
            }
            _ => Ok(()),
        },
    );
    let secrets = common::schema_checks(
        &mut session.report,
        factory.as_ref(),
        &meta,
        &good_config,
        &fixture.secrets(),
    );
    common::distinctive_secrets(&mut session.report, &secrets);

    let limits = fixture.limits();
    let mock = MockProvider::start_with(limits).await;
    let ctx = mock.context();
    let created = common::config_checks(
        &mut session,
        factory.clone(),
        &meta,
        &good_config,
        fixture.bad_configs(),
        &ctx,
    );
    let connector = match created {
        Some(AnyConnector::Social(connector)) => Some(connector),
        Some(AnyConnector::Email(_)) => {
            session.report.fail(
                "config.connector_type",
                "the good config created an e-mail connector, not a social one",
            );
            None
        }
        None => None,
    };

    match connector {
        Some(connector) => {
            let mut suite = Suite {
                fixture,
                session,
                connector,
                mock,
                limits,
                redirect: fixture.redirect_uri(),
                pkce: meta.pkce,
            };
            suite.flows(factory.as_ref(), &good_config).await;
            session = suite.session;
        }
        None => session.report.skip(
            "authorize.*, callback.*, signin.*, token.*, userinfo.*",
            "needs config.good_creates",
        ),
    }

    common::leak_checks(&mut session, &secrets);
    session.report
}

struct Suite<'f, F: ?Sized> {
    fixture: &'f F,
    session: Session,
    connector: Arc<dyn SocialConnector>,
    mock: MockProvider,
    limits: Limits,
    redirect: String,
    pkce: bool,
}

fn describe_profile(user: &SocialUserInfo) -> String {
    format!("a profile with id `{}`", user.id)
}

impl<F: SocialFixture + ?Sized> Suite<'_, F> {
    async fn flows(&mut self, factory: &dyn ConnectorFactory, good_config: &Value) {
        self.mock.reset().await;
        let Some(start) = self.authorize().await else {
            self.session.report.skip(
                "callback.*, signin.*, token.*, userinfo.*",
                "needs a working authorization_url",
            );
            return;
        };
        self.callbacks(start).await;
        self.sign_in().await;
        for case in self
            .fixture
            .token_errors()
            .into_iter()
            .chain(mandatory_cases(
                &self.fixture.token_endpoint(),
                &self.limits,
            ))
        {
            self.token_case(case).await;
        }
        for case in self.fixture.userinfo_errors().into_iter().chain(
            mandatory_cases(&self.fixture.userinfo_endpoint(), &self.limits)
                .into_iter()
                // One 5xx case is enough at the second endpoint.
                .filter(|c| c.name != "503 with an empty body"),
        ) {
            self.userinfo_case(case).await;
        }
        self.silent_server(factory, good_config).await;
    }

    /// Starts a flow; the URL and flow state go to the transcript.
    async fn start(&mut self, label: &str) -> Result<AuthorizationStart, String> {
        let connector = self.connector.clone();
        let request = AuthorizationRequest::new(self.redirect.clone());
        let called = call(
            self.session.capture.dispatch(),
            self.limits.call_bound(),
            async move { connector.authorization_url(request).await },
        )
        .await;
        match called {
            Called::Returned(Ok(start)) => {
                let transcript = &mut self.session.transcript;
                transcript.add(format!("{label}: authorization URL"), start.url.as_str());
                transcript.add_debug(&format!("{label}: flow state"), &start.flow);
                transcript.add(
                    format!("{label}: flow state JSON"),
                    serde_json::to_string(&start.flow).unwrap_or_default(),
                );
                Ok(start)
            }
            Called::Returned(Err(error)) => {
                self.session.transcript.add_error(label, &error);
                Err(format!(
                    "authorization_url failed: {}",
                    describe_error(&error)
                ))
            }
            Called::Panicked(message) => Err(format!("authorization_url panicked: {message}")),
            Called::Hung(bound) => {
                Err(format!("authorization_url did not return within {bound:?}"))
            }
        }
    }

    async fn user_info(
        &mut self,
        label: &str,
        callback: CallbackParams,
        flow: FlowState,
    ) -> Called<SocialUserInfo> {
        let connector = self.connector.clone();
        let called = call(
            self.session.capture.dispatch(),
            self.limits.call_bound(),
            async move { connector.user_info(callback, &flow).await },
        )
        .await;
        record(&mut self.session.transcript, label, &called, |user| {
            format!("{user:?}")
        });
        called
    }

    async fn authorize(&mut self) -> Option<AuthorizationStart> {
        let start = match self.start("authorize.url_parameters").await {
            Ok(start) => start,
            Err(why) => {
                self.session.report.fail("authorize.url_parameters", why);
                return None;
            }
        };
        let params = query_pairs(&start.url);
        let one = |name: &str| -> Option<&str> {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };

        let mut problems = Vec::new();
        let client_param = self.fixture.client_id_param();
        let client_id = self.fixture.client_id();
        let expect = |problems: &mut Vec<String>, name: &str, wanted: &str| match one(name) {
            Some(value) if value == wanted => {}
            Some(value) => problems.push(format!("`{name}` is `{value}`, expected `{wanted}`")),
            None => problems.push(format!("no `{name}` parameter")),
        };
        expect(&mut problems, client_param, &client_id);
        expect(&mut problems, "redirect_uri", &self.redirect);
        expect(&mut problems, "response_type", "code");
        expect(&mut problems, "state", &start.flow.state);
        if one("scope").is_none_or(|s| s.trim().is_empty()) {
            problems.push("no non-empty `scope` parameter".to_owned());
        }
        let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        for pair in names.windows(2) {
            if pair[0] == pair[1] {
                problems.push(format!("the `{}` parameter appears twice", pair[0]));
            }
        }
        let result = common::join(problems).map_err(|why| format!("{why} (URL: {})", start.url));
        self.session
            .report
            .check("authorize.url_parameters", result);

        // The flow state is what the server keeps: it must round-trip and name the redirect URI.
        let mut problems = Vec::new();
        if start.flow.redirect_uri != self.redirect {
            problems.push(format!(
                "flow.redirect_uri is `{}`, expected `{}`",
                start.flow.redirect_uri, self.redirect
            ));
        }
        match serde_json::to_string(&start.flow)
            .ok()
            .and_then(|json| serde_json::from_str::<FlowState>(&json).ok())
        {
            Some(back) if back == start.flow => {}
            _ => problems.push("the flow state does not survive a JSON round trip".to_owned()),
        }
        self.session
            .report
            .check("authorize.flow_state", common::join(problems));

        let result = match self.start("authorize.state_unpredictable").await {
            Err(why) => Err(why),
            Ok(second) if second.flow.state == start.flow.state => Err(format!(
                "two flows got the same state `{}`: state must be random per flow",
                start.flow.state
            )),
            Ok(_) if start.flow.state.len() < 22 => Err(format!(
                "state `{}` has {} characters: use at least 128 random bits (22 base64url characters)",
                start.flow.state,
                start.flow.state.len()
            )),
            Ok(_) => Ok(()),
        };
        self.session
            .report
            .check("authorize.state_unpredictable", result);

        let result = self.pkce_result(&start, one("code_challenge"), one("code_challenge_method"));
        self.session.report.check("authorize.pkce", result);
        Some(start)
    }

    fn pkce_result(
        &self,
        start: &AuthorizationStart,
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<(), String> {
        if !self.pkce {
            return match (challenge, &start.flow.pkce_verifier) {
                (None, None) => Ok(()),
                _ => Err("metadata says pkce = false, but the flow carries a PKCE challenge or verifier: declare it with with_pkce(true)".to_owned()),
            };
        }
        let Some(verifier) = &start.flow.pkce_verifier else {
            return Err(
                "metadata says pkce = true, but the flow state has no pkce_verifier".to_owned(),
            );
        };
        let verifier = verifier.expose();
        if method != Some("S256") {
            return Err(format!(
                "metadata says pkce = true: expected code_challenge_method=S256, got {method:?}"
            ));
        }
        if !(43..=128).contains(&verifier.len())
            || !verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        {
            return Err(
                "the PKCE verifier is not 43-128 unreserved characters (RFC 7636 §4.1)".to_owned(),
            );
        }
        match (challenge, s256(verifier)) {
            (Some(sent), Some(expected)) if sent == expected => Ok(()),
            (Some(_), Some(_)) => Err(
                "code_challenge is not BASE64URL(SHA256(verifier)) of the flow's verifier: the provider would refuse the exchange".to_owned(),
            ),
            (None, _) => Err("metadata says pkce = true, but the URL has no code_challenge".to_owned()),
            (Some(_), None) => Err("could not compute SHA-256 to verify the challenge".to_owned()),
        }
    }

    async fn callbacks(&mut self, first: AuthorizationStart) {
        let cases: [(&str, &str); 5] = [
            (
                "callback.wrong_state",
                "a callback whose state differs from the flow's",
            ),
            ("callback.missing_state", "a callback without state"),
            (
                "callback.replayed_state",
                "a callback carrying the state of an earlier flow, presented with a newer flow",
            ),
            (
                "callback.provider_error",
                "a callback with error=access_denied (the user refused)",
            ),
            (
                "callback.missing_code",
                "a callback with the right state and no code",
            ),
        ];
        for (name, what) in cases {
            let start = match self.start(name).await {
                Ok(start) => start,
                Err(why) => {
                    self.session.report.fail(name, why);
                    continue;
                }
            };
            let state = start.flow.state.as_str();
            let pairs: Vec<(&str, &str)> = match name {
                "callback.wrong_state" => vec![
                    ("code", TEST_CODE),
                    ("state", "conformance-wrong-state-value"),
                ],
                "callback.missing_state" => vec![("code", TEST_CODE)],
                "callback.replayed_state" => {
                    vec![("code", TEST_CODE), ("state", first.flow.state.as_str())]
                }
                "callback.provider_error" => vec![
                    ("error", "access_denied"),
                    ("error_description", "The user denied the request"),
                    ("state", state),
                ],
                _ => vec![("state", state)],
            };
            let callback = CallbackParams::from_map(pairs);
            self.refused(name, what, callback, start.flow).await;
        }
    }

    /// Expects `authorization_failed` with no request reaching the provider.
    async fn refused(&mut self, name: &str, what: &str, callback: CallbackParams, flow: FlowState) {
        self.mock.reset().await;
        // A connector that skips the check would sign in: the failure then says so.
        self.fixture.script_success(&self.mock).await;
        let called = self.user_info(name, callback, flow).await;
        let mut result = expect_error(
            &called,
            ErrorCode::AuthorizationFailed,
            None,
            describe_profile,
        );
        if result.is_ok() {
            let sent = self.mock.requests().await.len();
            if sent > 0 {
                result = Err(format!(
                    "refused, but only after {sent} request(s) to the provider: check the callback before exchanging the code"
                ));
            }
        }
        self.session
            .report
            .check(name, result.map_err(|why| format!("{what}: {why}")));
    }

    async fn sign_in(&mut self) {
        let name = "signin.success";
        let start = match self.start(name).await {
            Ok(start) => start,
            Err(why) => {
                self.session.report.fail(name, why);
                return;
            }
        };
        self.mock.reset().await;
        self.fixture.script_success(&self.mock).await;
        let callback =
            CallbackParams::from_map([("code", TEST_CODE), ("state", &start.flow.state)]);
        let called = self
            .user_info(name, callback.clone(), start.flow.clone())
            .await;
        let result = match &called {
            Called::Returned(Ok(user)) if user.id.trim().is_empty() => {
                Err("the profile id is empty: a user cannot be identified".to_owned())
            }
            Called::Returned(Ok(_)) => Ok(()),
            Called::Returned(Err(error)) => Err(format!(
                "a sign-in against the scripted provider failed: {}",
                describe_error(error)
            )),
            Called::Panicked(message) => Err(format!("user_info panicked: {message}")),
            Called::Hung(bound) => Err(format!("user_info did not return within {bound:?}")),
        };
        let succeeded = result.is_ok();
        self.session.report.check(name, result);
        if !succeeded {
            self.session
                .report
                .skip("signin.token_request", "needs signin.success");
            self.session
                .report
                .skip("callback.code_reuse", "needs signin.success");
            return;
        }

        let requests = self.mock.requests().await;
        let texts: Vec<String> = requests
            .iter()
            .map(|r| format!("{}\n{}", r.url, String::from_utf8_lossy(&r.body)))
            .collect();
        let mut problems = Vec::new();
        if !texts.iter().any(|t| t.contains(TEST_CODE)) {
            problems.push(format!(
                "no request to the provider carried the callback's code `{TEST_CODE}`"
            ));
        }
        if let Some(verifier) = &start.flow.pkce_verifier {
            if !texts.iter().any(|t| t.contains(verifier.expose())) {
                problems.push(
                    "no request to the provider carried the PKCE code_verifier of the flow"
                        .to_owned(),
                );
            }
        }
        self.session
            .report
            .check("signin.token_request", common::join(problems));

        // The same callback again: the provider refuses a code it already exchanged.
        let used = self
            .fixture
            .token_errors()
            .into_iter()
            .find(|c| c.code == ErrorCode::SocialAuthCodeInvalid);
        let Some(used) = used else {
            self.session.report.skip(
                "callback.code_reuse",
                "no token error case maps to social_auth_code_invalid",
            );
            return;
        };
        self.mock.reset().await;
        self.fixture
            .script_token_reply(&self.mock, used.reply)
            .await;
        let called = self
            .user_info("callback.code_reuse", callback, start.flow)
            .await;
        let result = expect_error(&called, ErrorCode::SocialAuthCodeInvalid, None, describe_profile)
            .map_err(|why| {
                format!(
                    "the callback of a finished sign-in presented again, the provider refusing the used code ({}): {why}",
                    used.name
                )
            });
        self.session.report.check("callback.code_reuse", result);
    }

    async fn token_case(&mut self, case: ErrorCase) {
        let name = format!("token.{}", case.name);
        self.mock.reset().await;
        self.fixture
            .script_token_reply(&self.mock, case.reply.clone())
            .await;
        self.error_case(&name, "the token endpoint answers", &case)
            .await;
    }

    async fn userinfo_case(&mut self, case: ErrorCase) {
        let name = format!("userinfo.{}", case.name);
        self.mock.reset().await;
        self.fixture
            .script_userinfo_reply(&self.mock, case.reply.clone())
            .await;
        self.error_case(&name, "the user-info endpoint answers", &case)
            .await;
    }

    async fn error_case(&mut self, name: &str, stage: &str, case: &ErrorCase) {
        let start = match self.start(name).await {
            Ok(start) => start,
            Err(why) => {
                self.session.report.fail(name, why);
                return;
            }
        };
        let callback =
            CallbackParams::from_map([("code", TEST_CODE), ("state", &start.flow.state)]);
        let called = self.user_info(name, callback, start.flow).await;
        let result = expect_error(&called, case.code, case.retryable, describe_profile)
            .map_err(|why| format!("{stage} {}: {why}", case.name));
        self.session.report.check(name, result);
    }

    /// A provider that accepts the TCP connection and never answers a byte.
    async fn silent_server(&mut self, factory: &dyn ConnectorFactory, good_config: &Value) {
        let name = "token.accepts_but_never_answers";
        let server = match SilentServer::start().await {
            Ok(server) => server,
            Err(e) => {
                self.session
                    .report
                    .skip(name, format!("could not bind 127.0.0.1: {e}"));
                return;
            }
        };
        let ctx = self.limits.context(server.base_url());
        let connector = match factory
            .create(good_config.clone(), &ctx)
            .and_then(AnyConnector::into_social)
        {
            Ok(connector) => connector,
            Err(e) => {
                self.session.report.fail(
                    name,
                    format!(
                        "the good config did not create with a context on another base URL: {}",
                        describe_error(&e)
                    ),
                );
                return;
            }
        };
        let original = std::mem::replace(&mut self.connector, connector);
        let start = self.start(name).await;
        let result = match start {
            Err(why) => Err(why),
            Ok(start) => {
                let callback =
                    CallbackParams::from_map([("code", TEST_CODE), ("state", &start.flow.state)]);
                let called = self.user_info(name, callback, start.flow).await;
                match expect_error(&called, ErrorCode::General, Some(true), describe_profile) {
                    Ok(()) if server.accepted() == 0 => Err(
                        "the connector never connected to the provider's base URL: it does not use the context's endpoints".to_owned(),
                    ),
                    other => other,
                }
            }
        };
        self.connector = original;
        self.session.report.check(
            name,
            result.map_err(|why| {
                format!(
                    "a provider that accepts the connection and never answers (timeout {:?}): {why}",
                    self.limits.timeout
                )
            }),
        );
    }
}

fn query_pairs(url: &url::Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// BASE64URL(SHA256(verifier)), the S256 challenge (RFC 7636 §4.2), with the SHA-256 of the
/// rustls `ring` provider already in the dependency tree.
fn s256(verifier: &str) -> Option<String> {
    let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256.tls13()?;
    let digest = suite.common.hash_provider.hash(verifier.as_bytes());
    Some(URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").as_deref(),
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        );
    }
}
