//! [`NumberActor`]: one per configured number. It moves messages: arrivals
//! go through [`NumberState`] (all the rules), candidate replies to the
//! ledger (without blocking the mailbox while it answers), verdicts back
//! into the state; and it runs the timers (inbound charges every second,
//! the shield's end, budget gauges every minute).

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use antirelou_domain::shield::ShieldTransition;
use antirelou_domain::{Outcome, Periods, SenderKey, SharedClock};
use antirelou_ledger::{
    EntryKind, InboundBatch, InboundCharged, Ledger, LedgerError, LedgerEvent, ReplyRequest, TotalsQuery,
};
use antirelou_providers::SendApi;
use tokio::sync::oneshot;
use tokio::time::error::Elapsed;

use super::inbound_charges::InboundCharges;
use super::state::{Arrival, LedgerUnavailable, NumberState, Step};
use crate::alerts::{Alert, AlertOutbox};
use crate::messages::{
    Decision, FlushInbound, Inbound, LedgerChanged, NumberSnapshot, SetPaused, SetPolicy, Snapshot, Tick,
};
use crate::metrics::{LedgerOp, NumberMetrics};
use crate::options::EngineOptions;
use crate::policy::NumberPolicy;

/// Inbound charges are written at least this often (or every `INBOUND_BATCH` ids).
const INBOUND_FLUSH_EVERY: Duration = Duration::from_secs(1);
/// A surge that goes on pushes the shared shield end at most this often.
const SHIELD_SHARE_EVERY_SECONDS: i64 = 10;
/// Budget gauges are re-read from the ledger this often (spend by other
/// replicas, period roll-over on an idle number).
const BUDGET_READ_EVERY_SECONDS: u32 = 60;
/// Messages of one sender that may wait for that sender's pending verdict.
const MAX_PARKED_PER_SENDER: usize = 64;

/// What the actor works with and keeps across a restart.
struct Deps {
    policy: Arc<NumberPolicy>,
    ledger: Arc<dyn Ledger>,
    clock: SharedClock,
    metrics: NumberMetrics,
    alerts: AlertOutbox,
    /// The tenant's provider send API, for replies that are not inline.
    #[allow(dead_code)] // read by the deferred judgement, which lands next
    send_api: Option<Arc<dyn SendApi>>,
    options: EngineOptions,
}

/// What a panic may have left half-updated: rebuilt from scratch on restart.
struct Live {
    state: NumberState,
    ledger_calls: usize,
    /// Messages from senders whose candidate reply is with the ledger: they
    /// wait for that verdict instead of asking the ledger again.
    parked: HashMap<SenderKey, Vec<Inbound>>,
    /// The shield end last written to the ledger (shared with replicas).
    shared_shield_until: i64,
    /// This replica detected the current surge and alerted its start.
    alerted_shield: bool,
    seconds_since_budget_read: u32,
}

impl Live {
    fn new(deps: &Deps, paused: bool) -> Live {
        let mut state = NumberState::new(
            Arc::clone(&deps.policy),
            Arc::clone(&deps.clock),
            deps.options.sender_cache_capacity,
            deps.options.max_ledger_calls_in_flight,
        );
        state.set_paused(paused);
        Live {
            state,
            ledger_calls: 0,
            parked: HashMap::new(),
            shared_shield_until: i64::MIN,
            alerted_shield: false,
            seconds_since_budget_read: 0,
        }
    }
}

/// The actor of one number.
pub struct NumberActor {
    deps: Deps,
    live: Live,
    /// Survive a restart: the provider charged these messages whatever happens.
    charges: InboundCharges,
    restarts: u32,
}

impl NumberActor {
    pub fn new(
        policy: Arc<NumberPolicy>,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
        metrics: NumberMetrics,
        alerts: AlertOutbox,
        send_api: Option<Arc<dyn SendApi>>,
        options: EngineOptions,
    ) -> NumberActor {
        let paused = policy.paused;
        let deps = Deps { policy, ledger, clock, metrics, alerts, send_api, options };
        NumberActor { live: Live::new(&deps, paused), deps, charges: InboundCharges::default(), restarts: 0 }
    }

    fn now_micros(&self) -> i64 {
        self.deps.clock.now_micros()
    }

