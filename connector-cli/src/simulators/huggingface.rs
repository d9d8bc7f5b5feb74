//! The Hugging Face simulator: `huggingface.co/oauth/{authorize,token,userinfo}`.
//!
//! Standard OAuth 2.0 / OpenID Connect as documented at <https://huggingface.co/docs/hub/oauth>:
//! client credentials by HTTP Basic, PKCE S256, standard error objects (`invalid_client` with 401,
//! `invalid_grant` with 400), and userinfo claims that depend on the granted scopes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{bearer, consent_page, error_page, has_scope, CodeRefusal, Pending, Store};

/// The OAuth app's client id.
pub const CLIENT_ID: &str = "6c3f0a52-sim0-4b7a-9f2c-1e5d7a9b3c4d";
/// The simulated user's username.
pub const USER_USERNAME: &str = "ada-lovelace";
/// The simulated user's full name.
pub const USER_NAME: &str = "Ada Lovelace";
/// The simulated user's stable id (`sub`).
pub const USER_SUB: &str = "65f1c2d3e4a5b6c7d8e9f0a1";
/// The simulated user's verified e-mail (with the `email` scope).
pub const USER_EMAIL: &str = "ada@example.com";

pub(crate) const ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/token"),
    ("GET", "/oauth/userinfo"),
];

pub(crate) fn router() -> Router<Arc<Store>> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .route("/oauth/userinfo", get(userinfo))
}

async fn authorize(
    State(store): State<Arc<Store>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if query.get("response_type").map(String::as_str) != Some("code") {
        return error_page(
            &store,
            "Unsupported response_type: only `code` is supported.",
        );
    }
    let begun = store.begin(
        query.get("client_id").map(String::as_str),
        query.get("redirect_uri").map(String::as_str),
        |redirect_uri| Pending {
            redirect_uri,
            state: query.get("state").cloned(),
            scope: query.get("scope").cloned().unwrap_or_default(),
            code_challenge: query.get("code_challenge").cloned(),
        },
        query.get("code_challenge_method").map(String::as_str),
    );
    match begun {
        Ok((id, pending)) => consent_page(&store, &id, &pending),
        Err(message) => error_page(&store, &message),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// The client credentials from HTTP Basic (each part form-urlencoded first, RFC 6749 §2.3.1), or
/// from the form body (`client_secret_post`), which Hugging Face also accepts.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<(String, String)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let unescape = |s: &str| -> String {
            url::form_urlencoded::parse(format!("v={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        return Some((unescape(id), unescape(secret)));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

/// `POST /oauth/token`: `grant_type=authorization_code`, `code`, `redirect_uri`, `code_verifier`.
async fn token(
    State(store): State<Arc<Store>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let authenticated = client_credentials(&headers, &form)
        .is_some_and(|(id, secret)| store.client_matches(&id, &secret));
    if !authenticated {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only authorization_code is supported",
        );
    }
    let Some(code) = form.get("code") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing code");
    };
    let field = |name: &str| form.get(name).map(String::as_str);
    match store.redeem(code, field("redirect_uri"), field("code_verifier")) {
        Ok(grant) => {
            let scope = grant.scope.clone();
            let token = store.issue_token("hf_oauth_", grant);
            Json(serde_json::json!({
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 28800,
                "scope": scope,
            }))
            .into_response()
        }
        Err(CodeRefusal::Unknown | CodeRefusal::Used) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid authorization code",
        ),
        Err(CodeRefusal::RedirectMismatch) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid redirect_uri: does not match the authorization request",
        ),
        Err(CodeRefusal::Pkce) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid code_verifier",
        ),
    }
}

/// `GET /oauth/userinfo`: OpenID claims plus Hugging Face's own, by granted scope.
async fn userinfo(State(store): State<Arc<Store>>, headers: HeaderMap) -> Response {
    let Some(grant) = bearer(&headers).and_then(|token| store.token(&token)) else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            Json(serde_json::json!({ "error": "Invalid credentials in Authorization header" })),
        )
            .into_response();
    };
    let mut claims = serde_json::json!({ "sub": USER_SUB });
    if has_scope(&grant.scope, "profile") {
        claims["name"] = USER_NAME.into();
        claims["preferred_username"] = USER_USERNAME.into();
        claims["profile"] = format!("https://huggingface.co/{USER_USERNAME}").into();
        claims["picture"] =
            "https://cdn-avatars.huggingface.co/v1/production/uploads/65f1c2d3e4a5b6c7d8e9f0a1/avatar.png"
                .into();
        claims["website"] = "https://en.wikipedia.org/wiki/Ada_Lovelace".into();
        claims["isPro"] = false.into();
        claims["orgs"] = serde_json::json!([{
            "sub": "65f1c2d3e4a5b6c7d8e9f0b2",
            "name": "Analytical Engines",
            "preferred_username": "analytical-engines",
            "picture": "https://cdn-avatars.huggingface.co/v1/production/uploads/analytical-engines.png",
            "isEnterprise": false,
            "roleInOrg": "admin"
        }]);
    }
    if has_scope(&grant.scope, "email") {
        claims["email"] = USER_EMAIL.into();
        claims["email_verified"] = true.into();
    }
    Json(claims).into_response()
}
