//! Helpers shared by the CLI integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use connector_cli::browser::{ConsentBrowser, Decision};
use serde_json::Value;
use url::Url;

/// The `connectors` binary built for this test run.
pub(crate) fn connectors() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_connectors"));
    // No desktop browser may open during tests, whatever the machine has.
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    cmd
}

/// A runtime whose worker threads keep simulators and mock servers running while the test
/// thread waits for the binary.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    connector_cli::install_crypto_provider();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Writes `value` as `<dir>/<name>` and returns the path.
pub(crate) fn write_json(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).expect("json")).expect("write config");
    path
}

/// stdout of a finished command as JSON.
pub(crate) fn stdout_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// stderr of a finished command as JSON (the `{"error": ...}` of a failed `callback`).
pub(crate) fn stderr_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stderr).unwrap_or_else(|e| {
        panic!(
            "stderr is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Plays the user on a simulator's consent page: returns where the simulator redirects.
pub(crate) fn approve(rt: &tokio::runtime::Runtime, url: &str) -> Url {
    let url = Url::parse(url).expect("authorization URL");
    rt.block_on(async {
        ConsentBrowser::new()
            .expect("browser")
            .consent(&url, Decision::Approve)
            .await
            .expect("consent")
            .redirect
    })
}

/// Kills a spawned `connectors` process if the test fails before it exits.
pub(crate) struct ChildGuard(pub(crate) Option<std::process::Child>);

impl ChildGuard {
    /// Waits for the process and returns its output.
    pub(crate) fn wait(mut self) -> std::process::Output {
        self.0
            .take()
            .expect("child still there")
            .wait_with_output()
            .expect("wait for connectors")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
