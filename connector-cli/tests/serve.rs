//! `connectors serve` over plain HTTP (no browser): the GitHub sign-in through the sealed flow
//! cookie, the refusals around it, the e-mail code, and the command's start-up output. The same
//! journey in headless Chromium is `tests/browser.rs`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::{approve, connectors, runtime, write_json, ChildGuard};
use connector_cli::registry::registry;
use connector_cli::serve::SampleServer;
use connector_cli::settings::Settings;
use connector_cli::simulators::github;
use predicates::prelude::*;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// `name=value` of the `Set-Cookie` headers of a response.
fn cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_owned()
}

#[test]
fn github_sign_in_goes_through_the_sealed_flow_cookie() {
    let rt = runtime();
    let settings = Settings::new(None, None, None).expect("settings");
    let registry = registry().expect("registry");
    let server = rt
        .block_on(SampleServer::start(&settings, &registry, None, 0))
        .expect("serve");
    let base = server.url();
    let http = client();

    let (flow_cookie, authorize) = rt.block_on(async {
        let home = http
            .get(&base)
            .send()
            .await
            .expect("home")
            .text()
            .await
            .expect("text");
        for button in [
            "Continue with GitHub",
            "Continue with Hugging Face",
            "Continue with WeChat",
        ] {
            assert!(home.contains(button), "{button}");
        }
        assert!(home.contains("E-mail me a code"));

        let start = http
            .get(format!("{base}sign-in/github"))
            .send()
            .await
            .expect("start");
        assert_eq!(start.status(), StatusCode::SEE_OTHER);
        let set_cookie = start
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
            "{set_cookie}"
        );
        let flow_cookie = cookies(&start)
            .into_iter()
            .find(|c| c.starts_with("connectors_flow_github="))
            .expect("flow cookie");
        (flow_cookie, location(&start))
    });
    // The sealed cookie shows nothing of the flow.
    let state = url::Url::parse(&authorize)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    assert!(!flow_cookie.contains(&state));

    let callback = approve(&rt, &authorize);
    rt.block_on(async {
        // Without the cookie (another browser), the callback is refused.
        let stolen = http.get(callback.as_str()).send().await.expect("callback");
        assert_eq!(stolen.status(), StatusCode::UNAUTHORIZED);
        let page = stolen.text().await.expect("page");
        assert!(page.contains("authorization_failed"), "{page}");

        // With the cookie it succeeds: the refused request never reached GitHub, so the code
        // is still unused.
        let done = http
            .get(callback.as_str())
            .header(COOKIE, &flow_cookie)
            .send()
            .await
            .expect("callback");
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&done), "/profile");
        let set = cookies(&done);
        assert!(
            set.iter().any(|c| c == "connectors_flow_github="),
            "flow cookie cleared: {set:?}"
        );
        let session = set
            .iter()
            .find(|c| c.starts_with("connectors_session="))
            .expect("session cookie")
            .clone();

        let profile = http
            .get(format!("{base}profile"))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("profile")
            .text()
            .await
            .expect("page");
        assert!(profile.contains(github::USER_NAME), "{profile}");
        assert!(profile.contains(github::USER_EMAIL), "{profile}");
        assert!(!profile.contains("gho_"), "tokens never reach the page");

        // Without a session the profile page sends you home.
        let anonymous = http
            .get(format!("{base}profile"))
            .send()
            .await
            .expect("profile");
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

        // A forged cookie is refused.
        let forged = http
            .get(callback.as_str())
            .header(COOKIE, "connectors_flow_github=AAAA")
            .send()
            .await
            .expect("callback");
        assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    });
}

#[test]
fn email_codes_show_in_the_inbox_and_sign_in_once() {
    let rt = runtime();
    let settings = Settings::new(None, None, None).expect("settings");
    let registry = registry().expect("registry");
    let server = rt
        .block_on(SampleServer::start(&settings, &registry, None, 0))
        .expect("serve");
    let base = server.url();
    let http = client();
    rt.block_on(async {
        let sent = http
            .post(format!("{base}email/code"))
            .form(&[("email", "Ada@Example.com")])
            .send()
            .await
            .expect("send");
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        let form = http
            .get(format!("{base}{}", location(&sent).trim_start_matches('/')))
            .send()
            .await
            .expect("form")
            .text()
            .await
            .expect("page");
        assert!(form.contains("id=\"code\""), "{form}");

        let inbox = http
            .get(format!("{base}inbox"))
            .send()
            .await
            .expect("inbox")
            .text()
            .await
            .expect("page");
        let body = inbox
            .split("<pre class=\"body\">")
            .nth(1)
            .expect("a message");
        let code: String = body
            .split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == 6)
            .expect("a 6-digit code")
            .to_owned();

        let wrong = http
            .post(format!("{base}email/verify"))
            .form(&[("email", "ada@example.com"), ("code", "000000")])
            .send()
            .await
            .expect("verify");
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert!(wrong.text().await.expect("page").contains("attempts left"));

        let right = http
            .post(format!("{base}email/verify"))
            .form(&[("email", "ada@example.com"), ("code", code.as_str())])
            .send()
            .await
            .expect("verify");
        assert_eq!(right.status(), StatusCode::SEE_OTHER);
        assert!(cookies(&right)
            .iter()
            .any(|c| c.starts_with("connectors_session=")));

        let again = http
            .post(format!("{base}email/verify"))
            .form(&[("email", "ada@example.com"), ("code", code.as_str())])
            .send()
            .await
            .expect("verify");
        assert_eq!(
            again.status(),
            StatusCode::UNAUTHORIZED,
            "a code works once"
        );
    });
}

#[test]
fn serve_prints_where_each_connector_signs_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(
        dir.path(),
        "github.json",
        &json!({"clientId": "Ov23liTq5hVtE3xHf8Gk", "clientSecret": "gh-real-sEcReT-42"}),
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_connectors"))
        .args(["serve", "--port", "0", "--config-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut child = ChildGuard(Some(child));
    let stdout = child
        .0
        .as_mut()
        .and_then(|c| c.stdout.take())
        .expect("stdout");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut output = Vec::new();
    loop {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .expect("serve output");
        let last = line.starts_with("Press Ctrl-C");
        output.push(line);
        if last {
            break;
        }
    }
    let text = output.join("\n");
    let port = output[0]
        .strip_prefix("Listening on http://127.0.0.1:")
        .and_then(|rest| rest.trim_end_matches('/').parse::<u16>().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        text.contains("GitHub        real provider")
            && text.contains(&format!("http://127.0.0.1:{port}/callback/github")),
        "{text}"
    );
    assert!(
        text.contains("Hugging Face  simulator at http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("embedded SMTP server"), "{text}");
    assert!(!text.contains("gh-real-sEcReT-42"));
}

#[test]
fn serve_refuses_a_missing_config_dir() {
    connectors()
        .args([
            "serve",
            "--port",
            "0",
            "--config-dir",
            "/nonexistent/configs",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a directory"));
}
