//! `NumberActor`: one per configured number. It decides in memory whenever it
//! can (paused, blocked, retried message, repeat sender, country, local rate,
//! spent trickle, exhausted budget) and asks the ledger only for candidate
//! replies, without blocking its mailbox while the ledger answers.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use antirelou_domain::shield::{ShieldState, ShieldTransition, SurgeWindow};
use antirelou_domain::{Money, Outcome, Periods, PhoneNumber, SenderKey, SharedClock};
use antirelou_ledger::{
    BudgetScope, InboundBatch, Ledger, LedgerEvent, ReplyRequest, ReplyVerdict, SpendTotals, TotalsQuery,
};
use governor::{clock::Clock as GovernorClockTrait, nanos::Nanos, Quota, RateLimiter};
use tokio::sync::oneshot;

use crate::alerts::{AlertJob, AlertSender, ShieldAlert};
use crate::caches::{MessageCache, SenderCache, SenderMemory};
use crate::messages::{Decision, FlushInbound, Inbound, LedgerChanged, NumberSnapshot, SetPaused, Snapshot};
use crate::metrics::NumberMetrics;
use crate::policy::NumberPolicy;
use crate::registry::EngineOptions;

/// How often a balance exhaustion is re-checked (a top-up may come from
/// another process, which this process hears of only through the ledger).
const BALANCE_RECHECK_MICROS: i64 = 10 * 1_000_000;
/// Inbound charges are written at least this often, or every `INBOUND_BATCH` messages.
const INBOUND_FLUSH_EVERY: Duration = Duration::from_secs(1);
const INBOUND_BATCH: u32 = 500;
/// Provider retries come within minutes: the last 1,024 ids of a number suffice.
const MESSAGE_CACHE_CAPACITY: usize = 1_024;
/// A surge that goes on pushes the shared shield end at most this often.
const SHIELD_SHARE_EVERY_SECONDS: i64 = 10;
/// Budget gauges are re-read from the ledger this often (spend by other
/// replicas, period roll-over on an idle number).
const BUDGET_READ_EVERY_SECONDS: u32 = 60;
/// Messages of one sender that may wait for that sender's pending verdict.
const MAX_PARKED_PER_SENDER: usize = 64;

/// Governor reads time through our injectable clock (virtual time in tests).
#[derive(Clone, Debug)]
struct GovernorClock(SharedClock);

impl GovernorClockTrait for GovernorClock {
    type Instant = Nanos;
    fn now(&self) -> Nanos {
        Nanos::from(self.0.now_micros().max(0) as u64 * 1_000)
    }
}

type ReplyLimiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    GovernorClock,
    governor::middleware::NoOpMiddleware<Nanos>,
>;

/// The actor of one number.
pub struct NumberActor {
    policy: Arc<NumberPolicy>,
    ledger: Arc<dyn Ledger>,
    clock: SharedClock,
    metrics: NumberMetrics,
    alerts: AlertSender,
    options: EngineOptions,
    limiter: ReplyLimiter,
    senders: SenderCache,
    messages: MessageCache,
    paused: bool,
    window: SurgeWindow,
    shield: ShieldState,
    /// Trickle of the current pacing slot spent: no candidate before this instant.
    trickle_spent_until_micros: i64,
    /// A budget is exhausted: no candidate before this instant.
    budget_block: Option<(BudgetScope, i64)>,
    in_flight: usize,
    /// Messages from senders whose candidate reply is with the ledger: they
    /// wait for that verdict instead of asking the ledger again.
    parked: HashMap<SenderKey, Vec<Inbound>>,
    pending_inbound: u32,
    /// The shield end last written to the ledger (shared with replicas).
    shared_shield_until: i64,
    /// This replica detected the current surge and alerted its start.
    alerted_shield: bool,
    /// Seconds since the budget gauges were last read from the ledger.
    seconds_since_budget_read: u32,
    restarts: u32,
}

/// A local decision, or a request the ledger must decide.
enum Step {
    Decided(Decision),
    AskLedger(Box<ReplyRequest>),
}

