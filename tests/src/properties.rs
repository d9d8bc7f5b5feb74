//! Property tests (proptest, stable Rust): whatever a config, a provider or a browser sends, a
//! connector never panics or hangs; it returns a typed error or a valid result.
//!
//! [`social`] and [`email`] run a bounded number of cases per property ([`PropertyConfig`],
//! 64 by default) so CI stays fast, on a runtime of their own on a thread of their own: call them
//! from a plain `#[test]` (or from a `#[tokio::test]`, it makes no difference).
//!
//! The strategies are public for a connector's own property tests: [`json_value`], [`bytes`],
//! [`callback_query`], [`config_mutation`], [`email_message`].
//!
//! ```
//! use connector_testkit::properties::{callback_query, json_value};
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::deterministic();
//! let query = callback_query().new_tree(&mut runner).unwrap().current();
//! let config = json_value().new_tree(&mut runner).unwrap().current();
//! let _ = (query, config);
//! ```

use std::sync::Arc;

use connector_core::{
    AnyConnector, AuthorizationRequest, CallbackParams, ConnectorFactory, EmailConnector,
    EmailMessage, ErrorCode, SocialConnector, UsageType,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use tracing::Dispatch;
use wiremock::ResponseTemplate;

use crate::common::{call, call_sync, describe_error, Called};
use crate::email::{EmailFixture, SEND_BOUND};
use crate::mock::{Limits, MockProvider};
use crate::report::Report;
use crate::social::SocialFixture;

/// How many cases each property runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyConfig {
    /// Cases per property (64 by default).
    pub cases: u32,
    /// Shrinking steps allowed after a failure (256 by default).
    pub max_shrink_iters: u32,
}

impl Default for PropertyConfig {
    fn default() -> Self {
        Self {
            cases: 64,
            max_shrink_iters: 256,
        }
    }
}

impl PropertyConfig {
    fn runner(&self) -> TestRunner {
        TestRunner::new(Config {
            cases: self.cases,
            max_shrink_iters: self.max_shrink_iters,
            // Regression files would land in the caller's crate; the minimal input is reported.
            failure_persistence: None,
            ..Config::default()
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies

/// Strings that tend to break parsers and validators, mixed with arbitrary Unicode.
fn interesting_string() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        3 => "[a-zA-Z0-9_.:/@<> -]{0,24}",
        1 => prop::sample::select(vec![
            "", " ", "<your-client-id>", "https://example.com/cb", "offline_access", "snsapi_login",
            "SignIn", "text/html", "a\r\nBcc: x@example.com", "\u{0}", "{{code}}", "{{#each}}",
            "%zz", "&state=", "9999999999999999999999", "-1", "true", "null", "ümlaut", "微信",
            "x@example.com", "Name <x@example.com>",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Object keys: the config fields connectors know, near misses, and arbitrary text.
fn json_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "clientId", "clientSecret", "scope", "appId", "appSecret", "enableTokenStorage",
            "host", "port", "fromEmail", "replyTo", "auth", "user", "pass", "type", "secure",
            "requireTLS", "ignoreTLS", "tls", "ca", "templates", "usageType", "contentType",
            "subject", "content", "locale", "customHeaders", "clientID", "client_id",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z_]{1,12}",
        1 => any::<String>(),
    ]
    .boxed()
}

/// Arbitrary JSON values: every type, nested up to 4 levels, with config-like keys and strings.
pub fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON numbers are finite", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        interesting_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(json_key(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Arbitrary response bodies: random bytes, JSON, JSON cut anywhere, HTML, text.
pub fn bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (json_value(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            let at = cut.index(text.len() + 1);
            text[..at].to_vec()
        }),
        interesting_string().prop_map(|s| format!("<html><body>{s}</body></html>").into_bytes()),
        interesting_string().prop_map(String::into_bytes),
    ]
    .boxed()
}

/// Arbitrary callback query strings: raw text, and `key=value` lists over the OAuth callback
/// parameters (`code`, `state`, `error`, ...) with raw or encoded values, repeated keys, a
/// leading `?` or not.
pub fn callback_query() -> BoxedStrategy<String> {
    let key = prop_oneof![
        4 => prop::sample::select(vec![
            "code", "state", "error", "error_description", "error_uri", "scope", "appid",
        ])
        .prop_map(str::to_owned),
        1 => interesting_string(),
    ];
    let pair = (key, interesting_string(), any::<bool>()).prop_map(|(k, v, encode)| {
        if encode {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair(&k, &v)
                .finish()
        } else {
            format!("{k}={v}")
        }
    });
    prop_oneof![
        1 => any::<String>(),
        4 => (prop::collection::vec(pair, 0..6), any::<bool>()).prop_map(|(pairs, question)| {
            let query = pairs.join("&");
            if question { format!("?{query}") } else { query }
        }),
    ]
    .boxed()
}

/// Mutations of a good config: one field (at any depth) replaced by arbitrary JSON, removed, or
/// an arbitrary field added at the root.
pub fn config_mutation(good: Value) -> BoxedStrategy<Value> {
    let mut paths = Vec::new();
    object_paths(&good, &mut Vec::new(), &mut paths);
    let insert = {
        let good = good.clone();
        (json_key(), json_value()).prop_map(move |(key, value)| {
            let mut config = good.clone();
            if let Value::Object(map) = &mut config {
                map.insert(key, value);
            }
            config
        })
    };
    if paths.is_empty() {
        return insert.boxed();
    }
    let replace = {
        let (good, paths) = (good.clone(), paths.clone());
        (prop::sample::select(paths), json_value()).prop_map(move |(path, value)| {
            let mut config = good.clone();
            if let Some(slot) = pointer_mut(&mut config, &path) {
                *slot = value;
            }
            config
        })
    };
    let remove = {
        let good = good.clone();
        prop::sample::select(paths).prop_map(move |path| {
            let mut config = good.clone();
            if let Some((last, parent)) = path.split_last() {
                if let Some(Value::Object(map)) = pointer_mut(&mut config, parent) {
                    map.remove(last);
                }
            }
            config
        })
    };
    prop_oneof![2 => replace, 1 => remove, 1 => insert].boxed()
}

fn object_paths(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Value::Object(map) = value {
        for (key, child) in map {
            path.push(key.clone());
            out.push(path.clone());
            object_paths(child, path, out);
            path.pop();
        }
    }
}

fn pointer_mut<'v>(value: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    let mut node = value;
    for key in path {
        node = node.as_object_mut()?.get_mut(key)?;
    }
    Some(node)
}

