//! Provider answers the mock serves, and the connector configs the benchmarks create connectors from.
//!
//! The answers are shaped and sized like the real ones (field sets from the providers' documentation),
//! so JSON decoding costs what it costs in production.

use serde_json::{json, Value};

/// The redirect URI of every benchmarked sign-in.
pub const REDIRECT_URI: &str = "https://id.example.com/callback/social";
/// The authorization code every benchmarked callback carries (the mock accepts any).
pub const CODE: &str = "8f3c2b1a9e7d6c5b4a39";

/// GitHub `POST /login/oauth/access_token`: the granted scope includes `user:email`, so the
/// connector goes on to `GET /user/emails` for the private e-mail.
pub const GITHUB_TOKEN: &str = r#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","token_type":"bearer","scope":"read:user,user:email"}"#;

/// GitHub `GET /user` for a user whose e-mail is private (`"email": null`), as GitHub sends it.
pub const GITHUB_USER: &str = r#"{"login":"octocat","id":583231,"node_id":"MDQ6VXNlcjU4MzIzMQ==","avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","gravatar_id":"","url":"https://api.github.com/users/octocat","html_url":"https://github.com/octocat","followers_url":"https://api.github.com/users/octocat/followers","following_url":"https://api.github.com/users/octocat/following{/other_user}","gists_url":"https://api.github.com/users/octocat/gists{/gist_id}","starred_url":"https://api.github.com/users/octocat/starred{/owner}{/repo}","subscriptions_url":"https://api.github.com/users/octocat/subscriptions","organizations_url":"https://api.github.com/users/octocat/orgs","repos_url":"https://api.github.com/users/octocat/repos","events_url":"https://api.github.com/users/octocat/events{/privacy}","received_events_url":"https://api.github.com/users/octocat/received_events","type":"User","user_view_type":"public","site_admin":false,"name":"The Octocat","company":"@github","blog":"https://github.blog","location":"San Francisco","email":null,"hireable":null,"bio":null,"twitter_username":null,"notification_email":null,"public_repos":8,"public_gists":8,"followers":17625,"following":9,"created_at":"2011-01-25T18:44:36Z","updated_at":"2025-01-22T12:14:21Z"}"#;

/// GitHub `GET /user/emails`: the primary, verified, private address and the no-reply one.
pub const GITHUB_EMAILS: &str = r#"[{"email":"octocat@github.com","primary":true,"verified":true,"visibility":"private"},{"email":"583231+octocat@users.noreply.github.com","primary":false,"verified":true,"visibility":null}]"#;

/// Hugging Face `POST /oauth/token` (OpenID Connect: an ID token comes with the access token).
pub const HUGGINGFACE_TOKEN: &str = r#"{"access_token":"hf_oauth_eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiI2NGE1YjQzZjFhMmIzYzRkNWU2ZjcwODEiLCJzY29wZSI6Im9wZW5pZCBwcm9maWxlIGVtYWlsIn0","token_type":"bearer","expires_in":28800,"scope":"openid profile email","id_token":"eyJhbGciOiJSUzI1NiIsImtpZCI6ImhmLTIwMjQifQ.eyJpc3MiOiJodHRwczovL2h1Z2dpbmdmYWNlLmNvIiwic3ViIjoiNjRhNWI0M2YxYTJiM2M0ZDVlNmY3MDgxIiwiYXVkIjoiNmMzZjBhNTItOGQxZS00YjdhLTlmMmMtMWU1ZDdhOWIzYzRkIiwiZXhwIjoxNzM3NTQ4MDAwLCJpYXQiOjE3Mzc1MTkyMDAsIm5hbWUiOiJBZGEgTG92ZWxhY2UiLCJwcmVmZXJyZWRfdXNlcm5hbWUiOiJhZGEifQ.c2lnbmF0dXJlLW5vdC1jaGVja2VkLWJ5LXRoZS1iZW5jaG1hcmstbW9jaw"}"#;

/// Hugging Face `GET /oauth/userinfo` with the `email` scope and two organizations.
pub const HUGGINGFACE_USERINFO: &str = r#"{"sub":"64a5b43f1a2b3c4d5e6f7081","name":"Ada Lovelace","preferred_username":"ada","profile":"https://huggingface.co/ada","picture":"https://cdn-avatars.huggingface.co/v1/production/uploads/64a5b43f1a2b3c4d5e6f7081/avatar.png","website":"https://ada.example.com","email":"ada@example.com","email_verified":true,"isPro":false,"canPay":false,"orgs":[{"sub":"5e67bd5b1009063689407478","name":"Analytical Engines","picture":"https://cdn-avatars.huggingface.co/v1/production/uploads/5e67bd5b1009063689407478/logo.png","preferred_username":"analytical-engines","isEnterprise":false,"roleInOrg":"admin"},{"sub":"60f1abe7544c2adfd699860c","name":"Notes Society","picture":"https://cdn-avatars.huggingface.co/v1/production/uploads/60f1abe7544c2adfd699860c/logo.png","preferred_username":"notes-society","isEnterprise":false,"roleInOrg":"read"}]}"#;

