//! The authorization URL: WeChat's page per scope, parameters in WeChat's order, `redirect_uri`
//! encoded once, and the `#wechat_redirect` fragment (quirk 4).

use std::sync::Arc;

use connector_core::{
    AuthorizationRequest, ConnectorContext, ConnectorFactory, ErrorCode, SocialConnector,
};
use connector_wechat_web::WechatWebFactory;
use serde_json::json;

const APP_ID: &str = "wx1234567890abcdef";
const REDIRECT_URI: &str = "https://id.example.com/callback/wechat";
const REDIRECT_URI_ENCODED: &str = "https%3A%2F%2Fid.example.com%2Fcallback%2Fwechat";

/// A connector talking to the real WeChat endpoints (nothing is sent in these tests).
fn connector(scope: Option<&str>) -> Arc<dyn SocialConnector> {
    let mut config = json!({"clientId": APP_ID, "clientSecret": "0123456789abcdef"});
    if let Some(scope) = scope {
        config["scope"] = json!(scope);
    }
    WechatWebFactory
        .create(config, &ConnectorContext::default())
        .expect("config creates")
        .into_social()
        .expect("social connector")
}

async fn url_and_state(
    connector: &dyn SocialConnector,
    req: AuthorizationRequest,
) -> (String, String) {
    let start = connector
        .authorization_url(req)
        .await
        .expect("authorization URL");
    (start.url.to_string(), start.flow.state)
}

#[tokio::test]
async fn snsapi_login_opens_the_qr_page_with_parameters_in_wechats_order() {
    let (url, state) =
        url_and_state(&*connector(None), AuthorizationRequest::new(REDIRECT_URI)).await;
    assert_eq!(
        url,
        format!(
            "https://open.weixin.qq.com/connect/qrconnect?appid={APP_ID}&redirect_uri={REDIRECT_URI_ENCODED}&response_type=code&scope=snsapi_login&state={state}#wechat_redirect"
        )
    );
}

#[tokio::test]
async fn snsapi_userinfo_opens_the_in_wechat_page() {
    let connector = connector(Some("snsapi_userinfo"));
    let (url, state) = url_and_state(&*connector, AuthorizationRequest::new(REDIRECT_URI)).await;
    assert_eq!(
        url,
        format!(
            "https://open.weixin.qq.com/connect/oauth2/authorize?appid={APP_ID}&redirect_uri={REDIRECT_URI_ENCODED}&response_type=code&scope=snsapi_userinfo&state={state}#wechat_redirect"
        )
    );
}

#[tokio::test]
async fn snsapi_base_opens_the_in_wechat_page() {
    let connector = connector(Some("snsapi_base"));
    let (url, state) = url_and_state(&*connector, AuthorizationRequest::new(REDIRECT_URI)).await;
    assert_eq!(
        url,
        format!(
            "https://open.weixin.qq.com/connect/oauth2/authorize?appid={APP_ID}&redirect_uri={REDIRECT_URI_ENCODED}&response_type=code&scope=snsapi_base&state={state}#wechat_redirect"
        )
    );
}

#[tokio::test]
async fn redirect_uri_is_percent_encoded_once() {
    let req = AuthorizationRequest::new("https://id.example.com/cb?tenant=a&next=/home");
    let (url, _) = url_and_state(&*connector(None), req).await;
    assert!(
        url.contains(
            "&redirect_uri=https%3A%2F%2Fid.example.com%2Fcb%3Ftenant%3Da%26next%3D%2Fhome&"
        ),
        "{url}"
    );
    // Logto's double encoding would show `%253A`.
    assert!(!url.contains("%25"), "{url}");
}

#[tokio::test]
async fn a_request_scope_picks_its_page() {
    let req = AuthorizationRequest::new(REDIRECT_URI).with_scope("snsapi_base");
    let (url, _) = url_and_state(&*connector(Some("snsapi_login")), req).await;
    assert!(
        url.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize?"),
        "{url}"
    );
    assert!(url.contains("&scope=snsapi_base&"), "{url}");

    let req = AuthorizationRequest::new(REDIRECT_URI).with_scope("snsapi_login");
    let (url, _) = url_and_state(&*connector(Some("snsapi_userinfo")), req).await;
    assert!(
        url.starts_with("https://open.weixin.qq.com/connect/qrconnect?"),
        "{url}"
    );
}

#[tokio::test]
async fn an_unknown_request_scope_is_invalid_request_parameters() {
    let req = AuthorizationRequest::new(REDIRECT_URI).with_scope("snsapi_login snsapi_userinfo");
    let err = connector(None)
        .authorization_url(req)
        .await
        .expect_err("unknown scope");
    assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
    assert!(err.message().contains("snsapi_base"), "{err}");
}

#[tokio::test]
async fn a_relative_redirect_uri_is_refused() {
    let err = connector(None)
        .authorization_url(AuthorizationRequest::new("/callback/wechat"))
        .await
        .expect_err("relative");
    assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
}

#[tokio::test]
async fn each_flow_has_its_own_state_and_no_pkce() {
    let connector = connector(None);
    let first = connector
        .authorization_url(AuthorizationRequest::new(REDIRECT_URI))
        .await
        .expect("first");
    let second = connector
        .authorization_url(AuthorizationRequest::new(REDIRECT_URI))
        .await
        .expect("second");
    assert_ne!(first.flow.state, second.flow.state);
    assert!(first.flow.state.len() >= 16);
    assert!(first.flow.pkce_verifier.is_none());
    assert_eq!(first.flow.redirect_uri, REDIRECT_URI);
    assert!(!first.url.as_str().contains("code_challenge"));
}
