//! A scripted browser for the simulators' consent pages: what `demo` (and the tests) use to play
//! the user who clicks **Approve**.
//!
//! It only ever talks to loopback addresses, so the demo cannot reach the network even if a URL
//! were wrong.

use std::time::Duration;

use connector_core::{ConnectorError, Result};
use url::Url;

use crate::simulators::CONSENT_PATH;

/// The user's answer on a consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Press **Approve**.
    Approve,
    /// Press **Deny**.
    Deny,
}

/// What happened on the consent page.
#[derive(Debug, Clone)]
pub struct Consent {
    /// The account the simulator says is signed in, as the page shows it.
    pub account: Option<String>,
    /// Where the provider sent the browser: the redirect URI with `code` and `state` (or an error).
    pub redirect: Url,
}

/// A minimal browser: loads a consent page, presses a button, reads the redirect.
#[derive(Debug, Clone)]
pub struct ConsentBrowser {
    client: reqwest::Client,
}

impl ConsentBrowser {
    /// A browser that does not follow redirects on its own (each hop is shown).
    pub fn new() -> Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent("connectors-demo-browser")
            .build()
            .map_err(|e| ConnectorError::general(format!("cannot start the demo browser: {e}")))?;
        Ok(Self { client })
    }

    /// Opens a simulator's authorization URL, presses a button and returns where the simulator
    /// redirects to. The URL's fragment (`#wechat_redirect`) stays in the browser, as in real ones.
    pub async fn consent(&self, authorize_url: &Url, decision: Decision) -> Result<Consent> {
        ensure_loopback(authorize_url)?;
        let response = self
            .client
            .get(authorize_url.clone())
            .send()
            .await
            .map_err(|e| browser_error("load the consent page", e))?;
        let status = response.status();
        let page = response
            .text()
            .await
            .map_err(|e| browser_error("read the consent page", e))?;
        if !status.is_success() {
            let why = between(&page, "id=\"error\">", "<").map(unescape);
            return Err(ConnectorError::general(format!(
                "the consent page answered {status}: {}",
                why.unwrap_or_else(|| "no explanation".to_owned())
            )));
        }
        let request = between(&page, "name=\"request\" value=\"", "\"").ok_or_else(|| {
            ConnectorError::general("the page has no consent form: is this a simulator?")
        })?;
        let account = between(&page, "id=\"account\">", "<").map(unescape);
        let action = authorize_url
            .join(CONSENT_PATH)
            .map_err(|e| ConnectorError::general(format!("bad consent form address: {e}")))?;
        let decision = match decision {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
        };
        let response = self
            .client
            .post(action)
            .form(&[("request", request), ("decision", decision)])
            .send()
            .await
            .map_err(|e| browser_error("submit the consent form", e))?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ConnectorError::general(format!(
                    "the consent form answered {} without a redirect",
                    response.status()
                ))
            })?;
        let redirect = Url::parse(location)
            .map_err(|e| ConnectorError::general(format!("the redirect is not a URL: {e}")))?;
        Ok(Consent { account, redirect })
    }

    /// Follows a redirect to a loopback address (the callback) and returns status and page.
    pub async fn follow(&self, url: &Url) -> Result<(u16, String)> {
        ensure_loopback(url)?;
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| browser_error("follow the redirect", e))?;
        let status = response.status().as_u16();
        let page = response
            .text()
            .await
            .map_err(|e| browser_error("read the callback page", e))?;
        Ok((status, page))
    }
}

fn ensure_loopback(url: &Url) -> Result<()> {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if loopback {
        Ok(())
    } else {
        Err(ConnectorError::general(format!(
            "the demo browser only visits 127.0.0.1, not `{}`",
            url.host_str().unwrap_or_default()
        )))
    }
}

fn browser_error(what: &str, error: reqwest::Error) -> ConnectorError {
    let retryable = error.is_timeout() || error.is_connect();
    // Without the URL: a callback URL carries an authorization code.
    let error = error.without_url();
    ConnectorError::general(format!("the demo browser could not {what}: {error}"))
        .retryable(retryable)
}

/// The text between the first `start` and the next `end`.
fn between<'p>(page: &'p str, start: &str, end: &str) -> Option<&'p str> {
    let from = page.find(start)? + start.len();
    let len = page[from..].find(end)?;
    Some(&page[from..from + len])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_loopback_hosts() {
        for bad in [
            "https://github.com/login",
            "http://10.0.0.1/x",
            "http://example.com/",
        ] {
            let url = Url::parse(bad).expect("url");
            assert!(ensure_loopback(&url).is_err(), "{bad}");
        }
        for good in [
            "http://127.0.0.1:9/x",
            "http://localhost:1/",
            "http://[::1]:2/",
        ] {
            let url = Url::parse(good).expect("url");
            assert!(ensure_loopback(&url).is_ok(), "{good}");
        }
    }

    #[test]
    fn extracts_between_markers() {
        assert_eq!(between("a<b id=\"x\">hi</b>", "id=\"x\">", "<"), Some("hi"));
        assert_eq!(between("nothing", "id=", "<"), None);
    }
}
