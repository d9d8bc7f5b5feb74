//! `connectors send <connector> --config F --to ADDR [--usage U] [--code C] [--locale L] [--payload JSON]`.

use std::process::ExitCode;

use connector_core::{Delivery, EmailMessage, Result, UsageType};
use rand::Rng;
use serde_json::{json, Map, Value};

use super::Env;
use crate::cli::SendArgs;

/// Sends one message and prints what was sent: recipient, usage, the names of the template values,
/// the template chosen and the server's reply. Never the connector's credentials, and never the
/// one-time code: it is a credential, and the recipient reads it in the e-mail.
pub async fn run(env: &mut Env, args: SendArgs) -> Result<ExitCode> {
    let (_, connector) = env.create(&args.connector, &args.config)?;
    let connector = connector.into_email()?;
    let message = message(&args.to, args.usage, args.code, args.locale, args.payload);
    env.out.progress(&format!(
        "Sending a {} e-mail to {}...",
        message.usage, message.to
    ));
    let delivery = connector.send(message.clone()).await?;
    print_delivery(env, &message, &delivery);
    Ok(ExitCode::SUCCESS)
}

/// A random 6-digit one-time code.
pub fn random_code() -> String {
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// The message to send: `--code`, else the payload's `code`, else a random 6-digit code.
pub fn message(
    to: &str,
    usage: UsageType,
    code: Option<String>,
    locale: Option<String>,
    payload: Option<Map<String, Value>>,
) -> EmailMessage {
    let payload = payload.unwrap_or_default();
    let code = code
        .or_else(|| {
            payload
                .get("code")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(random_code);
    let mut message = EmailMessage::new(to, usage);
    for (name, value) in payload {
        message = message.with_value(&name, value);
    }
    message = message.with_code(code);
    if let Some(locale) = locale {
        message = message.with_locale(locale);
    }
    message
}

fn print_delivery(env: &Env, message: &EmailMessage, delivery: &Delivery) {
    let mut values = message.payload.clone();
    values.remove("code");
    if env.out.json() {
        env.out.print_json(&json!({
            "to": delivery.to,
            "usage": message.usage,
            "locale": message.locale,
            "code": "[redacted]",
            "payload": values,
            "template": { "usageType": delivery.template_usage, "locale": delivery.template_locale },
            "serverReply": delivery.server_reply,
        }));
        return;
    }
    let keys: Vec<&str> = message.payload.keys().map(String::as_str).collect();
    env.out.line(&format!(
        "sent a {} e-mail to {}",
        message.usage, delivery.to
    ));
    env.out.line("  code:      [redacted] (see the e-mail)");
    env.out.line(&format!(
        "  template:  {}{}",
        delivery.template_usage,
        delivery
            .template_locale
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default()
    ));
    if let Some(locale) = &message.locale {
        env.out.line(&format!("  locale:    {locale}"));
    }
    env.out.line(&format!("  values:    {}", keys.join(", ")));
    if let Some(reply) = &delivery.server_reply {
        env.out.line(&format!("  server:    {reply}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_codes_have_six_digits() {
        for _ in 0..100 {
            let code = random_code();
            assert_eq!(code.len(), 6, "{code}");
            assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
        }
    }

    #[test]
    fn code_precedence() {
        let payload: Map<String, Value> =
            serde_json::from_value(json!({"code": "111111", "link": "https://x"})).expect("map");
        let m = message(
            "a@b.c",
            UsageType::SignIn,
            Some("222222".into()),
            None,
            Some(payload.clone()),
        );
        assert_eq!(m.payload["code"], "222222");
        assert_eq!(m.payload["link"], "https://x");
        let m = message(
            "a@b.c",
            UsageType::SignIn,
            None,
            Some("fr".into()),
            Some(payload),
        );
        assert_eq!(m.payload["code"], "111111");
        assert_eq!(m.locale.as_deref(), Some("fr"));
    }
}
