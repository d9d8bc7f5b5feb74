//! Sealing a [`FlowState`] into an encrypted, authenticated, expiring, URL-safe string.
//!
//! A server can then keep the flow in a cookie, and any replica holding the key can finish it.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::error::{ConnectorError, ErrorCode, Result};
use crate::flow::{unix_now, FlowState};

/// The format version, first byte of every sealed flow, so the format can change later.
const VERSION: u8 = 1;
/// Binds ciphertexts to this use: a key shared with another purpose cannot be tricked into opening
/// one of ours.
const ASSOCIATED_DATA: &[u8] = b"identity-connectors/flow-state/v1";
const NONCE_LEN: usize = 24;
/// Clock skew tolerated between the replica that sealed and the one that opens.
const CLOCK_SKEW_SECS: u64 = 60;

/// A 256-bit key for sealing flow states. Share it between the replicas of a server; `Debug`
/// never shows it.
///
/// ```
/// use connector_core::{FlowKey, FlowState};
/// use std::time::Duration;
///
/// let key = FlowKey::generate();
/// let flow = FlowState::new("https://id.example.com/cb", None);
/// let sealed = flow.seal(&key);
/// assert!(sealed.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
/// assert_eq!(FlowState::open(&sealed, &key, Duration::from_secs(600)).unwrap(), flow);
/// ```
#[derive(Clone)]
pub struct FlowKey(chacha20poly1305::Key);

impl FlowKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        Self(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// A key from 32 bytes (read from a secret store).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes.into())
    }

    /// A key from its URL-safe base64 form (43 characters), as kept in an environment variable.
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .map_err(|_| ConnectorError::invalid_config("the flow key is not URL-safe base64"))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            ConnectorError::invalid_config("the flow key must be 32 bytes (43 base64 characters)")
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key in URL-safe base64, to store it. Treat the result as a secret.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

impl fmt::Debug for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FlowKey([redacted])")
    }
}

impl FlowState {
    /// Encrypts and authenticates the flow with `key` into a URL-safe string (cookie-safe too).
    pub fn seal(&self, key: &FlowKey) -> String {
        let cipher = XChaCha20Poly1305::new(&key.0);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Serializing a struct of strings and integers to JSON cannot fail.
        let plaintext = serde_json::to_vec(self).unwrap_or_default();
        let payload = Payload {
            msg: &plaintext,
            aad: ASSOCIATED_DATA,
        };
        // Encryption fails only past the cipher's length limit (256 GiB), far beyond any flow.
        let ciphertext = cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// Opens a string made by [`FlowState::seal`], refusing it when it was altered, sealed with
    /// another key, or is older than `max_age`.
    ///
    /// Every refusal is `authorization_failed` (the server should restart the sign-in), with a
    /// message saying which it was.
    pub fn open(sealed: &str, key: &FlowKey, max_age: Duration) -> Result<FlowState> {
        let refused = |why: &str| {
            ConnectorError::new(
                ErrorCode::AuthorizationFailed,
                format!("the sign-in flow state was refused: {why}; start the sign-in again"),
            )
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed.trim())
            .map_err(|_| refused("it is not URL-safe base64 (truncated or altered in transit?)"))?;
        let Some((&version, rest)) = bytes.split_first() else {
            return Err(refused("it is empty"));
        };
        if version != VERSION {
            return Err(refused(&format!("unknown format version {version}")));
        }
        if rest.len() < NONCE_LEN {
            return Err(refused("it is too short"));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(&key.0);
        let plaintext = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: ASSOCIATED_DATA,
                },
            )
            .map_err(|_| refused("it was altered or sealed with another key"))?;
        let flow: FlowState = serde_json::from_slice(&plaintext)
            .map_err(|_| refused("its content is not a flow state"))?;

        let now = unix_now();
        if flow.created_at > now + CLOCK_SKEW_SECS {
            return Err(refused(
                "it was created in the future (check the servers' clocks)",
            ));
        }
        let age = now.saturating_sub(flow.created_at);
        if age > max_age.as_secs() {
            return Err(refused(&format!(
                "it expired ({age} s old, the limit is {} s)",
                max_age.as_secs()
            )));
        }
        Ok(flow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    const TEN_MINUTES: Duration = Duration::from_secs(600);

    fn flow() -> FlowState {
        FlowState::new(
            "https://id.example.com/cb",
            Some(Secret::new("pkce-verifier-value")),
        )
    }

    #[test]
    fn round_trip_and_confidentiality() {
        let key = FlowKey::generate();
        let flow = flow();
        let sealed = flow.seal(&key);
        assert!(!sealed.contains(&flow.state));
        let decoded = URL_SAFE_NO_PAD.decode(&sealed).expect("base64");
        assert!(!String::from_utf8_lossy(&decoded).contains("pkce-verifier-value"));
        assert_eq!(
            FlowState::open(&sealed, &key, TEN_MINUTES).expect("open"),
            flow
        );
    }

    #[test]
    fn sealing_twice_gives_different_strings() {
        let key = FlowKey::generate();
        let flow = flow();
        assert_ne!(flow.seal(&key), flow.seal(&key));
    }

    #[test]
    fn tampered_input_is_refused() {
        let key = FlowKey::generate();
        let sealed = flow().seal(&key);
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(&bytes);
        let err = FlowState::open(&tampered, &key, TEN_MINUTES).expect_err("tampered");
        assert_eq!(err.code(), ErrorCode::AuthorizationFailed);
        assert!(err.message().contains("altered"), "{err}");
    }

    #[test]
    fn wrong_key_is_refused() {
        let sealed = flow().seal(&FlowKey::generate());
        let err = FlowState::open(&sealed, &FlowKey::generate(), TEN_MINUTES).expect_err("key");
        assert!(err.message().contains("another key"), "{err}");
    }

    #[test]
    fn expired_flow_is_refused() {
        let key = FlowKey::generate();
        let mut old = flow();
        old.created_at -= 601;
        let err = FlowState::open(&old.seal(&key), &key, TEN_MINUTES).expect_err("expired");
        assert_eq!(err.code(), ErrorCode::AuthorizationFailed);
        assert!(err.message().contains("expired"), "{err}");
    }

    #[test]
    fn future_flow_is_refused() {
        let key = FlowKey::generate();
        let mut future = flow();
        future.created_at += 3600;
        let err = FlowState::open(&future.seal(&key), &key, TEN_MINUTES).expect_err("future");
        assert!(err.message().contains("future"), "{err}");
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        let key = FlowKey::generate();
        for garbage in ["", "!!!", "AQ", "Ag", &"A".repeat(100)] {
            let err = FlowState::open(garbage, &key, TEN_MINUTES).expect_err(garbage);
            assert_eq!(err.code(), ErrorCode::AuthorizationFailed);
        }
    }

    #[test]
    fn key_base64_round_trip_and_debug() {
        let key = FlowKey::generate();
        let text = key.to_base64();
        assert_eq!(text.len(), 43);
        let back = FlowKey::from_base64(&text).expect("parse");
        let sealed = flow().seal(&key);
        assert!(FlowState::open(&sealed, &back, TEN_MINUTES).is_ok());
        assert!(!format!("{key:?}").contains(&text));
        assert!(FlowKey::from_base64("short").is_err());
    }
}
