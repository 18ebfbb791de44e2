//! [`NumberState`]: everything one number decides with, as a plain value.
//! No actix, no IO: the actor feeds it messages and ledger verdicts, and it
//! answers with a [`Step`] (decided here, or a request only the ledger can
//! answer). Its rules, in the order of docs/behaviour.md:
//!
//! paused → blocked → duplicate (message id) → opted out (this message is
//! STOP, or the sender sent it before) → not a phone → repeat sender →
//! country → judgement pending (`deferred`) → dropped by a judgement
//! (`shielded`) → in shield mode: budget known exhausted, else defer →
//! budget known exhausted → local reply rate → too many ledger calls
//! pending → ask the ledger.
//!
//! A call goes through the same rules (its call id is its message id),
//! but it is never a STOP, and in shield mode a new caller is `shielded`
//! (a call cannot wait for a judgement); the ledger is asked to reserve
//! the call's cost (`voice`), not a reply's.

use antirelou_domain::micros;
use std::sync::Arc;

use std::collections::HashMap;

use antirelou_domain::baseline::Pressure;
use antirelou_domain::shield::{ShieldState, ShieldTransition, SurgeTotals, SurgeWindow};
use antirelou_domain::{
    is_e164, is_opt_out, DeferredResult, Outcome, Periods, PhoneNumber, SenderHasher, SenderKey, SharedClock,
};
use antirelou_ledger::{BudgetScope, DeferredArrival, Enqueued, EntryKind, ReplyRequest, SpendTotals};
use antirelou_settings::AllowedCountries;

use super::baseline::BaselineTracker;
use super::caches::{MessageCache, SenderCache, SenderMarks, SenderMemory};
use super::judge::{self, QUEUE_LIMIT};
use super::limiter::{reply_limiter, ReplyLimiter};
use super::published::View;
use crate::messages::{Channel, Decision};
use crate::policy::NumberPolicy;

/// How long a balance exhaustion is trusted before the ledger is asked
/// again (a top-up from another process reaches us only through the ledger).
pub const BALANCE_RECHECK_MICROS: i64 = micros::from_seconds(10);
/// Provider retries come within minutes: the last 1,024 ids of a number suffice.
pub const MESSAGE_CACHE_CAPACITY: usize = 1_024;

/// One verified inbound SMS, as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct Arrival<'a> {
    pub message_id: &'a str,
    pub sender: SenderKey,
    /// In clear, read only for the country and the phone-number check.
    pub sender_phone: &'a str,
    /// Read only for the STOP keywords.
    pub body: &'a str,
    pub channel: Channel,
}

/// What [`NumberState::observe`] learnt from an arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    pub memory: SenderMemory,
    pub shield: ShieldTransition,
    pub last_minute: SurgeTotals,
}

/// What to do with an arrival.
#[derive(Debug)]
pub enum Step {
    /// Decided without the ledger.
    Decided(Decision),
    /// The sender texted STOP: record it in the ledger (so every replica and
    /// every restart honours it), and answer with this decision (`opted_out`,
    /// or `paused`/`blocked` when those rules came first).
    OptOut(Decision),
    /// A candidate reply: only the ledger's atomic operation can say.
    AskLedger(Box<ReplyRequest>),
    /// Shield mode, a new sender: queue their deferred reply in the ledger,
    /// then answer `deferred`. Its `sealed_sender` is empty: the actor seals
    /// the sender's phone (this state draws no nonces).
    Defer(Box<DeferredArrival>),
}

/// The ledger did not answer (error or timeout): the decision fails closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerUnavailable;

/// The outcome of a ledger verdict, for the actor to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub decision: Decision,
    /// Totals read by the ledger with the verdict, to publish as budget gauges.
    pub totals: Option<SpendTotals>,
}

/// One number's rules, caches, limiter and shield view.
pub struct NumberState {
    policy: Arc<NumberPolicy>,
    clock: SharedClock,
    limiter: ReplyLimiter,
    senders: SenderCache,
    messages: MessageCache,
    paused: bool,
    surge: SurgeWindow,
    shield: ShieldState,
    /// A budget is exhausted: no candidate before this instant.
    budget_block: Option<(BudgetScope, i64)>,
    max_ledger_calls: usize,
    /// Keyed fingerprints of texts and number blocks, for the judgement.
    hasher: SenderHasher,
    /// Senders whose judgement is pending, until their `defer_for` ends.
    deferred: SenderMarks,
    /// Senders a judgement dropped: flooders for a day, those no money was
    /// left for until the shield's hold has passed.
    dropped: SenderMarks,
    /// Messages of pending senders since the last write, for the ledger.
    notes: HashMap<SenderKey, u32>,
    /// The number's ordinary day and whether it is under pressure.
    baseline: BaselineTracker,
    /// What the HTTP workers read of this state (`published.rs`).
    view: Arc<View>,
}

