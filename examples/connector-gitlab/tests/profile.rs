//! GitLab's profile mapping: numeric id as a string, confirmed e-mail, name falling back to the
//! username, and an answer without an id refused.

use connector_core::ErrorCode;
use connector_gitlab::profile;
use serde_json::json;

#[test]
fn gitlab_numeric_id_becomes_the_profile_id() {
    let user = profile(
        json!({"id": 4242, "username": "ada", "name": "Ada Lovelace",
        "email": "ada@example.com", "confirmed_at": "2020-01-01T00:00:00Z",
        "avatar_url": "https://gitlab.com/a.png"}),
    )
    .expect("maps");
    assert_eq!(user.id, "4242");
    assert_eq!(user.username.as_deref(), Some("ada"));
    assert_eq!(user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(user.avatar.as_deref(), Some("https://gitlab.com/a.png"));
    assert_eq!(user.email.as_deref(), Some("ada@example.com"));
    assert!(user.email_verified);
    assert_eq!(user.raw_data["username"], "ada");
}

#[test]
fn gitlab_unconfirmed_email_is_not_verified_and_name_falls_back_to_username() {
    let user = profile(
        json!({"id": 7, "username": "bob", "name": "", "email": "bob@example.com",
        "confirmed_at": null}),
    )
    .expect("maps");
    assert_eq!(user.name.as_deref(), Some("bob"));
    assert!(!user.email_verified);
}

#[test]
fn gitlab_answer_without_id_is_invalid_response() {
    let err = profile(json!({"username": "ada"})).expect_err("no id");
    assert_eq!(err.code(), ErrorCode::InvalidResponse);
    assert_eq!(
        profile(json!([1, 2])).expect_err("not an object").code(),
        ErrorCode::InvalidResponse
    );
}
