//! The HTTP face of antirelou (actix-web).
//!
//! - [`Application`] (startup.rs): binds the listeners (port 0 in tests),
//!   starts the number engine, runs until SIGTERM/SIGINT, then flushes the ledger.
//! - `listeners.rs`: `server.listen`, `admin_listen`, `metrics_listen`, and
//!   which paths each serves.
//! - `http_server.rs`: one actix server for every listener, with the
//!   connection limits (`max_connections` shared out between workers, under
//!   the open-file limit).
//! - `connections.rs`: the per-IP limit on accepted sockets, the connection
//!   metrics, the stream every connection is served through.
//! - `request_deadline.rs`: a request's head and body must arrive within
//!   `request_timeout_ms` of its first byte.
//! - `body.rs`: reading a body (limit, deadline); the JSON extractor's config.
//! - `routes/webhooks/`: one file per provider with a webhook (Twilio,
//!   Vonage, Plivo): route by our number among that provider's tenants,
//!   verify with that tenant's secrets, decide, answer in the provider's
//!   format; `mod.rs` holds what they share (body limit, rejection counting).
//! - [`pollers`]: providers we poll (OVHcloud), one lease-holding poller per number.
//! - `reassembly.rs`: long Vonage SMS, part by part, decided once.
//! - `routes/health.rs`: `/healthz`, `/readyz` (ledger and pollers), `/metrics`.
//! - `routes/admin/`: the `/v1/` admin API (tenant and operator bearer
//!   tokens), described by its OpenAPI document (`/v1/openapi.json`).
//! - [`console`]: the collective's console at `/console/` (server-rendered
//!   pages, signed session cookies, CSRF, French and English).
//! - `send_apis.rs`: each tenant's provider send client, from its settings.
//! - [`reload`]: `POST /v1/reload` and `SIGHUP`: re-read, validate and
//!   apply the configuration file (what needs a restart is reported).
//! - `alert_delivery.rs`: POSTs the alerts the engine emits to each tenant's `alert_webhook`.
//! - [`Rejection`] (error.rs): a refused webhook; [`status_of`] is the one
//!   mapping from a `RejectReason` to its status code.

mod alert_delivery;
mod body;
mod connections;
pub mod console;
mod error;
mod http_server;
mod listeners;
pub mod pollers;
mod reassembly;
pub mod reload;
mod request_deadline;
mod routes;
mod send_apis;
mod startup;

pub use body::{BodyError, JSON_BODY_LIMIT_BYTES};
pub use connections::{CONNECTIONS_MAX, CONNECTIONS_OPEN, CONNECTIONS_REFUSED_TOTAL, REQUESTS_TIMED_OUT_TOTAL};
pub use error::{status_of, Rejection};
pub use http_server::{FILES_RESERVED, KEEP_ALIVE};
pub use listeners::{BindError, Listener};
pub use reassembly::{Reassembly, PART_ONE_WAIT_MS};
pub use routes::admin::openapi::{document_json as openapi_json, endpoint_table as openapi_endpoint_table};
pub use routes::admin::Caller;
pub use startup::{routes, AppHooks, AppState, Application, StartupError, WEBHOOK_BODY_LIMIT_BYTES};
