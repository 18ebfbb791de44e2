//! What a number's actor publishes so that the HTTP workers answer the
//! flood without a message to it, and how they hand it what they answered.
//!
//! The actor stays the only writer of its state: the [`View`] is read-only
//! access to its sender, message-id and judgement caches (`caches.rs`, each
//! behind a `RwLock` the actor writes), its pause flag and its policy. From
//! it a worker answers, at once and silently, the arrivals whose outcome
//! the rules decide without the ledger and without a reply
//! ([`View::outcome`]): a paused number, a blocked sender, a sender who
//! opted out, a repeat sender (a reply remembered), a sender whose
//! judgement is pending (`deferred`) or who a judgement dropped
//! (`shielded`). Anything else (a STOP, a message id seen before, a new
//! sender, a call) goes through the actor's mailbox as before; the ledger
//! still decides every payment, and nothing on this path pays.
//!
//! What such an answer changes (the surge window and the shield, the
//! baseline, the message-id cache, the messages a pending judgement weighs,
//! the provider's inbound charge, the incident notebook, the outcome
//! counters) is applied by the actor, exactly as if it had decided: the
//! worker pushes a [`FastArrival`] into a bounded hand-off queue and wakes
//! the actor only when the queue was empty, so a flood costs one wake-up
//! per batch, not one per message. The actor drains the queue before any
//! other message (`actor/fast.rs`), so a decision in the mailbox always
//! sees the arrivals answered before it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use antirelou_domain::{is_e164, is_opt_out, Outcome, PhoneNumber, SenderKey};
use antirelou_settings::AllowedCountries;
use arc_swap::{ArcSwap, ArcSwapOption};

use super::caches::{MarksView, MessageView, SenderMemory, SenderView};
use crate::policy::NumberPolicy;

/// Read-only access to one run of a number's state.
pub struct View {
    senders: SenderView,
    messages: MessageView,
    deferred: MarksView,
    dropped: MarksView,
    paused: AtomicBool,
    policy: ArcSwap<NumberPolicy>,
}

/// One SMS a worker answered from the [`View`], for the actor to apply.
pub struct FastArrival {
    pub message_id: Arc<str>,
    pub sender: SenderKey,
    /// Never stored or logged (the incident notebook seals it).
    pub sender_phone: String,
    /// Never stored or logged (the incident notebook keeps a fingerprint).
    pub body: String,
    /// What the worker answered (silently).
    pub outcome: Outcome,
    /// When the worker answered: the actor applies the arrival at this
    /// instant, as it would have decided it then (the clock may have moved).
    pub at_micros: i64,
}

impl View {
    pub(crate) fn new(
        senders: SenderView,
        messages: MessageView,
        deferred: MarksView,
        dropped: MarksView,
        paused: bool,
        policy: Arc<NumberPolicy>,
    ) -> View {
        View { senders, messages, deferred, dropped, paused: AtomicBool::new(paused), policy: ArcSwap::new(policy) }
    }

    pub(crate) fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
    }

    pub(crate) fn set_policy(&self, policy: Arc<NumberPolicy>) {
        self.policy.store(policy);
    }

    /// The outcome of an SMS when the rules decide it silently and without
    /// the ledger, in the order `NumberState::decide` applies them; `None`
    /// when only the actor may decide.
    pub fn outcome(
        &self,
        message_id: &str,
        sender: &SenderKey,
        sender_phone: &str,
        body: &str,
        now_micros: i64,
    ) -> Option<Outcome> {
        if is_opt_out(body) {
            return None;
        }
        if self.paused.load(Ordering::SeqCst) {
            return Some(Outcome::Paused);
        }
        let policy = self.policy.load();
        if policy.blocklist.contains(sender) {
            return Some(Outcome::Blocked);
        }
        if self.messages.knows(message_id) {
            // A retry or a replay: its first answer may have carried a reply.
            return None;
        }
        let memory = self.senders.recall(sender, now_micros);
        if memory == SenderMemory::OptedOut {
            return Some(Outcome::OptedOut);
        }
        if !is_e164(sender_phone.trim()) {
            return None;
        }
        if let SenderMemory::AnsweredUntil(_) = memory {
            return Some(Outcome::RepeatSender);
        }
        let country_ok = match &policy.allowed_countries {
            AllowedCountries::Any => true,
            allowed => allowed.allows(PhoneNumber::parse(sender_phone).ok().as_ref().and_then(PhoneNumber::country)),
        };
        if !country_ok {
            return None;
        }
        if self.deferred.holds(sender, now_micros) {
            return Some(Outcome::Deferred);
        }
        if self.dropped.holds(sender, now_micros) {
            return Some(Outcome::Shielded);
        }
        None
    }
}

/// What one number's actor publishes, and the queue of what workers
/// answered from it. Lives as long as the actor's address (a restart
/// publishes its fresh state's view here).
pub struct Published {
    view: ArcSwapOption<View>,
    queue: Mutex<Vec<FastArrival>>,
    /// Arrivals the queue holds at most; beyond, workers use the mailbox.
    capacity: usize,
    /// Whether workers may answer from the view at all.
    enabled: bool,
    /// Arrivals answered from the view since the start.
    answered: AtomicU64,
}

impl Published {
    pub fn new(capacity: usize, enabled: bool) -> Published {
        Published {
            view: ArcSwapOption::empty(),
            queue: Mutex::new(Vec::new()),
            capacity: capacity.max(1),
            enabled,
            answered: AtomicU64::new(0),
        }
    }

    /// Publishes a run's view (a start, or a restart after a panic).
    pub(crate) fn publish(&self, view: Arc<View>) {
        self.view.store(Some(view));
    }

    /// [`View::outcome`] of the published view, when workers may answer.
    pub fn outcome(
        &self,
        message_id: &str,
        sender: &SenderKey,
        sender_phone: &str,
        body: &str,
        now_micros: i64,
    ) -> Option<Outcome> {
        if !self.enabled {
            return None;
        }
        self.view.load().as_ref()?.outcome(message_id, sender, sender_phone, body, now_micros)
    }

    /// Queues an answered arrival for the actor: `Ok(true)` when the queue
    /// was empty (the caller wakes the actor), `Err` when it is full (the
    /// caller decides through the mailbox instead).
    pub fn hand_off(&self, arrival: FastArrival) -> Result<bool, FastArrival> {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.len() >= self.capacity {
            return Err(arrival);
        }
        queue.push(arrival);
        self.answered.fetch_add(1, Ordering::Relaxed);
        Ok(queue.len() == 1)
    }

    /// Arrivals answered from the view since the start.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Moves the queued arrivals into `into` (empty), in their order.
    pub(crate) fn take(&self, into: &mut Vec<FastArrival>) {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::swap(&mut *queue, into);
    }
}
