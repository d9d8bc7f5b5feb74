//! The sample page's HTML. Every value from a provider, a user or a config is escaped.

use connector_core::ConnectorError;
use connector_testkit::smtp::ReceivedMail;
use serde_json::Value;

use super::{App, SignedIn, Source};
use crate::html::{escape, page};

/// The home page: the three buttons and the e-mail form.
pub(crate) fn home(app: &App, signed_in: Option<&SignedIn>) -> String {
    let mut body = String::from("<h1>Sign in to the Connectors sample app</h1>\n");
    if let Some(user) = signed_in {
        body.push_str(&format!(
            "<p>You are signed in as <b>{}</b> (via {}). <a href=\"/profile\" id=\"profile-link\">See your profile</a>.</p>\n",
            escape(&display_name(&user.profile)),
            escape(&user.via)
        ));
    }
    body.push_str("<div class=\"stack\">\n");
    for entry in &app.social {
        let slug = entry.provider.slug();
        let origin = match &entry.source {
            Source::Simulator(_) => "simulated provider on 127.0.0.1",
            Source::Config(_) => "real provider",
        };
        body.push_str(&format!(
            "<a class=\"button\" id=\"continue-{slug}\" href=\"/sign-in/{slug}\">Continue with {}</a>\
             <div class=\"muted\">{}: {origin}</div>\n",
            escape(entry.provider.name()),
            escape(entry.provider.name()),
        ));
    }
    body.push_str("</div>\n<h2>Or get a one-time code by e-mail</h2>\n");
    body.push_str(
        "<form method=\"post\" action=\"/email/code\">\
         <input type=\"email\" name=\"email\" id=\"email\" required placeholder=\"you@example.com\" autocomplete=\"email\"> \
         <button type=\"submit\" class=\"primary\" id=\"send-code\">E-mail me a code</button></form>\n",
    );
    body.push_str(&match &app.email_source {
        Source::Simulator(_) => "<p class=\"muted\">Codes go to the embedded SMTP server: read them in the <a href=\"/inbox\" id=\"inbox-link\">inbox</a>.</p>".to_owned(),
        Source::Config(_) => "<p class=\"muted\">Codes go out through the configured SMTP server.</p>".to_owned(),
    });
    page("Connectors sample app — Sign in", &body)
}

/// The signed-in user's normalized profile.
pub(crate) fn profile(user: &SignedIn) -> String {
    let field = |name: &str| -> String {
        match user.profile.get(name) {
            Some(Value::String(text)) => escape(text),
            Some(Value::Bool(flag)) => flag.to_string(),
            Some(Value::Null) | None => "<span class=\"muted\">—</span>".to_owned(),
            Some(other) => escape(&other.to_string()),
        }
    };
    let json = serde_json::to_string_pretty(&user.profile).unwrap_or_default();
    let body = format!(
        "<h1>Signed in</h1>\n<p>Welcome, <b id=\"display-name\">{name}</b> (via {via}).</p>\n\
         <table id=\"profile-table\">\
         <tr><th>id</th><td id=\"profile-id\">{id}</td></tr>\
         <tr><th>username</th><td id=\"profile-username\">{username}</td></tr>\
         <tr><th>name</th><td id=\"profile-name\">{full}</td></tr>\
         <tr><th>email</th><td id=\"profile-email\">{email}</td></tr>\
         <tr><th>emailVerified</th><td>{verified}</td></tr>\
         <tr><th>phone</th><td>{phone}</td></tr>\
         <tr><th>avatar</th><td>{avatar}</td></tr></table>\n\
         <h2>Normalized profile</h2>\n<pre id=\"profile\">{json}</pre>\n\
         <form method=\"post\" action=\"/sign-out\"><button type=\"submit\" id=\"sign-out\">Sign out</button> \
         <a class=\"button\" href=\"/\">Home</a></form>",
        name = escape(&display_name(&user.profile)),
        via = escape(&user.via),
        id = field("id"),
        username = field("username"),
        full = field("name"),
        email = field("email"),
        verified = field("emailVerified"),
        phone = field("phone"),
        avatar = field("avatar"),
        json = escape(&json),
    );
    page("Connectors sample app — Profile", &body)
}

