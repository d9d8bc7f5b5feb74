//! `connectors sign-in <connector> --config F [--port 3000]`: a whole sign-in against the real
//! provider, with the callback served on 127.0.0.1.

use std::process::{ExitCode, Stdio};
use std::time::Duration;

use connector_core::{AuthorizationRequest, CallbackParams, ConnectorError, ErrorCode, Result};

use super::Env;
use crate::cli::SignInArgs;
use crate::loopback::CallbackServer;
use crate::redact::profile_json;
use crate::registry::short_name;

/// Serves the callback, prints (and tries to open) the authorization URL, waits for the provider
/// to send the browser back, finishes the flow and prints the profile.
pub async fn run(env: &mut Env, args: &SignInArgs) -> Result<ExitCode> {
    let (id, connector) = env.create(&args.connector, &args.config)?;
    let connector = connector.into_social()?;
    let provider = connector.metadata().display_name("en").to_owned();
    let mut server = CallbackServer::bind(args.port).await.map_err(|e| {
        ConnectorError::general(format!(
            "cannot listen on 127.0.0.1:{}: {e} (pick another --port)",
            args.port
        ))
    })?;
    let redirect_uri = server.redirect_uri(short_name(&id).unwrap_or(&id));
    let mut request = AuthorizationRequest::new(&redirect_uri);
    if let Some(scope) = &args.scope {
        request = request.with_scope(scope);
    }
    let start = connector.authorization_url(request).await?;
    env.out.notice(&format!(
        "Sign in with {provider}: open this URL in a browser\n\n  {}\n\n\
         The provider must accept the callback URL {redirect_uri}",
        start.url
    ));
    if !args.no_browser && !open_browser(start.url.as_str()) {
        env.out
            .notice("(No browser could be opened here: open the URL yourself.)");
    }
    env.out.notice(&format!(
        "Waiting up to {} s for {provider} to send the browser back (Ctrl-C to cancel)...",
        args.wait
    ));

    let deadline = tokio::time::sleep(Duration::from_secs(args.wait));
    tokio::pin!(deadline);
    let arrival = tokio::select! {
        arrival = server.next() => arrival,
        _ = &mut deadline => None,
        _ = tokio::signal::ctrl_c() => {
            return Err(ConnectorError::new(ErrorCode::AuthorizationFailed, "sign-in cancelled"));
        }
    };
    let Some(arrival) = arrival else {
        return Err(ConnectorError::new(
            ErrorCode::AuthorizationFailed,
            format!("no callback from {provider} within {} s", args.wait),
        ));
    };
    env.out.progress(&format!(
        "Callback received; exchanging the code with {provider}..."
    ));
    let result = match CallbackParams::from_query(&arrival.query) {
        Ok(callback) => connector.user_info(callback, &start.flow).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(user) => {
            let who = user
                .name
                .clone()
                .or_else(|| user.username.clone())
                .unwrap_or_else(|| user.id.clone());
            arrival.reply(true, &format!("Signed in with {provider} as {who}."));
            server.close().await;
            env.out.print_json(&profile_json(&user, args.show_tokens));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let message = env.out.redactor().apply(error.message()).into_owned();
            arrival.reply(false, &format!("{} [{}]", message, error.code()));
            server.close().await;
            Err(error)
        }
    }
}

/// Tries to open `url` in the desktop's browser. Never fails the command: `false` when no opener
/// could be started (a server, a container, CI).
pub fn open_browser(url: &str) -> bool {
    let openers: &[(&str, &[&str])] = if cfg!(target_os = "macos") {
        &[("open", &[])]
    } else if cfg!(windows) {
        &[("rundll32", &["url.dll,FileProtocolHandler"])]
    } else {
        &[("xdg-open", &[]), ("sensible-browser", &[])]
    };
    for (program, args) in openers {
        let spawned = std::process::Command::new(program)
            .args(*args)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = spawned {
            // Reap the opener when it exits, without making the sign-in wait for it.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            return true;
        }
    }
    false
}