impl NumberState {
    /// A fresh state: empty caches, a full limiter, no shield.
    pub fn new(
        policy: Arc<NumberPolicy>,
        clock: SharedClock,
        hasher: SenderHasher,
        sender_cache_capacity: usize,
        max_ledger_calls: usize,
    ) -> NumberState {
        let (senders, messages) = (SenderCache::new(sender_cache_capacity), MessageCache::new(MESSAGE_CACHE_CAPACITY));
        let (deferred, dropped) = (SenderMarks::new(QUEUE_LIMIT), SenderMarks::new(QUEUE_LIMIT));
        let view = View::new(
            senders.view(),
            messages.view(),
            deferred.view(),
            dropped.view(),
            policy.paused,
            Arc::clone(&policy),
        );
        NumberState {
            baseline: BaselineTracker::new(&policy, clock.now()),
            hasher,
            deferred,
            dropped,
            notes: HashMap::new(),
            limiter: reply_limiter(policy.max_replies_per_minute, &clock),
            senders,
            messages,
            view: Arc::new(view),
            paused: policy.paused,
            surge: SurgeWindow::default(),
            shield: ShieldState::default(),
            budget_block: None,
            max_ledger_calls: max_ledger_calls.max(1),
            policy,
            clock,
        }
    }

    pub fn policy(&self) -> &Arc<NumberPolicy> {
        &self.policy
    }

    /// Replaces the rules (a reload or a runtime change); caches stay, the
    /// limiter is rebuilt only if its rate changed.
    pub fn set_policy(&mut self, policy: Arc<NumberPolicy>) {
        if policy.max_replies_per_minute != self.policy.max_replies_per_minute {
            self.limiter = reply_limiter(policy.max_replies_per_minute, &self.clock);
        }
        if policy.caps != self.policy.caps || policy.reply_cost != self.policy.reply_cost {
            self.budget_block = None;
        }
        self.view.set_policy(Arc::clone(&policy));
        self.policy = policy;
    }

    /// What the HTTP workers may read of this state.
    pub fn view(&self) -> Arc<View> {
        Arc::clone(&self.view)
    }

    /// Counts an arriving message in the surge window (new senders apart)
    /// and re-evaluates the shield. One sender-cache lookup serves both the
    /// window and the decision. A message id that already arrived (a
    /// provider's retry, a replayed webhook) is not counted again: replays
    /// of one captured webhook never make a surge.
    pub fn observe(&mut self, sender: &SenderKey, message_id: &str, now_micros: i64) -> Observation {
        let now_seconds = micros::to_seconds(now_micros);
        let memory = self.senders.recall(sender, now_micros);
        if self.messages.arrived(message_id) {
            self.surge.record(now_seconds, memory == SenderMemory::Unknown);
            self.baseline.count(&self.policy, now_micros, memory);
        }
        let (shield, last_minute) = self.evaluate_shield(now_seconds);
        Observation { memory, shield, last_minute }
    }

    /// Re-evaluates the shield without a message (timers: a shield ends
    /// even when nothing comes): a fixed trigger, or pressure on the
    /// number's baseline ([`pressure`](Self::pressure)).
    pub fn evaluate_shield(&mut self, now_seconds: i64) -> (ShieldTransition, SurgeTotals) {
        let totals = self.surge.totals(now_seconds);
        let pressure = self.baseline.evaluate(&self.policy, micros::from_seconds(now_seconds), totals.new_senders_hour);
        let transition = self.shield.evaluate_with(&self.policy.shield, totals, pressure.is_some(), now_seconds);
        (transition, totals)
    }

    /// Why the number was under pressure at the last evaluation, if it was.
    pub fn pressure(&self) -> Option<Pressure> {
        self.baseline.pressure()
    }

    /// The number's baseline and this replica's counts not yet in the ledger.
    pub fn baseline_mut(&mut self) -> &mut BaselineTracker {
        &mut self.baseline
    }

