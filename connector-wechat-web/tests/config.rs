//! Config, metadata and endpoints: both spellings of the credentials, the scope check at create,
//! the README's examples, and the real WeChat URLs in production.

use connector_core::{
    AnyConnector, AuthorizationRequest, ConnectorContext, ConnectorError, ConnectorFactory,
    ConnectorPlatform, ConnectorRegistry, ConnectorType, ErrorCode,
};
use connector_wechat_web::{api, WechatWebFactory, FACTORY_ID};
use serde_json::{json, Value};

const APP_ID: &str = "wx1234567890abcdef";
const APP_SECRET: &str = "s3cr3t0123456789abcdef0123456789";

fn create(config: Value) -> Result<AnyConnector, ConnectorError> {
    WechatWebFactory.create(config, &ConnectorContext::default())
}

fn problems(config: Value) -> Vec<String> {
    let err = create(config).expect_err("config is refused");
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    err.problems().iter().map(ToString::to_string).collect()
}

async fn authorization_url(connector: AnyConnector) -> String {
    let start = connector
        .into_social()
        .expect("social connector")
        .authorization_url(AuthorizationRequest::new("https://id.example.com/cb"))
        .await
        .expect("authorization URL");
    start.url.to_string()
}

#[tokio::test]
async fn client_id_and_client_secret_create_a_connector() {
    let connector =
        create(json!({"clientId": APP_ID, "clientSecret": APP_SECRET})).expect("created");
    let url = authorization_url(connector).await;
    assert!(url.contains(&format!("?appid={APP_ID}&")), "{url}");
}

#[tokio::test]
async fn logtos_app_id_and_app_secret_spelling_is_accepted() {
    let config = json!({"appId": APP_ID, "appSecret": APP_SECRET, "scope": "snsapi_login"});
    let connector = create(config).expect("created");
    let url = authorization_url(connector).await;
    assert!(url.contains(&format!("?appid={APP_ID}&")), "{url}");
}

#[test]
fn both_spellings_at_once_are_invalid_config() {
    let config = json!({
        "clientId": APP_ID, "appId": APP_ID,
        "clientSecret": APP_SECRET, "appSecret": APP_SECRET,
    });
    assert_eq!(
        problems(config),
        [
            "appId: `clientId` and Logto's `appId` are the same setting: give only one",
            "appSecret: `clientSecret` and Logto's `appSecret` are the same setting: give only one",
        ]
    );
}

#[test]
fn missing_credentials_name_both_spellings() {
    assert_eq!(
        problems(json!({})),
        [
            "clientId: missing required field `clientId` (or Logto's `appId`)",
            "clientSecret: missing required field `clientSecret` (or Logto's `appSecret`)",
        ]
    );
}

#[test]
fn blank_credentials_are_refused() {
    let lines = problems(json!({"appId": " ", "clientSecret": ""}));
    assert_eq!(
        lines,
        [
            "appId: must not be empty",
            "clientSecret: must not be empty"
        ]
    );
}

#[test]
fn an_unknown_scope_is_invalid_config_at_create() {
    let config = json!({"clientId": APP_ID, "clientSecret": APP_SECRET, "scope": "snsapi_userinfo,snsapi_login"});
    assert_eq!(
        problems(config),
        ["scope: unknown scope `snsapi_userinfo,snsapi_login`, expected `snsapi_login`, `snsapi_userinfo` or `snsapi_base`"]
    );
}

#[tokio::test]
async fn a_blank_scope_means_the_default_qr_page() {
    let config = json!({"clientId": APP_ID, "clientSecret": APP_SECRET, "scope": ""});
    let url = authorization_url(create(config).expect("created")).await;
    assert!(url.starts_with(api::QR_CONNECT_URL), "{url}");
}

#[test]
fn an_unknown_field_is_refused_with_the_closest_name() {
    let lines = problems(json!({"appID": APP_ID, "appSecret": APP_SECRET}));
    assert!(
        lines.contains(&"appID: unknown field `appID`, did you mean `appId`?".to_owned()),
        "{lines:?}"
    );
}

