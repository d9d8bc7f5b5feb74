//! The registry: duplicate ids refused, lookup by id and target, type checks.

use std::sync::Arc;

use connector_core::*;

#[derive(Debug)]
struct Dummy(ConnectorMetadata);

#[async_trait]
impl EmailConnector for Dummy {
    fn metadata(&self) -> &ConnectorMetadata {
        &self.0
    }
    async fn send(&self, message: EmailMessage) -> Result<Delivery> {
        Ok(Delivery::new(message.to, message.usage))
    }
}

struct DummyFactory {
    id: &'static str,
    target: &'static str,
}

impl ConnectorFactory for DummyFactory {
    fn metadata(&self) -> ConnectorMetadata {
        ConnectorMetadata::new(
            self.id,
            self.target,
            ConnectorType::Email,
            ConnectorPlatform::Universal,
        )
        .with_name("en", "Dummy")
        .with_description("en", "A test connector.")
        .with_logo_svg("<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>")
        .with_readme("# Dummy")
    }
    fn create(&self, _config: serde_json::Value, _ctx: &ConnectorContext) -> Result<AnyConnector> {
        Ok(AnyConnector::Email(Arc::new(Dummy(self.metadata()))))
    }
}

#[test]
fn duplicate_id_is_refused() {
    let mut registry = ConnectorRegistry::new();
    registry
        .register(DummyFactory {
            id: "a",
            target: "t",
        })
        .expect("first");
    let err = registry
        .register(DummyFactory {
            id: "a",
            target: "u",
        })
        .expect_err("duplicate");
    assert_eq!(err.code(), ErrorCode::InvalidMetadata);
    assert!(err.message().contains("`a`"), "{err}");
    assert_eq!(registry.len(), 1);
}

#[test]
fn lookup_by_id_and_by_target() {
    let mut registry = ConnectorRegistry::new();
    registry
        .register(DummyFactory {
            id: "a-web",
            target: "t",
        })
        .expect("a");
    registry
        .register(DummyFactory {
            id: "a-native",
            target: "t",
        })
        .expect("b");
    registry
        .register(DummyFactory {
            id: "other",
            target: "u",
        })
        .expect("c");
    assert!(registry.get("a-web").is_some());
    assert!(registry.get("nope").is_none());
    assert_eq!(registry.by_target("t").len(), 2);
    assert_eq!(registry.by_target("u").len(), 1);
    let ids: Vec<_> = registry.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["a-native", "a-web", "other"]);
    assert_eq!(
        registry.metadata("other").map(|m| m.target.as_str()),
        Some("u")
    );
}

#[test]
fn invalid_metadata_is_refused_at_registration() {
    struct Broken;
    impl ConnectorFactory for Broken {
        fn metadata(&self) -> ConnectorMetadata {
            ConnectorMetadata::new("broken", "b", ConnectorType::Social, ConnectorPlatform::Web)
        }
        fn create(&self, _: serde_json::Value, _: &ConnectorContext) -> Result<AnyConnector> {
            Err(ConnectorError::not_implemented("never"))
        }
    }
    let err = ConnectorRegistry::new()
        .register(Broken)
        .expect_err("no names");
    assert_eq!(err.code(), ErrorCode::InvalidMetadata);
}

#[test]
fn create_by_id_and_type_checks() {
    let mut registry = ConnectorRegistry::new();
    registry
        .register(DummyFactory {
            id: "mail",
            target: "t",
        })
        .expect("register");
    let ctx = ConnectorContext::default();
    let connector = registry
        .create("mail", serde_json::json!({}), &ctx)
        .expect("create");
    assert_eq!(connector.metadata().id, "mail");
    let err = connector.clone().into_social().expect_err("not social");
    assert_eq!(err.code(), ErrorCode::UnexpectedType);
    assert!(connector.into_email().is_ok());

    let err = registry
        .create("missing", serde_json::json!({}), &ctx)
        .expect_err("unknown id");
    assert!(err.message().contains("known: mail"), "{err}");
}
