//! The messages a [`NumberActor`](crate::NumberActor) handles.

use std::sync::Arc;

use actix::Message;
use antirelou_domain::{Outcome, SenderKey};
use antirelou_ledger::{BudgetScope, LedgerEvent};

use crate::policy::NumberPolicy;
use tokio::sync::oneshot;

/// What happened to an inbound SMS and what, if anything, to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    /// The reply text (for a call, what is said), when one is (or was,
    /// for a duplicate) paid for.
    pub reply: Option<Arc<str>>,
}

impl Decision {
    pub fn silent(outcome: Outcome) -> Decision {
        Decision { outcome, reply: None }
    }
}

/// How a sender reached the number: both are decided by the same rules,
/// in the same ledger and caps, with one answer per sender whichever
/// channel asks first (docs/behaviour.md, "Calls").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// An SMS: answered with the reply text (inline or through the send API).
    Sms,
    /// A call: answered with the `voice.say` message, its cost reserved
    /// first; never STOP, never deferred, never sent through the send API.
    Call,
}

/// One verified inbound SMS or call. The decision comes back on `reply_to`, so the
/// caller can use `try_send` (shed at once when the mailbox is full) and
/// still await the answer with a timeout.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Inbound {
    pub message_id: Arc<str>,
    pub sender: SenderKey,
    /// The sender's number in clear, used only for the phone-number and
    /// country checks; never stored or logged.
    pub sender_phone: String,
    /// The text, read only for the STOP keywords (and, in shield mode, a
    /// keyed fingerprint); never stored or logged. Empty for a call.
    pub body: String,
    pub channel: Channel,
    pub reply_to: oneshot::Sender<Decision>,
}

/// Pauses (`true`) or resumes (`false`) the number.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetPaused(pub bool);

/// New rules for the number (a reload or a runtime change).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetPolicy(pub Arc<NumberPolicy>);

/// A new send API for the number (a reload changed its provider's credentials).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetSendApi(pub Option<Arc<dyn antirelou_providers::SendApi>>);

/// A budget or shield change recorded by the ledger (any process or replica).
#[derive(Message)]
#[rtype(result = "()")]
pub struct LedgerChanged(pub LedgerEvent);

/// Runs the actor's periodic work once, at the clock's current time:
/// inbound charges, the shield's end, deferred judgements. Resolves when
/// the ledger and provider calls it started have finished.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Tick;

/// Applies the arrivals the HTTP workers answered from the number's
/// published view (`number/published.rs`); sent when their queue was empty.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DrainAnswered;

/// Records the inbound charges accumulated so far (graceful shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct FlushInbound;

/// Asks for the actor's current state.
#[derive(Message)]
#[rtype(result = "NumberSnapshot")]
pub struct Snapshot;

/// A view of one number's actor, for the admin API and tests.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NumberSnapshot {
    pub tenant: String,
    pub number: String,
    pub paused: bool,
    pub shield_until_seconds: Option<i64>,
    pub budget_exhausted: Option<BudgetScope>,
    pub cached_senders: usize,
    /// Senders this replica believes are pending a judgement.
    pub deferred_here: usize,
    pub ledger_calls_in_flight: usize,
    pub restarts: u32,
}

/// Makes the actor panic inside a handler (supervision tests only).
#[cfg(feature = "testing")]
#[derive(Message)]
#[rtype(result = "()")]
pub struct Crash;
