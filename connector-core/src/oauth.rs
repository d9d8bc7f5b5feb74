//! The standard OAuth 2.0 authorization-code flow, built on the `oauth2` crate and the shared client.
//!
//! A standard provider is a declaration ([`OAuth2Provider`]: endpoints, client authentication, PKCE
//! and its error-code table) plus a profile mapping. [`OAuth2Client`] does the rest: authorization URL
//! with state and PKCE S256, callback checks, code exchange, refresh, bearer API calls, and the
//! mapping of every way a token endpoint can fail to a [`ConnectorError`].

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::context::ConnectorContext;
use crate::error::{ConnectorError, ErrorCode, Result};
use crate::flow::{
    unix_now, AuthorizationRequest, AuthorizationStart, CallbackParams, FlowState, TokenSet,
};
use crate::http::{HttpClient, HttpResponse};
use crate::secret::Secret;

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body (`client_secret_post`; GitHub).
    RequestBody,
    /// HTTP Basic authentication (`client_secret_basic`; the OAuth 2.0 default, Hugging Face).
    BasicAuth,
}

/// An error object from a token endpoint: `{"error": ..., "error_description": ..., "error_uri": ...}`,
/// whatever the HTTP status (GitHub sends it with 200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEndpointError {
    /// The HTTP status it came with.
    pub status: u16,
    /// The `error` code, e.g. `invalid_grant` or GitHub's `bad_verification_code`.
    pub error: String,
    /// The `error_description`, if any.
    pub description: Option<String>,
    /// The `error_uri`, if any.
    pub uri: Option<String>,
    /// The redirect URI the failed code exchange sent (`None` for refreshes), so a mapper can name
    /// it in a `redirect_uri_mismatch` message.
    pub redirect_uri: Option<String>,
}

impl TokenEndpointError {
    /// `error` followed by the description and URI when present, for messages.
    pub fn detail(&self) -> String {
        let mut text = format!("`{}`", self.error);
        if let Some(description) = &self.description {
            text.push_str(&format!(": {description}"));
        }
        if let Some(uri) = &self.uri {
            text.push_str(&format!(" (see {uri})"));
        }
        text
    }
}

/// Which token call failed: the wording and codes differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCall {
    /// Exchanging an authorization code.
    Code,
    /// Exchanging a refresh token.
    Refresh,
}

/// A provider-specific reading of a token endpoint error; `None` falls back to
/// [`default_token_error`].
pub type TokenErrorMapper = fn(&TokenEndpointError, TokenCall) -> Option<ConnectorError>;

/// A standard OAuth 2.0 provider, declared once as a `static`.
///
/// ```
/// use connector_core::oauth::{ClientAuth, OAuth2Provider};
///
/// static GITLAB: OAuth2Provider = OAuth2Provider {
///     name: "GitLab",
///     authorize_url: "https://gitlab.com/oauth/authorize",
///     token_url: "https://gitlab.com/oauth/token",
///     client_auth: ClientAuth::BasicAuth,
///     pkce: true,
///     map_token_error: None,
/// };
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OAuth2Provider {
    /// The provider's name in messages, e.g. `GitHub`.
    pub name: &'static str,
    /// The authorization endpoint.
    pub authorize_url: &'static str,
    /// The token endpoint.
    pub token_url: &'static str,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// Whether to send a PKCE S256 challenge and verifier.
    pub pkce: bool,
    /// The provider's own error-code table, consulted before the standard one.
    pub map_token_error: Option<TokenErrorMapper>,
}

/// Token response fields beyond the standard ones that some providers send.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraTokenFields {
    /// GitHub Apps with expiring tokens: lifetime of the refresh token in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
    /// OpenID Connect providers: the ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl oauth2::ExtraTokenFields for ExtraTokenFields {}

type TokenResponseBody = StandardTokenResponse<ExtraTokenFields, BasicTokenType>;

type Inner = oauth2::Client<
    BasicErrorResponse,
    TokenResponseBody,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A configured OAuth 2.0 client for one provider and one set of credentials. Build it once at
/// `create`; it holds no per-user state.
#[derive(Clone)]
pub struct OAuth2Client {
    provider: OAuth2Provider,
    inner: Inner,
    http: HttpClient,
}