impl NumberActor {
    pub fn new(
        policy: Arc<NumberPolicy>,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
        metrics: NumberMetrics,
        alerts: AlertSender,
        options: EngineOptions,
    ) -> NumberActor {
        let limiter = new_limiter(&policy, &clock);
        NumberActor {
            paused: policy.paused,
            senders: SenderCache::new(options.sender_cache_capacity),
            messages: MessageCache::new(MESSAGE_CACHE_CAPACITY),
            policy,
            ledger,
            clock,
            metrics,
            alerts,
            options,
            limiter,
            window: SurgeWindow::default(),
            shield: ShieldState::default(),
            trickle_spent_until_micros: i64::MIN,
            budget_block: None,
            in_flight: 0,
            parked: HashMap::new(),
            pending_inbound: 0,
            shared_shield_until: i64::MIN,
            alerted_shield: false,
            seconds_since_budget_read: 0,
            restarts: 0,
        }
    }

    /// Counts an arriving message: surge window, shield state, inbound
    /// charge. Returns what the sender cache knows of the sender (one lookup
    /// serves both the surge window and the decision).
    fn observe(&mut self, msg: &Inbound, now_micros: i64) -> SenderMemory {
        let now_seconds = now_micros.div_euclid(1_000_000);
        let memory = self.senders.recall(&msg.sender, now_micros);
        self.window.record(now_seconds, memory == SenderMemory::Unknown);
        self.pending_inbound += 1;
        self.evaluate_shield(now_seconds);
        memory
    }

    /// SPEC §3 up to the point where only the ledger can answer; `memory`
    /// is the sender cache's answer for this sender at `now_micros`.
    fn decide_locally(&mut self, msg: &Inbound, now_micros: i64, memory: SenderMemory) -> Step {
        let now_seconds = now_micros.div_euclid(1_000_000);
        let policy = Arc::clone(&self.policy);

        if self.paused {
            return Step::Decided(Decision::silent(Outcome::Paused));
        }
        if policy.blocklist.contains(&msg.sender) {
            return Step::Decided(Decision::silent(Outcome::Blocked));
        }
        if let Some(replied) = self.messages.recall(&msg.message_id) {
            return Step::Decided(Decision {
                outcome: Outcome::Duplicate,
                reply: replied.then(|| Arc::clone(&policy.reply)),
            });
        }
        // A remembered reply implies the country was allowed then (same number, same rule).
        if let SenderMemory::AnsweredUntil(_) = memory {
            return self.remembered(msg, Outcome::RepeatSender);
        }
        self.senders.saw(msg.sender);
        let country_ok = match &policy.allowed_countries {
            antirelou_settings::AllowedCountries::Any => true,
            allowed => {
                allowed.allows(PhoneNumber::parse(&msg.sender_number).ok().as_ref().and_then(PhoneNumber::country))
            }
        };
        if !country_ok {
            return self.remembered(msg, Outcome::CountryNotAllowed);
        }
        // Known refusals first: the reply-rate limiter only spends its
        // allowance on messages that could really be paid for (otherwise a
        // shielded flood drains it and the trickle's replies get rate-limited).
        let shielded = self.shield.is_active(now_seconds);
        if shielded && now_micros < self.trickle_spent_until_micros {
            return self.remembered(msg, Outcome::Shielded);
        }
        if let Some((_, until)) = self.budget_block {
            if now_micros < until {
                return self.remembered(msg, Outcome::BudgetExhausted);
            }
            self.budget_block = None;
        }
        if self.limiter.check().is_err() {
            return self.remembered(msg, Outcome::RateLimited);
        }
        if self.in_flight >= self.options.max_ledger_calls_in_flight {
            return Step::Decided(Decision::silent(Outcome::Overloaded));
        }
        let periods = Periods::at(self.clock.now(), policy.timezone);
        Step::AskLedger(Box::new(ReplyRequest {
            tenant: Arc::clone(&policy.tenant),
            number: Arc::clone(&policy.number),
            message_id: msg.message_id.to_string(),
            sender: msg.sender,
            cost: policy.reply_cost,
            now_micros,
            periods,
            reply_once_per_seconds: policy.reply_once_per_seconds,
            caps: policy.caps,
            prepaid: policy.prepaid,
            max_replies_per_minute: Some(policy.max_replies_per_minute),
            shield_trickle_per_hour: shielded.then_some(policy.shield.trickle_per_hour),
        }))
    }

    /// A silent local outcome that a retry of the same message must repeat
    /// (as `duplicate`), so its id is remembered too.
    fn remembered(&mut self, msg: &Inbound, outcome: Outcome) -> Step {
        self.messages.remember(&msg.message_id, false);
        Step::Decided(Decision::silent(outcome))
    }

