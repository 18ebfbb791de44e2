//! The number engine: one actix actor per configured phone number.
//!
//! - [`number`]: one number. [`NumberState`](number::NumberState) holds every
//!   rule of the decision as a plain, unit-tested value; [`NumberActor`] moves
//!   messages, calls the ledger and runs the timers. Start with
//!   `number::state`.
//! - [`NumberRegistry`] (registry.rs): builds the actors from settings over a
//!   few arbiters, routes an inbound SMS by number, sheds load with bounded
//!   mailboxes and a decision timeout, forwards ledger events.
//! - [`NumberHandle`] (handle.rs): one served number as the web layer and
//!   the day counters see it.
//! - [`control`]: runtime controls (pause, overrides, blocklists) stored
//!   in the ledger, applied on every replica ([`Controls`]).
//! - [`messages`]: what actors are sent.
//! - [`policy`]: a number's rules, resolved from settings.
//! - [`options`]: the engine's tuning.
//! - [`metrics`]: every Prometheus family of the engine.
//! - [`alerts`]: alerts the engine emits (delivery is the caller's).
//! - [`budget_alerts`]: 50/80/100 % of each cap, claimed once in the ledger.
//! - [`evidence`]: an incident's evidence bundle, read from the ledger.
//! - [`health`]: each number's health (`answering` … `failing`), its
//!   reasons in words, and the [`HealthReporter`](health::HealthReporter) of observations.
//! - [`stats`]: per-day decision and spend counters written to the ledger.
//!
//! Imports go one way: `control` uses the registry; the registry uses
//! `stats`, `handle` and `number`; nothing below imports back.
//!
//! The engine knows no HTTP: it emits alerts into an [`AlertOutbox`] and
//! calls providers only through their `SendApi` trait.

pub mod alerts;
pub mod budget_alerts;
pub mod control;
pub mod evidence;
mod handle;
pub mod health;
pub mod messages;
pub mod metrics;
pub mod number;
pub mod options;
pub mod policy;
mod registry;
pub mod stats;

pub use alerts::{Alert, AlertKind, AlertOutbox};
pub use control::{ControlError, ControlMetrics, Controls, NumberControls};
pub use handle::NumberHandle;
pub use messages::{Channel, Decision, NumberSnapshot};
pub use metrics::Metrics;
pub use number::NumberActor;
pub use options::EngineOptions;
pub use policy::{NumberPolicy, TenantRoute, VoicePolicy};
pub use registry::{NumberRegistry, RouteChanges, SendApis, Wiring};