    /// Answers a local decision, records an opt-out, or sends the candidate
    /// to the ledger — unless the same sender's candidate is already there,
    /// then the message waits for it.
    fn dispatch(&mut self, msg: Inbound, step: Step, ctx: &mut Context<Self>) {
        let request = match step {
            Step::Decided(decision) => {
                let _ = msg.reply_to.send(decision);
                return;
            }
            Step::OptOut(decision) => {
                self.record_opt_out(msg.sender, ctx);
                let _ = msg.reply_to.send(decision);
                return;
            }
            Step::AskLedger(request) => request,
        };
        if let Some(waiting) = self.live.parked.get_mut(&msg.sender) {
            if waiting.len() < MAX_PARKED_PER_SENDER {
                waiting.push(msg);
            } else {
                let _ = msg.reply_to.send(Decision::silent(Outcome::Overloaded));
            }
            return;
        }
        self.live.parked.insert(msg.sender, Vec::new());
        self.ask_ledger(request, msg.reply_to, ctx);
    }

    fn ask_ledger(&mut self, request: Box<ReplyRequest>, reply_to: oneshot::Sender<Decision>, ctx: &mut Context<Self>) {
        self.live.ledger_calls += 1;
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let fut = async move {
            let verdict = tokio::time::timeout(timeout, ledger.decide_reply(&request)).await;
            (request, verdict)
        };
        ctx.spawn(fut.into_actor(self).map(move |(request, verdict), act, ctx| {
            act.live.ledger_calls = act.live.ledger_calls.saturating_sub(1);
            let verdict = match verdict {
                Ok(Ok(v)) => {
                    act.deps.metrics.ledger_ok();
                    Ok(v)
                }
                Ok(Err(error)) => {
                    tracing::warn!(tenant = %act.deps.policy.tenant, number = %act.deps.policy.number, %error,
                        "ledger refused a decision: no reply (fail closed)");
                    act.deps.metrics.ledger_error(LedgerOp::DecideReply);
                    Err(LedgerUnavailable)
                }
                Err(_) => {
                    tracing::warn!(tenant = %act.deps.policy.tenant, number = %act.deps.policy.number,
                        "ledger timed out: no reply (fail closed)");
                    act.deps.metrics.ledger_error(LedgerOp::DecideReply);
                    Err(LedgerUnavailable)
                }
            };
            let failed = verdict.is_err();
            let applied = act.live.state.apply_verdict(&request, verdict);
            if applied.decision.outcome == Outcome::Replied {
                act.deps.metrics.add_spend(EntryKind::Reply, request.cost.micros());
            }
            if let Some(totals) = &applied.totals {
                act.deps.metrics.publish_budget(&request.caps, totals);
            }
            let _ = reply_to.send(applied.decision);
            for waiting in act.live.parked.remove(&request.sender).unwrap_or_default() {
                if failed {
                    let _ = waiting.reply_to.send(Decision::silent(Outcome::LedgerUnavailable));
                    continue;
                }
                // The caches now hold the verdict: most waiting messages are decided locally.
                let now = act.now_micros();
                let memory = act.live.state.recall(&waiting.sender, now);
                let step = act.live.state.decide(&arrival(&waiting), now, memory, act.live.ledger_calls);
                act.dispatch(waiting, step, ctx);
            }
        }));
    }

    fn record_opt_out(&mut self, sender: SenderKey, ctx: &mut Context<Self>) {
        let ledger = Arc::clone(&self.deps.ledger);
        let number = Arc::clone(&self.deps.policy.number);
        let now = self.now_micros();
        let timeout = self.deps.options.ledger_timeout;
        let metrics = self.deps.metrics.clone();
        ctx.spawn(
            async move {
                match tokio::time::timeout(timeout, ledger.opt_out(&number, &sender, now)).await {
                    Ok(Ok(())) => metrics.ledger_ok(),
                    _ => {
                        // Honoured here anyway (the sender cache knows); other replicas may not.
                        tracing::error!(number = %number, "an opt-out could not be recorded in the ledger");
                        metrics.ledger_error(LedgerOp::OptOut);
                    }
                }
            }
            .into_actor(self),
        );
    }

