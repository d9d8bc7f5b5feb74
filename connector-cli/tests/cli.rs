//! The `connectors` binary, command by command: success and failure paths and exit codes
//! (0 success, 1 connector or validation failure, 2 usage error).

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{approve, connectors, runtime, stderr_json, stdout_json, write_json, ChildGuard};
use connector_cli::browser::ConsentBrowser;
use connector_cli::simulators::{github, huggingface, wechat, SimulatedProvider, Simulator};
use connector_testkit::smtp::{SmtpFailure, SmtpServer, SmtpStage, SmtpTls};
use predicates::prelude::*;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GITHUB_SECRET: &str = "gh-sUpErSeCrEt-0123456789";

fn github_config() -> Value {
    json!({ "clientId": "Ov23liTq5hVtE3xHf8Gk", "clientSecret": GITHUB_SECRET })
}

fn smtp_config(server: &SmtpServer) -> Value {
    let mut config = server.connector_config();
    config["fromEmail"] = json!("Tests <no-reply@example.com>");
    config["templates"] = json!([
        {"usageType": "SignIn", "contentType": "text/plain",
         "subject": "Your code {{code}}", "content": "Code {{code}} for {{application.name}}"},
        {"usageType": "Generic", "contentType": "text/plain",
         "subject": "Your code", "content": "Generic code {{code}}"}
    ]);
    config
}