/// Arbitrary e-mail messages: any recipient text (valid, lists, CR/LF, empty), any usage type and
/// locale, a code of any text, and arbitrary extra payload values.
pub fn email_message() -> BoxedStrategy<EmailMessage> {
    let to = prop_oneof![
        2 => "[a-z]{1,8}@[a-z]{1,8}\\.(test|example)",
        1 => interesting_string(),
        1 => Just("a@example.test, b@example.test".to_owned()),
        1 => Just("a@example.test\r\nBcc: b@example.test".to_owned()),
    ];
    (
        to,
        prop::sample::select(UsageType::ALL.to_vec()),
        prop::option::of(prop::sample::select(vec![
            "en", "fr-CA", "zh-CN", "", "x-!!",
        ])),
        prop::option::of(interesting_string()),
        prop::collection::btree_map(
            prop::sample::select(vec![
                "link",
                "application",
                "organization",
                "user",
                "locale",
            ]),
            json_value(),
            0..3,
        ),
    )
        .prop_map(|(to, usage, locale, code, extra)| {
            let mut message = EmailMessage::new(to, usage);
            if let Some(locale) = locale {
                message = message.with_locale(locale);
            }
            if let Some(code) = code {
                message = message.with_code(code);
            }
            for (name, value) in extra {
                message = message.with_value(name, value);
            }
            message
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Runners

/// Codes `create` may fail with on a bad config.
const CONFIG_CODES: [ErrorCode; 3] = [
    ErrorCode::InvalidConfig,
    ErrorCode::InvalidConfigGuard,
    ErrorCode::InvalidCertificate,
];

/// The two config properties every connector type runs: arbitrary JSON, and mutations of its
/// good config, as input to `create`.
fn config_properties(
    report: &mut Report,
    config: PropertyConfig,
    factory: &dyn ConnectorFactory,
    ctx: &connector_core::ConnectorContext,
    good: &Value,
) {
    property(
        report,
        "property.config_arbitrary_json",
        config,
        json_value(),
        |value| create_property(factory, ctx, value),
    );
    property(
        report,
        "property.config_mutations",
        config,
        config_mutation(good.clone()),
        |value| create_property(factory, ctx, value),
    );
}

fn create_property(
    factory: &dyn ConnectorFactory,
    ctx: &connector_core::ConnectorContext,
    config: Value,
) -> Result<(), TestCaseError> {
    match call_sync(&Dispatch::none(), || factory.create(config, ctx)) {
        Err(panic) => Err(TestCaseError::fail(format!("create panicked: {panic}"))),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) if CONFIG_CODES.contains(&error.code()) => Ok(()),
        Ok(Err(error)) => Err(TestCaseError::fail(format!(
            "create failed with {}, expected `invalid_config` (or `invalid_certificate`)",
            describe_error(&error)
        ))),
    }
}

/// Runs the social properties and panics, with each failing property's minimal input, if any fails.
///
/// | property | input | requirement |
/// |---|---|---|
/// | `property.config_arbitrary_json` | [`json_value`] as the config | `create` returns a connector or `invalid_config` |
/// | `property.config_mutations` | [`config_mutation`] of the good config | same |
/// | `property.token_reply_bytes` | any status and [`bytes`] from the token endpoint | `user_info` returns (no panic, no hang); a profile has an id |
/// | `property.token_reply_json` | any status and JSON (arbitrary, or the success body mutated) | same |
/// | `property.userinfo_reply_bytes` | the same at the user-info endpoint | same |
/// | `property.userinfo_reply_json` | the same at the user-info endpoint | same |
/// | `property.callback_query` | [`callback_query`], with the flow's `state` appended or not | parsing and `user_info` return; without the right state, an error |
pub fn social<F: SocialFixture + ?Sized>(fixture: &F) -> Report {
    check_social(fixture, PropertyConfig::default()).assert_passed()
}

/// Runs the social properties with `config` and returns the report.
pub fn check_social<F: SocialFixture + ?Sized>(fixture: &F, config: PropertyConfig) -> Report {
    on_own_thread(|| social_inner(fixture, config))
}

/// Runs `f` on a thread of its own, so that it can own a runtime whatever the caller's context.
fn on_own_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(payload) => std::panic::resume_unwind(payload),
    })
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn social_inner<F: SocialFixture + ?Sized>(fixture: &F, config: PropertyConfig) -> Report {
    let factory = fixture.factory();
    let mut report = Report::new("properties", factory.metadata().id);
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            report.fail(
                "property.*",
                format!("could not build a tokio runtime: {e}"),
            );
            return report;
        }
    };
    // Connectors may spawn tasks when created or dropped (connection pools): give them a runtime.
    let _entered = runtime.enter();
    let limits = fixture.limits();
    let mock = runtime.block_on(MockProvider::start_with(limits));
    let ctx = mock.context();

    let good = fixture.good_config();
    config_properties(&mut report, config, factory.as_ref(), &ctx, &good);

    let connector = match factory
        .create(good, &ctx)
        .and_then(AnyConnector::into_social)
    {
        Ok(connector) => connector,
        Err(e) => {
            report.fail(
                "property.*",
                format!(
                    "the good config does not create a social connector: {}",
                    describe_error(&e)
                ),
            );
            return report;
        }
    };
    let env = SocialEnv {
        fixture,
        connector,
        mock: &mock,
        limits,
        runtime: &runtime,
    };

    let statuses = prop::sample::select(vec![200u16, 201, 400, 401, 403, 404, 429, 500, 502, 503]);
    let content_types = prop::sample::select(vec![
        "application/json",
        "text/plain",
        "text/html",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
    ]);
    let token_json = prop_oneof![
        json_value(),
        config_mutation(fixture.token_endpoint().success)
    ];
    let userinfo_json = prop_oneof![
        json_value(),
        config_mutation(fixture.userinfo_endpoint().success)
    ];

    property(
        &mut report,
        "property.token_reply_bytes",
        config,
        (statuses.clone(), content_types.clone(), bytes()),
        |(status, content_type, body)| {
            env.reply_case(
                Stage::Token,
                ResponseTemplate::new(status).set_body_raw(body, content_type),
            )
        },
    );
    property(
        &mut report,
        "property.token_reply_json",
        config,
        (statuses.clone(), token_json),
        |(status, body)| env.reply_case(Stage::Token, crate::reply::json(status, body)),
    );
    property(
        &mut report,
        "property.userinfo_reply_bytes",
        config,
        (statuses.clone(), content_types, bytes()),
        |(status, content_type, body)| {
            env.reply_case(
                Stage::UserInfo,
                ResponseTemplate::new(status).set_body_raw(body, content_type),
            )
        },
    );
    property(
        &mut report,
        "property.userinfo_reply_json",
        config,
        (statuses, userinfo_json),
        |(status, body)| env.reply_case(Stage::UserInfo, crate::reply::json(status, body)),
    );
    property(
        &mut report,
        "property.callback_query",
        config,
        (callback_query(), any::<bool>()),
        |(query, with_state)| env.callback_case(&query, with_state),
    );
    drop(mock);
    report
}