#[test]
fn schema_documents_both_spellings_and_hides_secrets() {
    let schema = WechatWebFactory.config_schema();
    let properties = schema["properties"].as_object().expect("properties");
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["appId", "appSecret", "clientId", "clientSecret", "scope"]
    );
    for secret in ["clientSecret", "appSecret"] {
        assert_eq!(properties[secret]["writeOnly"], true, "{secret}");
    }
    for logto in ["appId", "appSecret"] {
        let description = properties[logto]["description"]
            .as_str()
            .expect("documented");
        assert!(description.contains("Logto"), "{logto}: {description}");
    }
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn debug_never_shows_the_app_secret() {
    for config in [
        json!({"clientId": APP_ID, "clientSecret": APP_SECRET}),
        json!({"appId": APP_ID, "appSecret": APP_SECRET}),
    ] {
        let connector = create(config.clone()).expect("created");
        let shown = format!("{connector:?} {connector:#?}");
        assert!(!shown.contains(APP_SECRET), "{shown}");
        assert!(shown.contains(APP_ID), "{shown}");

        let parsed: connector_wechat_web::WechatWebConfig =
            connector_core::parse_config(config).expect("parses");
        assert!(!format!("{parsed:?}").contains(APP_SECRET));
    }
    let err =
        create(json!({"clientId": APP_ID, "clientSecret": APP_SECRET, "appSecret": APP_SECRET}))
            .expect_err("two spellings");
    assert!(!format!("{err} {err:?}").contains(APP_SECRET));
}

#[test]
fn metadata_describes_the_wechat_web_connector() {
    let meta = WechatWebFactory.metadata();
    meta.validate().expect("complete metadata");
    assert_eq!(meta.id, FACTORY_ID);
    assert_eq!(meta.id, "wechat-web");
    assert_eq!(meta.target, "wechat");
    assert_eq!(meta.connector_type, ConnectorType::Social);
    assert_eq!(meta.platform, ConnectorPlatform::Web);
    assert_eq!(meta.display_name("en"), "WeChat");
    assert_eq!(meta.display_name("zh-CN"), "微信");
    assert_eq!(meta.display_name("ja"), "WeChat");
    for locale in ["en", "zh-CN", "ja"] {
        assert!(meta.description.contains_key(locale), "{locale}");
    }
    assert_eq!(meta.default_scope.as_deref(), Some("snsapi_login"));
    assert!(!meta.pkce);
    assert_eq!(meta.readme, include_str!("../README.md"));
    assert!(meta.logo_svg.contains("<svg"));
    assert_eq!(meta.config_schema, WechatWebFactory.config_schema());

    let mut registry = ConnectorRegistry::new();
    registry.register(WechatWebFactory).expect("registers");
    assert!(registry.metadata(FACTORY_ID).is_some());
}

#[test]
fn every_json_example_in_the_readme_creates_a_connector() {
    let readme = include_str!("../README.md");
    let examples: Vec<&str> = readme
        .split("```json\n")
        .skip(1)
        .map(|rest| rest.split("```").next().expect("closed block"))
        .collect();
    assert!(examples.len() >= 2, "the README shows both spellings");
    for example in examples {
        let config: Value = serde_json::from_str(example).expect("README example is JSON");
        create(config).unwrap_or_else(|e| panic!("README example {example} fails: {e}"));
    }
}

#[tokio::test]
async fn production_endpoints_are_wechats() {
    assert_eq!(
        api::QR_CONNECT_URL,
        "https://open.weixin.qq.com/connect/qrconnect"
    );
    assert_eq!(
        api::OAUTH2_AUTHORIZE_URL,
        "https://open.weixin.qq.com/connect/oauth2/authorize"
    );
    assert_eq!(
        api::ACCESS_TOKEN_URL,
        "https://api.weixin.qq.com/sns/oauth2/access_token"
    );
    assert_eq!(api::USERINFO_URL, "https://api.weixin.qq.com/sns/userinfo");

    // Without an override the connector sends users to the real pages.
    for (scope, page) in [
        (
            "snsapi_login",
            "https://open.weixin.qq.com/connect/qrconnect?",
        ),
        (
            "snsapi_userinfo",
            "https://open.weixin.qq.com/connect/oauth2/authorize?",
        ),
        (
            "snsapi_base",
            "https://open.weixin.qq.com/connect/oauth2/authorize?",
        ),
    ] {
        let config = json!({"clientId": APP_ID, "clientSecret": APP_SECRET, "scope": scope});
        let url = authorization_url(create(config).expect("created")).await;
        assert!(url.starts_with(page), "{scope}: {url}");
    }
}
