//! The GitHub sign-in against a mock GitHub: the requests GitHub receives, the profile mapping and
//! the private e-mail fallback (quirk 3), token storage and refresh.

mod common;

use common::*;
use connector_core::{AuthorizationRequest, ErrorCode, Secret};
use serde_json::json;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn github_authorization_url_has_client_id_redirect_scope_state_and_pkce() {
    let github = Github::new().await;
    let start = github.start().await;

    assert_eq!(start.url.path(), "/login/oauth/authorize");
    let params = query(&start.url);
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], REDIRECT_URI);
    assert_eq!(params["scope"], "read:user user:email");
    assert_eq!(params["state"], start.flow.state);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43, "base64url SHA-256");
    assert!(start.flow.pkce_verifier.is_some());
    assert_eq!(start.flow.redirect_uri, REDIRECT_URI);
    // The secret never travels through the browser.
    assert!(!start.url.as_str().contains(CLIENT_SECRET));
}

#[tokio::test]
async fn github_config_scope_replaces_the_default_scope() {
    let mut config = config();
    config["scope"] = json!("read:user user:email read:org");
    let github = Github::with_config(config).await;
    let start = github.start().await;
    assert_eq!(query(&start.url)["scope"], "read:user user:email read:org");
}

#[tokio::test]
async fn github_request_scope_overrides_config_scope() {
    let mut config = config();
    config["scope"] = json!("read:user user:email read:org");
    let github = Github::with_config(config).await;
    let request = AuthorizationRequest::new(REDIRECT_URI).with_scope("read:user user:email repo");
    let start = github
        .connector
        .authorization_url(request)
        .await
        .expect("authorization URL");
    assert_eq!(query(&start.url)["scope"], "read:user user:email repo");
}