/// Runs one property and records it in the report.
fn property<S: Strategy>(
    report: &mut Report,
    name: &str,
    config: PropertyConfig,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut runner = config.runner();
    match runner.run(&strategy, test) {
        Ok(()) => report.pass(name),
        Err(failure) => report.fail(name, failure.to_string()),
    }
}

#[derive(Clone, Copy)]
enum Stage {
    Token,
    UserInfo,
}

struct SocialEnv<'a, F: ?Sized> {
    fixture: &'a F,
    connector: Arc<dyn SocialConnector>,
    mock: &'a MockProvider,
    limits: Limits,
    runtime: &'a tokio::runtime::Runtime,
}

impl<F: SocialFixture + ?Sized> SocialEnv<'_, F> {
    fn reply_case(&self, stage: Stage, reply: ResponseTemplate) -> Result<(), TestCaseError> {
        self.runtime.block_on(async {
            self.mock.reset().await;
            match stage {
                Stage::Token => self.fixture.script_token_reply(self.mock, reply).await,
                Stage::UserInfo => self.fixture.script_userinfo_reply(self.mock, reply).await,
            }
            let flow = self.start().await?;
            let callback = CallbackParams::from_map([
                ("code", crate::social::TEST_CODE),
                ("state", &flow.state),
            ]);
            self.user_info(callback, flow).await.map(|_| ())
        })
    }

    fn callback_case(&self, query: &str, with_state: bool) -> Result<(), TestCaseError> {
        self.runtime.block_on(async {
            self.mock.reset().await;
            self.fixture.script_success(self.mock).await;
            let flow = self.start().await?;
            let query = if with_state {
                let separator = if query.is_empty() { "" } else { "&" };
                format!("{query}{separator}state={}", flow.state)
            } else {
                query.to_owned()
            };
            let parsed = std::panic::catch_unwind(|| CallbackParams::from_query(&query))
                .map_err(|_| TestCaseError::fail("CallbackParams::from_query panicked"))?;
            let Ok(callback) = parsed else {
                return Ok(()); // A typed error for an unparseable query.
            };
            let state_matches = callback.state() == Some(flow.state.as_str());
            match self.user_info(callback, flow).await? {
                Ok(_) if !state_matches => Err(TestCaseError::fail(
                    "user_info accepted a callback whose state does not match the flow",
                )),
                _ => Ok(()),
            }
        })
    }

    async fn start(&self) -> Result<connector_core::FlowState, TestCaseError> {
        let connector = self.connector.clone();
        let request = AuthorizationRequest::new(self.fixture.redirect_uri());
        match call(&Dispatch::none(), self.limits.call_bound(), async move {
            connector.authorization_url(request).await
        })
        .await
        {
            Called::Returned(Ok(start)) => Ok(start.flow),
            Called::Returned(Err(e)) => Err(TestCaseError::fail(format!(
                "authorization_url failed: {}",
                describe_error(&e)
            ))),
            Called::Panicked(message) => Err(TestCaseError::fail(format!(
                "authorization_url panicked: {message}"
            ))),
            Called::Hung(bound) => Err(TestCaseError::fail(format!(
                "authorization_url did not return within {bound:?}"
            ))),
        }
    }

    /// `Ok(result)` when the call returned a typed error or a profile with an id.
    async fn user_info(
        &self,
        callback: CallbackParams,
        flow: connector_core::FlowState,
    ) -> Result<Result<(), ()>, TestCaseError> {
        let connector = self.connector.clone();
        match call(&Dispatch::none(), self.limits.call_bound(), async move {
            connector.user_info(callback, &flow).await
        })
        .await
        {
            Called::Returned(Ok(user)) if user.id.trim().is_empty() => Err(TestCaseError::fail(
                "user_info returned a profile with an empty id",
            )),
            Called::Returned(Ok(_)) => Ok(Ok(())),
            Called::Returned(Err(error)) if error.message().trim().is_empty() => Err(
                TestCaseError::fail(format!("`{}` error with an empty message", error.code())),
            ),
            Called::Returned(Err(_)) => Ok(Err(())),
            Called::Panicked(message) => Err(TestCaseError::fail(format!(
                "user_info panicked: {message}"
            ))),
            Called::Hung(bound) => Err(TestCaseError::fail(format!(
                "user_info did not return within {bound:?}"
            ))),
        }
    }
}