    /// Metrics, alerts and sharing for a shield transition.
    fn on_shield(&mut self, transition: ShieldTransition, totals: antirelou_domain::shield::MinuteTotals) {
        let now_seconds = self.deps.clock.now_seconds();
        let policy = Arc::clone(&self.deps.policy);
        let (tenant, number) = (&policy.tenant, &policy.number);
        match transition {
            ShieldTransition::Unchanged => {}
            ShieldTransition::Entered { until_seconds } => {
                tracing::warn!(tenant = %tenant, number = %number, inbound_last_minute = totals.inbound,
                    new_senders_last_minute = totals.new_senders, "shield mode entered");
                self.deps.metrics.set_shield(true);
                self.share_shield(until_seconds, now_seconds);
                self.live.alerted_shield = true;
                self.alert(Alert::shield_entered(tenant, number, until_seconds, totals));
            }
            ShieldTransition::Extended { until_seconds } => {
                // Share the new end at most every few seconds, not per message.
                if until_seconds >= self.live.shared_shield_until + SHIELD_SHARE_EVERY_SECONDS {
                    self.share_shield(until_seconds, now_seconds);
                }
            }
            ShieldTransition::Exited => {
                tracing::info!(tenant = %tenant, number = %number, "shield mode exited");
                self.deps.metrics.set_shield(false);
                // Only the replica that raised the alert closes it.
                if std::mem::take(&mut self.live.alerted_shield) {
                    self.alert(Alert::shield_exited(tenant, number, totals));
                }
            }
        }
    }

    fn alert(&self, alert: Alert) {
        if self.deps.policy.alert_webhook.is_some() && !self.deps.alerts.emit(alert) {
            let metrics = self.deps.metrics.families();
            metrics.alert_delivered(&self.deps.policy.tenant, crate::alerts::AlertKind::Shield, false);
        }
    }

    fn share_shield(&mut self, until_seconds: i64, now_seconds: i64) {
        self.live.shared_shield_until = until_seconds;
        let ledger = Arc::clone(&self.deps.ledger);
        let number = Arc::clone(&self.deps.policy.number);
        let metrics = self.deps.metrics.clone();
        actix::spawn(async move {
            match ledger.set_shield(&number, until_seconds, now_seconds).await {
                Ok(()) => metrics.ledger_ok(),
                Err(_) => metrics.ledger_error(LedgerOp::SetShield),
            }
        });
    }

    /// Writes the inbound charges received since the last write; a batch the
    /// ledger did not take is kept for the next one.
    fn flush_inbound(&mut self, ctx: &mut Context<Self>) {
        let Some(batch) = self.charges.take(&self.deps.policy, &self.deps.clock) else { return };
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let fut = async move {
            let result = tokio::time::timeout(timeout, ledger.record_inbound(&batch)).await;
            (batch, result)
        };
        ctx.spawn(fut.into_actor(self).map(|(batch, result), act, _| act.charged(batch, result)));
    }

    /// Learns the result of an inbound-charge write; a failed batch is kept for the next one.
    fn charged(&mut self, batch: InboundBatch, result: Result<Result<InboundCharged, LedgerError>, Elapsed>) {
        match result {
            Ok(Ok(charged)) => {
                self.deps.metrics.ledger_ok();
                self.deps.metrics.add_spend(EntryKind::Inbound, charged.amount.micros());
            }
            _ => {
                self.deps.metrics.ledger_error(LedgerOp::RecordInbound);
                let dropped = self.charges.put_back(batch);
                if dropped > 0 {
                    // The provider charged these messages: keep the count visible for reconciliation.
                    tracing::error!(tenant = %self.deps.policy.tenant, number = %self.deps.policy.number,
                        dropped, "inbound charges could not be recorded and were dropped");
                }
            }
        }
    }