/// The 6-digit code in a delivered subject such as `Your code 123456`.
fn delivered_code(subject: &str) -> String {
    subject
        .split_whitespace()
        .find(|word| word.len() == 6 && word.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no 6-digit code in `{subject}`"))
}

// ---------------------------------------------------------------------------------------------
// Help and usage errors

#[test]
fn help_lists_every_command_with_examples() {
    let assert = connectors().arg("--help").assert().success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for command in [
        "list",
        "schema",
        "check",
        "authorize",
        "callback",
        "send",
        "sign-in",
        "demo",
        "serve",
    ] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
    assert!(text.contains("Examples:"), "{text}");
    for flag in [
        "--base-url",
        "--ca-cert",
        "--timeout",
        "--json",
        "--verbose",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help:\n{text}");
    }
    connectors()
        .args(["callback", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Examples:").and(predicate::str::contains("--show-tokens")),
        );
}

#[test]
fn usage_errors_exit_with_2() {
    connectors().assert().code(2);
    connectors().arg("frobnicate").assert().code(2);
    connectors()
        .args([
            "authorize",
            "github",
            "--redirect-uri",
            "http://127.0.0.1/cb",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--config"));
    connectors()
        .args([
            "send", "smtp", "--config", "x.json", "--to", "a@b.c", "--usage", "Signin",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SignIn"));
    connectors()
        .args([
            "send",
            "smtp",
            "--config",
            "x.json",
            "--to",
            "a@b.c",
            "--payload",
            "[1]",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("JSON object"));
    connectors()
        .args(["list", "--timeout", "0"])
        .assert()
        .code(2);
    connectors()
        .args(["list", "--base-url", "not a url"])
        .assert()
        .code(2);
}

// ---------------------------------------------------------------------------------------------
// list, schema

#[test]
fn list_shows_the_four_connectors() {
    connectors().arg("list").assert().success().stdout(
        predicate::str::contains("github-universal")
            .and(predicate::str::contains("huggingface-universal"))
            .and(predicate::str::contains("wechat-web"))
            .and(predicate::str::contains("simple-mail-transfer-protocol"))
            .and(predicate::str::contains("read:user user:email"))
            .and(predicate::str::contains("DEFAULT SCOPE")),
    );
}

#[test]
fn list_json_is_an_array_with_every_field() {
    let output = connectors().args(["list", "--json"]).output().expect("run");
    assert!(output.status.success());
    let rows = stdout_json(&output);
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 4);
    for row in rows {
        for field in [
            "id",
            "shortName",
            "target",
            "type",
            "platform",
            "displayName",
            "defaultScope",
        ] {
            assert!(row.get(field).is_some(), "{field} missing in {row}");
        }
    }
    let github = rows
        .iter()
        .find(|row| row["id"] == "github-universal")
        .expect("github");
    assert_eq!(github["shortName"], "github");
    assert_eq!(github["type"], "Social");
    assert_eq!(github["platform"], "Universal");
    assert_eq!(github["displayName"], "GitHub");
    assert_eq!(github["defaultScope"], "read:user user:email");
    let smtp = rows
        .iter()
        .find(|row| row["target"] == "smtp")
        .expect("smtp");
    assert_eq!(smtp["type"], "Email");
}

#[test]
fn schema_prints_a_json_schema_for_every_name() {
    for name in [
        "github",
        "github-universal",
        "huggingface",
        "wechat-web",
        "smtp",
        "simple-mail-transfer-protocol",
    ] {
        let output = connectors().args(["schema", name]).output().expect("run");
        assert!(output.status.success(), "{name}");
        let schema = stdout_json(&output);
        assert!(schema["$schema"].as_str().is_some(), "{name}: {schema}");
        assert!(schema["properties"].is_object(), "{name}: {schema}");
    }
    let output = connectors()
        .args(["schema", "github"])
        .output()
        .expect("run");
    let schema = stdout_json(&output);
    assert!(schema["properties"]["clientSecret"].is_object());
    assert_eq!(schema["properties"]["clientSecret"]["writeOnly"], true);
}

#[test]
fn unknown_connector_exits_1_with_a_clear_message() {
    connectors()
        .args(["schema", "gihub"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("unknown connector `gihub`")
                .and(predicate::str::contains("did you mean `github`"))
                .and(predicate::str::contains("Known connectors"))
                .and(predicate::str::contains(
                    "smtp (simple-mail-transfer-protocol)",
                )),
        );
    // Commands whose output is JSON report it as JSON.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "x.json", &github_config());
    let output = connectors()
        .args([
            "authorize",
            "gitlab",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--config",
        ])
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let error = stderr_json(&output);
    assert_eq!(error["error"]["code"], "invalid_request_parameters");
    assert!(error["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("unknown connector `gitlab`")));
}

// ---------------------------------------------------------------------------------------------
// check

#[test]
fn check_a_good_config_prints_ok() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "github.json", &github_config());
    connectors()
        .args(["check", "github"])
        .arg(&config)
        .assert()
        .success()
        .stdout("ok\n");
    let output = connectors()
        .args(["check", "github", "--json"])
        .arg(&config)
        .output()
        .expect("run");
    assert!(output.status.success());
    assert_eq!(stdout_json(&output)["ok"], true);
}

#[test]
fn check_a_bad_config_prints_every_problem_with_its_path_and_no_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(
        dir.path(),
        "github.json",
        &json!({ "clientID": "Iv1.8a61f9b3", "clientSecret": GITHUB_SECRET, "enableTokenStorage": "yes" }),
    );
    let output = connectors()
        .args(["check", "github"])
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 3, "{stdout}");
    for line in &lines {
        let (path, message) = line.split_once(": ").expect("`<path>: <message>`");
        assert!(!path.is_empty() && !message.is_empty(), "{line}");
    }
    assert!(
        lines.contains(&"clientID: unknown field `clientID`, did you mean `clientId`?"),
        "{stdout}"
    );
    assert!(
        lines.contains(&"clientId: missing required field `clientId`"),
        "{stdout}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("enableTokenStorage: ")),
        "{stdout}"
    );
    let everything = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(!everything.contains(GITHUB_SECRET), "{everything}");
}

#[test]
fn check_reports_semantic_problems_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bad = github_config();
    bad["scope"] = json!("read:user offline_access");
    let config = write_json(dir.path(), "github.json", &bad);
    connectors()
        .args(["check", "github-universal"])
        .arg(&config)
        .assert()
        .code(1)
        .stdout(
            predicate::str::starts_with("scope: ").and(predicate::str::contains("offline_access")),
        );

    // A secret in a field of the wrong shape is not echoed either.
    let smtp = write_json(
        dir.path(),
        "smtp.json",
        &json!({"host": "smtp.example.com", "port": 587, "fromEmail": "a@example.com",
                "auth": {"user": "mailer", "pass": "<app-password>"}, "templates": []}),
    );
    let output = connectors()
        .args(["check", "smtp", "--json"])
        .arg(&smtp)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let report = stdout_json(&output);
    assert_eq!(report["ok"], false);
    let problems = report["problems"].as_array().expect("problems");
    assert!(!problems.is_empty());
    assert!(problems
        .iter()
        .all(|p| p["path"].is_string() && p["message"].is_string()));
    assert!(
        problems.iter().any(|p| p["path"] == "auth.pass"),
        "{report}"
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains("app-password"));
}

#[test]
fn check_an_unreadable_or_broken_file_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    connectors()
        .args(["check", "github"])
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read the config file"));
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, format!("{{\"clientSecret\": \"{GITHUB_SECRET}\",")).expect("write");
    connectors()
        .args(["check", "github"])
        .arg(&broken)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("not valid JSON")
                .and(predicate::str::contains("line 1"))
                .and(predicate::str::contains(GITHUB_SECRET).not()),
        );
}

// ---------------------------------------------------------------------------------------------
// authorize

#[test]
fn authorize_prints_the_url_and_the_flow_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "github.json", &github_config());
    let output = connectors()
        .args([
            "authorize",
            "github",
            "--redirect-uri",
            "http://127.0.0.1:3000/callback/github",
            "--config",
        ])
        .arg(&config)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let start = stdout_json(&output);
    let url = url::Url::parse(start["url"].as_str().expect("url")).expect("parse");
    assert_eq!(url.host_str(), Some("github.com"));
    assert_eq!(url.path(), "/login/oauth/authorize");
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "Ov23liTq5hVtE3xHf8Gk");
    assert_eq!(
        query["redirect_uri"],
        "http://127.0.0.1:3000/callback/github"
    );
    assert_eq!(query["scope"], "read:user user:email");
    assert_eq!(query["code_challenge_method"], "S256");
    let flow = &start["flowState"];
    assert_eq!(flow["state"].as_str(), Some(query["state"].as_str()));
    assert_eq!(flow["redirectUri"], "http://127.0.0.1:3000/callback/github");
    assert!(flow["pkceVerifier"].is_string());
    assert!(!String::from_utf8_lossy(&output.stdout).contains(GITHUB_SECRET));

    // --base-url rebases the provider (a GitHub-compatible server), --scope replaces the scope.
    let output = connectors()
        .args([
            "authorize",
            "github",
            "--redirect-uri",
            "https://id.example.com/cb",
        ])
        .args([
            "--scope",
            "read:user repo",
            "--base-url",
            "https://ghe.example.com/",
        ])
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    assert!(output.status.success());
    let url = stdout_json(&output)["url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert!(
        url.starts_with("https://ghe.example.com/login/oauth/authorize?"),
        "{url}"
    );
    assert!(url.contains("scope=read%3Auser+repo"), "{url}");
}

