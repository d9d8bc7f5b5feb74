//! The mock provider helpers behave as the suites rely on: single-use mocks, a server that never
//! answers, the short timeout and the body cap of the suite's context.

use std::time::{Duration, Instant};

use connector_core::ErrorCode;
use connector_testkit::mock::{Limits, MockEndpoint, MockProvider, Route, SilentServer};
use connector_testkit::reply;
use serde_json::json;

async fn get(
    mock_ctx: &connector_core::ConnectorContext,
    url: &str,
) -> connector_core::Result<connector_core::HttpResponse> {
    let http = mock_ctx.http();
    let url = mock_ctx.endpoint(url)?;
    http.send(http.get(url)).await
}

#[tokio::test]
async fn mount_once_answers_a_single_request_then_falls_through() {
    let mock = MockProvider::start().await;
    mock.mount_once(Route::get("/code"), reply::json(200, json!({"n": 1})))
        .await;
    mock.mount(
        Route::get("/code"),
        reply::oauth_error(400, "invalid_grant", "used"),
    )
    .await;
    let ctx = mock.context();
    let first = get(&ctx, "https://provider.example/code")
        .await
        .expect("first");
    let second = get(&ctx, "https://provider.example/code")
        .await
        .expect("second");
    assert_eq!((first.status(), second.status()), (200, 400));
    assert_eq!(mock.requests().await.len(), 2);
    mock.reset().await;
    assert!(mock.requests().await.is_empty());
}

#[tokio::test]
async fn the_suite_context_times_out_on_a_silent_server() {
    let server = SilentServer::start().await.expect("bind");
    let limits = Limits::default();
    let ctx = limits.context(server.base_url());
    let started = Instant::now();
    let err = get(&ctx, "https://provider.example/token")
        .await
        .expect_err("no answer");
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable(), "{err}");
    assert!(
        started.elapsed() < limits.call_bound(),
        "{:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() >= limits.timeout,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn a_stalled_reply_times_out_and_an_oversize_one_hits_the_cap() {
    let mock = MockProvider::start_with(Limits {
        timeout: Duration::from_millis(200),
        max_body_bytes: 1024,
    })
    .await;
    let endpoint = MockEndpoint::get("/big", json!({"access_token": "t", "token_type": "bearer"}));
    mock.mount(Route::get("/stall"), reply::stall()).await;
    mock.mount(endpoint.route.clone(), endpoint.oversize_reply(1024))
        .await;
    let ctx = mock.context();

    let err = get(&ctx, "https://provider.example/stall")
        .await
        .expect_err("stalls");
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable());

    let err = get(&ctx, "https://provider.example/big")
        .await
        .expect_err("too big");
    assert_eq!(err.code(), ErrorCode::InvalidResponse, "{err}");
}

#[tokio::test]
async fn derived_replies_keep_the_success_body_shape() {
    let mock = MockProvider::start().await;
    let endpoint = MockEndpoint::get("/t", json!({"access_token": "abc", "openid": "o"}))
        .with_content_type("text/plain");
    mock.mount_success(&endpoint).await;
    mock.mount(Route::get("/cut"), endpoint.truncated_reply())
        .await;
    let ctx = mock.context();

    let ok = get(&ctx, "https://provider.example/t").await.expect("ok");
    assert_eq!(ok.header("content-type"), Some("text/plain"));
    assert_eq!(ok.json::<serde_json::Value>().expect("json")["openid"], "o");

    let cut = get(&ctx, "https://provider.example/cut")
        .await
        .expect("cut");
    let err = cut.json::<serde_json::Value>().expect_err("truncated");
    assert_eq!(err.code(), ErrorCode::InvalidResponse);
    assert!(err.message().contains("truncated JSON"), "{err}");
}
