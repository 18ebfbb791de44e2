//! The HTTP face of antirelou (actix-web).
//!
//! - [`Application`] (startup.rs): builds the server on a port (0 in tests),
//!   starts the number engine, runs until SIGTERM/SIGINT, then flushes the ledger.
//! - `routes/twilio.rs`: `POST /webhooks/twilio` — route by `To`, verify the
//!   signature with that tenant's token, check `AccountSid`, decide, answer TwiML.
//! - `routes/health.rs`: `/healthz`, `/readyz`, `/metrics`.
//! - `routes/admin.rs`: the `/v1/` admin API (tenant and operator bearer tokens).
//! - `send_apis.rs`: each tenant's provider send client, from its settings.
//! - `alert_delivery.rs`: POSTs the alerts the engine emits to each tenant's `alert_webhook`.
//! - [`WebhookRejection`] (error.rs): webhook errors and their status codes.

mod alert_delivery;
mod error;
mod routes;
mod send_apis;
mod startup;

pub use error::WebhookRejection;
pub use startup::{routes, AppHooks, AppState, Application, StartupError, WEBHOOK_BODY_LIMIT_BYTES};