    /// Reads spend totals and shared shield state (start, restart, every minute).
    fn load_from_ledger(&mut self, ctx: &mut Context<Self>) {
        self.live.seconds_since_budget_read = 0;
        let ledger = Arc::clone(&self.deps.ledger);
        let policy = &self.deps.policy;
        let query = TotalsQuery {
            tenant: policy.tenant.to_string(),
            number: policy.number.to_string(),
            periods: Periods::at(self.deps.clock.now(), policy.timezone),
        };
        let now_seconds = self.deps.clock.now_seconds();
        let timeout = self.deps.options.ledger_timeout;
        let fut = async move {
            let totals = tokio::time::timeout(timeout, ledger.totals(&query)).await;
            let shield = tokio::time::timeout(timeout, ledger.shield_until(&query.number, now_seconds)).await;
            (totals, shield)
        };
        ctx.spawn(fut.into_actor(self).map(move |(totals, shield), act, _| {
            match totals {
                Ok(Ok(totals)) => act.deps.metrics.publish_budget(&act.deps.policy.caps, &totals),
                _ => act.deps.metrics.ledger_error(LedgerOp::ReadTotals),
            }
            match shield {
                Ok(Ok(Some(until))) => {
                    if act.live.state.adopt_shield(until, now_seconds) {
                        act.deps.metrics.set_shield(true);
                    }
                }
                Ok(Ok(None)) => {}
                _ => act.deps.metrics.ledger_error(LedgerOp::ReadShield),
            }
        }));
    }
}

impl NumberActor {
    /// The periodic work: inbound charges, and a shield ends even when no
    /// message comes to notice it.
    fn tick(&mut self, ctx: &mut Context<Self>) {
        self.flush_inbound(ctx);
        let (transition, totals) = self.live.state.evaluate_shield(self.deps.clock.now_seconds());
        self.on_shield(transition, totals);
    }
}

fn arrival(msg: &Inbound) -> Arrival<'_> {
    Arrival { message_id: &msg.message_id, sender: msg.sender, sender_number: &msg.sender_number, body: &msg.body }
}

impl Actor for NumberActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.deps.options.mailbox_capacity);
        if !self.deps.options.driven_timers {
            ctx.run_interval(INBOUND_FLUSH_EVERY, |act, ctx| {
                act.tick(ctx);
                act.live.seconds_since_budget_read += 1;
                if act.live.seconds_since_budget_read >= BUDGET_READ_EVERY_SECONDS {
                    act.load_from_ledger(ctx);
                }
            });
        }
        self.load_from_ledger(ctx);
    }

    fn stopping(&mut self, _ctx: &mut Context<Self>) -> Running {
        if let Some(batch) = self.charges.take(&self.deps.policy, &self.deps.clock) {
            let ledger = Arc::clone(&self.deps.ledger);
            actix::spawn(async move {
                let _ = ledger.record_inbound(&batch).await;
            });
        }
        Running::Stop
    }
}

impl Supervised for NumberActor {
    /// After a panic: fresh state from the policy; the ledger still holds
    /// spend, sender memory and shield state, and inbound charges are kept.
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        self.deps.metrics.restarted();
        tracing::error!(tenant = %self.deps.policy.tenant, number = %self.deps.policy.number,
            "number actor restarted after a panic");
        let paused = self.live.state.paused();
        self.live = Live::new(&self.deps, paused);
    }
}

impl Handler<Inbound> for NumberActor {
    type Result = ();

    /// Decides one inbound SMS. Local outcomes are answered at once; a
    /// candidate reply awaits the ledger without blocking the mailbox.
    fn handle(&mut self, msg: Inbound, ctx: &mut Context<Self>) {
        let now = self.now_micros();
        let live = &mut self.live;
        let step = catch_unwind(AssertUnwindSafe(|| {
            let seen = live.state.observe(&msg.sender, now);
            let step = live.state.decide(&arrival(&msg), now, seen.memory, live.ledger_calls);
            (seen, step)
        }));
        let Ok((seen, step)) = step else {
            // State may be half-updated: let the supervisor rebuild it.
            ctx.stop();
            return;
        };
        self.on_shield(seen.shield, seen.last_minute);
        if !matches!(&step, Step::Decided(d) if d.outcome == Outcome::Duplicate) {
            self.charges.received(&self.deps.policy, &msg.message_id);
        }
        if self.charges.is_due() {
            self.flush_inbound(ctx);
        }
        self.dispatch(msg, step, ctx);
    }
}

impl Handler<SetPaused> for NumberActor {
    type Result = ();

