//! The deferred queue: in shield mode a new sender's reply is a *deferred
//! reply*, judged later (docs/shield.md). The queue lives in the ledger backend so a
//! restart loses no judgement and, with several replicas, exactly one
//! sends each reply: the debit of a deferred reply is the ordinary atomic
//! decision, which also moves the sender's item from `pending` to `sending`
//! (only from `pending`), so an item is paid and sent at most once.
//!
//! The sender's number is kept sealed (AES-256-GCM, done by the engine)
//! only until the judgement ends, and never longer than its expiry plus
//! [`ITEM_MARGIN_SECONDS`]. Text and number fingerprints are keyed hashes
//! counted per hour ("marks"), never the text or the number.

use std::sync::Arc;

use antirelou_domain::SenderKey;
use async_trait::async_trait;

use crate::LedgerError;

/// A sealed phone outlives its deferred reply's end by at most this long
/// (the backend's own expiry, for when no replica judges it).
pub const ITEM_MARGIN_SECONDS: i64 = 15 * 60;

/// Marks (fingerprint counts) are kept per hour, for this long.
pub const MARKS_RETENTION_SECONDS: i64 = 2 * 3_600;

/// A deferred reply as it first arrives (what [`DeferredQueue::defer`] enqueues).
#[derive(Clone)]
pub struct DeferredArrival {
    pub tenant: Arc<str>,
    pub number: Arc<str>,
    pub sender: SenderKey,
    /// The provider message id of the first message: the dedupe key and
    /// the reference of the reply's entry.
    pub first_message_id: String,
    /// The sender's phone, sealed by the engine.
    pub sealed_sender: Vec<u8>,
    pub first_micros: i64,
    /// The pacing slot of the arrival (`first_micros / slot length`).
    pub slot: i64,
    /// Keyed fingerprint of the text (`None` when the text is too short to say anything).
    pub fingerprint: Option<u64>,
    /// Keyed fingerprint of the sender's block of numbers.
    pub block: u64,
    /// The judgement must end before this instant (`first + shield.defer_for`).
    pub expires_micros: i64,
    /// The number holds at most this many deferred replies; beyond, the
    /// sender is not deferred ([`Enqueued::Full`]), so a spoofed flood
    /// cannot grow the queue without bound.
    pub queue_limit: usize,
}

impl std::fmt::Debug for DeferredArrival {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeferredArrival")
            .field("number", &self.number)
            .field("slot", &self.slot)
            .field("first_micros", &self.first_micros)
            .finish_non_exhaustive()
    }
}

/// What [`DeferredQueue::defer`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// A new deferred reply, pending.
    New,
    /// The sender was already pending (another replica, or a retry): counted as one more message.
    Pending,
    /// The number's queue is full: not deferred.
    Full,
}

/// Where a deferred reply is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeferredState {
    /// Waiting for its judgement.
    Pending,
    /// Paid; the send was started (never started twice).
    Sending,
}

/// A deferred reply in the queue, with what the judge may use.
#[derive(Clone)]
pub struct DeferredReply {
    pub sender: SenderKey,
    pub tenant: String,
    pub first_message_id: String,
    pub sealed_sender: Vec<u8>,
    pub first_micros: i64,
    pub slot: i64,
    /// Messages from the sender since the first (that one included), across replicas.
    pub messages: u32,
    pub fingerprint: Option<u64>,
    pub block: u64,
    /// Distinct deferred senders whose text had this fingerprint, in the
    /// item's arrival hour and the hour before.
    pub fingerprint_senders: u32,
    /// Distinct deferred senders from this block, in the same hours.
    pub block_senders: u32,
    pub state: DeferredState,
    pub expires_micros: i64,
}

impl std::fmt::Debug for DeferredReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeferredReply")
            .field("slot", &self.slot)
            .field("messages", &self.messages)
            .field("fingerprint_senders", &self.fingerprint_senders)
            .field("block_senders", &self.block_senders)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The deferred queue: every number's deferred replies, shared by every replica.
#[async_trait]
pub trait DeferredQueue: Send + Sync {
    /// Enqueues a new deferred sender (and counts its fingerprint marks), or
    /// counts one more message of a sender already pending.
    async fn defer(&self, arrival: &DeferredArrival, now_micros: i64) -> Result<Enqueued, LedgerError>;

    /// Adds messages to pending senders (batched by each replica).
    async fn note_messages(
        &self,
        number: &str,
        senders: &[(SenderKey, u32)],
        now_micros: i64,
    ) -> Result<(), LedgerError>;

    /// Deferred replies of `number` (pending, or `sending` if a replica stopped
    /// mid-send) whose sender first wrote before `arrived_before_micros`,
    /// oldest first, at most `limit`.
    async fn deferred(
        &self,
        number: &str,
        arrived_before_micros: i64,
        now_micros: i64,
        limit: usize,
    ) -> Result<Vec<DeferredReply>, LedgerError>;

    /// Ends a deferred reply: the item and its sealed phone are deleted. With
    /// `refuse_until` = `(until_micros, now_micros)` (a flooder), the sender
    /// is also remembered until then like an answered one, so no replica
    /// answers them meanwhile.
    async fn finish_deferred(
        &self,
        number: &str,
        sender: &SenderKey,
        refuse_until: Option<(i64, i64)>,
    ) -> Result<(), LedgerError>;

    /// Deferred replies of `number` still queued (any slot).
    async fn deferred_count(&self, number: &str, now_micros: i64) -> Result<usize, LedgerError>;
}

/// Exclusive, expiring leases: one replica judges a number's queue, one
/// polls an OVHcloud number. Taken over when its holder stops renewing it.
#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes `name` for `holder` until `now + ttl`, or renews it if `holder`
    /// has it; `false` when another holder has it.
    async fn lease(&self, name: &str, holder: &str, ttl_ms: u64, now_micros: i64) -> Result<bool, LedgerError>;

    /// Gives `name` up if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), LedgerError>;
}

/// Pacing of deferred replies, carried by a [`ReplyRequest`](crate::ReplyRequest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    /// The arrival slot whose allowance pays this reply.
    pub slot: i64,
    /// Replies the slot may pay for, at most.
    pub slot_replies: u32,
}