impl OAuth2Client {
    /// A client for `provider` with these credentials; endpoints are rebased through `ctx`.
    pub fn new(
        provider: &OAuth2Provider,
        client_id: &str,
        client_secret: &Secret,
        ctx: &ConnectorContext,
    ) -> Result<Self> {
        let authorize = AuthUrl::from_url(ctx.endpoint(provider.authorize_url)?);
        let token = TokenUrl::from_url(ctx.endpoint(provider.token_url)?);
        let auth_type = match provider.client_auth {
            ClientAuth::RequestBody => AuthType::RequestBody,
            ClientAuth::BasicAuth => AuthType::BasicAuth,
        };
        let inner = oauth2::Client::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.expose().to_owned()))
            .set_auth_uri(authorize)
            .set_token_uri(token)
            .set_auth_type(auth_type);
        Ok(Self {
            provider: *provider,
            inner,
            http: ctx.http().clone(),
        })
    }

    /// The provider declaration.
    pub fn provider(&self) -> &OAuth2Provider {
        &self.provider
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The authorization URL (`response_type=code`, client id, redirect URI, scope, state and, when
    /// the provider declares PKCE, an S256 challenge) and the flow state to keep.
    pub fn authorization_url(
        &self,
        request: &AuthorizationRequest,
        scope: &str,
    ) -> Result<AuthorizationStart> {
        self.authorization_url_with(request, scope, &[])
    }

    /// [`OAuth2Client::authorization_url`] with extra query parameters (`prompt`, `allow_signup`...).
    pub fn authorization_url_with(
        &self,
        request: &AuthorizationRequest,
        scope: &str,
        extra: &[(&str, &str)],
    ) -> Result<AuthorizationStart> {
        let redirect = RedirectUrl::from_url(request.parsed_redirect_uri()?);
        let mut builder = self
            .inner
            .authorize_url(CsrfToken::new_random)
            .set_redirect_uri(Cow::Owned(redirect));
        for scope in scope.split_whitespace() {
            builder = builder.add_scope(Scope::new(scope.to_owned()));
        }
        for (name, value) in extra {
            builder = builder.add_extra_param(*name, *value);
        }
        let verifier = if self.provider.pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            builder = builder.set_pkce_challenge(challenge);
            Some(Secret::new(verifier.secret().as_str()))
        } else {
            None
        };
        let (url, state) = builder.url();
        Ok(AuthorizationStart {
            url,
            flow: FlowState {
                state: state.secret().clone(),
                pkce_verifier: verifier,
                redirect_uri: request.redirect_uri.clone(),
                created_at: unix_now(),
            },
        })
    }

    /// Checks the callback against the flow ([`FlowState::verify_callback`]) and exchanges the code
    /// for tokens, sending the redirect URI and PKCE verifier.
    pub async fn exchange_code(
        &self,
        callback: &CallbackParams,
        flow: &FlowState,
    ) -> Result<TokenSet> {
        let code = flow.verify_callback(callback)?;
        let redirect = RedirectUrl::new(flow.redirect_uri.clone()).map_err(|_| {
            ConnectorError::new(
                ErrorCode::InvalidRequestParameters,
                "the flow state's redirect URI is not a URL",
            )
        })?;
        let mut request = self
            .inner
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_redirect_uri(Cow::Owned(redirect));
        if let Some(verifier) = &flow.pkce_verifier {
            request =
                request.set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_owned()));
        }
        let transport = RecordingTransport::new(&self.http, self.inner.token_uri().url());
        let result = request.request_async(&transport).await;
        self.token_result(result, transport, TokenCall::Code, Some(&flow.redirect_uri))
    }

    /// Exchanges a refresh token (`grant_type=refresh_token`) at the token endpoint.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet> {
        let token = RefreshToken::new(refresh_token.expose().to_owned());
        let request = self.inner.exchange_refresh_token(&token);
        let transport = RecordingTransport::new(&self.http, self.inner.token_uri().url());
        let result = request.request_async(&transport).await;
        self.token_result(result, transport, TokenCall::Refresh, None)
    }

    /// A GET with `Authorization: Bearer` and extra headers; the status is not judged here.
    pub async fn get_with_bearer(
        &self,
        url: Url,
        access_token: &Secret,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        let mut request = self.http.get(url).bearer_auth(access_token.expose());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.http.send(request).await
    }

    /// A bearer GET whose status is judged by [`HttpResponse::check_api_status`], decoded as JSON.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        access_token: &Secret,
        headers: &[(&str, &str)],
    ) -> Result<T> {
        let response = self.get_with_bearer(url, access_token, headers).await?;
        response.check_api_status(self.provider.name)?;
        response.json()
    }

    fn token_result(
        &self,
        result: std::result::Result<
            TokenResponseBody,
            RequestTokenError<ConnectorError, BasicErrorResponse>,
        >,
        transport: RecordingTransport<'_>,
        call: TokenCall,
        redirect_uri: Option<&str>,
    ) -> Result<TokenSet> {
        match result {
            Ok(body) => Ok(token_set(&body)),
            Err(RequestTokenError::Request(error)) => Err(error),
            Err(other) => Err(match transport.into_last() {
                Some(response) => self.classify_failure(&response, call, redirect_uri),
                None => ConnectorError::general(format!(
                    "{} token request failed before it was sent: {other}",
                    self.provider.name
                )),
            }),
        }
    }

    /// Reads a failed token response: an OAuth error object (any status), else the status, else a
    /// body that is not a token response.
    fn classify_failure(
        &self,
        response: &HttpResponse,
        call: TokenCall,
        redirect_uri: Option<&str>,
    ) -> ConnectorError {
        let name = self.provider.name;
        let status = response.status();
        if let Some(error) = token_endpoint_error(response, redirect_uri) {
            let mapped = self
                .provider
                .map_token_error
                .and_then(|map| map(&error, call))
                .unwrap_or_else(|| default_token_error(name, &error, call));
            return mapped.with_status(status).with_body(response.body());
        }
        let error = if response.is_rate_limited() {
            ConnectorError::new(
                ErrorCode::RateLimitExceeded,
                format!("{name} is rate limiting the token endpoint"),
            )
        } else if status >= 500 {
            ConnectorError::general(format!(
                "{name}'s token endpoint failed with HTTP {status}: try again later"
            ))
            .retryable(true)
        } else if !response.is_success() {
            ConnectorError::general(format!("{name}'s token endpoint answered HTTP {status}"))
        } else {
            return match response.json::<serde_json::Value>() {
                Err(not_json) => not_json.context(&format!("{name} token response")),
                Ok(_) => ConnectorError::invalid_response(format!(
                    "{name}'s token response has no usable `access_token` and `token_type`"
                ))
                .with_status(status)
                .with_body(response.body()),
            };
        };
        error.with_status(status).with_body(response.body())
    }
}

