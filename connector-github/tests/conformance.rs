//! The workspace conformance suite and property tests, run on the GitHub connector.

use std::sync::Arc;

use connector_core::{async_trait, ConnectorFactory, ErrorCode};
use connector_github::GithubFactory;
use connector_testkit::mock::{MockEndpoint, MockProvider};
use connector_testkit::social::{self, ErrorCase, SocialFixture};
use connector_testkit::{properties, reply};
use serde_json::{json, Value};

const SECRET: &str = "github-conformance-secret-5d1c0a";

struct Github;

#[async_trait]
impl SocialFixture for Github {
    fn factory(&self) -> Arc<dyn ConnectorFactory> {
        Arc::new(GithubFactory)
    }

    fn good_config(&self) -> Value {
        json!({"clientId": "Ov23liConformance", "clientSecret": SECRET})
    }

    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        vec![
            (json!({"clientSecret": SECRET}), "clientId"),
            (
                json!({"clientId": "Ov23li", "clientSecret": SECRET, "scope": "read:user offline_access"}),
                "scope",
            ),
            (
                json!({"clientId": "Ov23li", "clientSecret": SECRET, "enableTokenStorage": "yes"}),
                "enableTokenStorage",
            ),
            (
                json!({"clientID": "Ov23li", "clientSecret": SECRET}),
                "clientID",
            ),
        ]
    }

    fn secrets(&self) -> Vec<String> {
        vec![SECRET.into()]
    }

    fn token_endpoint(&self) -> MockEndpoint {
        MockEndpoint::post(
            "/login/oauth/access_token",
            json!({"access_token": "gho_conformance", "token_type": "bearer", "scope": "read:user,user:email"}),
        )
    }

    fn userinfo_endpoint(&self) -> MockEndpoint {
        MockEndpoint::get(
            "/user",
            json!({"id": 583231, "login": "octocat", "name": "The Octocat", "email": null,
                   "avatar_url": "https://avatars.githubusercontent.com/u/583231"}),
        )
    }

    async fn script_success(&self, mock: &MockProvider) {
        mock.mount_success(&self.token_endpoint()).await;
        mock.mount_success(&self.userinfo_endpoint()).await;
        mock.mount_success(&MockEndpoint::get(
            "/user/emails",
            json!([{"email": "octocat@github.com", "primary": true, "verified": true, "visibility": "private"}]),
        ))
        .await;
    }

    fn token_errors(&self) -> Vec<ErrorCase> {
        let mut cases = social::standard_token_errors();
        cases.insert(
            0,
            ErrorCase::new(
                "200 bad_verification_code",
                reply::oauth_error(
                    200,
                    "bad_verification_code",
                    "The code passed is incorrect or expired.",
                ),
                ErrorCode::SocialAuthCodeInvalid,
            ),
        );
        cases.push(ErrorCase::new(
            "200 incorrect_client_credentials",
            reply::oauth_error(
                200,
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
            ),
            ErrorCode::InvalidConfig,
        ));
        cases
    }
}

#[tokio::test]
async fn github_passes_the_social_conformance_suite() {
    social::run(&Github).await;
}

#[test]
fn github_never_panics_on_arbitrary_input() {
    properties::social(&Github);
}
