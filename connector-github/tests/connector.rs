//! The factory: metadata, config checks at create, the README's examples, the production endpoints,
//! and secrets kept out of every text.

mod common;

use common::*;
use connector_core::{
    config_schema, AuthorizationRequest, ConnectorContext, ConnectorError, ConnectorFactory,
    ConnectorPlatform, ConnectorRegistry, ConnectorType, ErrorCode,
};
use connector_github::{api, GithubConfig, GithubFactory, DEFAULT_SCOPE, FACTORY_ID};
use serde_json::{json, Value};
use wiremock::ResponseTemplate;

fn create_error(config: Value) -> ConnectorError {
    GithubFactory
        .create(config, &ConnectorContext::default())
        .expect_err("config refused")
}

fn problem_lines(err: &ConnectorError) -> Vec<String> {
    err.problems().iter().map(ToString::to_string).collect()
}

#[test]
fn github_metadata_is_complete() {
    let meta = GithubFactory.metadata();
    meta.validate().expect("valid metadata");
    assert_eq!(meta.id, "github-universal");
    assert_eq!(meta.id, FACTORY_ID);
    assert_eq!(meta.target, "github");
    assert_eq!(meta.connector_type, ConnectorType::Social);
    assert_eq!(meta.platform, ConnectorPlatform::Universal);
    for locale in ["en", "zh-CN", "ja"] {
        assert_eq!(meta.display_name(locale), "GitHub", "{locale}");
        assert!(meta.description.contains_key(locale), "{locale}");
    }
    assert!(meta.logo_svg.trim_start().starts_with("<svg"));
    assert!(meta.logo_svg.trim_end().ends_with("</svg>"));
    assert_eq!(meta.readme, include_str!("../README.md"));
    assert_eq!(meta.default_scope.as_deref(), Some("read:user user:email"));
    assert_eq!(DEFAULT_SCOPE, "read:user user:email");
    assert!(meta.pkce);
    assert_eq!(meta.config_schema, config_schema::<GithubConfig>());
    assert_eq!(GithubFactory.config_schema(), meta.config_schema);
}

#[test]
fn github_config_schema_is_logto_shaped_with_descriptions() {
    let schema = GithubFactory.config_schema();
    let properties = schema["properties"].as_object().expect("properties");
    let mut names: Vec<_> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["clientId", "clientSecret", "enableTokenStorage", "scope"]
    );
    assert_eq!(schema["required"], json!(["clientId", "clientSecret"]));
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(properties["clientSecret"]["writeOnly"], json!(true));
    for (name, property) in properties {
        let description = property["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{name} has a description");
    }
}

#[test]
fn github_registers_and_creates_through_the_registry() {
    let mut registry = ConnectorRegistry::new();
    registry.register(GithubFactory).expect("registered");
    assert_eq!(registry.by_target("github").len(), 1);
    let connector = registry
        .create(FACTORY_ID, config(), &ConnectorContext::default())
        .expect("created")
        .into_social()
        .expect("social");
    assert_eq!(connector.metadata().id, FACTORY_ID);
}

#[test]
fn github_logto_config_with_every_field_creates() {
    let config = json!({
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "scope": "read:user user:email read:org",
        "enableTokenStorage": true,
    });
    GithubFactory
        .create(config, &ConnectorContext::default())
        .expect("Logto config creates");
}

#[test]
fn github_offline_access_is_rejected_at_create_with_path_scope() {
    for scope in [
        "read:user user:email offline_access",
        "offline_access,read:user",
    ] {
        let mut config = config();
        config["scope"] = json!(scope);
        let err = create_error(config);
        assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
        let problem = &err.problems()[0];
        assert_eq!(problem.path, "scope");
        assert!(problem.message.contains("offline_access"), "{problem}");
        assert!(problem.message.contains("never expire"), "{problem}");
    }
}

/// GitHub adds scopes over time: only GitHub can say a scope is unknown.
#[test]
fn github_unknown_scopes_are_left_to_github() {
    let mut config = config();
    config["scope"] = json!("read:user user:email copilot_future_scope");
    GithubFactory
        .create(config, &ConnectorContext::default())
        .expect("unknown scope accepted");
}

#[test]
fn github_blank_scope_is_rejected() {
    let mut config = config();
    config["scope"] = json!("   ");
    let err = create_error(config);
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    assert_eq!(err.problems()[0].path, "scope");
    assert!(err.problems()[0].message.contains("read:user user:email"));
}

#[test]
fn github_empty_credentials_are_rejected_together() {
    let err = create_error(json!({"clientId": " ", "clientSecret": ""}));
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let paths: Vec<_> = err.problems().iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["clientId", "clientSecret"]);
}

#[test]
fn github_unknown_field_client_id_suggests_client_id() {
    let err = create_error(json!({"clientID": CLIENT_ID, "clientSecret": CLIENT_SECRET}));
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let lines = problem_lines(&err);
    assert!(
        lines.contains(&"clientID: unknown field `clientID`, did you mean `clientId`?".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"clientId: missing required field `clientId`".to_owned()),
        "{lines:?}"
    );
}

#[test]
fn github_wrong_types_are_reported_with_their_paths() {
    let err = create_error(json!({
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "enableTokenStorage": "yes",
    }));
    let lines = problem_lines(&err);
    assert!(
        lines.iter().any(|l| l.starts_with("enableTokenStorage: ")),
        "{lines:?}"
    );
}

/// The ```json blocks of README.md, in order.
fn readme_json_blocks() -> Vec<String> {
    let readme = include_str!("../README.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim()) {
            (None, "```json") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "unclosed ```json block in README.md");
    blocks
}