#[test]
fn authorize_failures_are_json_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "github.json", &github_config());
    let output = connectors()
        .args([
            "authorize",
            "github",
            "--redirect-uri",
            "/relative/callback",
            "--config",
        ])
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert_eq!(
        stderr_json(&output)["error"]["code"],
        "invalid_request_parameters"
    );

    let smtp = write_json(dir.path(), "smtp.json", &json!({"host": "x"}));
    let output = connectors()
        .args([
            "authorize",
            "smtp",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--config",
        ])
        .arg(&smtp)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr_json(&output)["error"]["code"], "invalid_config");
}

// ---------------------------------------------------------------------------------------------
// callback

/// `authorize` then the consent page then `callback`, against a simulator. Returns the two
/// command outputs' JSON and the callback arguments for replays.
fn sign_in_via_commands(
    rt: &tokio::runtime::Runtime,
    sim: &Simulator,
    config: &std::path::Path,
    name: &str,
    extra: &[&str],
) -> (std::process::Output, Vec<String>) {
    let base = sim.base_url().to_string();
    let output = connectors()
        .args([
            "authorize",
            name,
            "--redirect-uri",
            "http://127.0.0.1:9/callback/x",
            "--base-url",
            &base,
        ])
        .arg("--config")
        .arg(config)
        .output()
        .expect("run authorize");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let start = stdout_json(&output);
    let redirect = approve(rt, start["url"].as_str().expect("url"));
    let mut args: Vec<String> = vec![
        "callback".into(),
        name.into(),
        "--config".into(),
        config.display().to_string(),
        "--flow-state".into(),
        start["flowState"].to_string(),
        "--query".into(),
        redirect.to_string(),
        "--base-url".into(),
        base,
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = connectors().args(&args).output().expect("run callback");
    (output, args)
}

#[test]
fn callback_finishes_a_sign_in_against_every_simulator() {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("tempdir");
    for (provider, name, id) in [
        (
            SimulatedProvider::Github,
            "github",
            github::USER_ID.to_string(),
        ),
        (
            SimulatedProvider::HuggingFace,
            "huggingface",
            huggingface::USER_SUB.to_owned(),
        ),
        (
            SimulatedProvider::Wechat,
            "wechat-web",
            wechat::USER_UNIONID.to_owned(),
        ),
    ] {
        let sim = rt.block_on(Simulator::start(provider)).expect("simulator");
        let config = write_json(dir.path(), &format!("{name}.json"), &sim.config());
        let (output, _) = sign_in_via_commands(&rt, &sim, &config, name, &[]);
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let profile = stdout_json(&output);
        assert_eq!(profile["id"], json!(id), "{name}: {profile}");
        assert_eq!(profile["name"], provider.user_display_name(), "{name}");
        assert!(profile["rawData"].is_object(), "{name}");
        assert_eq!(sim.exchanged_codes(), 1, "{name}");
    }
}

#[test]
fn callback_redacts_tokens_unless_asked_and_codes_are_single_use() {
    let rt = runtime();
    let sim = rt
        .block_on(Simulator::start(SimulatedProvider::Github))
        .expect("simulator");
    let mut config = sim.config();
    config["enableTokenStorage"] = json!(true);
    let secret = config["clientSecret"].as_str().expect("secret").to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "github.json", &config);

    // With -vv, so the logs are checked for secrets too.
    let (output, replay) = sign_in_via_commands(&rt, &sim, &config, "github", &["-vv"]);
    let logs = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{logs}");
    assert!(
        logs.contains("provider_request"),
        "-vv logs provider calls: {logs}"
    );
    assert!(!logs.contains("gho_") && !logs.contains(&secret), "{logs}");
    let profile = stdout_json(&output);
    assert_eq!(profile["username"], github::USER_LOGIN);
    assert_eq!(profile["email"], github::USER_EMAIL);
    assert_eq!(profile["emailVerified"], true);
    assert_eq!(profile["tokens"]["accessToken"], "[redacted]");
    assert_eq!(profile["tokens"]["tokenType"], "bearer");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains("gho_") && !stdout.contains(&secret),
        "{stdout}"
    );

    // GitHub codes work once: the replay fails the way GitHub says, as JSON on stderr.
    let replay: Vec<&String> = replay.iter().filter(|a| *a != "-vv").collect();
    let output = connectors().args(replay).output().expect("replay");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let error = stderr_json(&output);
    assert_eq!(error["error"]["code"], "social_auth_code_invalid");
    assert!(error["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(&secret));

    let (output, _) = sign_in_via_commands(&rt, &sim, &config, "github", &["--show-tokens"]);
    assert!(output.status.success());
    let token = stdout_json(&output)["tokens"]["accessToken"].clone();
    assert!(
        token.as_str().is_some_and(|t| t.starts_with("gho_")),
        "{token}"
    );
}

#[test]
fn callback_refuses_a_forged_state_without_calling_the_provider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "github.json", &github_config());
    let output = connectors()
        .args([
            "authorize",
            "github",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--config",
        ])
        .arg(&config)
        .output()
        .expect("run");
    let start = stdout_json(&output);
    let output = connectors()
        .args(["callback", "github", "--query", "code=abc&state=forged"])
        .args(["--base-url", "http://127.0.0.1:9/", "--flow-state"])
        .arg(start.to_string())
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr_json(&output)["error"]["code"],
        "authorization_failed"
    );

    let output = connectors()
        .args([
            "callback",
            "github",
            "--query",
            "code=abc&state=x",
            "--flow-state",
            "{oops",
        ])
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr_json(&output)["error"]["code"],
        "invalid_request_parameters"
    );
}