impl fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("provider", &self.provider.name)
            .field("client_id", self.inner.client_id())
            .finish_non_exhaustive()
    }
}

/// The standard reading of OAuth 2.0 token errors (RFC 6749 §5.2):
///
/// | `error` | code |
/// |---|---|
/// | `invalid_grant` | `social_auth_code_invalid` (code), `social_invalid_access_token` (refresh) |
/// | `invalid_client`, `unauthorized_client` | `invalid_config` (credentials) |
/// | `invalid_scope` | `invalid_config` (scope) |
/// | `access_denied` | `authorization_failed` |
/// | `slow_down` | `rate_limit_exceeded` |
/// | `temporarily_unavailable`, `server_error` | `general`, retryable |
/// | anything else | `general` with the description |
pub fn default_token_error(
    provider: &str,
    error: &TokenEndpointError,
    call: TokenCall,
) -> ConnectorError {
    let detail = error.detail();
    match (error.error.as_str(), call) {
        ("invalid_grant", TokenCall::Code) => ConnectorError::new(
            ErrorCode::SocialAuthCodeInvalid,
            format!("{provider} rejected the authorization code (invalid, expired or already used): {detail}"),
        ),
        ("invalid_grant", TokenCall::Refresh) => ConnectorError::new(
            ErrorCode::SocialInvalidAccessToken,
            format!("{provider} rejected the refresh token: {detail}"),
        ),
        ("invalid_client" | "unauthorized_client", _) => ConnectorError::invalid_config(format!(
            "{provider} rejected the client credentials: check clientId and clientSecret ({detail})"
        )),
        ("invalid_scope", _) => {
            ConnectorError::invalid_config(format!("{provider} rejected the configured scope: {detail}"))
        }
        ("access_denied", _) => {
            ConnectorError::authorization_failed(format!("{provider} denied the authorization: {detail}"))
        }
        ("slow_down", _) => ConnectorError::new(
            ErrorCode::RateLimitExceeded,
            format!("{provider} asks to slow down: {detail}"),
        ),
        ("temporarily_unavailable" | "server_error", _) => {
            ConnectorError::general(format!("{provider} is unavailable: {detail}")).retryable(true)
        }
        _ => ConnectorError::general(format!("{provider} token endpoint error {detail}")),
    }
}

