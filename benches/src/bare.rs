//! The baseline: the same sign-ins written by hand with a bare `reqwest` client.
//!
//! Each bare flow sends exactly the requests our connector sends (method, path, query, headers,
//! form body in the same order; `callback_flow` checks it through the mock's recorder before
//! measuring), reads each body whole and decodes it as JSON, and builds a minimal profile. It does
//! nothing else: no body cap, no error classification, no tracing span, no normalized profile.
//! The ratio ours / bare is therefore the price of everything the connector adds.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use connector_core::http::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT};
use oauth2::{CsrfToken, PkceCodeChallenge};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::fixtures::{CODE, REDIRECT_URI};

/// What can go wrong in a bare flow (nothing, against the mock).
pub type BareError = Box<dyn std::error::Error + Send + Sync>;

/// A `reqwest` client with the connection pool and settings of `connector_core::HttpClient`'s
/// defaults: rustls, no redirects, the same connect and total timeouts, the same `User-Agent`, and
/// idle connections kept 90 s.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
        .timeout(DEFAULT_TIMEOUT)
        .user_agent(DEFAULT_USER_AGENT)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .expect("a reqwest client")
}

/// What the browser brings back and the server kept, as plain strings.
#[derive(Debug, Clone)]
pub struct BareInput {
    /// The `state` sent to the provider.
    pub state_sent: String,
    /// The `state` of the callback.
    pub state_back: String,
    /// The authorization code of the callback.
    pub code: String,
    /// The PKCE verifier, for providers with PKCE.
    pub verifier: Option<String>,
}

impl BareInput {
    /// The input of a flow our connector started (same state and verifier).
    pub fn from_flow(flow: &connector_core::FlowState) -> Self {
        Self {
            state_sent: flow.state.clone(),
            state_back: flow.state.clone(),
            code: CODE.to_owned(),
            verifier: flow.pkce_verifier.as_ref().map(|v| v.expose().to_owned()),
        }
    }

    fn check_state(&self) -> Result<(), BareError> {
        if self.state_sent == self.state_back {
            Ok(())
        } else {
            Err("state mismatch".into())
        }
    }
}

/// The minimal profile a hand-written flow would return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BareProfile {
    /// The provider's user id.
    pub id: String,
    /// The e-mail, if any.
    pub email: Option<String>,
}

#[derive(Deserialize)]
struct Token {
    access_token: String,
}

async fn json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, BareError> {
    let response = request.send().await?.error_for_status()?;
    let body = response.bytes().await?;
    Ok(serde_json::from_slice(&body)?)
}

/// A provider's endpoints on the mock.
fn endpoint(base: &Url, path: &str) -> Url {
    base.join(path).expect("a mock endpoint")
}

/// GitHub by hand: token (credentials in the form body), `/user`, then `/user/emails` because the
/// user's e-mail is private.
#[derive(Debug, Clone)]
pub struct BareGithub {
    client: reqwest::Client,
    token_url: Url,
    user_url: Url,
    emails_url: Url,
    client_id: String,
    client_secret: String,
}