/// WeChat `GET /sns/oauth2/access_token` (served as `text/plain`, as WeChat does).
pub const WECHAT_TOKEN: &str = r#"{"access_token":"83_Yx9kQm3H2vTg7bN4cR8sW1pL6fJ0dA5eZ9uK2iO7yX3mB8nV4cT1qS6wE0rF","expires_in":7200,"refresh_token":"83_Rk2fL8mN4pQ7sT1vW5xZ9bC3dF6gH0jK2lM5nP8qR1sT4vW7yZ0aB3cD6eF","openid":"oLVPpjqs9BhvzwPj5A-vTYAX3GLc","scope":"snsapi_login","unionid":"o6_bmasdasdsad6_2sgVt7hMZOPfL"}"#;

/// WeChat `GET /sns/userinfo` (served as `text/plain`).
pub const WECHAT_USERINFO: &str = r#"{"openid":"oLVPpjqs9BhvzwPj5A-vTYAX3GLc","nickname":"Ada","sex":0,"language":"","city":"","province":"","country":"","headimgurl":"https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTLh2LuMsXlBp5ChJ8fSCNkGyO5I5icGD0tiaicQ9Y4ibCw2AHQVTXZ7iaibQ7KiayBGZK2dJ9zVicia8nRIA/132","privilege":[],"unionid":"o6_bmasdasdsad6_2sgVt7hMZOPfL"}"#;

/// A deterministic pseudo-random 64-bit value (SplitMix64), so every tenant's credentials differ
/// without a random-number crate.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` hex digits derived from `seed`.
fn hex(seed: u64, n: usize) -> String {
    let mut out = String::with_capacity(n + 16);
    let mut i = 0;
    while out.len() < n {
        out.push_str(&format!(
            "{:016x}",
            mix(seed.wrapping_mul(31).wrapping_add(i))
        ));
        i += 1;
    }
    out.truncate(n);
    out
}

/// Tenant `i`'s GitHub config (OAuth App credentials, the default scope).
pub fn github_config(i: u64) -> Value {
    json!({
        "clientId": format!("Ov23li{}", hex(i, 14)),
        "clientSecret": hex(i ^ 0xA5A5, 40),
    })
}

/// Tenant `i`'s Hugging Face config (OpenID Connect scopes, so the e-mail is read).
pub fn huggingface_config(i: u64) -> Value {
    let id = hex(i, 32);
    json!({
        "clientId": format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]),
        "clientSecret": format!("hf_oauth_secret_{}", hex(i ^ 0x5A5A, 36)),
        "scope": "openid profile email",
    })
}

/// Tenant `i`'s WeChat website-login config, in Logto's field names.
pub fn wechat_config(i: u64) -> Value {
    json!({
        "appId": format!("wx{}", hex(i, 16)),
        "appSecret": hex(i ^ 0x3C3C, 32),
    })
}

/// Tenant `i`'s config of the social provider `provider` (one of [`crate::SOCIAL_PROVIDERS`]).
pub fn social_config(provider: &str, i: u64) -> Value {
    match provider {
        "github" => github_config(i),
        "huggingface" => huggingface_config(i),
        "wechat-web" => wechat_config(i),
        other => panic!("no config for provider `{other}`"),
    }
}

/// A branded HTML e-mail around `lead` and the code, the size of a real transactional template
/// (about 1.5 KB: inline styles, a logo, a footer).
fn html_email(brand: &str, title: &str, lead: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="margin:0;padding:0;background:#f5f5f7;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:#f5f5f7;padding:32px 0;"><tr><td align="center">
<table role="presentation" width="560" cellspacing="0" cellpadding="0" style="background:#ffffff;border-radius:12px;padding:40px;">
<tr><td><img src="https://cdn.example.com/{brand}/logo.png" alt="{{{{application.name}}}}" height="32" style="display:block;margin-bottom:24px;"></td></tr>
<tr><td style="font-size:22px;font-weight:600;color:#1a1c1d;padding-bottom:12px;">{title}</td></tr>
<tr><td style="font-size:15px;line-height:24px;color:#5c5f60;padding-bottom:24px;">{lead}</td></tr>
<tr><td style="font-size:32px;letter-spacing:8px;font-weight:700;color:#5d34f2;padding:16px 0;text-align:center;background:#f2effd;border-radius:8px;">{{{{code}}}}</td></tr>
<tr><td style="font-size:13px;line-height:20px;color:#747778;padding-top:24px;">This code expires in 10 minutes. If you did not ask for it, you can ignore this e-mail: nobody can sign in without the code.</td></tr>
<tr><td style="font-size:12px;color:#a9acac;padding-top:32px;border-top:1px solid #e0e3e3;margin-top:32px;">Sent by {{{{application.name}}}} &middot; {brand}, 1 Market Street, San Francisco, CA</td></tr>
</table></td></tr></table></body></html>"#
    )
}

