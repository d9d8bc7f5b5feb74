//! Every way GitHub says no, and the error code each one becomes.

mod common;

use common::*;
use connector_core::oauth::{TokenCall, TokenEndpointError};
use connector_core::{CallbackParams, ErrorCode};
use connector_github::api::map_token_error;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// The error table, as one table.
#[test]
fn github_token_error_table() {
    let cases = [
        (
            "bad_verification_code",
            TokenCall::Code,
            Some(ErrorCode::SocialAuthCodeInvalid),
        ),
        (
            "bad_refresh_token",
            TokenCall::Refresh,
            Some(ErrorCode::SocialInvalidAccessToken),
        ),
        (
            "incorrect_client_credentials",
            TokenCall::Code,
            Some(ErrorCode::InvalidConfig),
        ),
        (
            "incorrect_client_credentials",
            TokenCall::Refresh,
            Some(ErrorCode::InvalidConfig),
        ),
        (
            "redirect_uri_mismatch",
            TokenCall::Code,
            Some(ErrorCode::InvalidConfig),
        ),
        // Left to the core's standard table.
        ("unverified_user_email", TokenCall::Code, None),
        ("invalid_grant", TokenCall::Code, None),
    ];
    for (code, call, expected) in cases {
        let error = TokenEndpointError {
            status: 200,
            error: code.to_owned(),
            description: Some("GitHub's words".to_owned()),
            uri: None,
            redirect_uri: Some("https://id.example.com/callback".to_owned()),
        };
        let mapped = map_token_error(&error, call);
        assert_eq!(mapped.as_ref().map(|e| e.code()), expected, "{code}");
        if let Some(mapped) = mapped {
            assert!(mapped.message().contains(code), "{code}: {mapped}");
            assert!(
                mapped.message().contains("GitHub's words"),
                "{code}: {mapped}"
            );
        }
    }
}