#[test]
fn callback_reports_a_provider_outage_as_json_without_secrets() {
    let rt = runtime();
    let provider = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(
                ResponseTemplate::new(502)
                    .set_body_string("<html><body><h1>502 Bad Gateway</h1></body></html>"),
            )
            .mount(&provider),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(
        dir.path(),
        "hf.json",
        &json!({"clientId": "hf-client", "clientSecret": "hf-sEcReT-value-42"}),
    );
    let base = provider.uri();
    let output = connectors()
        .args([
            "authorize",
            "huggingface",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--base-url",
            &base,
        ])
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    let start = stdout_json(&output);
    let state = start["flowState"]["state"]
        .as_str()
        .expect("state")
        .to_owned();
    let output = connectors()
        .args(["callback", "huggingface", "--base-url", &base, "--query"])
        .arg(format!("code=the-code&state={state}"))
        .arg("--flow-state")
        .arg(start["flowState"].to_string())
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let error = stderr_json(&output);
    assert_eq!(error["error"]["providerStatus"], 502, "{error}");
    assert!(error["error"]["code"].is_string());
    assert!(!String::from_utf8_lossy(&output.stderr).contains("hf-sEcReT-value-42"));
}

#[test]
fn timeout_bounds_a_stalled_provider() {
    let rt = runtime();
    let provider = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/login/oauth/access_token"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
            .mount(&provider),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "github.json", &github_config());
    let flow = json!({"state": "s", "redirectUri": "http://127.0.0.1:9/cb", "createdAt": 0});
    let started = Instant::now();
    let output = connectors()
        .args([
            "callback",
            "github",
            "--timeout",
            "1",
            "--query",
            "code=c&state=s",
        ])
        .args(["--base-url", &provider.uri(), "--flow-state"])
        .arg(flow.to_string())
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let error = stderr_json(&output);
    assert_eq!(error["error"]["retryable"], true, "{error}");
}

