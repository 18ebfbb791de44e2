//! One number: its rules as a plain value, and the actor that runs them.
//!
//! - [`state`]: [`NumberState`], every rule of the decision, no actix, no IO;
//!   unit-tested on a `ManualClock` (`state_tests.rs`). Start here.
//! - [`actor`]: [`NumberActor`], the mailbox, the ledger calls, the timers.
//! - [`judge`]: the deferred judgement and the pacing of its money, pure;
//!   [`judge_round`]: one round of judgements over the ledger and the send API.
//! - [`baseline`]: [`baseline::BaselineTracker`], the number's ordinary day
//!   and whether it is under pressure (which shields it like a surge).
//! - [`caches`]: the bounded sender, message-id and judgement caches.
//! - [`limiter`]: the local reply-rate limiter on our clock.
//! - [`incident`]: the number's record of an incident (counters, and the
//!   notebook whose flooders and blocked senders are sealed for evidence).
//! - [`inbound_charges`]: the provider's charge per received SMS, batched by message id.
//! - [`published`]: what the actor publishes for the HTTP workers to answer
//!   the flood without a message to it, and the queue of what they answered.

pub mod actor;
pub mod baseline;
pub mod caches;
pub mod inbound_charges;
pub mod incident;
pub mod judge;
pub mod judge_round;
pub mod limiter;
pub mod published;
pub mod state;

pub use actor::{ActorDeps, NumberActor};
pub use state::{Arrival, NumberState, Step};
