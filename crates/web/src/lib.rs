//! The HTTP face of antirelou (actix-web).
//!
//! - [`Application`] (startup.rs): builds the server on a port (0 in tests),
//!   starts the number engine, runs until SIGTERM/SIGINT, then flushes the ledger.
//! - `routes/webhooks/`: one file per provider with a webhook (Twilio,
//!   Vonage, Plivo): route by our number among that provider's tenants,
//!   verify with that tenant's secrets, decide, answer in the provider's
//!   format; `mod.rs` holds what they share (body limit, rejection counting).
//! - [`pollers`]: providers we poll (OVHcloud), one lease-holding poller per number.
//! - `reassembly.rs`: long Vonage SMS, part by part, decided once.
//! - `routes/health.rs`: `/healthz`, `/readyz` (ledger and pollers), `/metrics`.
//! - `routes/admin.rs`: the `/v1/` admin API (tenant and operator bearer tokens).
//! - `send_apis.rs`: each tenant's provider send client, from its settings.
//! - `alert_delivery.rs`: POSTs the alerts the engine emits to each tenant's `alert_webhook`.
//! - [`Rejection`] (error.rs): a refused webhook; [`status_of`] is the one
//!   mapping from a `RejectReason` to its status code.

mod alert_delivery;
mod error;
pub mod pollers;
mod reassembly;
mod routes;
mod send_apis;
mod startup;

pub use error::{status_of, Rejection};
pub use reassembly::{Reassembly, PART_ONE_WAIT_MS};
pub use startup::{routes, AppHooks, AppState, Application, StartupError, WEBHOOK_BODY_LIMIT_BYTES};
