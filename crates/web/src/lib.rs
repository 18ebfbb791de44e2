//! The HTTP face of antirelou (actix-web). Its modules import each other one
//! way, from the serving code down to the leaves:
//!
//! - [`Application`] (startup.rs): binds the listeners (port 0 in tests),
//!   starts the [`AppData`] and the pollers, runs until SIGTERM/SIGINT, then
//!   flushes the ledger; [`routes`] is every route. Start here.
//! - `routes/webhooks/`: one file per provider with a webhook (Twilio,
//!   Vonage, Plivo), each only what is its provider's own: read, parse,
//!   verify with the routed tenant's secrets, answer in its format.
//! - `routes/admin/`: the `/v1/` admin API (tenant and operator bearer
//!   tokens), described by its OpenAPI document (`/v1/openapi.json`);
//!   `routes/health.rs`: `/healthz`, `/readyz` (ledger and pollers), `/metrics`.
//! - [`console`]: the collective's console at `/console/` (server-rendered
//!   pages, signed session cookies, CSRF, French and English), with its own
//!   [`ConsoleState`](console::ConsoleState).
//! - [`AppState`] (state.rs): what every handler shares, and how it starts
//!   (metrics, the number engine, the runtime controls, alert delivery).
//! - [`reload`]: `POST /v1/reload` and `SIGHUP`: re-read, validate and
//!   apply the configuration file (what needs a restart is reported).
//! - [`pollers`]: providers we poll (OVHcloud), one lease-holding poller per number.
//! - `reassembly.rs`: long Vonage SMS, part by part, decided once.
//! - [`intake`]: the one way every inbound message reaches the engine
//!   (route among the provider's tenants, decide, count a refusal); the
//!   webhooks, the pollers and the reassembly all go through it.
//! - `settlement.rs`: an answered call settled at its real duration when
//!   its provider reports its end (the call-end routes, bounded, counted).
//! - `donations.rs`: each tenant's accounts at the donation platforms and
//!   `antirelou_donations_total`; `routes/webhooks/donations.rs` their
//!   notification routes (a donation never reaches the engine: no intake).
//! - `send_apis.rs`: each tenant's provider send client, from its settings.
//! - `alert_delivery.rs`: POSTs the alerts the engine emits to each tenant's `alert_webhook`.
//! - `http_server.rs`: one actix server for every listener, with the
//!   connection limits (`max_connections` shared out between workers, under
//!   the open-file limit); `listeners.rs`: `server.listen`, `admin_listen`,
//!   `metrics_listen`, and which paths each serves; `connections.rs`: the
//!   per-IP limit on accepted sockets, the connection metrics, the stream
//!   every connection is served through; `request_deadline.rs`: a request's
//!   head and body must arrive within `request_timeout_ms` of its first byte;
//!   `write_deadline.rs`: an answer the client stops reading is cut after
//!   `write_timeout_ms`; `client_address.rs`: the address every
//!   per-address limit counts (IPv6 by /64).
//! - [`token_guard`]: wrong bearer tokens (API and sign-in), limited per
//!   client address and per token prefix.
//! - `body.rs`: reading a body (limit, deadline); the JSON extractor's config.
//! - [`Rejection`] (error.rs): a refused webhook; [`status_of`] is the one
//!   mapping from a `RejectReason` to its status code.

mod alert_delivery;
mod body;
mod client_address;
mod connections;
pub mod console;
mod donations;
mod error;
mod http_server;
pub mod intake;
mod listeners;
pub mod pollers;
mod reassembly;
pub mod reload;
mod request_deadline;
mod routes;
mod send_apis;
pub mod settlement;
mod startup;
mod state;
pub mod token_guard;
mod write_deadline;

pub use body::WEBHOOK_BODY_LIMIT_BYTES;
pub use body::{BodyError, JSON_BODY_LIMIT_BYTES};
pub use connections::{CONNECTIONS_MAX, CONNECTIONS_OPEN, CONNECTIONS_REFUSED_TOTAL, REQUESTS_TIMED_OUT_TOTAL};
pub use donations::DONATIONS_TOTAL;
pub use error::{status_of, Rejection};
pub use http_server::{FILES_RESERVED, KEEP_ALIVE};
pub use listeners::{BindError, Listener};
pub use reassembly::{Reassembly, PART_ONE_WAIT_MS};
pub use routes::admin::openapi::{document_json as openapi_json, endpoint_table as openapi_endpoint_table};
pub use routes::admin::tenants::not_prepaid;
pub use routes::admin::Caller;
pub use routes::webhooks::DECISION_HEADER;
pub use startup::{routes, AppData, Application, StartupError};
pub use state::{AppHooks, AppState, StateError};