/// Fills the README's `<...>` placeholders with values of the right shape.
fn fill_placeholders(value: &mut Value) {
    if let Value::Object(map) = value {
        for (key, value) in map.iter_mut() {
            if value.as_str().is_some_and(|s| s.starts_with('<')) {
                *value = json!(match key.as_str() {
                    "clientId" => CLIENT_ID,
                    "clientSecret" => CLIENT_SECRET,
                    other => panic!("README placeholder for unexpected field {other}"),
                });
            }
        }
    }
}

#[test]
fn github_readme_config_examples_create() {
    let blocks = readme_json_blocks();
    assert!(blocks.len() >= 2, "README shows config examples");
    for block in blocks {
        let mut config: Value = serde_json::from_str(&block).expect("README json block parses");

        // As printed, the placeholders are refused at create, naming the fields.
        if block.contains("\"<") {
            let err = create_error(config.clone());
            assert!(
                err.problems()
                    .iter()
                    .all(|p| p.message.contains("placeholder not replaced")),
                "{err}"
            );
        }

        fill_placeholders(&mut config);
        GithubFactory
            .create(config, &ConnectorContext::default())
            .unwrap_or_else(|e| panic!("README example does not create: {e}\n{block}"));
    }
}

#[test]
fn github_production_endpoints_are_real_github_urls() {
    assert_eq!(
        api::AUTHORIZE_URL,
        "https://github.com/login/oauth/authorize"
    );
    assert_eq!(
        api::TOKEN_URL,
        "https://github.com/login/oauth/access_token"
    );
    assert_eq!(api::USER_URL, "https://api.github.com/user");
    assert_eq!(api::USER_EMAILS_URL, "https://api.github.com/user/emails");
    assert_eq!(api::PROVIDER.authorize_url, api::AUTHORIZE_URL);
    assert_eq!(api::PROVIDER.token_url, api::TOKEN_URL);
    assert!(api::PROVIDER.pkce);
    assert_eq!(
        api::PROVIDER.client_auth,
        connector_core::oauth::ClientAuth::RequestBody
    );
}

#[tokio::test]
async fn github_default_context_authorizes_at_github_com() {
    let connector = GithubFactory
        .create(config(), &ConnectorContext::default())
        .expect("created")
        .into_social()
        .expect("social");
    let start = connector
        .authorization_url(AuthorizationRequest::new(REDIRECT_URI))
        .await
        .expect("authorization URL");
    assert!(
        start
            .url
            .as_str()
            .starts_with("https://github.com/login/oauth/authorize?"),
        "{}",
        start.url
    );
}

/// The client secret, the code, the PKCE verifier and the tokens appear in no `Debug`, `Display`
/// or error text, even when GitHub echoes them back.
#[tokio::test]
async fn github_no_secret_in_debug_display_or_error_text() {
    let mut config = config();
    config["enableTokenStorage"] = json!(true);
    let github = Github::with_config(config.clone()).await;
    github
        .token_responds(json_response(200, fixture("access_token_expiring")))
        .await;
    github
        .user_responds(json_response(200, fixture("user")))
        .await;
    github
        .emails_respond(json_response(200, fixture("user_emails")))
        .await;
    let expiring = fixture("access_token_expiring");
    let start = github.start().await;
    let verifier = start
        .flow
        .pkce_verifier
        .as_ref()
        .expect("verifier")
        .expose()
        .to_owned();
    let user = github.sign_in().await.expect("sign-in");

    let mut texts = vec![
        format!("{:?}", github.connector),
        format!("{:#?}", github.connector),
        format!("{user:?}"),
        format!("{:?}", start.flow),
        format!(
            "{:?}",
            connector_core::CallbackParams::from_map([("code", CODE)])
        ),
    ];
    let parsed: GithubConfig = connector_core::parse_config(config).expect("config parses");
    texts.push(format!("{parsed:?}"));

    // Failures where GitHub's body holds secrets: a token answer that is not JSON (form-encoded,
    // as GitHub answers without `Accept: application/json`), an outage page echoing the request.
    let echo = format!(
        "access_token={ACCESS_TOKEN}&client_secret={CLIENT_SECRET}&code={CODE}&scope=read%3Auser"
    );
    for answer in [
        ResponseTemplate::new(200).set_body_raw(echo.clone(), "application/x-www-form-urlencoded"),
        ResponseTemplate::new(502).set_body_raw(echo.clone(), "text/plain"),
        json_response(
            500,
            json!({"access_token": ACCESS_TOKEN, "client_secret": CLIENT_SECRET, "code": CODE}),
        ),
        json_response(200, fixture("access_token_incorrect_client_credentials")),
        json_response(200, fixture("access_token_bad_verification_code")),
    ] {
        let github = Github::new().await;
        github.token_responds(answer).await;
        let err = github.sign_in().await.expect_err("failure");
        texts.push(format!("{err}"));
        texts.push(format!("{err:?}"));
        texts.push(serde_json::to_string(&err).expect("error serializes"));
    }
    // The API echoing the bearer token in an error body.
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(json_response(
            401,
            json!({"message": "Bad credentials", "token": ACCESS_TOKEN}),
        ))
        .await;
    let err = github.sign_in().await.expect_err("401");
    texts.push(format!("{err}"));
    texts.push(format!("{err:?}"));

    let secrets = [
        CLIENT_SECRET,
        CODE,
        ACCESS_TOKEN,
        verifier.as_str(),
        expiring["access_token"].as_str().expect("fixture"),
        expiring["refresh_token"].as_str().expect("fixture"),
    ];
    for text in &texts {
        for secret in secrets {
            assert!(!text.contains(secret), "secret leaked into: {text}");
        }
    }
}
