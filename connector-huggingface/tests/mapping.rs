//! The userinfo → profile mapping on its own, for the edge cases a mock sign-in would only repeat.

use connector_core::ErrorCode;
use connector_huggingface::api::{social_user_info, HuggingFaceUserInfo};
use serde::Deserialize;
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture file exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

#[test]
fn huggingface_userinfo_fixture_reads_into_the_wire_type() {
    let info = HuggingFaceUserInfo::deserialize(fixture("userinfo.json")).expect("wire type");
    assert_eq!(info.sub, "64f1c2a9b8e7d6c5b4a39281");
    assert_eq!(info.website.as_deref(), Some("https://ada.example.org"));
    assert_eq!(info.profile.as_deref(), Some("https://huggingface.co/ada"));
    assert_eq!(info.is_pro, Some(true));
    assert_eq!(info.can_pay, Some(false));
    assert_eq!(info.orgs.len(), 1);
    let org = &info.orgs[0];
    assert_eq!(
        org.preferred_username.as_deref(),
        Some("analytical-engines")
    );
    assert_eq!(org.role_in_org.as_deref(), Some("admin"));
}

#[test]
fn huggingface_blank_name_falls_back_to_preferred_username() {
    let user = social_user_info(json!({"sub": "1", "name": " ", "preferred_username": "ada"}))
        .expect("maps");
    assert_eq!(user.name.as_deref(), Some("ada"));
    let user = social_user_info(json!({"sub": "1", "name": null, "preferred_username": "ada"}))
        .expect("maps");
    assert_eq!(user.name.as_deref(), Some("ada"));
}

#[test]
fn huggingface_sub_alone_is_a_valid_profile() {
    let user = social_user_info(json!({"sub": "1"})).expect("maps");
    assert_eq!(user.id, "1");
    assert_eq!(
        (user.name, user.username, user.avatar, user.email),
        (None, None, None, None)
    );
    assert!(!user.email_verified);
}

#[test]
fn huggingface_email_verified_needs_an_email() {
    let user = social_user_info(json!({"sub": "1", "email_verified": true})).expect("maps");
    assert_eq!(user.email, None);
    assert!(!user.email_verified);
    let user = social_user_info(json!({"sub": "1", "email": "a@example.org"})).expect("maps");
    assert!(
        !user.email_verified,
        "unverified unless Hugging Face says so"
    );
}

#[test]
fn huggingface_unknown_claims_are_kept_in_raw_data() {
    let raw = json!({"sub": "1", "orgs": [{"sub": "2", "resourceGroups": []}], "newClaim": 3});
    let user = social_user_info(raw.clone()).expect("maps");
    assert_eq!(user.raw_data, raw);
}

#[test]
fn huggingface_userinfo_without_a_string_sub_is_invalid_response() {
    for raw in [
        json!({}),
        json!({"sub": null}),
        json!({"sub": " "}),
        json!({"sub": 1}),
        json!("x"),
    ] {
        let err = social_user_info(raw.clone()).expect_err("no usable sub");
        assert_eq!(err.code(), ErrorCode::InvalidResponse, "{raw}");
        assert!(err.message().contains("sub"), "{raw}: {err}");
    }
}