// ---------------------------------------------------------------------------------------------
// send

#[test]
fn send_delivers_a_random_code_to_the_smtp_server_and_never_prints_it() {
    let server = SmtpServer::builder()
        .auth("mailer@example.com", "app-pAss-9876")
        .start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "smtp.json", &smtp_config(&server));
    let output = connectors()
        .args(["send", "smtp", "--to", "ada@example.com"])
        .args([
            "--payload",
            r#"{"application": {"name": "Acme"}, "link": "https://id.example.com/x"}"#,
        ])
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("sent a SignIn e-mail to ada@example.com"),
        "{stdout}"
    );
    assert!(
        stdout.contains("application") && stdout.contains("link"),
        "{stdout}"
    );
    assert!(!stdout.contains("app-pAss-9876"));
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["ada@example.com"]);
    let code = delivered_code(&mails[0].subject());
    assert!(stdout.contains("code:      [redacted]"), "{stdout}");
    assert!(
        !stdout.contains(&code),
        "the code must not be printed: {stdout}"
    );
    assert_eq!(mails[0].subject(), format!("Your code {code}"));
    assert_eq!(mails[0].body_text().trim(), format!("Code {code} for Acme"));
}

#[test]
fn send_json_with_a_given_code_and_usage() {
    let server = SmtpServer::builder().start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "smtp.json", &smtp_config(&server));
    let output = connectors()
        .args([
            "send",
            "simple-mail-transfer-protocol",
            "--to",
            "bob@example.com",
            "--json",
        ])
        .args([
            "--code", "424242", "--usage", "Register", "--locale", "fr-CA", "--config",
        ])
        .arg(&config)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sent = stdout_json(&output);
    assert_eq!(sent["code"], "[redacted]");
    assert!(!sent.to_string().contains("424242"), "{sent}");
    assert_eq!(sent["usage"], "Register");
    assert_eq!(sent["locale"], "fr-CA");
    assert_eq!(sent["template"]["usageType"], "Generic");
    assert_eq!(sent["to"], "bob@example.com");
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].body_text().trim(), "Generic code 424242");
}

#[test]
fn send_failures_exit_1_without_the_password() {
    // The server refuses the recipient.
    let refusing = SmtpServer::builder()
        .fail(SmtpFailure::Reply {
            at: SmtpStage::Rcpt,
            code: 550,
            text: "5.1.1 No such user here".into(),
        })
        .start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "refusing.json", &smtp_config(&refusing));
    connectors()
        .args([
            "send",
            "smtp",
            "--to",
            "nobody@example.com",
            "--usage",
            "Generic",
            "--config",
        ])
        .arg(&config)
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("No such user").and(predicate::str::contains("error:")));
    assert!(refusing.messages().is_empty());

    // Wrong credentials: the message names the problem, never the password.
    let guarded = SmtpServer::builder().auth("mailer", "right-pass").start();
    let mut wrong = smtp_config(&guarded);
    wrong["auth"] = json!({"user": "mailer", "pass": "wrong-pAss-1234"});
    let config = write_json(dir.path(), "wrong.json", &wrong);
    let output = connectors()
        .args([
            "send",
            "smtp",
            "--to",
            "ada@example.com",
            "--usage",
            "Generic",
            "--json",
            "--config",
        ])
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr_json(&output)["error"]["code"], "invalid_config");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("wrong-pAss-1234"));

    // A social connector cannot send e-mail.
    let github = write_json(dir.path(), "github.json", &github_config());
    connectors()
        .args(["send", "github", "--to", "ada@example.com", "--config"])
        .arg(&github)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unexpected_type"));
}

// ---------------------------------------------------------------------------------------------
// --ca-cert

