//! Shared pieces of the identity-connector benchmarks (see `BENCHMARKS.md` at the repository root).
//!
//! Everything runs on 127.0.0.1: a small, fast mock of the three social providers ([`mock`]), the
//! same flows written with a bare `reqwest` client ([`bare`]) as the baseline, our connectors set up
//! against the mock ([`flows`]), provider bodies and connector configs ([`fixtures`]), and the
//! process's resident memory ([`memory`]), SMTP batches ([`mail`]) and the interleaved ratio
//! measurement ([`paired`]).
//!
//! The benchmarks themselves are in `benches/` (criterion) and `src/bin/instances.rs` (10,000
//! connectors from JSON configs); `src/bin/report.rs` turns criterion's estimates into the ratio
//! table of `BENCHMARKS.md`.
#![forbid(unsafe_code)]

pub mod bare;
pub mod fixtures;
pub mod flows;
pub mod mail;
pub mod memory;
pub mod mock;
pub mod paired;

/// The social providers the benchmarks cover, by their short name.
pub const SOCIAL_PROVIDERS: [&str; 3] = ["github", "huggingface", "wechat-web"];

/// A tokio runtime with `workers` worker threads, for the client side of a benchmark.
///
/// The mock provider runs on its own thread ([`mock::MockProvider::start`]): with one client worker
/// the two sides use the machine's two cores, the same way for our flows and the bare baseline.
pub fn client_runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()
        .expect("a tokio runtime (the OS refused a thread?)")
}
