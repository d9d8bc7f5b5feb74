//! The sample page's routes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use connector_core::{
    AuthorizationRequest, CallbackParams, ConnectorError, EmailMessage, ErrorCode, FlowState,
    UsageType,
};
use serde::Deserialize;
use serde_json::json;

use super::{cookies, pages, App, PendingCode, SignedIn};
use crate::commands::send::random_code;
use crate::redact::profile_json;
use crate::sandbox::DEMO_APPLICATION;
use crate::simulators::random_token;

/// How long a sign-in may take between the redirect and the callback (the flow cookie's life).
const FLOW_MAX_AGE: Duration = Duration::from_secs(600);
/// How long an e-mailed code is valid.
const CODE_MAX_AGE: Duration = Duration::from_secs(600);
/// Wrong guesses allowed per code.
const CODE_ATTEMPTS: u32 = 5;
/// How long the signed-in session cookie lives.
const SESSION_MAX_AGE: u64 = 8 * 3600;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/sign-in/{connector}", get(start_sign_in))
        .route("/callback/{connector}", get(callback))
        .route("/profile", get(profile))
        .route("/email/code", post(send_code))
        .route("/email/verify", get(code_form).post(verify_code))
        .route("/inbox", get(inbox))
        .route("/sign-out", post(sign_out))
        .with_state(app)
}

fn signed_in(app: &App, headers: &HeaderMap) -> Option<SignedIn> {
    let id = cookies::get(headers, cookies::SESSION)?;
    app.sessions().get(&id).cloned()
}

fn error_page(app: &App, title: &str, error: &ConnectorError) -> Response {
    let message = app.redactor.apply(error.message()).into_owned();
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Html(pages::error(title, error, &message))).into_response()
}

/// `303 See Other` to `location`, with cookies.
fn see_other(location: &str, cookies: Vec<String>) -> Response {
    let set: Vec<_> = cookies
        .into_iter()
        .map(|c| (header::SET_COOKIE, c))
        .collect();
    (AppendHeaders(set), Redirect::to(location)).into_response()
}

/// A new session for `user`: stored in memory, its id in a cookie.
fn start_session(app: &App, user: SignedIn, mut cookies: Vec<String>) -> Response {
    let id = random_token(32);
    app.sessions().insert(id.clone(), user);
    cookies.push(cookies::set(cookies::SESSION, &id, SESSION_MAX_AGE));
    see_other("/profile", cookies)
}

async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Html<String> {
    Html(pages::home(&app, signed_in(&app, &headers).as_ref()))
}

/// "Continue with ...": the authorization URL, with the flow state sealed in a cookie.
async fn start_sign_in(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(entry) = app.entry(&slug) else {
        let error = ConnectorError::new(
            ErrorCode::InvalidRequestParameters,
            format!("no connector `{slug}` on this page"),
        );
        return error_page(&app, "Unknown connector", &error);
    };
    let mut request = AuthorizationRequest::new(app.redirect_uri(&slug));
    if let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        request = request.with_user_agent(agent);
    }
    match entry.connector.authorization_url(request).await {
        Ok(start) => {
            let sealed = start.flow.seal(&app.key);
            let cookie = cookies::set(
                &cookies::flow_cookie(&slug),
                &sealed,
                FLOW_MAX_AGE.as_secs(),
            );
            see_other(start.url.as_str(), vec![cookie])
        }
        Err(error) => error_page(&app, "Could not start the sign-in", &error),
    }
}

