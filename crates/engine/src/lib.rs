//! The number engine: one actix actor per configured phone number.
//!
//! - [`NumberRegistry`] (registry.rs): builds the actors from settings over a
//!   few arbiters, routes an inbound SMS by number, sheds load with bounded
//!   mailboxes and a decision timeout, forwards ledger events.
//! - [`NumberActor`] (number_actor.rs): owns one number's policy, local rate
//!   limiter, caches and shield state; decides in memory when it can and asks
//!   the [`Ledger`](antirelou_ledger::Ledger) only for candidate replies.
//! - [`messages`]: what actors are sent.
//! - [`policy`]: a number's rules, resolved from settings.
//! - [`metrics`]: every Prometheus family.
//! - [`alerts`]: shield alerts POSTed to a tenant's `alert_webhook`.
//!
//! Start with `NumberActor::decide_locally`.

pub mod alerts;
mod caches;
pub mod messages;
pub mod metrics;
mod number_actor;
pub mod number_series;
pub mod policy;
mod registry;

pub use messages::{Decision, NumberSnapshot};
pub use metrics::Metrics;
pub use number_actor::NumberActor;
pub use policy::{NumberPolicy, TenantRoute};
pub use registry::{EngineOptions, NumberHandle, NumberRegistry};
