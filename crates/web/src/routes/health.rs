//! Liveness, readiness and metrics.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use prometheus::{Encoder, TextEncoder};

use crate::startup::AppState;

const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// `GET /readyz`: config loaded and the ledger answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ledger = state.registry.ledger();
    let reachable = matches!(tokio::time::timeout(READY_TIMEOUT, ledger.ping()).await, Ok(Ok(())));
    let body = serde_json::json!({
        "status": if reachable { "ready" } else { "not_ready" },
        "numbers": state.registry.numbers().count(),
        "ledger": { "backend": ledger.backend(), "reachable": reachable },
    });
    if reachable {
        state.registry.metrics().ledger_up.set(1.0);
        HttpResponse::Ok().json(body)
    } else {
        state.registry.metrics().ledger_up.set(0.0);
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// `GET /metrics`: Prometheus text format from this application's own registry.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut buffer = Vec::with_capacity(16 * 1024);
    match TextEncoder::new().encode(&state.prometheus.gather(), &mut buffer) {
        Ok(()) => HttpResponse::Ok().content_type(prometheus::TEXT_FORMAT).body(buffer),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}