    /// Applies the ledger's verdict to the caches and turns it into a decision.
    fn apply_verdict(&mut self, request: &ReplyRequest, verdict: Result<ReplyVerdict, ()>) -> Decision {
        let reply = || Some(Arc::clone(&self.policy.reply));
        let message_id = request.message_id.as_str();
        let remember_until = request.now_micros.saturating_add(request.reply_once_per_seconds as i64 * 1_000_000);
        match verdict {
            Err(()) => Decision::silent(Outcome::LedgerUnavailable),
            Ok(ReplyVerdict::Replied { totals, .. }) => {
                self.senders.answered(request.sender, remember_until);
                self.messages.remember(message_id, true);
                self.metrics.add_spend("reply", request.cost.micros());
                self.publish_budget(&totals);
                Decision { outcome: Outcome::Replied, reply: reply() }
            }
            Ok(ReplyVerdict::Duplicate { replied }) => {
                self.messages.remember(message_id, replied);
                Decision { outcome: Outcome::Duplicate, reply: if replied { reply() } else { None } }
            }
            Ok(ReplyVerdict::RepeatSender) => {
                // Answered elsewhere (another replica or before a restart).
                self.senders.answered(request.sender, remember_until);
                self.messages.remember(message_id, false);
                Decision::silent(Outcome::RepeatSender)
            }
            Ok(ReplyVerdict::RateLimited) => {
                self.messages.remember(message_id, false);
                Decision::silent(Outcome::RateLimited)
            }
            Ok(ReplyVerdict::Shielded) => {
                let slot = self.policy.shield.trickle_slot();
                self.trickle_spent_until_micros = slot.next_start(request.now_micros.div_euclid(1_000_000)) * 1_000_000;
                self.messages.remember(message_id, false);
                Decision::silent(Outcome::Shielded)
            }
            Ok(ReplyVerdict::BudgetExhausted { scope, until_micros, totals }) => {
                let until = until_micros.unwrap_or(request.now_micros + BALANCE_RECHECK_MICROS);
                self.budget_block = Some((scope, until));
                self.messages.remember(message_id, false);
                self.publish_budget(&totals);
                Decision::silent(Outcome::BudgetExhausted)
            }
        }
    }

    /// Updates `antirelou_budget_remaining` from totals read in the ledger.
    fn publish_budget(&self, totals: &SpendTotals) {
        let caps = &self.policy.caps;
        for (scope, cap, spent) in [
            (BudgetScope::NumberDaily, caps.number_daily, totals.number_day),
            (BudgetScope::TenantMonthly, caps.tenant_monthly, totals.tenant_month),
            (BudgetScope::DeploymentMonthly, caps.deployment_monthly, totals.deployment_month),
        ] {
            if let Some(cap) = cap {
                self.metrics.set_budget(scope.as_str(), cap.saturating_sub(spent).micros().max(0));
            }
        }
        if let Some(balance) = totals.balance {
            self.metrics.set_budget(BudgetScope::Balance.as_str(), balance.micros());
        }
    }

    fn evaluate_shield(&mut self, now_seconds: i64) {
        let totals = self.window.totals(now_seconds);
        match self.shield.evaluate(&self.policy.shield, totals, now_seconds) {
            ShieldTransition::Unchanged => {}
            ShieldTransition::Entered { until_seconds } => {
                tracing::warn!(tenant = %self.policy.tenant, number = %self.policy.number,
                    inbound_last_minute = totals.inbound, new_senders_last_minute = totals.new_senders,
                    "shield mode entered");
                self.metrics.set_shield(true);
                self.share_shield(until_seconds, now_seconds);
                self.alerted_shield = true;
                self.alert("shield_entered", Some(until_seconds), totals);
            }
            ShieldTransition::Extended { until_seconds } => {
                // Share the new end at most every few seconds, not per message.
                if until_seconds >= self.shared_shield_until + SHIELD_SHARE_EVERY_SECONDS {
                    self.share_shield(until_seconds, now_seconds);
                }
            }
            ShieldTransition::Exited => {
                tracing::info!(tenant = %self.policy.tenant, number = %self.policy.number, "shield mode exited");
                self.metrics.set_shield(false);
                // Only the replica that raised the alert closes it.
                if std::mem::take(&mut self.alerted_shield) {
                    self.alert("shield_exited", None, totals);
                }
            }
        }
    }

    fn share_shield(&mut self, until_seconds: i64, now_seconds: i64) {
        self.shared_shield_until = until_seconds;
        let ledger = Arc::clone(&self.ledger);
        let number = Arc::clone(&self.policy.number);
        let metrics = self.metrics.clone();
        let backend = ledger.backend();
        actix::spawn(async move {
            match ledger.set_shield(&number, until_seconds, now_seconds).await {
                Ok(()) => metrics.ledger_ok(),
                Err(_) => metrics.ledger_error(backend, "set_shield"),
            }
        });
    }

