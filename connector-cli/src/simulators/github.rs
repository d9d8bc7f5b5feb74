//! The GitHub simulator: `github.com/login/oauth/*` and `api.github.com/user*` on one origin.
//!
//! Wire format as documented at
//! <https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps>: token
//! errors come back with HTTP 200 and an `error` field, the token answer is form-encoded unless the
//! client asks for JSON, the REST API refuses requests without a `User-Agent`, and `/user` hides a
//! private e-mail (`email: null`) that `/user/emails` lists.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::{bearer, consent_page, error_page, has_scope, CodeRefusal, Pending, Store};

/// The OAuth App's client id.
pub const CLIENT_ID: &str = "Ov23liSimulatedGitHub";
/// The simulated user's login.
pub const USER_LOGIN: &str = "octocat";
/// The simulated user's display name.
pub const USER_NAME: &str = "The Octocat";
/// The simulated user's numeric id.
pub const USER_ID: u64 = 583231;
/// The simulated user's primary, verified, private e-mail.
pub const USER_EMAIL: &str = "octocat@github.com";

pub(crate) const ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/login/oauth/authorize"),
    ("POST", "/login/oauth/access_token"),
    ("GET", "/user"),
    ("GET", "/user/emails"),
];

pub(crate) fn router() -> Router<Arc<Store>> {
    Router::new()
        .route("/login/oauth/authorize", get(authorize))
        .route("/login/oauth/access_token", post(access_token))
        .route("/user", get(user))
        .route("/user/emails", get(user_emails))
}

async fn authorize(
    State(store): State<Arc<Store>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
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

/// `POST /login/oauth/access_token`: form `client_id`, `client_secret`, `code`, `redirect_uri`,
/// `code_verifier`.
async fn access_token(
    State(store): State<Arc<Store>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let field = |name: &str| form.get(name).map(String::as_str);
    let answer = |pairs: Vec<(&str, String)>| -> Response {
        if wants_json {
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
                .collect();
            Json(serde_json::Value::Object(map)).into_response()
        } else {
            // Without `Accept: application/json` GitHub answers form-encoded.
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            (
                [(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
                body,
            )
                .into_response()
        }
    };
    let error = |code: &str, description: &str| {
        answer(vec![
            ("error", code.to_owned()),
            ("error_description", description.to_owned()),
            (
                "error_uri",
                "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
                    .to_owned(),
            ),
        ])
    };
    // GitHub answers every token error with HTTP 200.
    if !store.client_matches(
        field("client_id").unwrap_or_default(),
        field("client_secret").unwrap_or_default(),
    ) {
        return error(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        );
    }
    let Some(code) = field("code") else {
        return error(
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        );
    };
    match store.redeem(code, field("redirect_uri"), field("code_verifier")) {
        Ok(grant) => {
            let granted = grant.scope.split_whitespace().collect::<Vec<_>>().join(",");
            let token = store.issue_token("gho_", grant);
            answer(vec![
                ("access_token", token),
                ("token_type", "bearer".to_owned()),
                ("scope", granted),
            ])
        }
        Err(CodeRefusal::Unknown | CodeRefusal::Used) => {
            error("bad_verification_code", "The code passed is incorrect or expired.")
        }
        Err(CodeRefusal::RedirectMismatch) => error(
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
        ),
        Err(CodeRefusal::Pkce) => error(
            "bad_verification_code",
            "The code_verifier does not match the code_challenge supplied in the authorization request.",
        ),
    }
}

/// The REST API's checks: a `User-Agent`, then a valid token. Returns the token's scope.
fn api_auth(store: &Store, headers: &HeaderMap) -> Result<String, Box<Response>> {
    if headers.get(header::USER_AGENT).is_none() {
        return Err(Box::new(
            (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({
                "message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."
            })),
        )
            .into_response(),
        ));
    }
    match bearer(headers).and_then(|token| store.token(&token)) {
        Some(grant) => Ok(grant.scope),
        None => Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401"
                })),
            )
                .into_response(),
        )),
    }
}

fn rate_limit_headers() -> [(&'static str, &'static str); 3] {
    [
        ("x-ratelimit-limit", "5000"),
        ("x-ratelimit-remaining", "4999"),
        ("x-github-api-version-selected", "2022-11-28"),
    ]
}

/// `GET /user`: the profile, with the e-mail private (`null`) as for most GitHub users.
async fn user(State(store): State<Arc<Store>>, headers: HeaderMap) -> Response {
    if let Err(refused) = api_auth(&store, &headers) {
        return *refused;
    }
    (rate_limit_headers(), Json(user_json())).into_response()
}

/// `GET /user/emails`: needs the `user:email` (or `user`) scope.
async fn user_emails(State(store): State<Arc<Store>>, headers: HeaderMap) -> Response {
    let scope = match api_auth(&store, &headers) {
        Ok(scope) => scope,
        Err(refused) => return *refused,
    };
    if !has_scope(&scope, "user:email") && !has_scope(&scope, "user") {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user"
            })),
        )
            .into_response();
    }
    let emails = serde_json::json!([
        { "email": USER_EMAIL, "primary": true, "verified": true, "visibility": "private" },
        { "email": format!("{USER_ID}+{USER_LOGIN}@users.noreply.github.com"), "primary": false, "verified": true, "visibility": null }
    ]);
    (rate_limit_headers(), Json(emails)).into_response()
}

/// The simulated user, shaped like GitHub's answer for a real account.
fn user_json() -> serde_json::Value {
    serde_json::json!({
        "login": USER_LOGIN,
        "id": USER_ID,
        "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
        "gravatar_id": "",
        "url": "https://api.github.com/users/octocat",
        "html_url": "https://github.com/octocat",
        "type": "User",
        "site_admin": false,
        "name": USER_NAME,
        "company": "@github",
        "blog": "https://github.blog",
        "location": "San Francisco",
        "email": null,
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "public_repos": 8,
        "public_gists": 8,
        "followers": 9999,
        "following": 9,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2024-01-22T12:00:00Z"
    })
}