#[tokio::test]
async fn github_token_exchange_sends_form_with_verifier_and_accept_json() {
    let github = Github::new().await;
    github.happy().await;
    let start = github.start().await;
    let callback = connector_core::CallbackParams::from_map([
        ("code", CODE),
        ("state", start.flow.state.as_str()),
    ]);
    github
        .connector
        .user_info(callback, &start.flow)
        .await
        .expect("sign-in");

    let request = github.request(TOKEN_PATH).await;
    assert_eq!(request.method.as_str(), "POST");
    // Without it GitHub answers `access_token=...&scope=...` form-encoded.
    assert_eq!(header(&request, "accept"), Some("application/json"));
    assert_eq!(
        header(&request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    // Client credentials go in the body (GitHub's documented way), not as HTTP Basic.
    assert_eq!(header(&request, "authorization"), None);
    let verifier = start.flow.pkce_verifier.as_ref().expect("PKCE verifier");
    let fields = form(&request);
    assert_eq!(fields["client_id"], CLIENT_ID);
    assert_eq!(fields["client_secret"], CLIENT_SECRET);
    assert_eq!(fields["code"], CODE);
    assert_eq!(fields["redirect_uri"], REDIRECT_URI);
    assert_eq!(fields["code_verifier"], verifier.expose());
    assert_eq!(fields["grant_type"], "authorization_code");
}

/// Quirk 2: GitHub's API refuses requests without a `User-Agent`.
#[tokio::test]
async fn github_user_call_sends_bearer_api_version_and_user_agent() {
    let github = Github::new().await;
    github.happy().await;
    github.sign_in().await.expect("sign-in");

    for at in [USER_PATH, EMAILS_PATH] {
        let request = github.request(at).await;
        assert_eq!(request.method.as_str(), "GET", "{at}");
        assert_eq!(
            header(&request, "authorization"),
            Some(format!("Bearer {ACCESS_TOKEN}").as_str()),
            "{at}"
        );
        assert_eq!(
            header(&request, "accept"),
            Some("application/vnd.github+json"),
            "{at}"
        );
        assert_eq!(
            header(&request, "x-github-api-version"),
            Some("2022-11-28"),
            "{at}"
        );
        let agent = header(&request, "user-agent").expect("User-Agent sent");
        assert!(agent.starts_with("identity-connectors/"), "{agent}");
    }
}

#[tokio::test]
async fn github_id_is_numeric_string_not_login() {
    let github = Github::new().await;
    github.happy().await;
    let user = github.sign_in().await.expect("sign-in");
    assert_eq!(user.id, "583231");
    assert_eq!(user.username.as_deref(), Some("octocat"));
    assert_eq!(user.name.as_deref(), Some("The Octocat"));
    assert_eq!(
        user.avatar.as_deref(),
        Some("https://avatars.githubusercontent.com/u/583231?v=4")
    );
}

#[tokio::test]
async fn github_name_falls_back_to_login() {
    for name in [json!(null), json!(""), json!("  ")] {
        let github = Github::new().await;
        let mut user = fixture("user");
        user["name"] = name.clone();
        github
            .token_responds(json_response(200, fixture("access_token")))
            .await;
        github.user_responds(json_response(200, user)).await;
        github
            .emails_respond(json_response(200, fixture("user_emails")))
            .await;
        let user = github.sign_in().await.expect("sign-in");
        assert_eq!(user.name.as_deref(), Some("octocat"), "name {name}");
    }
}

#[tokio::test]
async fn github_user_without_numeric_id_is_invalid_response() {
    let github = Github::new().await;
    let mut user = fixture("user");
    user["id"] = json!("octocat");
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github.user_responds(json_response(200, user)).await;
    let err = github.sign_in().await.expect_err("no usable id");
    assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
}

#[tokio::test]
async fn github_raw_data_has_user_info_and_user_emails() {
    let github = Github::new().await;
    github.happy().await;
    let user = github.sign_in().await.expect("sign-in");
    assert_eq!(
        user.raw_data,
        json!({ "userInfo": fixture("user"), "userEmails": fixture("user_emails") })
    );
}

#[tokio::test]
async fn github_public_email_is_used_without_calling_user_emails() {
    let github = Github::new().await;
    let mut user = fixture("user");
    user["email"] = json!("octocat@github.com");
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github.user_responds(json_response(200, user.clone())).await;
    github.emails_never_called().await;

    let info = github.sign_in().await.expect("sign-in");
    assert_eq!(info.email.as_deref(), Some("octocat@github.com"));
    // Only the e-mail list says "verified"; it was not read.
    assert!(!info.email_verified);
    assert_eq!(info.raw_data, json!({ "userInfo": user, "userEmails": [] }));
}

/// Quirk 3: `/user` has `email: null` for a private e-mail; the list has it.
#[tokio::test]
async fn github_private_email_takes_the_primary_verified_entry() {
    let github = Github::new().await;
    github.happy().await;
    let user = github.sign_in().await.expect("sign-in");
    // Not the first verified entry: the primary one.
    assert_eq!(user.email.as_deref(), Some("octocat@github.com"));
    assert!(user.email_verified);
    github.request(EMAILS_PATH).await;
}

#[tokio::test]
async fn github_private_email_ignores_primary_but_unverified_entry() {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(json_response(200, fixture("user")))
        .await;
    let emails = json!([
        {"email": "octocat@github.com", "primary": true, "verified": false, "visibility": "private"},
        {"email": "mona@example.com", "primary": false, "verified": true, "visibility": null}
    ]);
    github
        .emails_respond(json_response(200, emails.clone()))
        .await;

    let user = github.sign_in().await.expect("sign-in");
    assert_eq!(user.email, None);
    assert!(!user.email_verified);
    assert_eq!(user.raw_data["userEmails"], emails);
}

async fn sign_in_with_emails_answer(emails: ResponseTemplate) -> connector_core::SocialUserInfo {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(json_response(200, fixture("user")))
        .await;
    github.emails_respond(emails).await;
    let user = github.sign_in().await.expect("no e-mail is not a failure");
    github.request(EMAILS_PATH).await;
    user
}

/// A GitHub App without the "Email addresses" permission gets 403 here.
#[tokio::test]
async fn github_user_emails_403_is_no_email_not_failure() {
    let user = sign_in_with_emails_answer(json_response(403, fixture("user_emails_403"))).await;
    assert_eq!(user.id, "583231");
    assert_eq!(user.email, None);
    assert_eq!(user.raw_data["userEmails"], json!([]));
}

#[tokio::test]
async fn github_user_emails_404_is_no_email_not_failure() {
    let body = json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"});
    let user = sign_in_with_emails_answer(json_response(404, body)).await;
    assert_eq!(user.email, None);
    assert_eq!(user.raw_data["userEmails"], json!([]));
}

#[tokio::test]
async fn github_user_emails_empty_list_is_no_email_not_failure() {
    let user = sign_in_with_emails_answer(json_response(200, json!([]))).await;
    assert_eq!(user.email, None);
    assert!(!user.email_verified);
}

#[tokio::test]
async fn github_scope_without_user_email_never_calls_user_emails() {
    let github = Github::new().await;
    let mut token = fixture("access_token");
    // The user may grant fewer scopes than asked for.
    token["scope"] = json!("read:user");
    github.token_responds(json_response(200, token)).await;
    github
        .user_responds(json_response(200, fixture("user")))
        .await;
    github.emails_never_called().await;

    let user = github.sign_in().await.expect("sign-in");
    assert_eq!(user.email, None);
    assert_eq!(user.raw_data["userEmails"], json!([]));
}

#[tokio::test]
async fn github_granted_user_scope_with_commas_or_spaces_lists_emails() {
    for granted in ["read:org,user", "repo user", "user:email"] {
        let github = Github::new().await;
        let mut token = fixture("access_token");
        token["scope"] = json!(granted);
        github.token_responds(json_response(200, token)).await;
        github
            .user_responds(json_response(200, fixture("user")))
            .await;
        github
            .emails_respond(json_response(200, fixture("user_emails")))
            .await;
        let user = github.sign_in().await.expect("sign-in");
        assert_eq!(
            user.email.as_deref(),
            Some("octocat@github.com"),
            "{granted}"
        );
    }
}

/// GitHub App user tokens come with `scope: ""`: permissions are not scopes, so the list is tried.
#[tokio::test]
async fn github_app_token_with_blank_scope_still_tries_user_emails() {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token_expiring")))
        .await;
    github
        .user_responds(json_response(200, fixture("user")))
        .await;
    github
        .emails_respond(json_response(200, fixture("user_emails")))
        .await;
    let user = github.sign_in().await.expect("sign-in");
    assert_eq!(user.email.as_deref(), Some("octocat@github.com"));
}

async fn sign_in_error_with_emails_answer(
    emails: ResponseTemplate,
) -> connector_core::ConnectorError {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token")))
        .await;
    github
        .user_responds(json_response(200, fixture("user")))
        .await;
    github.emails_respond(emails).await;
    github.sign_in().await.expect_err("a real error")
}

#[tokio::test]
async fn github_user_emails_401_fails_the_sign_in() {
    let err = sign_in_error_with_emails_answer(json_response(401, fixture("user_401"))).await;
    assert_eq!(err.code(), ErrorCode::SocialInvalidAccessToken, "{err}");
}

#[tokio::test]
async fn github_user_emails_5xx_fails_the_sign_in_retryably() {
    let err = sign_in_error_with_emails_answer(ResponseTemplate::new(502)).await;
    assert_eq!(err.code(), ErrorCode::General, "{err}");
    assert!(err.is_retryable());
}

/// A 403 that is a rate limit (primary: `x-ratelimit-remaining: 0`; secondary: `retry-after`) is
/// not "no permission": the sign-in fails and can be retried.
#[tokio::test]
async fn github_user_emails_rate_limit_403_fails_the_sign_in() {
    let primary = json_response(403, fixture("user_403_rate_limit"))
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", "1700000000");
    let secondary = json_response(403, fixture("user_403_secondary_rate_limit"))
        .insert_header("x-ratelimit-remaining", "4990")
        .insert_header("retry-after", "60");
    for answer in [primary, secondary] {
        let err = sign_in_error_with_emails_answer(answer).await;
        assert_eq!(err.code(), ErrorCode::RateLimitExceeded, "{err}");
        assert!(err.is_retryable());
    }
}

#[tokio::test]
async fn github_token_storage_off_returns_no_tokens() {
    let github = Github::new().await;
    github.happy().await;
    let user = github.sign_in().await.expect("sign-in");
    assert_eq!(user.tokens, None);
}

#[tokio::test]
async fn github_token_storage_on_returns_the_token_set() {
    let mut config = config();
    config["enableTokenStorage"] = json!(true);
    let github = Github::with_config(config).await;
    github.happy().await;
    let user = github.sign_in().await.expect("sign-in");
    let tokens = user.tokens.expect("token set stored");
    assert_eq!(tokens.access_token.expose(), ACCESS_TOKEN);
    assert_eq!(tokens.token_type, "bearer");
    assert_eq!(tokens.scope.as_deref(), Some("read:user,user:email"));
    // OAuth App tokens never expire and have no refresh token.
    assert_eq!(tokens.refresh_token, None);
    assert_eq!(tokens.expires_at, None);
    assert_eq!(tokens.refresh_token_expires_at, None);
}

/// GitHub Apps with expiring user tokens add `expires_in`, `refresh_token` and
/// `refresh_token_expires_in`.
#[tokio::test]
async fn github_token_storage_keeps_refresh_token_and_expiry_of_expiring_tokens() {
    let mut config = config();
    config["enableTokenStorage"] = json!(true);
    let github = Github::with_config(config).await;
    github
        .token_responds(json_response(200, fixture("access_token_expiring")))
        .await;
    github
        .user_responds(json_response(200, fixture("user")))
        .await;
    github
        .emails_respond(json_response(200, fixture("user_emails")))
        .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();

    let tokens = github
        .sign_in()
        .await
        .expect("sign-in")
        .tokens
        .expect("stored");
    let body = fixture("access_token_expiring");
    assert_eq!(tokens.access_token.expose(), body["access_token"]);
    assert_eq!(
        tokens.refresh_token.as_ref().map(Secret::expose),
        body["refresh_token"].as_str()
    );
    let expires_at = tokens.expires_at.expect("access token expiry");
    assert!(
        (now + 28800..=now + 28810).contains(&expires_at),
        "{expires_at}"
    );
    let refresh_expires_at = tokens.refresh_token_expires_at.expect("refresh expiry");
    assert!(
        (now + 15811200..=now + 15811210).contains(&refresh_expires_at),
        "{refresh_expires_at}"
    );
}

#[tokio::test]
async fn github_refresh_token_grant_posts_to_the_token_endpoint() {
    let github = Github::new().await;
    github
        .token_responds(json_response(200, fixture("access_token_refreshed")))
        .await;
    let old = fixture("access_token_expiring");
    let old_refresh = Secret::new(old["refresh_token"].as_str().expect("fixture token"));

    let tokens = github
        .connector
        .refresh_token(&old_refresh)
        .await
        .expect("refreshed");
    let body = fixture("access_token_refreshed");
    assert_eq!(tokens.access_token.expose(), body["access_token"]);
    assert_eq!(
        tokens.refresh_token.as_ref().map(Secret::expose),
        body["refresh_token"].as_str()
    );
    assert!(tokens.expires_at.is_some());

    let request = github.request(TOKEN_PATH).await;
    assert_eq!(header(&request, "accept"), Some("application/json"));
    let fields = form(&request);
    assert_eq!(fields["grant_type"], "refresh_token");
    assert_eq!(fields["refresh_token"], old_refresh.expose());
    assert_eq!(fields["client_id"], CLIENT_ID);
    assert_eq!(fields["client_secret"], CLIENT_SECRET);
}

#[tokio::test]
async fn github_bad_refresh_token_is_invalid_access_token() {
    let github = Github::new().await;
    github
        .token_responds(json_response(
            200,
            fixture("access_token_bad_refresh_token"),
        ))
        .await;
    let err = github
        .connector
        .refresh_token(&Secret::new("ghr_expired"))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), ErrorCode::SocialInvalidAccessToken, "{err}");
    assert!(err.message().contains("bad_refresh_token"), "{err}");
}
