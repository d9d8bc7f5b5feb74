//! `connectors serve` in a real browser: headless Chromium, driven through chromedriver (WebDriver)
//! by fantoccini, clicks "Continue with GitHub", approves on the simulated consent page, lands on
//! the profile page, then asks for an e-mail code, finds it in the inbox page and signs in with it.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`, `/usr/bin/chromedriver`;
//! `CHROMIUM` and `CHROMEDRIVER` override the paths). Ignored by default; run it with
//! `cargo test -p connector-cli --test browser -- --ignored`. Without the browser it fails, saying
//! how to install it: a browser test that silently passes would prove nothing.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::ChildGuard;
use connector_cli::simulators::github;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const INSTALL: &str = "apt-get install chromium chromium-driver";

/// The path of a tool, from its environment variable or the Debian location; fails the test with
/// install instructions when it is missing.
fn tool(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} not found: this test needs Chromium and its WebDriver. Install them with `{INSTALL}` \
         (Debian packages `chromium` and `chromium-driver`), or point {env} at the binary.",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// Starts `connectors serve --port 0` and returns it with the URL it prints.
fn start_serve() -> (ChildGuard, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_connectors"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn connectors serve");
    let mut guard = ChildGuard(Some(child));
    let stdout = guard
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
    let url = loop {
        let line = received
            .recv_timeout(Duration::from_secs(60))
            .expect("`connectors serve` prints `Listening on <url>`");
        if let Some(url) = line.strip_prefix("Listening on ") {
            break url.trim().to_owned();
        }
    };
    (guard, url)
}

/// Starts chromedriver on a free port and waits until it accepts connections.
fn start_chromedriver(chromedriver: &PathBuf) -> (ChildGuard, u16) {
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chromedriver");
    let guard = ChildGuard(Some(child));
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (guard, port)
}

async fn headless_chromium(
    chromium: &PathBuf,
    driver_port: u16,
    profile: &std::path::Path,
) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            // The flags that work on this machine: no sandbox (root), and no background
            // connections to Google's hosts (the network is closed).
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::rustls()
        .expect("WebDriver client")
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("start a headless Chromium session through chromedriver")
}

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` did not appear: {e}"))
}

async fn text_of(client: &Client, css: &str) -> String {
    wait_for(client, css)
        .await
        .text()
        .await
        .expect("element text")
}

/// The first run of exactly six digits in `text`.
fn six_digits(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(6).enumerate().find_map(|(i, window)| {
        let before = i.checked_sub(1).and_then(|j| chars.get(j));
        let after = chars.get(i + 6);
        let digit = |c: Option<&char>| c.is_some_and(char::is_ascii_digit);
        (window.iter().all(char::is_ascii_digit) && !digit(before) && !digit(after))
            .then(|| window.iter().collect())
    })
}

#[test]
#[ignore = "needs chromium and chromium-driver: apt-get install chromium chromium-driver"]
fn serve_signs_in_with_github_and_an_email_code_in_headless_chromium() {
    let chromium = tool("CHROMIUM", "/usr/bin/chromium");
    let chromedriver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
    let (_serve, base) = start_serve();
    let (_driver, driver_port) = start_chromedriver(&chromedriver);
    let profile = tempfile::tempdir().expect("browser profile dir");
    let rt = common::runtime();
    rt.block_on(async {
        let client = headless_chromium(&chromium, driver_port, profile.path()).await;
        let result = journey(&client, &base).await;
        let _ = client.close().await;
        result
    });
}

async fn journey(client: &Client, base: &str) {
    // The sign-in page.
    client.goto(base).await.expect("open the sample page");
    let button = wait_for(client, "#continue-github").await;
    assert_eq!(button.text().await.expect("text"), "Continue with GitHub");
    button.click().await.expect("click Continue with GitHub");

    // The simulated GitHub consent page, on the simulator's own origin.
    let approve = wait_for(client, "#approve").await;
    let consent_url = client.current_url().await.expect("url");
    assert!(
        consent_url.path() == "/login/oauth/authorize",
        "not the consent page: {consent_url}"
    );
    let account = text_of(client, "#account").await;
    assert!(account.contains(github::USER_LOGIN), "{account}");
    approve.click().await.expect("click Approve");

    // Back on the sample page, signed in: the normalized profile.
    let name = text_of(client, "#display-name").await;
    assert_eq!(name, github::USER_NAME);
    assert_eq!(
        text_of(client, "#profile-username").await,
        github::USER_LOGIN
    );
    assert_eq!(text_of(client, "#profile-email").await, github::USER_EMAIL);
    let url = client.current_url().await.expect("url");
    assert_eq!(url.path(), "/profile");

    // An e-mail code: ask for it, find it in the inbox page, sign in with it.
    client.goto(base).await.expect("home");
    wait_for(client, "#email")
        .await
        .send_keys("ada@example.com")
        .await
        .expect("type the address");
    wait_for(client, "#send-code")
        .await
        .click()
        .await
        .expect("send");
    assert_eq!(text_of(client, "#code-recipient").await, "ada@example.com");
    wait_for(client, "#inbox-link")
        .await
        .click()
        .await
        .expect("open the inbox");
    let to = text_of(client, "#mail-0 .to").await;
    assert_eq!(to, "ada@example.com");
    let subject = text_of(client, "#mail-0 .subject").await;
    let body = text_of(client, "#mail-0 .body").await;
    let code = six_digits(&body).unwrap_or_else(|| panic!("no 6-digit code in the mail: {body}"));
    assert!(subject.contains(&code), "{subject}");

    client.back().await.expect("back to the code form");
    wait_for(client, "#code")
        .await
        .send_keys(&code)
        .await
        .expect("type the code");
    wait_for(client, "#verify-code")
        .await
        .click()
        .await
        .expect("verify");
    assert_eq!(text_of(client, "#profile-email").await, "ada@example.com");
    assert_eq!(text_of(client, "#display-name").await, "ada@example.com");
}

#[test]
fn six_digit_codes_are_found_alone() {
    assert_eq!(six_digits("Your code is 123456."), Some("123456".into()));
    assert_eq!(six_digits("1234567 then 654321"), Some("654321".into()));
    assert_eq!(six_digits("12345"), None);
}
