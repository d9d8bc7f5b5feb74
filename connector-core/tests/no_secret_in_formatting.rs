//! Every public type that holds a secret, formatted with `{:?}`, `{:#?}` and (where it has one) `{}`.

use connector_core::oauth::{ClientAuth, OAuth2Client, OAuth2Provider};
use connector_core::*;

const SECRET: &str = "SUPER-SECRET-VALUE-42";

static PROVIDER: OAuth2Provider = OAuth2Provider {
    name: "P",
    authorize_url: "https://p.example/authorize",
    token_url: "https://p.example/token",
    client_auth: ClientAuth::BasicAuth,
    pkce: true,
    map_token_error: None,
};

fn assert_clean(label: &str, text: String) {
    assert!(!text.contains(SECRET), "{label} shows the secret: {text}");
}

#[test]
fn no_public_type_formats_a_secret() {
    let secret = Secret::new(SECRET);
    assert_clean("Secret Debug", format!("{secret:?} {secret:#?}"));
    assert_clean("Secret Display", format!("{secret}"));

    let mut tokens = TokenSet::new(Secret::new(SECRET), "bearer");
    tokens.refresh_token = Some(Secret::new(SECRET));
    tokens.id_token = Some(Secret::new(SECRET));
    assert_clean("TokenSet", format!("{tokens:?} {tokens:#?}"));

    let mut user = SocialUserInfo::new("1", serde_json::json!({}));
    user.tokens = Some(tokens);
    assert_clean("SocialUserInfo", format!("{user:?} {user:#?}"));

    let flow = FlowState::new("https://x/cb", Some(Secret::new(SECRET)));
    assert_clean("FlowState", format!("{flow:?} {flow:#?}"));
    let start = AuthorizationStart {
        url: "https://x/authorize".parse().expect("url"),
        flow: flow.clone(),
    };
    assert_clean("AuthorizationStart", format!("{start:?}"));

    let callback = CallbackParams::from_map([("code", SECRET), ("state", "s")]);
    assert_clean("CallbackParams", format!("{callback:?} {callback:#?}"));

    let message = EmailMessage::new("a@example.com", UsageType::SignIn).with_code(SECRET);
    assert_clean("EmailMessage", format!("{message:?} {message:#?}"));

    let key = FlowKey::generate();
    assert_clean("FlowKey", format!("{key:?}"));
    assert!(!format!("{key:?}").contains(&key.to_base64()));

    let client = OAuth2Client::new(
        &PROVIDER,
        "id",
        &Secret::new(SECRET),
        &ConnectorContext::default(),
    )
    .expect("client");
    assert_clean("OAuth2Client", format!("{client:?} {client:#?}"));

    let body = format!(
        r#"{{"access_token":"{SECRET}","refresh_token":"{SECRET}","client_secret":"{SECRET}"}}"#
    );
    let error = ConnectorError::invalid_response("bad").with_body(body.as_bytes());
    assert_clean("ConnectorError", format!("{error} {error:?} {error:#?}"));
    assert_clean(
        "ConnectorError JSON",
        serde_json::to_string(&error).expect("json"),
    );
}