/// Quirk 1: GitHub answers token errors with HTTP 200.
#[tokio::test]
async fn github_bad_verification_code_sent_with_200_is_auth_code_invalid() {
    let github = Github::new().await;
    github
        .token_responds(json_response(
            200,
            fixture("access_token_bad_verification_code"),
        ))
        .await;
    Mock::given(method("GET"))
        .and(path(USER_PATH))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&github.mock)
        .await;

    let err = github.sign_in().await.expect_err("code refused");
    assert_eq!(err.code(), ErrorCode::SocialAuthCodeInvalid, "{err}");
    assert_eq!(err.http_status(), 401);
    assert_eq!(err.status(), Some(200));
    assert!(err.message().contains("bad_verification_code"), "{err}");
    assert!(err.message().contains("incorrect or expired"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(form(&github.request(TOKEN_PATH).await)["code"], CODE);
}

#[tokio::test]
async fn github_incorrect_client_credentials_is_invalid_config() {
    let github = Github::new().await;
    github
        .token_responds(json_response(
            200,
            fixture("access_token_incorrect_client_credentials"),
        ))
        .await;
    let err = github.sign_in().await.expect_err("credentials refused");
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    assert!(err.message().contains("clientId and clientSecret"), "{err}");
    assert!(
        err.message().contains("incorrect_client_credentials"),
        "{err}"
    );
    let fields = form(&github.request(TOKEN_PATH).await);
    assert_eq!(fields["client_id"], CLIENT_ID);
    assert_eq!(fields["client_secret"], CLIENT_SECRET);
}

#[tokio::test]
async fn github_redirect_uri_mismatch_names_the_redirect_uri() {
    let github = Github::new().await;
    github
        .token_responds(json_response(
            200,
            fixture("access_token_redirect_uri_mismatch"),
        ))
        .await;
    let err = github.sign_in().await.expect_err("redirect URI refused");
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    assert!(
        err.message()
            .contains(&format!("GitHub refused redirect URI `{REDIRECT_URI}`")),
        "{err}"
    );
    assert!(
        err.message().contains("Authorization callback URL"),
        "{err}"
    );
    assert!(err.message().contains("redirect_uri_mismatch"), "{err}");
    assert_eq!(
        form(&github.request(TOKEN_PATH).await)["redirect_uri"],
        REDIRECT_URI
    );
}

#[tokio::test]
async fn github_other_token_error_is_general_with_description() {
    let github = Github::new().await;
    github
        .token_responds(json_response(
            200,
            fixture("access_token_unverified_user_email"),
        ))
        .await;
    let err = github.sign_in().await.expect_err("refused");
    assert_eq!(err.code(), ErrorCode::General, "{err}");
    assert!(err.message().contains("unverified_user_email"), "{err}");
    assert!(
        err.message()
            .contains("The user must have a verified primary email."),
        "{err}"
    );
    github.request(TOKEN_PATH).await;
}

#[tokio::test]
async fn github_access_denied_callback_is_authorization_failed() {
    let github = Github::new().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(json_response(200, fixture("access_token")))
        .expect(0)
        .mount(&github.mock)
        .await;
    let start = github.start().await;
    // GitHub sends all three fields; ours accepts any subset.
    for query in [
        format!(
            "error=access_denied&error_description=The+user+has+denied+your+application+access.\
             &error_uri=https%3A%2F%2Fdocs.github.com%2Fapps&state={}",
            start.flow.state
        ),
        format!("error=access_denied&state={}", start.flow.state),
        "error=access_denied".to_owned(),
    ] {
        let callback = CallbackParams::from_query(&query).expect("query parses");
        let err = github
            .connector
            .user_info(callback, &start.flow)
            .await
            .expect_err("denied");
        assert_eq!(err.code(), ErrorCode::AuthorizationFailed, "{err}");
        assert_eq!(err.http_status(), 401);
    }
}

#[tokio::test]
async fn github_other_callback_error_is_general_with_description() {
    let github = Github::new().await;
    let start = github.start().await;
    let query = format!(
        "error=application_suspended&error_description=Your+application+has+been+suspended.&state={}",
        start.flow.state
    );
    let callback = CallbackParams::from_query(&query).expect("query parses");
    let err = github
        .connector
        .user_info(callback, &start.flow)
        .await
        .expect_err("suspended");
    assert_eq!(err.code(), ErrorCode::General, "{err}");
    assert!(
        err.message()
            .contains("Your application has been suspended."),
        "{err}"
    );
    assert!(github.requests(TOKEN_PATH).await.is_empty());
}

#[tokio::test]
async fn github_wrong_state_is_refused_before_any_call_to_github() {
    let github = Github::new().await;
    let start = github.start().await;
    let callback = CallbackParams::from_map([("code", CODE), ("state", "forged")]);
    let err = github
        .connector
        .user_info(callback, &start.flow)
        .await
        .expect_err("forged state");
    assert_eq!(err.code(), ErrorCode::AuthorizationFailed, "{err}");
    assert!(github.requests(TOKEN_PATH).await.is_empty());
}

#[tokio::test]
async fn github_user_401_is_invalid_access_token() {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(json_response(401, fixture("user_401")))
        .await;
    let err = github.sign_in().await.expect_err("token refused");
    assert_eq!(err.code(), ErrorCode::SocialInvalidAccessToken, "{err}");
    assert_eq!(err.status(), Some(401));
    let request = github.request(USER_PATH).await;
    assert_eq!(
        header(&request, "authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
}

#[tokio::test]
async fn github_rate_limit_403_with_remaining_zero() {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(
            json_response(403, fixture("user_403_rate_limit"))
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "1700000000"),
        )
        .await;
    let err = github.sign_in().await.expect_err("rate limited");
    assert_eq!(err.code(), ErrorCode::RateLimitExceeded, "{err}");
    assert_eq!(err.http_status(), 429);
    assert!(err.is_retryable());
    assert!(err.message().contains("1700000000"), "reset time: {err}");
    github.request(USER_PATH).await;
}

/// GitHub's secondary rate limits: 403 with `retry-after` while the primary quota remains.
#[tokio::test]
async fn github_secondary_rate_limit_403_with_retry_after_is_rate_limited() {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(
            json_response(403, fixture("user_403_secondary_rate_limit"))
                .insert_header("x-ratelimit-remaining", "4990")
                .insert_header("retry-after", "60"),
        )
        .await;
    let err = github.sign_in().await.expect_err("rate limited");
    assert_eq!(err.code(), ErrorCode::RateLimitExceeded, "{err}");
    assert!(err.is_retryable());
    assert!(err.message().contains("retry after 60"), "{err}");
    assert_eq!(err.status(), Some(403));
    github.request(USER_PATH).await;
}

/// A 403 without `x-ratelimit-remaining: 0` or `retry-after` is not a rate limit (an OAuth App restricted by an
/// organization, a suspended user).
#[tokio::test]
async fn github_user_403_without_rate_limit_is_general() {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(
            json_response(403, json!({"message": "Forbidden"}))
                .insert_header("x-ratelimit-remaining", "4999"),
        )
        .await;
    let err = github.sign_in().await.expect_err("forbidden");
    assert_eq!(err.code(), ErrorCode::General, "{err}");
    assert_eq!(err.status(), Some(403));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn github_429_is_rate_limited() {
    // At the API.
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(ResponseTemplate::new(429).insert_header("retry-after", "60"))
        .await;
    let err = github.sign_in().await.expect_err("rate limited");
    assert_eq!(err.code(), ErrorCode::RateLimitExceeded, "{err}");
    assert!(err.message().contains("60"), "{err}");
    github.request(USER_PATH).await;

    // At the token endpoint.
    let github = Github::new().await;
    github
        .token_responds(ResponseTemplate::new(429).insert_header("retry-after", "60"))
        .await;
    let err = github.sign_in().await.expect_err("rate limited");
    assert_eq!(err.code(), ErrorCode::RateLimitExceeded, "{err}");
    assert!(err.is_retryable());
    github.request(TOKEN_PATH).await;
}

#[tokio::test]
async fn github_5xx_is_retryable_general() {
    for status in [500, 502, 503] {
        // At the token endpoint.
        let github = Github::new().await;
        github.token_responds(ResponseTemplate::new(status)).await;
        let err = github.sign_in().await.expect_err("outage");
        assert_eq!(err.code(), ErrorCode::General, "{err}");
        assert!(err.is_retryable(), "{err}");
        assert_eq!(err.status(), Some(status));

        // At the API.
        let github = Github::new().await;
        github
            .token_responds(json_response(200, fixture("access_token")))
            .await;
        github.user_responds(ResponseTemplate::new(status)).await;
        let err = github.sign_in().await.expect_err("outage");
        assert_eq!(err.code(), ErrorCode::General, "{err}");
        assert!(err.is_retryable(), "{err}");
        assert_eq!(err.status(), Some(status));
    }
}

/// GitHub's "unicorn" page, or a proxy's login page, instead of JSON.
const HTML_PAGE: &str =
    "<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; GitHub</title></head>\
    <body><p>No server is currently available to service your request.</p></body></html>";

#[tokio::test]
async fn github_html_error_page_is_invalid_response() {
    // At the token endpoint, with 200.
    let github = Github::new().await;
    github
        .token_responds(
            ResponseTemplate::new(200).set_body_raw(HTML_PAGE, "text/html; charset=utf-8"),
        )
        .await;
    let err = github.sign_in().await.expect_err("HTML");
    assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
    assert!(err.body().is_some_and(|b| b.contains("Unicorn")), "{err:?}");

    // At the API, with 200.
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(ResponseTemplate::new(200).set_body_raw(HTML_PAGE, "text/html"))
        .await;
    let err = github.sign_in().await.expect_err("HTML");
    assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
    assert!(err.message().contains("not JSON"), "{err}");
    assert!(err.message().contains("text/html"), "{err}");
}

#[tokio::test]
async fn github_truncated_json_is_invalid_response() {
    let token = r#"{"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a", "token_ty"#;
    let github = Github::new().await;
    github
        .token_responds(ResponseTemplate::new(200).set_body_raw(token, "application/json"))
        .await;
    let err = github.sign_in().await.expect_err("truncated");
    assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
    assert!(err.message().contains("truncated JSON"), "{err}");

    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"login": "octocat", "id": 5832"#, "application/json"),
        )
        .await;
    let err = github.sign_in().await.expect_err("truncated");
    assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
    assert!(err.message().contains("truncated JSON"), "{err}");
}