/// A realistic Logto `templates` list for the brand `brand`: the four Logto requires (SignIn,
/// Register, ForgotPassword, Generic) as branded HTML, an organization invitation with a link, and
/// a localized (`zh-CN`) sign-in template. `{{application.name}}` is filled by the server's message.
/// Each tenant's brand makes its templates its own, as when operators customize Logto's examples.
pub fn smtp_templates(brand: &str) -> Value {
    json!([
        {"usageType": "SignIn", "contentType": "text/html", "subject": format!("{{{{code}}}} is your {brand} sign-in code"),
         "content": html_email(brand, "Sign in", "Use this code to finish signing in.")},
        {"usageType": "Register", "contentType": "text/html", "subject": format!("{{{{code}}}} is your {brand} verification code"),
         "content": html_email(brand, "Verify your e-mail", "Welcome! Use this code to verify your e-mail address and create your account.")},
        {"usageType": "ForgotPassword", "contentType": "text/html", "subject": "{{code}} is your password reset code",
         "content": html_email(brand, "Reset your password", "Someone asked to reset the password of this account. Use this code to choose a new one.")},
        {"usageType": "OrganizationInvitation", "contentType": "text/html", "subject": "You are invited to {{organization.name}}",
         "content": html_email(brand, "Join your team", "You have been invited to an organization. <a href=\"{{link}}\">Accept the invitation</a> or use this code.")},
        {"usageType": "Generic", "contentType": "text/plain", "subject": "Your verification code",
         "content": format!("Your {brand} verification code is {{{{code}}}}. It expires in 10 minutes.")},
        {"usageType": "SignIn", "contentType": "text/html", "subject": "您的登录验证码：{{code}}", "locale": "zh-CN",
         "content": html_email(brand, "登录", "请使用以下验证码完成登录。")},
    ])
}

/// Tenant `i`'s SMTP config for the local test server at `host:port` (plain SMTP, no AUTH, as the
/// test server runs it), with the [`smtp_templates`] list.
pub fn smtp_config(i: u64, host: &str, port: u16) -> Value {
    json!({
        "host": host,
        "port": port,
        "fromEmail": format!("Tenant {i} <no-reply@tenant{i}.example.com>"),
        "templates": smtp_templates(&format!("Tenant {i}")),
    })
}

/// Tenant `i`'s config as [`smtp_tenant_config`], with the templates every tenant shares: the brand
/// comes from the message (`{{application.name}}`), as in Logto's default templates.
pub fn smtp_tenant_config_shared_templates(i: u64) -> Value {
    let mut config = smtp_tenant_config(i);
    config["templates"] = smtp_templates("{{application.name}}");
    config
}

/// The SMTP services a multi-tenant server's tenants mostly use.
const SMTP_SERVICES: [&str; 8] = [
    "smtp.gmail.com",
    "smtp.sendgrid.net",
    "email-smtp.us-east-1.amazonaws.com",
    "smtp.office365.com",
    "smtp.mailgun.org",
    "smtpdm.aliyun.com",
    "smtp.qq.com",
    "smtp.zoho.com",
];

/// Tenant `i`'s production-shaped SMTP config for the start-up benchmark (nothing is sent): port
/// 587 with STARTTLS required and credentials; nine tenants in ten use one of eight common
/// services, the tenth its own relay (`mail.tenant<i>.example.com`); templates of its own brand.
pub fn smtp_tenant_config(i: u64) -> Value {
    let host = if i % 10 == 9 {
        format!("mail.tenant{i}.example.com")
    } else {
        SMTP_SERVICES[(i % 8) as usize].to_owned()
    };
    json!({
        "host": host,
        "port": 587,
        "requireTLS": true,
        "auth": {"user": format!("no-reply@tenant{i}.example.com"), "pass": hex(i ^ 0x7E7E, 24)},
        "fromEmail": format!("Tenant {i} <no-reply@tenant{i}.example.com>"),
        "templates": smtp_templates(&format!("Tenant {i}")),
    })
}
