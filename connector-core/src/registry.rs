//! Factories and the registry a server builds connectors from: `(id, JSON config)` → connector.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::connector::AnyConnector;
use crate::context::ConnectorContext;
use crate::error::{ConnectorError, ErrorCode, Result};
use crate::metadata::ConnectorMetadata;

/// Creates connectors of one kind from JSON configs.
///
/// `create` parses and validates the whole config (see [`crate::parse_config`]); a config that
/// creates is a connector that can work.
pub trait ConnectorFactory: Send + Sync {
    /// The metadata, including the config schema.
    fn metadata(&self) -> ConnectorMetadata;

    /// The config's JSON Schema, for admin UIs.
    fn config_schema(&self) -> serde_json::Value {
        self.metadata().config_schema
    }

    /// Builds a connector from an operator's JSON config.
    fn create(&self, config: serde_json::Value, ctx: &ConnectorContext) -> Result<AnyConnector>;
}

/// The factories a server knows, by id.
///
/// ```
/// use connector_core::{ConnectorRegistry, ErrorCode};
/// let registry = ConnectorRegistry::new();
/// assert!(registry.is_empty());
/// let err = registry.create("github-universal", serde_json::json!({}), &Default::default()).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
/// ```
#[derive(Clone, Default)]
pub struct ConnectorRegistry {
    factories: BTreeMap<String, Entry>,
}

#[derive(Clone)]
struct Entry {
    factory: Arc<dyn ConnectorFactory>,
    metadata: Arc<ConnectorMetadata>,
}

impl ConnectorRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a factory. Its metadata must be valid and its id not taken (`invalid_metadata`).
    pub fn register(&mut self, factory: impl ConnectorFactory + 'static) -> Result<()> {
        self.register_arc(Arc::new(factory))
    }

    /// Adds a shared factory; see [`ConnectorRegistry::register`].
    pub fn register_arc(&mut self, factory: Arc<dyn ConnectorFactory>) -> Result<()> {
        let metadata = factory.metadata();
        metadata.validate()?;
        if self.factories.contains_key(&metadata.id) {
            return Err(ConnectorError::new(
                ErrorCode::InvalidMetadata,
                format!(
                    "a connector with id `{}` is already registered",
                    metadata.id
                ),
            ));
        }
        self.factories.insert(
            metadata.id.clone(),
            Entry {
                factory,
                metadata: Arc::new(metadata),
            },
        );
        Ok(())
    }

    /// The factory with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn ConnectorFactory>> {
        self.factories.get(id).map(|e| &e.factory)
    }

    /// The metadata of the factory with this id (computed once at registration).
    pub fn metadata(&self, id: &str) -> Option<&ConnectorMetadata> {
        self.factories.get(id).map(|e| e.metadata.as_ref())
    }

    /// The factories for a provider target (`github`), in id order.
    pub fn by_target(&self, target: &str) -> Vec<&Arc<dyn ConnectorFactory>> {
        self.factories
            .values()
            .filter(|e| e.metadata.target == target)
            .map(|e| &e.factory)
            .collect()
    }

    /// Every factory's metadata, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &ConnectorMetadata> {
        self.factories.values().map(|e| e.metadata.as_ref())
    }

    /// How many factories are registered.
    pub fn len(&self) -> usize {
        self.factories.len()
    }

    /// Whether none is registered.
    pub fn is_empty(&self) -> bool {
        self.factories.is_empty()
    }

    /// Creates a connector with the factory `id` from a JSON config.
    pub fn create(
        &self,
        id: &str,
        config: serde_json::Value,
        ctx: &ConnectorContext,
    ) -> Result<AnyConnector> {
        let entry = self.factories.get(id).ok_or_else(|| {
            let known: Vec<_> = self.factories.keys().map(String::as_str).collect();
            ConnectorError::new(
                ErrorCode::InvalidRequestParameters,
                format!(
                    "no connector with id `{id}` is registered (known: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            )
        })?;
        entry.factory.create(config, ctx)
    }
}

impl fmt::Debug for ConnectorRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.factories.keys()).finish()
    }
}
