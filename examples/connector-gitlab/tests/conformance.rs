//! The GitLab connector passes the social conformance suite and the property tests, and registers
//! beside other connectors.

use std::sync::Arc;

use connector_core::{ConnectorFactory, ConnectorRegistry, ErrorCode};
use connector_gitlab::GitlabFactory;
use connector_testkit::mock::MockEndpoint;
use connector_testkit::social::{self, SocialFixture};
use serde_json::{json, Value};

const SECRET: &str = "gloas-conformance-secret-7f3a9c";

struct Gitlab;

impl SocialFixture for Gitlab {
    fn factory(&self) -> Arc<dyn ConnectorFactory> {
        Arc::new(GitlabFactory)
    }

    fn good_config(&self) -> Value {
        json!({"clientId": "gitlab-application-id-0123", "clientSecret": SECRET})
    }

    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        vec![
            (json!({"clientSecret": SECRET}), "clientId"),
            (
                json!({"clientId": "app", "clientSecret": 42}),
                "clientSecret",
            ),
            (
                json!({"clientId": "app", "clientSecret": ""}),
                "clientSecret",
            ),
            (
                json!({"clientId": "app", "clientSecret": SECRET, "scope": " "}),
                "scope",
            ),
            (
                json!({"clientId": "<application-id>", "clientSecret": SECRET}),
                "clientId",
            ),
        ]
    }

    fn secrets(&self) -> Vec<String> {
        vec![SECRET.to_owned()]
    }

    fn token_endpoint(&self) -> MockEndpoint {
        MockEndpoint::post(
            "/oauth/token",
            json!({"access_token": "glpat-conformance-access", "token_type": "Bearer",
                   "expires_in": 7200, "refresh_token": "glrt-conformance", "scope": "read_user",
                   "created_at": 1_700_000_000}),
        )
    }

    fn userinfo_endpoint(&self) -> MockEndpoint {
        MockEndpoint::get(
            "/api/v4/user",
            json!({"id": 4242, "username": "ada", "name": "Ada Lovelace",
                   "email": "ada@example.com", "confirmed_at": "2020-01-01T00:00:00Z",
                   "avatar_url": "https://gitlab.com/uploads/-/system/user/avatar/4242/a.png"}),
        )
    }
}

#[tokio::test]
async fn gitlab_passes_the_social_conformance_suite() {
    social::run(&Gitlab).await;
}

#[test]
fn gitlab_never_panics_on_arbitrary_configs_replies_and_callbacks() {
    connector_testkit::properties::social(&Gitlab);
}

#[test]
fn gitlab_registers_beside_other_connectors_and_ids_stay_unique() {
    let mut registry = ConnectorRegistry::new();
    registry.register(GitlabFactory).expect("gitlab registers");
    registry
        .register(OtherFactory)
        .expect("another connector registers beside it");
    assert_eq!(registry.len(), 2);
    assert_eq!(registry.by_target("gitlab").len(), 1);

    let connector = registry
        .create("gitlab", Gitlab.good_config(), &Default::default())
        .expect("creates")
        .into_social()
        .expect("social");
    assert_eq!(connector.metadata().display_name("en"), "GitLab");

    let duplicate = registry.register(GitlabFactory).expect_err("same id twice");
    assert_eq!(duplicate.code(), ErrorCode::InvalidMetadata);
}

/// A stand-in for another crate's connector, built from the core alone.
struct OtherFactory;

impl ConnectorFactory for OtherFactory {
    fn metadata(&self) -> connector_core::ConnectorMetadata {
        let mut meta = GitlabFactory.metadata();
        meta.id = "other-provider".to_owned();
        meta.target = "other".to_owned();
        meta
    }

    fn create(
        &self,
        _config: Value,
        _ctx: &connector_core::ConnectorContext,
    ) -> connector_core::Result<connector_core::AnyConnector> {
        Err(connector_core::ConnectorError::not_implemented(
            "a stand-in",
        ))
    }
}