    /// Pauses or resumes replies.
    fn handle(&mut self, msg: SetPaused, _ctx: &mut Context<Self>) {
        self.live.state.set_paused(msg.0);
    }
}

impl Handler<SetPolicy> for NumberActor {
    type Result = ();

    /// New rules for this number (a reload or a runtime change); caches stay.
    fn handle(&mut self, msg: SetPolicy, _ctx: &mut Context<Self>) {
        self.deps.policy = Arc::clone(&msg.0);
        self.live.state.set_policy(msg.0);
    }
}

impl Handler<LedgerChanged> for NumberActor {
    type Result = ();

    /// A top-up lifts a cached balance exhaustion; a shared shield is adopted.
    fn handle(&mut self, msg: LedgerChanged, _ctx: &mut Context<Self>) {
        match msg.0 {
            LedgerEvent::TopUp { tenant } if *tenant == *self.deps.policy.tenant => {
                self.live.state.lift_balance_block();
            }
            LedgerEvent::Shield { number, until_seconds } if *number == *self.deps.policy.number => {
                let now_seconds = self.deps.clock.now_seconds();
                if self.live.state.adopt_shield(until_seconds, now_seconds) {
                    tracing::warn!(tenant = %self.deps.policy.tenant, number = %self.deps.policy.number,
                        "shield mode adopted from another replica");
                    self.deps.metrics.set_shield(true);
                }
            }
            _ => {}
        }
    }
}

impl Handler<Tick> for NumberActor {
    type Result = ResponseActFuture<Self, ()>;

    /// Runs the periodic work once (driven timers), resolving when its
    /// ledger writes have finished.
    fn handle(&mut self, _msg: Tick, ctx: &mut Context<Self>) -> Self::Result {
        let (transition, totals) = self.live.state.evaluate_shield(self.deps.clock.now_seconds());
        self.on_shield(transition, totals);
        let _ = ctx;
        let flush = self.charges.take(&self.deps.policy, &self.deps.clock).map(|batch| {
            let ledger = Arc::clone(&self.deps.ledger);
            let timeout = self.deps.options.ledger_timeout;
            async move {
                let result = tokio::time::timeout(timeout, ledger.record_inbound(&batch)).await;
                (batch, result)
            }
        });
        Box::pin(
            async move {
                match flush {
                    Some(fut) => Some(fut.await),
                    None => None,
                }
            }
            .into_actor(self)
            .map(|written, act, _| {
                if let Some((batch, result)) = written {
                    act.charged(batch, result);
                }
            }),
        )
    }
}

impl Handler<FlushInbound> for NumberActor {
    type Result = ResponseFuture<()>;

    /// Records pending inbound charges and resolves when they are written.
    fn handle(&mut self, _msg: FlushInbound, _ctx: &mut Context<Self>) -> ResponseFuture<()> {
        let Some(batch) = self.charges.take(&self.deps.policy, &self.deps.clock) else {
            return Box::pin(async {});
        };
        let ledger = Arc::clone(&self.deps.ledger);
        let metrics = self.deps.metrics.clone();
        let timeout = self.deps.options.ledger_timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, ledger.record_inbound(&batch)).await {
                Ok(Ok(charged)) => metrics.add_spend(EntryKind::Inbound, charged.amount.micros()),
                _ => {
                    metrics.ledger_error(LedgerOp::RecordInbound);
                    tracing::error!(tenant = %batch.tenant, number = %batch.number, count = batch.message_ids.len(),
                        "inbound charges could not be recorded at shutdown");
                }
            }
        })
    }
}

impl Handler<Snapshot> for NumberActor {
    type Result = MessageResult<Snapshot>;

    /// Reports the actor's state.
    fn handle(&mut self, _msg: Snapshot, _ctx: &mut Context<Self>) -> MessageResult<Snapshot> {
        let now_seconds = self.deps.clock.now_seconds();
        let state = &self.live.state;
        MessageResult(NumberSnapshot {
            tenant: self.deps.policy.tenant.to_string(),
            number: self.deps.policy.number.to_string(),
            paused: state.paused(),
            shield_until_seconds: state.shield_until(now_seconds),
            budget_exhausted: state.budget_block(),
            cached_senders: state.cached_senders(),
            ledger_calls_in_flight: self.live.ledger_calls,
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
