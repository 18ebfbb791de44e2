//! Liveness, readiness and metrics.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use antirelou_engine::metrics::number_series::FAMILIES;
use futures_util::{future, stream, StreamExt};
use prometheus::{Encoder, TextEncoder};

use crate::state::AppState;

const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// `GET /readyz`: config loaded and the ledger takes a write (a ledger that
/// answers reads but refuses writes, on a full or read-only disk or a Redis
/// out of memory, could not record a single reply), and, with a shared
/// ledger, no poller whose lease this replica holds keeps failing
/// (`pollers/health.rs`). The body lists every poller of this replica.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ledger = state.registry.ledger();
    let now = state.clock.now_micros();
    let writable = matches!(tokio::time::timeout(READY_TIMEOUT, ledger.probe_write(now)).await, Ok(Ok(())));
    let reachable = writable || matches!(tokio::time::timeout(READY_TIMEOUT, ledger.ping()).await, Ok(Ok(())));
    let pollers_ready = state.pollers.ready();
    let ready = writable && pollers_ready;
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "numbers": state.registry.numbers().len(),
        "ledger": { "backend": ledger.backend(), "reachable": reachable, "writable": writable },
        "pollers": { "ready": pollers_ready, "failing": state.pollers.failing(), "numbers": state.pollers.snapshot() },
    });
    state.registry.metrics().ledger_up.set(if writable { 1.0 } else { 0.0 });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Numbers written per chunk of a `/metrics` response.
const NUMBERS_PER_CHUNK: usize = 256;

/// `GET /metrics`: Prometheus text format. The application's own registry
/// (a few small families) first, then the per-number families streamed a
/// chunk of numbers at a time, so a scrape of 10,000 numbers (~250,000
/// series) holds one chunk in memory, not the whole page.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut head = Vec::with_capacity(16 * 1024);
    if let Err(error) = TextEncoder::new().encode(&state.prometheus.gather(), &mut head) {
        return HttpResponse::InternalServerError().body(error.to_string());
    }
    let series = state.registry.metrics().numbers.clone();
    let numbers = series.len();
    let chunks = (0..FAMILIES).flat_map(move |family| {
        (0..numbers.max(1))
            .step_by(NUMBERS_PER_CHUNK)
            .map(move |start| (family, start..(start + NUMBERS_PER_CHUNK).min(numbers)))
    });
    let body = stream::once(future::ready(Ok::<_, actix_web::Error>(web::Bytes::from(head)))).chain(
        stream::iter(chunks).map(move |(family, range)| {
            let mut text = String::with_capacity(range.len() * 1024 + 256);
            series.encode_text(family, range, &mut text);
            Ok(web::Bytes::from(text))
        }),
    );
    HttpResponse::Ok().content_type(prometheus::TEXT_FORMAT).streaming(body)
}