/// Runs the e-mail properties and panics, with each failing property's minimal input, if any fails.
///
/// | property | input | requirement |
/// |---|---|---|
/// | `property.config_arbitrary_json` | [`json_value`] as the config | `create` returns a connector or `invalid_config` |
/// | `property.config_mutations` | [`config_mutation`] of the good config | same |
/// | `property.send_arbitrary_message` | [`email_message`]: any recipient text, usage, locale, code and values | `send` returns (no panic, no hang); a success delivered exactly one message, to exactly one recipient, the one reported |
pub fn email<F: EmailFixture + ?Sized>(fixture: &F) -> Report {
    check_email(fixture, PropertyConfig::default()).assert_passed()
}

/// Runs the e-mail properties with `config` and returns the report.
pub fn check_email<F: EmailFixture + ?Sized>(fixture: &F, config: PropertyConfig) -> Report {
    on_own_thread(|| email_inner(fixture, config))
}

fn email_inner<F: EmailFixture + ?Sized>(fixture: &F, config: PropertyConfig) -> Report {
    let factory = fixture.factory();
    let mut report = Report::new("properties", factory.metadata().id);
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            report.fail(
                "property.*",
                format!("could not build a tokio runtime: {e}"),
            );
            return report;
        }
    };
    // Connectors may spawn tasks when created or dropped (connection pools): give them a runtime.
    let _entered = runtime.enter();
    let server = fixture.server().start();
    let ctx = connector_core::ConnectorContext::new(Limits::default().http_client());
    let good = fixture.good_config(&server);
    config_properties(&mut report, config, factory.as_ref(), &ctx, &good);
    let connector = match factory
        .create(good, &ctx)
        .and_then(AnyConnector::into_email)
    {
        Ok(connector) => connector,
        Err(e) => {
            report.fail(
                "property.*",
                format!(
                    "the good config does not create an e-mail connector: {}",
                    describe_error(&e)
                ),
            );
            return report;
        }
    };
    property(
        &mut report,
        "property.send_arbitrary_message",
        config,
        email_message(),
        |message| send_property(&runtime, &connector, &server, message),
    );
    report
}

