//! The workspace conformance suite and property tests, run on the WeChat connector.
//!
//! WeChat answers errors inside HTTP 200 bodies (`errcode`), so its fixture declares those instead
//! of the standard OAuth error answers.

use std::sync::Arc;

use connector_core::{async_trait, ConnectorFactory, ErrorCode};
use connector_testkit::mock::MockEndpoint;
use connector_testkit::social::{self, ErrorCase, SocialFixture};
use connector_testkit::{properties, reply};
use connector_wechat_web::WechatWebFactory;
use serde_json::{json, Value};

const SECRET: &str = "wechat-conformance-secret-7a9e40";

struct Wechat;

#[async_trait]
impl SocialFixture for Wechat {
    fn factory(&self) -> Arc<dyn ConnectorFactory> {
        Arc::new(WechatWebFactory)
    }

    fn good_config(&self) -> Value {
        json!({"appId": "wx0123456789abcdef", "appSecret": SECRET})
    }

    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        vec![
            (
                json!({"appId": "wx0123456789abcdef", "appSecret": SECRET, "scope": "snsapi_everything"}),
                "scope",
            ),
            (
                json!({"appId": "wx0123456789abcdef", "clientId": "wx0123456789abcdef", "appSecret": SECRET}),
                "appId",
            ),
        ]
    }

    fn secrets(&self) -> Vec<String> {
        vec![SECRET.into()]
    }

    fn client_id_param(&self) -> &'static str {
        "appid"
    }

    fn token_endpoint(&self) -> MockEndpoint {
        MockEndpoint::get(
            "/sns/oauth2/access_token",
            json!({"access_token": "wx-access", "expires_in": 7200, "refresh_token": "wx-refresh",
                   "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "scope": "snsapi_login",
                   "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL"}),
        )
        .with_content_type("text/plain")
    }

    fn userinfo_endpoint(&self) -> MockEndpoint {
        MockEndpoint::get(
            "/sns/userinfo",
            json!({"openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "nickname": "Ada", "sex": 2, "province": "",
                   "city": "", "country": "CN", "headimgurl": "https://thirdwx.qlogo.cn/a.png",
                   "privilege": [], "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL"}),
        )
        .with_content_type("text/plain")
    }

    fn token_errors(&self) -> Vec<ErrorCase> {
        let errcode = |code: i64, message: &str| {
            reply::text(
                200,
                "text/plain",
                json!({"errcode": code, "errmsg": message}).to_string(),
            )
        };
        vec![
            ErrorCase::new(
                "errcode 40029 (invalid code)",
                errcode(40029, "invalid code"),
                ErrorCode::SocialAuthCodeInvalid,
            ),
            ErrorCase::new(
                "errcode 40125 (invalid appsecret)",
                errcode(40125, "invalid appsecret"),
                ErrorCode::InvalidConfig,
            ),
            ErrorCase::new(
                "errcode 45011 (frequency limit)",
                errcode(45011, "api minute-quota reach limit"),
                ErrorCode::RateLimitExceeded,
            )
            .retryable(true),
            ErrorCase::new(
                "errcode -1 (system busy)",
                errcode(-1, "system error"),
                ErrorCode::General,
            )
            .retryable(true),
        ]
    }

    fn userinfo_errors(&self) -> Vec<ErrorCase> {
        vec![ErrorCase::new(
            "errcode 40001 (invalid access token)",
            reply::text(
                200,
                "text/plain",
                r#"{"errcode":40001,"errmsg":"invalid credential"}"#,
            ),
            ErrorCode::SocialInvalidAccessToken,
        )]
    }
}

#[tokio::test]
async fn wechat_passes_the_social_conformance_suite() {
    social::run(&Wechat).await;
}

#[test]
fn wechat_never_panics_on_arbitrary_input() {
    properties::social(&Wechat);
}