    /// The rules up to the point where only the ledger can answer.
    /// `memory` is what [`observe`](Self::observe) returned for this arrival.
    pub fn decide(&mut self, msg: &Arrival<'_>, now_micros: i64, memory: SenderMemory, ledger_calls: usize) -> Step {
        let now_seconds = micros::to_seconds(now_micros);
        // A STOP is honoured even on a paused number or from a blocked sender.
        let stop = msg.channel == Channel::Sms && is_opt_out(msg.body);
        let closed = if self.paused {
            Some(Outcome::Paused)
        } else if self.policy.blocklist.contains(&msg.sender) {
            Some(Outcome::Blocked)
        } else {
            None
        };
        if let Some(outcome) = closed {
            if stop {
                self.senders.opted_out(msg.sender);
                return Step::OptOut(Decision::silent(outcome));
            }
            return Step::Decided(Decision::silent(outcome));
        }
        if let Some(replied) = self.messages.recall(msg.message_id) {
            return Step::Decided(Decision {
                outcome: Outcome::Duplicate,
                reply: self.answer_if(replied, msg.channel),
            });
        }
        if memory == SenderMemory::OptedOut {
            return self.remembered(msg, Outcome::OptedOut);
        }
        if stop {
            self.senders.opted_out(msg.sender);
            self.messages.remember(msg.message_id, false);
            return Step::OptOut(Decision::silent(Outcome::OptedOut));
        }
        // The syntax check is cheap; the country lookup comes after the
        // repeat-sender check, so a repeat flood never pays for it.
        if !is_e164(msg.sender_phone.trim()) {
            return self.remembered(msg, Outcome::NotAPhone);
        }
        // A remembered reply implies the country was allowed then (same number, same rule).
        if let SenderMemory::AnsweredUntil(_) = memory {
            return self.remembered(msg, Outcome::RepeatSender);
        }
        self.senders.saw(msg.sender);
        let country_ok = match &self.policy.allowed_countries {
            AllowedCountries::Any => true,
            allowed => {
                allowed.allows(PhoneNumber::parse(msg.sender_phone).ok().as_ref().and_then(PhoneNumber::country))
            }
        };
        if !country_ok {
            return self.remembered(msg, Outcome::CountryNotAllowed);
        }
        // A judgement is pending: this message is one more thing it weighs.
        if self.deferred.holds(&msg.sender, now_micros) {
            if self.notes.len() < QUEUE_LIMIT || self.notes.contains_key(&msg.sender) {
                *self.notes.entry(msg.sender).or_default() += 1;
            }
            return self.remembered(msg, Outcome::Deferred);
        }
        // A judgement found them flooding: no reply, shield or not.
        if self.dropped.holds(&msg.sender, now_micros) {
            return self.remembered(msg, Outcome::Shielded);
        }
        let budget_known_exhausted = match self.budget_block {
            Some((_, until)) if now_micros < until => true,
            Some(_) => {
                self.budget_block = None;
                false
            }
            None => false,
        };
        if self.shield.is_active(now_seconds) {
            if budget_known_exhausted {
                return self.remembered(msg, Outcome::BudgetExhausted);
            }
            if msg.channel == Channel::Call {
                // A caller cannot be answered later: in shield mode, no new one is.
                return self.remembered(msg, Outcome::Shielded);
            }
            self.messages.remember(msg.message_id, false);
            return Step::Defer(Box::new(self.defer_request(msg, now_micros)));
        }
        // Known refusals first: the reply-rate limiter only spends its
        // allowance on messages that could really be paid for.
        if budget_known_exhausted {
            return self.remembered(msg, Outcome::BudgetExhausted);
        }
        if self.limiter.check().is_err() {
            return self.remembered(msg, Outcome::RateLimited);
        }
        if ledger_calls >= self.max_ledger_calls {
            return Step::Decided(Decision::silent(Outcome::Overloaded));
        }
        let policy = &self.policy;
        let (kind, cost) = match (msg.channel, &policy.voice) {
            (Channel::Sms, _) => (EntryKind::Reply, policy.reply_cost),
            (Channel::Call, Some(voice)) => (EntryKind::Call, voice.reservation),
            // The web layer rejects calls to a number without `voice`; a
            // reload may have removed it since: nothing to answer with.
            (Channel::Call, None) => return Step::Decided(Decision::silent(Outcome::Paused)),
        };
        Step::AskLedger(Box::new(ReplyRequest {
            tenant: Arc::clone(&policy.tenant),
            number: Arc::clone(&policy.number),
            message_id: msg.message_id.to_owned(),
            sender: msg.sender,
            cost,
            kind,
            now_micros,
            periods: Periods::at(self.clock.now(), policy.timezone),
            reply_once_per_seconds: policy.reply_once_per_seconds,
            caps: policy.caps,
            prepaid: policy.prepaid,
            max_replies_per_minute: Some(policy.max_replies_per_minute),
            deferred: None,
        }))
    }

    /// What to queue for a new sender arriving in shield mode.
    fn defer_request(&self, msg: &Arrival<'_>, now_micros: i64) -> DeferredArrival {
        DeferredArrival {
            tenant: Arc::clone(&self.policy.tenant),
            number: Arc::clone(&self.policy.number),
            sender: msg.sender,
            sealed_sender: Vec::new(),
            queue_limit: judge::QUEUE_LIMIT,
            first_message_id: msg.message_id.to_owned(),
            first_micros: now_micros,
            slot: judge::slot_of(now_micros),
            fingerprint: judge::text_fingerprint(&self.hasher, msg.body),
            block: judge::number_block(&self.hasher, msg.sender_phone),
            expires_micros: now_micros.saturating_add(micros::from_seconds_u64(self.policy.judge.defer_for_seconds)),
        }
    }

