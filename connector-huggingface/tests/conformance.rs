//! The workspace conformance suite and property tests, run on the Hugging Face connector.

use std::sync::Arc;

use connector_core::{async_trait, ConnectorFactory};
use connector_huggingface::HuggingFaceFactory;
use connector_testkit::mock::MockEndpoint;
use connector_testkit::properties;
use connector_testkit::social::{self, SocialFixture};
use serde_json::{json, Value};

const SECRET: &str = "hf-conformance-secret-8e21b7";

struct HuggingFace;

#[async_trait]
impl SocialFixture for HuggingFace {
    fn factory(&self) -> Arc<dyn ConnectorFactory> {
        Arc::new(HuggingFaceFactory)
    }

    fn good_config(&self) -> Value {
        json!({"clientId": "hf-client-id", "clientSecret": SECRET, "scope": "openid profile email"})
    }

    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        vec![
            (json!({"clientSecret": SECRET}), "clientId"),
            (json!({"clientId": "x", "clientSecret": 1}), "clientSecret"),
            (
                json!({"clientId": "x", "clientSecret": SECRET, "scope": "  "}),
                "scope",
            ),
        ]
    }

    fn secrets(&self) -> Vec<String> {
        vec![SECRET.into()]
    }

    fn token_endpoint(&self) -> MockEndpoint {
        MockEndpoint::post(
            "/oauth/token",
            json!({"access_token": "hf_oauth_conformance", "token_type": "bearer", "expires_in": 28800,
                   "scope": "openid profile email"}),
        )
    }

    fn userinfo_endpoint(&self) -> MockEndpoint {
        MockEndpoint::get(
            "/oauth/userinfo",
            json!({"sub": "64f1c2ab", "name": "Ada Lovelace", "preferred_username": "ada",
                   "picture": "https://cdn-avatars.huggingface.co/ada.png", "email": "ada@example.com",
                   "email_verified": true}),
        )
    }
}

#[tokio::test]
async fn huggingface_passes_the_social_conformance_suite() {
    social::run(&HuggingFace).await;
}

#[test]
fn huggingface_never_panics_on_arbitrary_input() {
    properties::social(&HuggingFace);
}
