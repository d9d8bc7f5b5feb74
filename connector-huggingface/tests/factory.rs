//! The factory: metadata, config schema and validation, the README's examples, and the production
//! endpoints. Nothing here talks to a network.

use connector_core::oauth::ClientAuth;
use connector_core::{
    AuthorizationRequest, ConnectorContext, ConnectorError, ConnectorFactory, ConnectorPlatform,
    ConnectorRegistry, ConnectorType, ErrorCode,
};
use connector_huggingface::{api, HuggingFaceConfig, HuggingFaceFactory, FACTORY_ID};
use serde_json::{json, Value};

const README: &str = include_str!("../README.md");

fn create(config: Value) -> Result<(), ConnectorError> {
    HuggingFaceFactory
        .create(config, &ConnectorContext::default())
        .map(|_| ())
}

fn problems(err: &ConnectorError) -> Vec<String> {
    err.problems().iter().map(ToString::to_string).collect()
}

#[test]
fn huggingface_factory_registers_with_complete_metadata() {
    let mut registry = ConnectorRegistry::new();
    registry
        .register(HuggingFaceFactory)
        .expect("metadata is valid and the id is free");
    let meta = registry.metadata(FACTORY_ID).expect("registered");

    assert_eq!(meta.id, "huggingface-universal");
    assert_eq!(meta.target, "huggingface");
    assert_eq!(meta.connector_type, ConnectorType::Social);
    assert_eq!(meta.platform, ConnectorPlatform::Universal);
    for locale in ["en", "zh-CN", "ja"] {
        assert!(meta.name.contains_key(locale), "name in {locale}");
        assert!(
            meta.description.contains_key(locale),
            "description in {locale}"
        );
    }
    assert_eq!(meta.display_name("en"), "Hugging Face");
    assert!(meta.logo_svg.trim_start().starts_with("<svg"));
    assert!(meta.logo_svg.trim_end().ends_with("</svg>"));
    assert_eq!(meta.readme, README);
    assert_eq!(meta.default_scope.as_deref(), Some("profile"));
    assert!(meta.pkce);
    assert_eq!(registry.by_target("huggingface").len(), 1);
}

#[test]
fn huggingface_config_schema_is_the_config_type() {
    let schema = HuggingFaceFactory.config_schema();
    assert_eq!(schema, HuggingFaceFactory.metadata().config_schema);
    assert_eq!(schema, connector_core::config_schema::<HuggingFaceConfig>());
    let properties = schema["properties"].as_object().expect("properties");
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["clientId", "clientSecret", "scope"]);
    assert_eq!(schema["properties"]["clientSecret"]["writeOnly"], true);
    assert_eq!(schema["required"], json!(["clientId", "clientSecret"]));
    assert_eq!(schema["additionalProperties"], false);
    assert!(
        schema["properties"]["scope"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("profile")),
        "fields are documented: {schema}"
    );
}

#[test]
fn huggingface_every_readme_json_example_creates_a_connector() {
    let blocks: Vec<&str> = README
        .split("```json")
        .skip(1)
        .map(|rest| rest.split("```").next().expect("a closed block"))
        .collect();
    assert!(!blocks.is_empty(), "the README has a config example");
    for block in blocks {
        let config: Value = serde_json::from_str(block).expect("the example is JSON");
        create(config).unwrap_or_else(|e| panic!("README example fails: {e}\n{block}"));
    }
}

#[test]
fn huggingface_minimal_config_creates_a_connector() {
    create(json!({"clientId": "id", "clientSecret": "secret"})).expect("scope is optional");
    create(json!({"clientId": "id", "clientSecret": "secret", "scope": null}))
        .expect("a null scope is an absent scope");
}

#[test]
fn huggingface_missing_credentials_are_invalid_config_naming_each_field() {
    let err = create(json!({})).expect_err("no credentials");
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let problems = problems(&err);
    assert!(
        problems.iter().any(|p| p.starts_with("clientId:")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("clientSecret:")),
        "{problems:?}"
    );
}

#[test]
fn huggingface_empty_credentials_and_blank_scope_are_invalid_config() {
    let err = create(json!({"clientId": " ", "clientSecret": "", "scope": "  "}))
        .expect_err("empty values");
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let mut paths: Vec<&str> = err.problems().iter().map(|p| p.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["clientId", "clientSecret", "scope"]);
}

#[test]
fn huggingface_unknown_field_suggests_the_closest_name() {
    let err = create(json!({"clientID": "id", "clientSecret": "secret"})).expect_err("typo");
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let problems = problems(&err);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("did you mean `clientId`")),
        "{problems:?}"
    );
}

#[test]
fn huggingface_config_errors_never_quote_the_secret() {
    let secret = "hf-client-secret-do-not-print";
    let configs = [
        json!({"clientId": "", "clientSecret": secret}),
        json!({"clientId": "id", "clientSecret": secret, "scop": "profile"}),
        json!({"clientId": 7, "clientSecret": secret}),
    ];
    for config in configs {
        let err = create(config).expect_err("invalid");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(secret), "{text}");
        }
    }
    let config: HuggingFaceConfig =
        serde_json::from_value(json!({"clientId": "id", "clientSecret": secret})).expect("config");
    assert!(!format!("{config:?}").contains(secret));
}

#[test]
fn huggingface_production_endpoints_are_the_real_hugging_face_urls() {
    assert_eq!(api::AUTHORIZE_URL, "https://huggingface.co/oauth/authorize");
    assert_eq!(api::TOKEN_URL, "https://huggingface.co/oauth/token");
    assert_eq!(api::USERINFO_URL, "https://huggingface.co/oauth/userinfo");
    assert_eq!(api::PROVIDER.authorize_url, api::AUTHORIZE_URL);
    assert_eq!(api::PROVIDER.token_url, api::TOKEN_URL);
    assert_eq!(api::PROVIDER.client_auth, ClientAuth::BasicAuth);
    assert!(api::PROVIDER.pkce);
}

#[tokio::test]
async fn huggingface_default_context_sends_users_to_huggingface_co() {
    let connector = HuggingFaceFactory
        .create(
            json!({"clientId": "id", "clientSecret": "secret"}),
            &ConnectorContext::default(),
        )
        .expect("creates")
        .into_social()
        .expect("social");
    let start = connector
        .authorization_url(AuthorizationRequest::new("https://id.example.com/cb"))
        .await
        .expect("URL");
    let mut url = start.url.clone();
    url.set_query(None);
    assert_eq!(url.as_str(), api::AUTHORIZE_URL);
}
