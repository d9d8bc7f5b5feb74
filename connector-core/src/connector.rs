//! The connector traits: what an identity server calls.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::email::{Delivery, EmailMessage};
use crate::error::{ConnectorError, ErrorCode, Result};
use crate::flow::{
    AuthorizationRequest, AuthorizationStart, CallbackParams, FlowState, SocialUserInfo, TokenSet,
};
use crate::metadata::ConnectorMetadata;
use crate::secret::Secret;

/// A configured social sign-in connector. Connectors keep no per-user state: everything a flow
/// needs travels in [`FlowState`], so any replica can finish a flow another one started.
///
/// `Debug` is required so servers can log connectors; it must never show a secret.
#[async_trait]
pub trait SocialConnector: fmt::Debug + Send + Sync {
    /// The connector's metadata.
    fn metadata(&self) -> &ConnectorMetadata;

    /// Builds the provider's authorization URL and the flow state to keep until the callback.
    async fn authorization_url(&self, request: AuthorizationRequest) -> Result<AuthorizationStart>;

    /// Finishes the flow: checks `state`, maps provider `error=` callbacks, exchanges the code and
    /// fetches the normalized profile.
    async fn user_info(&self, callback: CallbackParams, flow: &FlowState)
        -> Result<SocialUserInfo>;

    /// Exchanges a refresh token for new tokens. Defaults to `not_implemented`.
    async fn refresh_token(&self, refresh_token: &Secret) -> Result<TokenSet> {
        let _ = refresh_token;
        Err(ConnectorError::not_implemented(format!(
            "connector `{}` cannot refresh tokens",
            self.metadata().id
        )))
    }
}

/// A configured e-mail connector that delivers one-time codes.
#[async_trait]
pub trait EmailConnector: fmt::Debug + Send + Sync {
    /// The connector's metadata.
    fn metadata(&self) -> &ConnectorMetadata;

    /// Renders the template for the message's usage type and locale and delivers it.
    async fn send(&self, message: EmailMessage) -> Result<Delivery>;
}

/// A connector of either type, as a factory creates it. Cheap to clone.
#[derive(Debug, Clone)]
pub enum AnyConnector {
    /// A social sign-in connector.
    Social(Arc<dyn SocialConnector>),
    /// An e-mail connector.
    Email(Arc<dyn EmailConnector>),
}

impl AnyConnector {
    /// The connector's metadata.
    pub fn metadata(&self) -> &ConnectorMetadata {
        match self {
            AnyConnector::Social(c) => c.metadata(),
            AnyConnector::Email(c) => c.metadata(),
        }
    }

    /// The social connector, or an `unexpected_type` error.
    pub fn into_social(self) -> Result<Arc<dyn SocialConnector>> {
        match self {
            AnyConnector::Social(c) => Ok(c),
            AnyConnector::Email(c) => Err(unexpected(c.metadata(), "a social")),
        }
    }

    /// The e-mail connector, or an `unexpected_type` error.
    pub fn into_email(self) -> Result<Arc<dyn EmailConnector>> {
        match self {
            AnyConnector::Email(c) => Ok(c),
            AnyConnector::Social(c) => Err(unexpected(c.metadata(), "an e-mail")),
        }
    }
}

fn unexpected(meta: &ConnectorMetadata, wanted: &str) -> ConnectorError {
    ConnectorError::new(
        ErrorCode::UnexpectedType,
        format!("connector `{}` is not {wanted} connector", meta.id),
    )
}