    fn alert(&self, event: &'static str, until_seconds: Option<i64>, totals: antirelou_domain::shield::MinuteTotals) {
        let Some(url) = self.policy.alert_webhook.as_deref() else { return };
        let until = until_seconds.and_then(|s| chrono::DateTime::from_timestamp(s, 0)).map(|t| t.to_rfc3339());
        let text = match &until {
            Some(until) => format!(
                "antirelou: number {} of {} is under a flood ({} messages, {} new senders in the last minute). \
                 Shield mode is on until {until}: only a few new senders get a reply.",
                self.policy.number, self.policy.tenant, totals.inbound, totals.new_senders
            ),
            None => format!(
                "antirelou: the flood on number {} of {} is over; shield mode is off.",
                self.policy.number, self.policy.tenant
            ),
        };
        let metrics = self.metrics.clone();
        self.alerts.send(AlertJob {
            url: url.to_owned(),
            alert: ShieldAlert {
                event,
                tenant: self.policy.tenant.to_string(),
                number: self.policy.number.to_string(),
                shield_until: until,
                inbound_last_minute: totals.inbound,
                new_senders_last_minute: totals.new_senders,
                text,
            },
            done: Box::new(move |ok| metrics.alert(ok)),
        });
    }

    /// Writes the inbound charges accumulated since the last flush.
    fn flush_inbound(&mut self) -> Option<impl std::future::Future<Output = ()> + 'static> {
        let count = std::mem::take(&mut self.pending_inbound);
        if count == 0 || self.policy.inbound_price == Money::ZERO {
            return None;
        }
        let amount = self.policy.inbound_price.checked_mul(count)?;
        let batch = InboundBatch {
            tenant: Arc::clone(&self.policy.tenant),
            number: Arc::clone(&self.policy.number),
            count,
            amount,
            prepaid: self.policy.prepaid,
            now_micros: self.clock.now_micros(),
            periods: Periods::at(self.clock.now(), self.policy.timezone),
        };
        let ledger = Arc::clone(&self.ledger);
        let metrics = self.metrics.clone();
        let timeout = self.options.ledger_timeout;
        Some(async move {
            match tokio::time::timeout(timeout, ledger.record_inbound(&batch)).await {
                Ok(Ok(())) => {
                    metrics.ledger_ok();
                    metrics.add_spend("inbound", batch.amount.micros());
                }
                _ => {
                    // The provider charged these messages whatever happens: keep
                    // the amount visible in logs so it can be reconciled.
                    metrics.ledger_error(ledger.backend(), "record_inbound");
                    tracing::error!(tenant = %batch.tenant, number = %batch.number, count = batch.count,
                        amount = %batch.amount, "inbound charges could not be recorded");
                }
            }
        })
    }

    /// Reads spend totals and shared shield state (start, restart, every minute).
    fn load_from_ledger(&mut self, ctx: &mut Context<Self>) {
        self.seconds_since_budget_read = 0;
        let ledger = Arc::clone(&self.ledger);
        let query = TotalsQuery {
            tenant: self.policy.tenant.to_string(),
            number: self.policy.number.to_string(),
            periods: Periods::at(self.clock.now(), self.policy.timezone),
        };
        let now_seconds = self.clock.now_seconds();
        let timeout = self.options.ledger_timeout;
        let fut = async move {
            let totals = tokio::time::timeout(timeout, ledger.totals(&query)).await;
            let shield = tokio::time::timeout(timeout, ledger.shield_until(&query.number, now_seconds)).await;
            (totals, shield)
        };
        ctx.spawn(fut.into_actor(self).map(move |(totals, shield), act, _| {
            match totals {
                Ok(Ok(totals)) => act.publish_budget(&totals),
                _ => act.metrics.ledger_error(act.ledger.backend(), "read_totals"),
            }
            match shield {
                Ok(Ok(Some(until))) => {
                    if act.shield.adopt(until, now_seconds) {
                        act.metrics.set_shield(true);
                    }
                }
                Ok(Ok(None)) => {}
                _ => act.metrics.ledger_error(act.ledger.backend(), "read_shield"),
            }
        }));
    }
}

fn new_limiter(policy: &NumberPolicy, clock: &SharedClock) -> ReplyLimiter {
    let per_minute = NonZeroU32::new(policy.max_replies_per_minute).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct_with_clock(Quota::per_minute(per_minute), GovernorClock(Arc::clone(clock)))
}

