//! `connectors demo`: the offline tour. Simulators for GitHub, Hugging Face and WeChat and a real
//! SMTP server start on 127.0.0.1; a scripted browser signs in through each social connector
//! (authorization URL → consent page → callback → profile) and a sign-in code goes out by e-mail.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connector_core::{
    AuthorizationRequest, CallbackParams, ConnectorError, EmailConnector, Result, UsageType,
};
use serde_json::{json, Value};

use super::Env;
use crate::browser::{ConsentBrowser, Decision};
use crate::loopback::CallbackServer;
use crate::redact::profile_json;
use crate::sandbox::{self, SimulatedSocial, DEMO_APPLICATION};
use crate::simulators::SimulatedProvider;

/// The whole demo must finish well within this; it normally takes well under a second.
const DEMO_DEADLINE: Duration = Duration::from_secs(60);
/// The demo's e-mail recipient.
const DEMO_RECIPIENT: &str = "ada@example.com";

/// Runs the demo and prints each step (or one JSON document with `--json`).
pub async fn run(env: &Env) -> Result<ExitCode> {
    if env.settings.base_url().is_some() {
        env.out
            .notice("note: `demo` runs its own simulators; --base-url is not used.");
    }
    match tokio::time::timeout(DEMO_DEADLINE, demo(env)).await {
        Ok(result) => result,
        Err(_) => Err(ConnectorError::general(format!(
            "the demo did not finish within {} s",
            DEMO_DEADLINE.as_secs()
        ))),
    }
}

async fn demo(env: &Env) -> Result<ExitCode> {
    let started = Instant::now();
    let out = &env.out;
    let human = !out.json();
    if human {
        out.line("connectors demo: three sign-ins and one e-mail, against simulators and an SMTP");
        out.line("server on 127.0.0.1 (no network, no setup). Every connector is the real one.");
    }
    let browser = ConsentBrowser::new()?;
    let mut callbacks = CallbackServer::bind(0).await.map_err(|e| {
        ConnectorError::general(format!("cannot listen on 127.0.0.1 for callbacks: {e}"))
    })?;

    let mut report = Vec::new();
    for provider in SimulatedProvider::ALL {
        let sim = sandbox::simulated_social(provider, &env.settings, &env.registry).await?;
        let profile = sign_in(env, &browser, &mut callbacks, &sim).await?;
        report.push(json!({
            "connector": provider.factory_id(),
            "simulator": sim.simulator.base_url(),
            "profile": profile,
        }));
    }

    let mail = sandbox::embedded_mail(&env.registry, &env.settings)?;
    let email = send_code(env, &mail).await?;

    let elapsed = started.elapsed();
    if human {
        out.line("");
        out.line(&format!(
            "Done: 3 sign-ins and 1 e-mail in {:.1} s. Next: `connectors serve` for the same in a browser.",
            elapsed.as_secs_f64()
        ));
    } else {
        out.print_json(&json!({
            "signIns": report,
            "email": email,
            "elapsedMs": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }));
    }
    Ok(ExitCode::SUCCESS)
}

