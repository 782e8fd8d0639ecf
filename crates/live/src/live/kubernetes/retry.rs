//! Requests that outlast an API server restart. A request that cannot connect, or that a
//! server answers with 5xx or 429, is tried again for up to [`PATIENCE`]; so is a 403 from a
//! server that is not ready yet (a restarting kube-apiserver serves before its authorizer has
//! loaded the roles, and refuses everyone meanwhile). A 403 from a ready server is a refusal.

use std::future::Future;
use std::time::Duration;

use kube::Client;

/// How long a restart may take before a request gives up.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Runs `op` until it succeeds, fails for good, or [`PATIENCE`] has passed.
pub async fn retried<T, F, Fut>(client: &Client, mut op: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let until = tokio::time::Instant::now() + PATIENCE;
    let mut pause = Duration::from_millis(100);
    loop {
        match op().await {
            Err(e) if tokio::time::Instant::now() < until && transient(client, &e).await => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            done => return done,
        }
    }
}

async fn transient(client: &Client, e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) if s.code == 403 => !ready(client).await,
        kube::Error::Api(s) => s.code >= 500 || s.code == 429,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// Whether the server says it is ready (`/readyz` is open to every identity).
pub async fn ready(client: &Client) -> bool {
    let req = http::Request::get("/readyz")
        .body(Vec::new())
        .expect("a static request");
    client
        .request_text(req)
        .await
        .is_ok_and(|t| t.trim() == "ok")
}

/// A 409 from a create: the name is taken, by an earlier try of the same request or by
/// another.
pub fn conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

pub fn not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// How a watch reconnects after its stream breaks: at once, then every second at most. The
/// library's default backs off to 30 s, which after a restart of a few seconds leaves a
/// migration unwatched for longer than it takes; one API server on loopback can take a
/// reconnect a second from each agent.
#[derive(Default)]
pub struct Reconnect {
    next: Duration,
}

impl Iterator for Reconnect {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let now = self.next;
        self.next = (now * 2).clamp(Duration::from_millis(100), Duration::from_secs(1));
        Some(now)
    }
}

impl kube::runtime::utils::Backoff for Reconnect {
    fn reset(&mut self) {
        self.next = Duration::ZERO;
    }
}