/// The provider's redirect back: open the sealed flow, finish it, sign the user in.
async fn callback(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(entry) = app.entry(&slug) else {
        let error = ConnectorError::new(
            ErrorCode::InvalidRequestParameters,
            format!("no connector `{slug}` on this page"),
        );
        return error_page(&app, "Unknown connector", &error);
    };
    let flow_cookie = cookies::flow_cookie(&slug);
    let clear = cookies::clear(&flow_cookie);
    let result = async {
        let sealed = cookies::get(&headers, &flow_cookie).ok_or_else(|| {
            ConnectorError::authorization_failed(
                "no sign-in is in progress in this browser (the flow cookie is missing or expired): start again",
            )
        })?;
        let flow = FlowState::open(&sealed, &app.key, FLOW_MAX_AGE)?;
        let callback = CallbackParams::from_query(query.as_deref().unwrap_or_default())?;
        entry.connector.user_info(callback, &flow).await
    }
    .await;
    match result {
        Ok(user) => {
            let signed_in = SignedIn {
                via: entry.provider.name().to_owned(),
                profile: profile_json(&user, false),
            };
            start_session(&app, signed_in, vec![clear])
        }
        Err(error) => {
            let mut response = error_page(
                &app,
                &format!("Sign-in with {} failed", entry.provider.name()),
                &error,
            );
            if let Ok(value) = clear.parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
    }
}

async fn profile(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    match signed_in(&app, &headers) {
        Some(user) => Html(pages::profile(&user)).into_response(),
        None => Redirect::to("/").into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct EmailForm {
    email: String,
}

/// "E-mail me a code": a random 6-digit code through the e-mail connector.
async fn send_code(State(app): State<Arc<App>>, Form(form): Form<EmailForm>) -> Response {
    let email = form.email.trim().to_owned();
    let code = random_code();
    let message = EmailMessage::new(&email, UsageType::SignIn)
        .with_code(&code)
        .with_value("application", json!({ "name": DEMO_APPLICATION }));
    match app.email.send(message).await {
        Ok(_) => {
            app.codes().insert(
                email.to_ascii_lowercase(),
                PendingCode {
                    code,
                    sent_at: Instant::now(),
                    attempts: 0,
                },
            );
            // Post/redirect/get: reloading or going back to the code form never sends a new code.
            let email: String = url::form_urlencoded::byte_serialize(email.as_bytes()).collect();
            see_other(&format!("/email/verify?email={email}"), Vec::new())
        }
        Err(error) => error_page(&app, "The code could not be sent", &error),
    }
}

/// The form to enter the code sent to `?email=`.
async fn code_form(State(app): State<Arc<App>>, Query(form): Query<EmailForm>) -> Html<String> {
    let email = form.email.trim();
    let problem = (!app.codes().contains_key(&email.to_ascii_lowercase()))
        .then_some("No code is waiting for this address: ask for a new one.");
    Html(pages::code_sent(email, app.smtp.is_some(), problem))
}

#[derive(Debug, Deserialize)]
struct VerifyForm {
    email: String,
    code: String,
}

/// The code form: the right code (within 10 minutes and 5 attempts) signs the address in.
async fn verify_code(State(app): State<Arc<App>>, Form(form): Form<VerifyForm>) -> Response {
    let email = form.email.trim().to_owned();
    let key = email.to_ascii_lowercase();
    let verdict = {
        let mut codes = app.codes();
        match codes.get_mut(&key) {
            None => Err("No code is waiting for this address: ask for a new one.".to_owned()),
            Some(pending) if pending.sent_at.elapsed() > CODE_MAX_AGE => {
                codes.remove(&key);
                Err("The code expired: ask for a new one.".to_owned())
            }
            Some(pending) if pending.code == form.code.trim() => {
                codes.remove(&key);
                Ok(())
            }
            Some(pending) => {
                pending.attempts += 1;
                let left = CODE_ATTEMPTS.saturating_sub(pending.attempts);
                if left == 0 {
                    codes.remove(&key);
                    Err("Too many wrong codes: ask for a new one.".to_owned())
                } else {
                    Err(format!("That code is not right ({left} attempts left)."))
                }
            }
        }
    };
    match verdict {
        Ok(()) => {
            let user = SignedIn {
                via: "E-mail code".to_owned(),
                profile: json!({
                    "id": format!("email:{key}"),
                    "email": email,
                    "emailVerified": true,
                    "name": null,
                    "username": null,
                    "phone": null,
                    "avatar": null,
                }),
            };
            start_session(&app, user, Vec::new())
        }
        Err(problem) => (
            StatusCode::UNAUTHORIZED,
            Html(pages::code_sent(&email, app.smtp.is_some(), Some(&problem))),
        )
            .into_response(),
    }
}

async fn inbox(State(app): State<Arc<App>>) -> Html<String> {
    match &app.smtp {
        Some(server) => Html(pages::inbox(
            &server.messages(),
            Some((server.host(), server.port())),
        )),
        None => Html(pages::inbox(&[], None)),
    }
}

async fn sign_out(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Some(id) = cookies::get(&headers, cookies::SESSION) {
        app.sessions().remove(&id);
    }
    see_other("/", vec![cookies::clear(cookies::SESSION)])
}