impl Actor for NumberActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.options.mailbox_capacity);
        for scope in [BudgetScope::NumberDaily, BudgetScope::TenantMonthly, BudgetScope::DeploymentMonthly] {
            let cap = match scope {
                BudgetScope::NumberDaily => self.policy.caps.number_daily,
                BudgetScope::TenantMonthly => self.policy.caps.tenant_monthly,
                _ => self.policy.caps.deployment_monthly,
            };
            if let Some(cap) = cap {
                self.metrics.set_cap(scope.as_str(), cap.micros());
                self.metrics.set_budget(scope.as_str(), cap.micros());
            }
        }
        ctx.run_interval(INBOUND_FLUSH_EVERY, |act, ctx| {
            if let Some(fut) = act.flush_inbound() {
                ctx.spawn(fut.into_actor(act));
            }
            // A shield ends even when no message comes to notice it.
            act.evaluate_shield(act.clock.now_seconds());
            act.seconds_since_budget_read += 1;
            if act.seconds_since_budget_read >= BUDGET_READ_EVERY_SECONDS {
                act.load_from_ledger(ctx);
            }
        });
        self.load_from_ledger(ctx);
    }

    fn stopping(&mut self, _ctx: &mut Context<Self>) -> Running {
        if let Some(fut) = self.flush_inbound() {
            actix::spawn(fut);
        }
        Running::Stop
    }
}

impl Supervised for NumberActor {
    /// After a panic: fresh caches and limiter from the policy; the ledger
    /// still holds spend, sender memory and shield state.
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        self.metrics.restarted();
        tracing::error!(tenant = %self.policy.tenant, number = %self.policy.number, "number actor restarted after a panic");
        self.limiter = new_limiter(&self.policy, &self.clock);
        self.senders = SenderCache::new(self.options.sender_cache_capacity);
        self.messages = MessageCache::new(MESSAGE_CACHE_CAPACITY);
        self.window = SurgeWindow::default();
        self.shield = ShieldState::default();
        self.trickle_spent_until_micros = i64::MIN;
        self.budget_block = None;
        self.shared_shield_until = i64::MIN;
        self.alerted_shield = false;
        self.in_flight = 0;
        self.parked.clear();
        self.paused = self.policy.paused;
    }
}

impl Handler<Inbound> for NumberActor {
    type Result = ();

    /// Decides one inbound SMS. Local outcomes are answered at once; a
    /// candidate reply awaits the ledger without blocking the mailbox.
    fn handle(&mut self, msg: Inbound, ctx: &mut Context<Self>) {
        let now_micros = self.clock.now_micros();
        let step = catch_unwind(AssertUnwindSafe(|| {
            let memory = self.observe(&msg, now_micros);
            self.decide_locally(&msg, now_micros, memory)
        }));
        let Ok(step) = step else {
            // State may be half-updated: let the supervisor rebuild it.
            ctx.stop();
            return;
        };
        if self.pending_inbound >= INBOUND_BATCH {
            if let Some(fut) = self.flush_inbound() {
                ctx.spawn(fut.into_actor(self));
            }
        }
        self.dispatch(msg, step, ctx);
    }
}

impl NumberActor {
    /// Answers a local decision, or sends the candidate to the ledger — unless
    /// the same sender's candidate is already there, then the message waits for it.
    fn dispatch(&mut self, msg: Inbound, step: Step, ctx: &mut Context<Self>) {
        let request = match step {
            Step::Decided(decision) => {
                let _ = msg.reply_to.send(decision);
                return;
            }
            Step::AskLedger(request) => request,
        };
        if let Some(waiting) = self.parked.get_mut(&msg.sender) {
            if waiting.len() < MAX_PARKED_PER_SENDER {
                waiting.push(msg);
            } else {
                let _ = msg.reply_to.send(Decision::silent(Outcome::Overloaded));
            }
            return;
        }
        self.parked.insert(msg.sender, Vec::new());
        self.ask_ledger(request, msg.reply_to, ctx);
    }