#[test]
fn ca_cert_with_a_bad_file_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    connectors()
        .args(["list", "--ca-cert"])
        .arg(dir.path().join("missing.pem"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read the --ca-cert file"));
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate").expect("write");
    connectors()
        .args(["list", "--ca-cert"])
        .arg(&garbage)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid_certificate"));
    let config = write_json(dir.path(), "github.json", &github_config());
    let output = connectors()
        .args([
            "authorize",
            "github",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--ca-cert",
        ])
        .arg(&garbage)
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr_json(&output)["error"]["code"], "invalid_certificate");
}

#[test]
fn ca_cert_is_trusted_for_smtp_tls() {
    let server = SmtpServer::builder().tls(SmtpTls::StartTls).start();
    let mut config = smtp_config(&server);
    // Without the server's CA in the config, only --ca-cert can make its certificate trusted.
    config.as_object_mut().expect("object").remove("tls");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "smtp.json", &config);
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem()).expect("write");

    connectors()
        .args([
            "send",
            "smtp",
            "--to",
            "ada@example.com",
            "--usage",
            "Generic",
            "--config",
        ])
        .arg(&config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid_certificate"));
    assert!(server.messages().is_empty());

    connectors()
        .args([
            "send",
            "smtp",
            "--to",
            "ada@example.com",
            "--usage",
            "Generic",
            "--config",
        ])
        .arg(&config)
        .arg("--ca-cert")
        .arg(&ca)
        .assert()
        .success();
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].tls);
}

// ---------------------------------------------------------------------------------------------
// sign-in, demo

#[test]
fn sign_in_serves_the_callback_and_prints_the_profile() {
    let rt = runtime();
    let sim = rt
        .block_on(Simulator::start(SimulatedProvider::Github))
        .expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_json(dir.path(), "github.json", &sim.config());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_connectors"))
        .args([
            "sign-in",
            "github",
            "--port",
            "0",
            "--no-browser",
            "--wait",
            "60",
        ])
        .args(["--base-url", sim.base_url().as_str(), "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut child = ChildGuard(Some(child));
    let stderr = child
        .0
        .as_mut()
        .and_then(|c| c.stderr.take())
        .expect("stderr");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let url = loop {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .expect("sign-in prints the authorization URL");
        if let Some(url) = line.strip_prefix("  http") {
            break format!("http{url}");
        }
    };
    assert!(url.starts_with(sim.base_url().as_str()), "{url}");
    let redirect = approve(&rt, &url);
    assert!(redirect.path().starts_with("/callback/"), "{redirect}");
    let (status, page) = rt
        .block_on(async {
            ConsentBrowser::new()
                .expect("browser")
                .follow(&redirect)
                .await
        })
        .expect("callback page");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Signed in with GitHub as The Octocat"),
        "{page}"
    );
    let output = child.wait();
    assert!(output.status.success());
    let profile = stdout_json(&output);
    assert_eq!(profile["username"], github::USER_LOGIN);
    assert_eq!(profile["id"], github::USER_ID.to_string());
}

#[test]
fn demo_signs_in_with_each_provider_and_sends_a_code_offline() {
    let started = Instant::now();
    let assert = connectors().arg("demo").assert().success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for expected in [
        "GitHub (github-universal)",
        "Hugging Face (huggingface-universal)",
        "WeChat (wechat-web)",
        "\"username\": \"octocat\"",
        "\"name\": \"The Octocat\"",
        "\"name\": \"Ada Lovelace\"",
        wechat::USER_NICKNAME,
        "pressed Approve",
        "the code in the mailbox matches the code sent",
    ] {
        assert!(
            stdout.contains(expected),
            "`{expected}` missing from:\n{stdout}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn demo_json_has_three_profiles_and_the_email() {
    let output = connectors().args(["demo", "--json"]).output().expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = stdout_json(&output);
    let sign_ins = report["signIns"].as_array().expect("signIns");
    assert_eq!(sign_ins.len(), 3);
    assert_eq!(sign_ins[0]["profile"]["username"], github::USER_LOGIN);
    assert_eq!(
        sign_ins[1]["profile"]["username"],
        huggingface::USER_USERNAME
    );
    assert_eq!(sign_ins[2]["profile"]["id"], wechat::USER_UNIONID);
    let code = report["email"]["code"].as_str().expect("code");
    assert!(report["email"]["received"]["body"]
        .as_str()
        .is_some_and(|body| body.contains(code)));
}
