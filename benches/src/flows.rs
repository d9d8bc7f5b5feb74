//! Our side: connectors created through the registry, flows started with `authorization_url`, and
//! a runner that drives many flows at a given concurrency.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connector_core::{
    AuthorizationRequest, CallbackParams, ConnectorContext, ConnectorRegistry, FlowState,
    SocialConnector,
};

use crate::bare::{BareFlow, BareInput};
use crate::fixtures::{self, CODE, REDIRECT_URI};
use crate::mock::{MockProvider, RecordedRequest};

/// A registry with our four connectors, as a server builds it at start-up.
pub fn registry() -> ConnectorRegistry {
    let mut registry = ConnectorRegistry::new();
    registry
        .register(connector_github::GithubFactory)
        .expect("register GitHub");
    registry
        .register(connector_huggingface::HuggingFaceFactory)
        .expect("register Hugging Face");
    registry
        .register(connector_wechat_web::WechatWebFactory)
        .expect("register WeChat");
    registry
        .register(connector_smtp::SmtpFactory::new())
        .expect("register SMTP");
    registry
}

/// The factory id of a provider's short name (`github` → `github-universal`).
pub fn factory_id(provider: &str) -> &'static str {
    match provider {
        "github" => connector_github::FACTORY_ID,
        "huggingface" => connector_huggingface::FACTORY_ID,
        "wechat-web" => connector_wechat_web::FACTORY_ID,
        "smtp" | "smtp-shared-templates" => connector_smtp::FACTORY_ID,
        other => panic!("unknown provider `{other}`"),
    }
}

/// Tenant 0's connector of `provider`, created in `ctx`.
pub fn social_connector(
    registry: &ConnectorRegistry,
    provider: &str,
    ctx: &ConnectorContext,
) -> Arc<dyn SocialConnector> {
    registry
        .create(
            factory_id(provider),
            fixtures::social_config(provider, 0),
            ctx,
        )
        .and_then(|connector| connector.into_social())
        .expect("tenant 0's social connector")
}

/// What `user_info` needs: the callback as the browser brings it, and the flow the server kept.
#[derive(Debug, Clone)]
pub struct FlowInput {
    /// The callback (`code` and the right `state`).
    pub callback: CallbackParams,
    /// The flow `authorization_url` started.
    pub flow: FlowState,
}

/// Starts `n` sign-ins (no I/O) and builds their callbacks.
pub async fn prepare(connector: &dyn SocialConnector, n: u64) -> Vec<FlowInput> {
    let mut inputs = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    for _ in 0..n {
        let start = connector
            .authorization_url(AuthorizationRequest::new(REDIRECT_URI))
            .await
            .expect("authorization URL");
        let callback = CallbackParams::from_map([("code", CODE), ("state", &start.flow.state)]);
        inputs.push(FlowInput {
            callback,
            flow: start.flow,
        });
    }
    inputs
}

/// Runs `work` as a task of the current runtime and waits for it.
///
/// Flow inputs are built this way, on the runtime's worker thread that will consume them, as a
/// server parses a callback on the thread that handles it. Built on the benchmark's own thread
/// instead, every input would be freed across threads (glibc arenas), a cost a server never pays
/// and that would fall mostly on the side whose inputs allocate more.
pub async fn on_worker<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    tokio::spawn(work).await.expect("a benchmark task panicked")
}

/// Runs one task per share of `inputs` (`concurrency` tasks, each doing its flows one after the
/// other) on the current runtime and returns the wall time from the first spawn to the last
/// completion.
pub async fn run_concurrently<T, F, Fut>(inputs: Vec<T>, concurrency: usize, each: F) -> Duration
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let shares = split(inputs, concurrency);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for share in shares {
        let each = each.clone();
        tasks.spawn(async move {
            for input in share {
                each(input).await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a benchmark task panicked");
    }
    started.elapsed()
}

/// `items` dealt into at most `parts` non-empty shares of nearly equal size.
pub fn split<T>(items: Vec<T>, parts: usize) -> Vec<Vec<T>> {
    let parts = parts.clamp(1, items.len().max(1));
    let mut shares: Vec<Vec<T>> = (0..parts)
        .map(|_| Vec::with_capacity(items.len() / parts + 1))
        .collect();
    for (i, item) in items.into_iter().enumerate() {
        shares[i % parts].push(item);
    }
    shares.retain(|share| !share.is_empty());
    shares
}

/// `n` of our sign-ins at `concurrency` (flows started outside the measured time); the wall time.
pub async fn ours_round(ours: &Arc<dyn SocialConnector>, n: u64, concurrency: usize) -> Duration {
    let inputs = on_worker({
        let ours = Arc::clone(ours);
        async move { prepare(ours.as_ref(), n).await }
    })
    .await;
    let ours = Arc::clone(ours);
    run_concurrently(inputs, concurrency, move |input: FlowInput| {
        let ours = Arc::clone(&ours);
        async move {
            let user = ours
                .user_info(input.callback, &input.flow)
                .await
                .expect("our sign-in");
            std::hint::black_box(user);
        }
    })
    .await
}

/// `n` bare sign-ins at `concurrency`, with flows started by our connector outside the measured
/// time (same state and PKCE verifier); the wall time.
pub async fn bare_round(
    ours: &Arc<dyn SocialConnector>,
    theirs: &Arc<BareFlow>,
    n: u64,
    concurrency: usize,
) -> Duration {
    let inputs: Vec<BareInput> = on_worker({
        let ours = Arc::clone(ours);
        async move {
            prepare(ours.as_ref(), n)
                .await
                .iter()
                .map(|input| BareInput::from_flow(&input.flow))
                .collect()
        }
    })
    .await;
    let theirs = Arc::clone(theirs);
    run_concurrently(inputs, concurrency, move |input: BareInput| {
        let theirs = Arc::clone(&theirs);
        async move {
            let user = theirs.sign_in(&input).await.expect("bare sign-in");
            std::hint::black_box(user);
        }
    })
    .await
}

/// Runs one flow of each side with the mock recording, and panics unless the bare baseline sent
/// the requests our connector sent: methods, paths, queries, headers (in any order) and bodies.
pub async fn assert_same_requests(
    mock: &MockProvider,
    provider: &str,
    ours: &Arc<dyn SocialConnector>,
    theirs: &BareFlow,
) {
    let input = prepare(ours.as_ref(), 1).await.pop().expect("one flow");
    mock.record();
    ours.user_info(input.callback.clone(), &input.flow)
        .await
        .expect("our sign-in");
    let our_requests = normalized(mock.take_recorded());
    mock.record();
    theirs
        .sign_in(&BareInput::from_flow(&input.flow))
        .await
        .expect("bare sign-in");
    let bare_requests = normalized(mock.take_recorded());
    let expected = if provider == "github" { 3 } else { 2 };
    assert_eq!(
        our_requests.len(),
        expected,
        "{provider}: {our_requests:#?}"
    );
    assert_eq!(
        our_requests, bare_requests,
        "{provider}: the bare baseline must send the requests our connector sends"
    );
}

/// Header order is not part of HTTP's semantics; everything else is compared as sent.
fn normalized(mut requests: Vec<RecordedRequest>) -> Vec<RecordedRequest> {
    for request in &mut requests {
        request.headers.sort();
    }
    requests
}