    fn ask_ledger(&mut self, request: Box<ReplyRequest>, reply_to: oneshot::Sender<Decision>, ctx: &mut Context<Self>) {
        self.in_flight += 1;
        let ledger = Arc::clone(&self.ledger);
        let timeout = self.options.ledger_timeout;
        let fut = async move {
            let verdict = tokio::time::timeout(timeout, ledger.decide_reply(&request)).await;
            (request, verdict)
        };
        ctx.spawn(fut.into_actor(self).map(move |(request, verdict), act, ctx| {
            act.in_flight = act.in_flight.saturating_sub(1);
            let verdict = match verdict {
                Ok(Ok(v)) => {
                    act.metrics.ledger_ok();
                    Ok(v)
                }
                Ok(Err(error)) => {
                    tracing::warn!(tenant = %act.policy.tenant, number = %act.policy.number, %error,
                        "ledger refused a decision: no reply (fail closed)");
                    act.metrics.ledger_error(act.ledger.backend(), "decide_reply");
                    Err(())
                }
                Err(_) => {
                    tracing::warn!(tenant = %act.policy.tenant, number = %act.policy.number,
                        "ledger timed out: no reply (fail closed)");
                    act.metrics.ledger_error(act.ledger.backend(), "decide_reply");
                    Err(())
                }
            };
            let failed = verdict.is_err();
            let decision = act.apply_verdict(&request, verdict);
            let _ = reply_to.send(decision);
            for waiting in act.parked.remove(&request.sender).unwrap_or_default() {
                if failed {
                    let _ = waiting.reply_to.send(Decision::silent(Outcome::LedgerUnavailable));
                    continue;
                }
                // The caches now hold the verdict: most waiting messages are decided locally.
                let now_micros = act.clock.now_micros();
                let memory = act.senders.recall(&waiting.sender, now_micros);
                let step = act.decide_locally(&waiting, now_micros, memory);
                act.dispatch(waiting, step, ctx);
            }
        }));
    }
}

impl Handler<SetPaused> for NumberActor {
    type Result = ();

    /// Pauses or resumes replies (an operator's switch; not persisted across restarts).
    fn handle(&mut self, msg: SetPaused, _ctx: &mut Context<Self>) {
        self.paused = msg.0;
    }
}

impl Handler<LedgerChanged> for NumberActor {
    type Result = ();

    /// A top-up lifts a cached balance exhaustion; a shared shield is adopted.
    fn handle(&mut self, msg: LedgerChanged, _ctx: &mut Context<Self>) {
        match msg.0 {
            LedgerEvent::TopUp { tenant } if *tenant == *self.policy.tenant => {
                if matches!(self.budget_block, Some((BudgetScope::Balance, _))) {
                    self.budget_block = None;
                }
            }
            LedgerEvent::Shield { number, until_seconds } if *number == *self.policy.number => {
                let now_seconds = self.clock.now_seconds();
                if self.shield.adopt(until_seconds, now_seconds) {
                    tracing::warn!(tenant = %self.policy.tenant, number = %self.policy.number, "shield mode adopted from another replica");
                    self.metrics.set_shield(true);
                }
            }
            _ => {}
        }
    }
}

impl Handler<FlushInbound> for NumberActor {
    type Result = ResponseFuture<()>;

    /// Records pending inbound charges and resolves when they are written.
    fn handle(&mut self, _msg: FlushInbound, _ctx: &mut Context<Self>) -> ResponseFuture<()> {
        match self.flush_inbound() {
            Some(fut) => Box::pin(fut),
            None => Box::pin(async {}),
        }
    }
}

impl Handler<Snapshot> for NumberActor {
    type Result = MessageResult<Snapshot>;

    /// Reports the actor's state.
    fn handle(&mut self, _msg: Snapshot, _ctx: &mut Context<Self>) -> MessageResult<Snapshot> {
        let now_seconds = self.clock.now_seconds();
        MessageResult(NumberSnapshot {
            tenant: self.policy.tenant.to_string(),
            number: self.policy.number.to_string(),
            paused: self.paused,
            shield_until_seconds: self.shield.active_until_seconds.filter(|_| self.shield.is_active(now_seconds)),
            budget_exhausted: self.budget_block.map(|(scope, _)| scope),
            cached_senders: self.senders.len(),
            ledger_calls_in_flight: self.in_flight,
            restarts: self.restarts,
        })
    }
}

#[cfg(feature = "testing")]
impl Handler<crate::messages::Crash> for NumberActor {
    type Result = ();

    /// Panics the way a bug would; the supervisor restarts the actor.
    fn handle(&mut self, _msg: crate::messages::Crash, ctx: &mut Context<Self>) {
        let outcome = catch_unwind(AssertUnwindSafe(|| panic!("crash requested by a test")));
        if outcome.is_err() {
            ctx.stop();
        }
    }
}