/// One sign-in through a simulator, step by step.
async fn sign_in(
    env: &Env,
    browser: &ConsentBrowser,
    callbacks: &mut CallbackServer,
    sim: &SimulatedSocial,
) -> Result<Value> {
    let out = &env.out;
    let human = !out.json();
    let provider = sim.simulator.provider();
    let connector = &sim.connector;
    if human {
        out.line("");
        out.line(&format!(
            "{} ({}), simulator at {}",
            provider.name(),
            provider.factory_id(),
            sim.simulator.base_url()
        ));
    }

    let redirect_uri = callbacks.redirect_uri(provider.slug());
    let start = connector
        .authorization_url(AuthorizationRequest::new(&redirect_uri))
        .await?;
    if human {
        out.line(&format!("  1. authorization URL  {}", start.url));
        out.line(&format!(
            "     flow state kept:   state {}, PKCE verifier {}",
            start.flow.state,
            if start.flow.pkce_verifier.is_some() {
                "[kept secret]"
            } else {
                "none (this provider has no PKCE)"
            }
        ));
    }

    let consent = browser.consent(&start.url, Decision::Approve).await?;
    if human {
        out.line(&format!(
            "  2. consent page      signed in as {}, pressed Approve",
            consent.account.as_deref().unwrap_or("the simulated user")
        ));
    }

    // The browser follows the redirect to our callback server and waits for its page, while the
    // "server" side below finishes the flow, as an identity server would.
    let follow = {
        let browser = browser.clone();
        let redirect = consent.redirect.clone();
        tokio::spawn(async move { browser.follow(&redirect).await })
    };
    let arrival = callbacks
        .next()
        .await
        .ok_or_else(|| ConnectorError::general("the callback server stopped"))?;
    let callback = CallbackParams::from_query(&arrival.query)?;
    if human {
        out.line(&format!(
            "  3. callback          {} with code ({} characters, single use) and state {}",
            redirect_uri,
            callback.code().map_or(0, str::len),
            if callback.state() == Some(start.flow.state.as_str()) {
                "(matches the flow)"
            } else {
                "(does not match!)"
            }
        ));
    }
    let result = connector.user_info(callback, &start.flow).await;
    match &result {
        Ok(user) => arrival.reply(
            true,
            &format!(
                "Signed in as {}.",
                user.name.as_deref().unwrap_or(user.id.as_str())
            ),
        ),
        Err(error) => arrival.reply(false, error.message()),
    }
    let user = result.map_err(|e| e.context(&format!("{} sign-in", provider.name())))?;
    if let Ok(Ok((status, _))) = follow.await {
        tracing::debug!(status, "the demo browser saw the callback page");
    }

    let profile = profile_json(&user, false);
    if human {
        let mut shown = profile.clone();
        if let Some(raw) = shown.get_mut("rawData") {
            let keys: Vec<String> = raw
                .as_object()
                .map(|map| map.keys().cloned().collect())
                .unwrap_or_default();
            *raw = Value::String(format!("{{{}}}", keys.join(", ")));
        }
        out.line("  4. profile");
        let text = serde_json::to_string_pretty(&shown).unwrap_or_default();
        for line in text.lines() {
            out.line(&format!("     {line}"));
        }
    }
    Ok(profile)
}

/// A sign-in code through the real SMTP connector to the embedded server, and what arrived.
async fn send_code(env: &Env, mail: &sandbox::EmbeddedMail) -> Result<Value> {
    let out = &env.out;
    let human = !out.json();
    let connector: &Arc<dyn EmailConnector> = &mail.connector;
    if human {
        out.line("");
        out.line(&format!(
            "E-mail ({}), SMTP server at {}:{}",
            connector_smtp::FACTORY_ID,
            mail.server.host(),
            mail.server.port()
        ));
    }
    let message = super::send::message(
        DEMO_RECIPIENT,
        UsageType::SignIn,
        None,
        None,
        Some(
            json!({ "application": { "name": DEMO_APPLICATION } })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ),
    );
    let code = message.payload["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if human {
        out.line(&format!(
            "  1. send              SignIn code {code} to {DEMO_RECIPIENT}"
        ));
    }
    let delivery = connector.send(message).await?;
    if human {
        out.line(&format!(
            "  2. server reply      {}",
            delivery.server_reply.as_deref().unwrap_or("(none)")
        ));
    }
    let received = mail
        .server
        .wait_for_messages(1, Duration::from_secs(10))
        .await;
    let Some(mail) = received.last() else {
        return Err(ConnectorError::general(
            "the embedded SMTP server received nothing",
        ));
    };
    let body = mail.body_text();
    if human {
        out.line(&format!(
            "  3. mailbox           from {}, subject \"{}\"",
            mail.header("From").unwrap_or_else(|| mail.from.clone()),
            mail.subject()
        ));
        for line in body.lines() {
            out.line(&format!("     | {line}"));
        }
        out.line(&format!(
            "     the code in the mailbox {} the code sent",
            if body.contains(&code) {
                "matches"
            } else {
                "DOES NOT match"
            }
        ));
    }
    Ok(json!({
        "connector": connector_smtp::FACTORY_ID,
        "to": DEMO_RECIPIENT,
        "code": code,
        "template": delivery.template_usage,
        "serverReply": delivery.server_reply,
        "received": { "from": mail.from, "to": mail.to, "subject": mail.subject(), "body": body },
    }))
}
