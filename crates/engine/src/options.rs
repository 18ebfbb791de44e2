//! [`EngineOptions`]: the engine's tuning, from `[server]` settings.

use std::time::Duration;

use antirelou_settings::Settings;

/// Senders one number remembers in memory (LRU): a flood of a million
/// distinct senders costs ~40 MB per number at most (docs/benchmarks.md).
pub const SENDER_CACHE_CAPACITY: usize = 20_000;

/// Engine tuning, from `[server]` settings.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Messages an actor's mailbox holds before new ones are shed as `overloaded`.
    pub mailbox_capacity: usize,
    /// The longest a webhook waits for its decision.
    pub decision_timeout: Duration,
    /// The longest an actor waits for the ledger (shorter than the decision timeout).
    pub ledger_timeout: Duration,
    /// Ledger calls one actor may have pending before shedding.
    pub max_ledger_calls_in_flight: usize,
    /// Senders one number remembers in memory (LRU).
    pub sender_cache_capacity: usize,
    /// Arbiter threads for the actors (0: one per core).
    pub arbiters: usize,
    /// When true the actors run no timers of their own: whoever drives the
    /// clock calls [`NumberRegistry::tick`](crate::NumberRegistry::tick)
    /// (the simulator, on virtual time, for exact and reproducible runs).
    pub driven_timers: bool,
    /// This process's name in leases (unique per run: host, process and a random part).
    pub replica: String,
    /// The HTTP workers answer the silent local outcomes (repeat sender,
    /// blocked, paused, judged) from the number's published view, without
    /// a message to its actor (`number/published.rs`). Off only to compare
    /// both paths in tests.
    pub answer_on_workers: bool,
}

impl EngineOptions {
    pub fn from_settings(settings: &Settings) -> EngineOptions {
        let decision_timeout = Duration::from_millis(settings.server.decision_timeout_ms.max(10));
        EngineOptions {
            mailbox_capacity: settings.server.mailbox_capacity.max(1),
            decision_timeout,
            // The ledger must answer in time for the webhook to still get its answer.
            ledger_timeout: decision_timeout.mul_f64(0.8),
            max_ledger_calls_in_flight: settings.server.max_pending_ledger_calls.max(1),
            sender_cache_capacity: SENDER_CACHE_CAPACITY,
            arbiters: settings.server.arbiters,
            driven_timers: false,
            replica: replica_name(),
            answer_on_workers: true,
        }
    }
}

/// A name for this process, unique across replicas and restarts.
fn replica_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "antirelou".to_owned());
    format!("{host}/{}/{:08x}", std::process::id(), rand::random::<u32>())
}