impl BareGithub {
    /// Against the mock at `base`, with the credentials of `config` (a GitHub connector config).
    pub fn new(client: reqwest::Client, base: &Url, config: &Value) -> Self {
        Self {
            client,
            token_url: endpoint(base, "/login/oauth/access_token"),
            user_url: endpoint(base, "/user"),
            emails_url: endpoint(base, "/user/emails"),
            client_id: config["clientId"].as_str().unwrap_or_default().to_owned(),
            client_secret: config["clientSecret"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// One sign-in.
    pub async fn sign_in(&self, input: &BareInput) -> Result<BareProfile, BareError> {
        input.check_state()?;
        let mut form = vec![("grant_type", "authorization_code"), ("code", &input.code)];
        if let Some(verifier) = &input.verifier {
            form.push(("code_verifier", verifier));
        }
        form.extend([
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ]);
        let token: Token = json(
            self.client
                .post(self.token_url.clone())
                .header(ACCEPT, "application/json")
                .form(&form),
        )
        .await?;
        let bearer = format!("Bearer {}", token.access_token);
        let api = |url: &Url| {
            self.client
                .get(url.clone())
                .header(AUTHORIZATION, &bearer)
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
        };
        let user: Value = json(api(&self.user_url)).await?;
        let mut email = user["email"].as_str().map(str::to_owned);
        if email.is_none() {
            let emails: Value = json(api(&self.emails_url)).await?;
            email = emails.as_array().and_then(|list| {
                list.iter()
                    .find(|e| e["primary"] == true && e["verified"] == true)
                    .and_then(|e| e["email"].as_str().map(str::to_owned))
            });
        }
        Ok(BareProfile {
            id: user["id"].to_string(),
            email,
        })
    }
}

/// Hugging Face by hand: token (HTTP Basic credentials, PKCE), then `/oauth/userinfo`.
#[derive(Debug, Clone)]
pub struct BareHuggingFace {
    client: reqwest::Client,
    token_url: Url,
    userinfo_url: Url,
    basic: String,
}

impl BareHuggingFace {
    /// Against the mock at `base`, with the credentials of `config`.
    pub fn new(client: reqwest::Client, base: &Url, config: &Value) -> Self {
        let id = config["clientId"].as_str().unwrap_or_default();
        let secret = config["clientSecret"].as_str().unwrap_or_default();
        // RFC 6749 §2.3.1: each part form-encoded, then Basic (what oauth2 sends).
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
        );
        Self {
            client,
            token_url: endpoint(base, "/oauth/token"),
            userinfo_url: endpoint(base, "/oauth/userinfo"),
            basic,
        }
    }

    /// One sign-in.
    pub async fn sign_in(&self, input: &BareInput) -> Result<BareProfile, BareError> {
        input.check_state()?;
        let mut form = vec![("grant_type", "authorization_code"), ("code", &input.code)];
        if let Some(verifier) = &input.verifier {
            form.push(("code_verifier", verifier));
        }
        form.push(("redirect_uri", REDIRECT_URI));
        let token: Token = json(
            self.client
                .post(self.token_url.clone())
                .header(ACCEPT, "application/json")
                .header(AUTHORIZATION, &self.basic)
                .form(&form),
        )
        .await?;
        let user: Value = json(
            self.client
                .get(self.userinfo_url.clone())
                .header(AUTHORIZATION, format!("Bearer {}", token.access_token)),
        )
        .await?;
        Ok(BareProfile {
            id: user["sub"].as_str().unwrap_or_default().to_owned(),
            email: user["email"].as_str().map(str::to_owned),
        })
    }
}

/// WeChat by hand: `sns/oauth2/access_token` (AppSecret in the query), then `sns/userinfo`.
#[derive(Debug, Clone)]
pub struct BareWechat {
    client: reqwest::Client,
    token_url: Url,
    userinfo_url: Url,
    app_id: String,
    app_secret: String,
}

#[derive(Deserialize)]
struct WechatToken {
    access_token: String,
    openid: String,
}

impl BareWechat {
    /// Against the mock at `base`, with the credentials of `config` (Logto's field names).
    pub fn new(client: reqwest::Client, base: &Url, config: &Value) -> Self {
        Self {
            client,
            token_url: endpoint(base, "/sns/oauth2/access_token"),
            userinfo_url: endpoint(base, "/sns/userinfo"),
            app_id: config["appId"].as_str().unwrap_or_default().to_owned(),
            app_secret: config["appSecret"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// One sign-in.
    pub async fn sign_in(&self, input: &BareInput) -> Result<BareProfile, BareError> {
        input.check_state()?;
        let mut url = self.token_url.clone();
        url.query_pairs_mut()
            .append_pair("appid", &self.app_id)
            .append_pair("secret", &self.app_secret)
            .append_pair("code", &input.code)
            .append_pair("grant_type", "authorization_code");
        let token: WechatToken = json(self.client.get(url)).await?;
        let mut url = self.userinfo_url.clone();
        url.query_pairs_mut()
            .append_pair("access_token", &token.access_token)
            .append_pair("openid", &token.openid);
        let user: Value = json(self.client.get(url)).await?;
        Ok(BareProfile {
            id: user["unionid"].as_str().unwrap_or(&token.openid).to_owned(),
            email: None,
        })
    }
}

/// A bare sign-in of one of the three providers.
#[derive(Debug, Clone)]
pub enum BareFlow {
    /// GitHub.
    Github(BareGithub),
    /// Hugging Face.
    HuggingFace(BareHuggingFace),
    /// WeChat.
    Wechat(BareWechat),
}

impl BareFlow {
    /// The bare flow of `provider` (one of [`crate::SOCIAL_PROVIDERS`]) against the mock at `base`.
    pub fn new(provider: &str, client: reqwest::Client, base: &Url, config: &Value) -> Self {
        match provider {
            "github" => Self::Github(BareGithub::new(client, base, config)),
            "huggingface" => Self::HuggingFace(BareHuggingFace::new(client, base, config)),
            "wechat-web" => Self::Wechat(BareWechat::new(client, base, config)),
            other => panic!("no bare flow for `{other}`"),
        }
    }

    /// One sign-in.
    pub async fn sign_in(&self, input: &BareInput) -> Result<BareProfile, BareError> {
        match self {
            Self::Github(flow) => flow.sign_in(input).await,
            Self::HuggingFace(flow) => flow.sign_in(input).await,
            Self::Wechat(flow) => flow.sign_in(input).await,
        }
    }
}

/// An authorization URL built by hand: a random `state`, a PKCE S256 pair when `pkce`, and the
/// query parameters appended to the authorization endpoint, with oauth2's generators (the ones our
/// connectors use).
pub fn authorization_url(
    authorize: &Url,
    client_id: &str,
    scope: &str,
    pkce: bool,
) -> (Url, String, Option<String>) {
    let state = CsrfToken::new_random();
    let mut url = authorize.clone();
    let verifier = {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("state", state.secret())
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", scope);
        if pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            query
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", "S256");
            Some(verifier.secret().clone())
        } else {
            None
        }
    };
    (url, state.secret().clone(), verifier)
}