fn token_endpoint_error(
    response: &HttpResponse,
    redirect_uri: Option<&str>,
) -> Option<TokenEndpointError> {
    #[derive(Deserialize)]
    struct Body {
        error: String,
        error_description: Option<String>,
        error_uri: Option<String>,
    }
    let body: Body = serde_json::from_slice(response.body()).ok()?;
    Some(TokenEndpointError {
        status: response.status(),
        error: body.error,
        description: body.error_description.filter(|d| !d.is_empty()),
        uri: body.error_uri.filter(|u| !u.is_empty()),
        redirect_uri: redirect_uri.map(str::to_owned),
    })
}

fn token_set(body: &TokenResponseBody) -> TokenSet {
    let now = unix_now();
    let scope = body.scopes().map(|scopes| {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    });
    TokenSet {
        access_token: Secret::new(body.access_token().secret().as_str()),
        token_type: token_type_name(body.token_type()),
        scope,
        refresh_token: body
            .refresh_token()
            .map(|t| Secret::new(t.secret().as_str())),
        expires_at: body.expires_in().map(|d| now + d.as_secs()),
        refresh_token_expires_at: body
            .extra_fields()
            .refresh_token_expires_in
            .map(|s| now + s),
        id_token: body.extra_fields().id_token.as_deref().map(Secret::new),
    }
}

fn token_type_name(token_type: &BasicTokenType) -> String {
    match token_type {
        BasicTokenType::Bearer => "bearer".to_owned(),
        BasicTokenType::Mac => "mac".to_owned(),
        BasicTokenType::Extension(other) => other.clone(),
    }
}

/// Sends oauth2's requests through the shared client (body cap, timeouts, tracing) and keeps the
/// raw response, so a failure oauth2 reports only as "parse error" can be classified from the real
/// status and body.
struct RecordingTransport<'a> {
    http: &'a HttpClient,
    /// The token endpoint, where oauth2 sends every request of this transport.
    token_url: &'a Url,
    last: Mutex<Option<HttpResponse>>,
}

impl<'a> RecordingTransport<'a> {
    fn new(http: &'a HttpClient, token_url: &'a Url) -> Self {
        Self {
            http,
            token_url,
            last: Mutex::new(None),
        }
    }

    async fn call(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse> {
        let response = self.http.execute(self.outgoing(request)?).await?;
        let mut headers = response.headers().clone();
        // Some providers serve JSON as text/plain; oauth2 would refuse it before reading it. A JSON
        // (or absent) Content-Type passes oauth2's check as it is, without parsing the body here.
        let json_or_absent = headers.get(http::header::CONTENT_TYPE).is_none_or(|ct| {
            ct.as_bytes()
                .get(..16)
                .is_some_and(|essence| essence.eq_ignore_ascii_case(b"application/json"))
        });
        if !json_or_absent
            && serde_json::from_slice::<serde::de::IgnoredAny>(response.body()).is_ok()
        {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
        }
        let mut converted = http::Response::new(response.body().to_vec());
        *converted.status_mut() = http::StatusCode::from_u16(response.status()).map_err(|e| {
            ConnectorError::general("could not read the token response").with_source(e)
        })?;
        *converted.headers_mut() = headers;
        if let Ok(mut last) = self.last.lock() {
            *last = Some(response);
        }
        Ok(converted)
    }

    /// oauth2's request as a reqwest request. oauth2 writes the token URL as text into an
    /// `http::Uri`, which reqwest would parse back into a `Url`: when it is the token URL we hold
    /// (always, today), that `Url` is used as it is.
    fn outgoing(&self, request: oauth2::HttpRequest) -> Result<reqwest::Request> {
        if request.uri() != self.token_url.as_str() {
            return reqwest::Request::try_from(request).map_err(|e| {
                ConnectorError::general("could not build the token request")
                    .with_source(e.without_url())
            });
        }
        let (parts, body) = request.into_parts();
        let mut outgoing = reqwest::Request::new(parts.method, self.token_url.clone());
        *outgoing.headers_mut() = parts.headers;
        *outgoing.version_mut() = parts.version;
        *outgoing.body_mut() = Some(body.into());
        Ok(outgoing)
    }

    fn into_last(self) -> Option<HttpResponse> {
        self.last.into_inner().ok().flatten()
    }
}

/// A named implementation rather than a closure: the future must be `Send` for every lifetime,
/// which the compiler cannot prove through a closure's inferred higher-ranked signature.
impl<'c> oauth2::AsyncHttpClient<'c> for RecordingTransport<'_> {
    type Error = ConnectorError;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(RecordingTransport::call(self, request))
    }
}