fn send_property(
    runtime: &tokio::runtime::Runtime,
    connector: &Arc<dyn EmailConnector>,
    server: &crate::smtp::SmtpServer,
    message: EmailMessage,
) -> Result<(), TestCaseError> {
    let before = server.messages().len();
    let connector = connector.clone();
    let called = runtime.block_on(call(&Dispatch::none(), SEND_BOUND, async move {
        connector.send(message).await
    }));
    match called {
        Called::Returned(Ok(delivery)) => {
            let received = runtime
                .block_on(server.wait_for_messages(before + 1, std::time::Duration::from_secs(10)));
            match received.get(before..) {
                Some([mail]) if mail.to == [delivery.to.clone()] => Ok(()),
                Some([mail]) => Err(TestCaseError::fail(format!(
                    "reported delivery to {:?}, the envelope says {:?}",
                    delivery.to, mail.to
                ))),
                other => Err(TestCaseError::fail(format!(
                    "send succeeded but {} messages arrived",
                    other.map_or(0, <[_]>::len)
                ))),
            }
        }
        Called::Returned(Err(error)) if error.message().trim().is_empty() => Err(
            TestCaseError::fail(format!("`{}` error with an empty message", error.code())),
        ),
        Called::Returned(Err(_)) => Ok(()),
        Called::Panicked(message) => Err(TestCaseError::fail(format!("send panicked: {message}"))),
        Called::Hung(bound) => Err(TestCaseError::fail(format!(
            "send did not return within {bound:?}"
        ))),
    }
}