/// After a code was sent: the form to enter it.
pub(crate) fn code_sent(email: &str, inbox: bool, problem: Option<&str>) -> String {
    let problem = problem
        .map(|p| format!("<p class=\"error\" id=\"code-error\">{}</p>\n", escape(p)))
        .unwrap_or_default();
    let inbox = if inbox {
        "<p><a href=\"/inbox\" id=\"inbox-link\">Open the inbox of the embedded SMTP server</a> to read it.</p>"
    } else {
        ""
    };
    let body = format!(
        "<h1>Check your inbox</h1>\n<p>We sent a sign-in code to <b id=\"code-recipient\">{email}</b>. It is valid for 10 minutes.</p>\n\
         {problem}<form method=\"post\" action=\"/email/verify\">\
         <input type=\"hidden\" name=\"email\" value=\"{email}\">\
         <input name=\"code\" id=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required placeholder=\"6-digit code\"> \
         <button type=\"submit\" class=\"primary\" id=\"verify-code\">Sign in</button></form>\n{inbox}\n\
         <p><a href=\"/\">Back</a></p>",
        email = escape(email),
    );
    page("Connectors sample app — Enter your code", &body)
}

/// The embedded SMTP server's messages, newest first.
pub(crate) fn inbox(messages: &[ReceivedMail], server: Option<(&str, u16)>) -> String {
    let mut body = String::from("<h1>Inbox</h1>\n");
    match server {
        None => body.push_str(
            "<p>E-mail goes out through the SMTP server configured in <code>smtp.json</code>: \
             look in the real mailbox.</p>",
        ),
        Some((host, port)) => {
            body.push_str(&format!(
                "<p class=\"muted\">Messages received by the embedded SMTP server at {}:{port}, newest first.</p>\n",
                escape(host)
            ));
            if messages.is_empty() {
                body.push_str("<p id=\"empty\">No messages yet.</p>");
            }
            for (index, mail) in messages.iter().rev().enumerate() {
                body.push_str(&format!(
                    "<div class=\"mail\" id=\"mail-{index}\"><table>\
                     <tr><th>From</th><td>{from}</td></tr>\
                     <tr><th>To</th><td class=\"to\">{to}</td></tr>\
                     <tr><th>Subject</th><td class=\"subject\">{subject}</td></tr></table>\
                     <pre class=\"body\">{text}</pre></div>\n",
                    from = escape(&mail.header("From").unwrap_or_else(|| mail.from.clone())),
                    to = escape(&mail.to.join(", ")),
                    subject = escape(&mail.subject()),
                    text = escape(&mail.body_text()),
                ));
            }
        }
    }
    body.push_str("<p><a href=\"javascript:history.back()\">Back</a> · <a href=\"/\">Home</a></p>");
    page("Connectors sample app — Inbox", &body)
}

/// A failure, with the connector's error code and message.
pub(crate) fn error(title: &str, error: &ConnectorError, message: &str) -> String {
    let body = format!(
        "<h1>{title}</h1>\n<p class=\"error\" id=\"error\"><b id=\"error-code\">{code}</b>: {message}</p>\n\
         <p><a class=\"button\" href=\"/\">Back to the sign-in page</a></p>",
        title = escape(title),
        code = escape(error.code().as_str()),
        message = escape(message),
    );
    page(&format!("Connectors sample app — {title}"), &body)
}

/// The best name to greet a profile with.
fn display_name(profile: &Value) -> String {
    ["name", "username", "email", "id"]
        .iter()
        .find_map(|key| profile.get(*key).and_then(Value::as_str))
        .unwrap_or("you")
        .to_owned()
}