    /// Learns whether the ledger queued a deferred sender.
    pub fn apply_enqueued(
        &mut self,
        request: &DeferredArrival,
        enqueued: Result<Enqueued, LedgerUnavailable>,
    ) -> Decision {
        match enqueued {
            Ok(Enqueued::New | Enqueued::Pending) => {
                self.deferred.mark(&request.sender, request.expires_micros);
                Decision::silent(Outcome::Deferred)
            }
            Ok(Enqueued::Full) => Decision::silent(Outcome::Shielded),
            Err(LedgerUnavailable) => Decision::silent(Outcome::LedgerUnavailable),
        }
    }

    /// Learns how a judgement ended (on this replica, or seen in the ledger).
    pub fn judged(&mut self, sender: &SenderKey, result: Option<DeferredResult>, now_micros: i64) {
        self.deferred.unmark(sender);
        match result {
            Some(DeferredResult::Sent | DeferredResult::SendFailed) => {
                let until = now_micros.saturating_add(micros::from_seconds_u64(self.policy.reply_once_per_seconds));
                self.senders.answered(*sender, until);
            }
            Some(DeferredResult::DroppedFlooding) => {
                let until = micros::after_seconds(now_micros, judge::FLOODER_REFUSED_SECONDS);
                self.dropped.mark(sender, until);
            }
            Some(DeferredResult::DroppedBudget) => {
                let until = now_micros.saturating_add(micros::from_seconds_u64(self.policy.shield.hold_seconds));
                self.dropped.mark(sender, until);
            }
            Some(DeferredResult::Expired) | None => {}
        }
    }

    /// A decision whose ledger call timed out turned out paid (asked afterwards).
    pub fn paid_after_timeout(&mut self, request: &ReplyRequest) {
        let until = request.now_micros.saturating_add(micros::from_seconds_u64(request.reply_once_per_seconds));
        self.senders.answered(request.sender, until);
        self.messages.remember(&request.message_id, true);
    }

    /// Pending senders' messages counted and not yet taken.
    pub fn notes_waiting(&self) -> usize {
        self.notes.len()
    }

    /// The messages of pending senders counted since the last call.
    pub fn take_notes(&mut self) -> Vec<(SenderKey, u32)> {
        self.notes.drain().collect()
    }

    /// Senders this replica believes are pending a judgement.
    pub fn deferred_here(&self) -> usize {
        self.deferred.len()
    }

    /// The sender cache's answer for a sender, without counting a message
    /// (messages parked behind a pending verdict are decided with it).
    pub fn recall(&mut self, sender: &SenderKey, now_micros: i64) -> SenderMemory {
        self.senders.recall(sender, now_micros)
    }

    /// Adopts a shield another replica started; `true` when it turns shield mode on here.
    pub fn adopt_shield(&mut self, until_seconds: i64, now_seconds: i64) -> bool {
        self.shield.adopt(until_seconds, now_seconds)
    }

    /// The shield's end, while it is on.
    pub fn shield_until(&self, now_seconds: i64) -> Option<i64> {
        self.shield.active_until_seconds.filter(|_| self.shield.is_active(now_seconds))
    }

    /// A top-up: a known balance exhaustion no longer holds.
    pub fn lift_balance_block(&mut self) {
        if matches!(self.budget_block, Some((BudgetScope::Balance, _))) {
            self.budget_block = None;
        }
    }

    pub fn budget_block(&self) -> Option<BudgetScope> {
        self.budget_block.map(|(scope, _)| scope)
    }

    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        self.view.set_paused(paused);
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn cached_senders(&self) -> usize {
        self.senders.len()
    }

    /// What a paid answer says on `channel` (the reply text, or the call's
    /// message), when `paid`.
    fn answer_if(&self, paid: bool, channel: Channel) -> Option<Arc<str>> {
        if !paid {
            return None;
        }
        match channel {
            Channel::Sms => Some(Arc::clone(&self.policy.reply)),
            Channel::Call => self.policy.voice.as_ref().map(|voice| Arc::clone(&voice.say)),
        }
    }

    /// A silent local outcome that a retry of the same message must repeat
    /// (as `duplicate`), so its id is remembered too.
    fn remembered(&mut self, msg: &Arrival<'_>, outcome: Outcome) -> Step {
        self.messages.remember(msg.message_id, false);
        Step::Decided(Decision::silent(outcome))
    }
}

mod fast;
mod verdict;

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
