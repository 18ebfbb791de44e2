//! [`NumberActor`]: one per configured number. It moves messages: arrivals
//! go through [`NumberState`] (all the rules), candidate replies and
//! deferrals to the ledger (without blocking the mailbox while it answers),
//! verdicts back into the state; and it runs the timers.
//!
//! - this file: the actor, what it keeps, its message handlers;
//! - `actor/fast.rs`: the arrivals HTTP workers answered from its published view;
//! - `actor/calls.rs`: its ledger calls and the deliveries of paid replies
//!   through the send API (not inline providers, lost inline answers);
//! - `actor/timers.rs`: inbound charges, the shield's end and sharing,
//!   budget gauges, deferred-judgement rounds;
//! - `actor/budget.rs`: budget alerts, claimed once across replicas;
//! - `actor/incident.rs`: incidents in the ledger and sealed evidence;
//! - `actor/baseline.rs`: the number's baseline merged with the ledger's.

#[path = "actor/baseline.rs"]
mod baseline;
#[path = "actor/budget.rs"]
mod budget;
#[path = "actor/calls.rs"]
mod calls;
#[path = "actor/fast.rs"]
mod fast;
#[path = "actor/incident.rs"]
mod incident;
#[path = "actor/timers.rs"]
mod timers;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use antirelou_domain::{Outcome, SenderHasher, SenderKey, SenderSealer, SharedClock};
use antirelou_evidence::IncidentOpening;
use antirelou_ledger::{Ledger, LedgerEvent};
use antirelou_providers::SendApi;

use super::caches::SenderMemory;
use super::inbound_charges::InboundCharges;
use super::incident::IncidentLog;
use super::published::{FastArrival, Published};
use super::state::{Arrival, NumberState, Observation, Step};
use crate::alerts::AlertOutbox;
use crate::health::HealthReporter;
use crate::messages::{
    Channel, Decision, FlushInbound, Inbound, LedgerChanged, NumberSnapshot, SetPaused, SetPolicy, SetSendApi,
    Snapshot, Tick,
};
use crate::metrics::NumberMetrics;
use crate::options::EngineOptions;
use crate::policy::NumberPolicy;

/// The periodic work runs this often (real time; driven timers call `Tick`).
const TICK_EVERY: Duration = Duration::from_secs(1);
/// Messages of one sender that may wait for that sender's pending verdict.
const MAX_PARKED_PER_SENDER: usize = 64;

/// What a number's actor is built from.
pub struct ActorDeps {
    pub policy: Arc<NumberPolicy>,
    pub ledger: Arc<dyn Ledger>,
    pub clock: SharedClock,
    pub metrics: NumberMetrics,
    pub alerts: AlertOutbox,
    /// Where what the sends show of the provider link goes (`send_failing`, `credentials_refused`).
    pub health: HealthReporter,
    /// The number's provider send API (deferred replies, providers without
    /// inline replies, inline answers that were lost).
    pub send_api: Option<Arc<dyn SendApi>>,
    /// Keyed fingerprints of senders, texts and blocks.
    pub hasher: SenderHasher,
    /// Seals the numbers deferred replies keep.
    pub sealer: SenderSealer,
    /// This replica's name in leases.
    pub holder: Arc<str>,
    pub options: EngineOptions,
    /// What the actor publishes for the HTTP workers, and what they answered from it.
    pub published: Arc<Published>,
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
    /// A judgement round is running (rounds never overlap).
    judging: bool,
    /// No judgement round before this instant.
    next_judge_micros: i64,
    /// The number may have pending judgements (deferred here, heard of from
    /// another replica, or found at start): rounds run until none is left.
    queue_active: bool,
    /// What this actor had spent (its spend counters' sum) at the last totals read.
    spend_at_read: i64,
    /// Budget alert claims known taken (`budget.rs`).
    known_claims: Vec<String>,
    /// The incident this number is in, if any (`incident.rs`).
    incident: IncidentLog,
    /// An opening (or extension) of the incident the next tick tells the ledger.
    incident_opening: Option<IncidentOpening>,
    /// This run of the actor (a restart is another): names its sealed parts.
    run: u32,
    /// Ticks since the baseline was last merged with the ledger's.
    ticks_since_baseline_sync: u32,
    /// A merge of the baseline is running.
    syncing_baseline: bool,
}

impl Live {
    fn new(deps: &ActorDeps, paused: bool) -> Live {
        let mut state = NumberState::new(
            Arc::clone(&deps.policy),
            Arc::clone(&deps.clock),
            deps.hasher.clone(),
            deps.options.sender_cache_capacity,
            deps.options.max_ledger_calls_in_flight,
        );
        state.set_paused(paused);
        deps.published.publish(state.view());
        Live {
            state,
            ledger_calls: 0,
            parked: HashMap::new(),
            shared_shield_until: i64::MIN,
            alerted_shield: false,
            seconds_since_budget_read: 0,
            judging: false,
            next_judge_micros: i64::MIN,
            // Set when the start-up read finds judgements left behind.
            queue_active: false,
            spend_at_read: 0,
            known_claims: Vec::new(),
            incident: IncidentLog::default(),
            incident_opening: None,
            run: rand::random(),
            // The first tick reads the ledger's baseline.
            ticks_since_baseline_sync: baseline::BASELINE_SYNC_EVERY_TICKS,
            syncing_baseline: false,
        }
    }
}

/// The actor of one number.
pub struct NumberActor {
    deps: ActorDeps,
    live: Live,
    /// Survive a restart: the provider charged these messages whatever happens.
    charges: InboundCharges,
    restarts: u32,
    /// The arrivals taken from the workers' queue (kept for its allocation).
    answered: Vec<FastArrival>,
}

impl NumberActor {
    pub fn new(deps: ActorDeps) -> NumberActor {
        let paused = deps.policy.paused;
        NumberActor {
            live: Live::new(&deps, paused),
            deps,
            charges: InboundCharges::default(),
            restarts: 0,
            answered: Vec::new(),
        }
    }

    fn now_micros(&self) -> i64 {
        self.deps.clock.now_micros()
    }

    /// Answers a local decision, or starts what only the ledger can finish:
    /// an opt-out to record, a enqueued to queue, a candidate reply — unless
    /// the same sender's candidate is already there, then the message waits.
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
            Step::Defer(arrival) => return self.defer(*arrival, msg, ctx),
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
        self.ask_ledger(request, msg, ctx);
    }

    /// What every arrival changes besides its decision, whichever path
    /// answered it: the shield, the provider's inbound charge (not for a
    /// duplicate), the incident notebook.
    fn account(
        &mut self,
        msg: &Arrival<'_>,
        seen: &Observation,
        duplicate: bool,
        blocked: bool,
        now: i64,
        ctx: &mut Context<Self>,
    ) {
        self.on_shield(seen.shield, seen.last_minute);
        if !duplicate {
            if msg.channel == Channel::Sms {
                // A call's price is its reservation: the provider charges no received SMS for it.
                self.charges.received(&self.deps.policy, msg.message_id);
            }
            if self.live.incident.is_open() {
                let new_sender = seen.memory == SenderMemory::Unknown;
                let cost = self.deps.policy.reply_cost;
                self.live.incident.arrival(now, msg.sender, msg.sender_phone, msg.body, new_sender, blocked, cost);
            }
        }
        if self.charges.is_due() {
            self.flush_inbound(ctx);
        }
    }
}

fn arrival(msg: &Inbound) -> Arrival<'_> {
    Arrival {
        message_id: &msg.message_id,
        sender: msg.sender,
        sender_phone: &msg.sender_phone,
        body: &msg.body,
        channel: msg.channel,
    }
}

impl Actor for NumberActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.deps.options.mailbox_capacity);
        if !self.deps.options.driven_timers {
            ctx.run_interval(TICK_EVERY, |act, ctx| {
                act.drain_answered(ctx);
                if let Some(round) = act.tick(ctx) {
                    ctx.spawn(round);
                }
            });
        }
        self.load_from_ledger(ctx);
    }

    fn stopping(&mut self, ctx: &mut Context<Self>) -> Running {
        self.drain_answered(ctx);
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
    /// spend, sender memory, judgements and shield state, and inbound
    /// charges are kept.
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

    /// Decides one inbound SMS. Local outcomes are answered at once; what
    /// needs the ledger awaits it without blocking the mailbox.
    fn handle(&mut self, msg: Inbound, ctx: &mut Context<Self>) {
        self.drain_answered(ctx);
        let now = self.now_micros();
        let live = &mut self.live;
        let step = catch_unwind(AssertUnwindSafe(|| {
            let seen = live.state.observe(&msg.sender, &msg.message_id, now);
            let step = live.state.decide(&arrival(&msg), now, seen.memory, live.ledger_calls);
            (seen, step)
        }));
        let Ok((seen, step)) = step else {
            // State may be half-updated: let the supervisor rebuild it.
            ctx.stop();
            return;
        };
        let duplicate = matches!(&step, Step::Decided(d) if d.outcome == Outcome::Duplicate);
        let blocked = matches!(&step, Step::Decided(d) | Step::OptOut(d) if d.outcome == Outcome::Blocked);
        self.account(&arrival(&msg), &seen, duplicate, blocked, now, ctx);
        self.dispatch(msg, step, ctx);
    }
}

impl Handler<SetPaused> for NumberActor {
    type Result = ();

    /// Pauses or resumes replies.
    fn handle(&mut self, msg: SetPaused, ctx: &mut Context<Self>) {
        self.drain_answered(ctx);
        self.live.state.set_paused(msg.0);
    }
}

impl Handler<SetPolicy> for NumberActor {
    type Result = ();

    /// New rules for this number (a reload or a runtime change); caches stay.
    fn handle(&mut self, msg: SetPolicy, ctx: &mut Context<Self>) {
        self.drain_answered(ctx);
        self.deps.policy = Arc::clone(&msg.0);
        self.live.state.set_policy(msg.0);
    }
}

impl Handler<SetSendApi> for NumberActor {
    type Result = ();

    /// The provider client for replies sent through its API (a reload).
    fn handle(&mut self, msg: SetSendApi, _ctx: &mut Context<Self>) {
        self.deps.send_api = msg.0;
    }
}

impl Handler<LedgerChanged> for NumberActor {
    type Result = ();

    /// A top-up lifts a cached balance exhaustion; a shared shield is
    /// adopted; a judgement deferred anywhere wakes the judge.
    fn handle(&mut self, msg: LedgerChanged, _ctx: &mut Context<Self>) {
        match msg.0 {
            LedgerEvent::TopUp { tenant } if *tenant == *self.deps.policy.tenant => {
                self.live.state.lift_balance_block();
            }
            LedgerEvent::Deferred { number } if *number == *self.deps.policy.number => {
                self.live.queue_active = true;
            }
            LedgerEvent::Shield { number, until_seconds } if *number == *self.deps.policy.number => {
                let now_seconds = self.deps.clock.now_seconds();
                if self.live.state.adopt_shield(until_seconds, now_seconds) {
                    tracing::warn!(tenant = %self.deps.policy.tenant, number = %self.deps.policy.number,
                        "shield mode adopted from another replica");
                    self.deps.metrics.set_shield(true);
                    self.incident_shielded(until_seconds);
                }
            }
            _ => {}
        }
    }
}

impl Handler<Tick> for NumberActor {
    type Result = ResponseActFuture<Self, ()>;

    /// Runs the periodic work once (driven timers), resolving when its
    /// ledger writes and any judgement round have finished.
    fn handle(&mut self, _msg: Tick, ctx: &mut Context<Self>) -> Self::Result {
        self.drain_answered(ctx);
        match self.tick(ctx) {
            Some(round) => Box::pin(round),
            None => Box::pin(actix::fut::ready(())),
        }
    }
}

impl Handler<FlushInbound> for NumberActor {
    type Result = ResponseActFuture<Self, ()>;

    /// Records pending inbound charges and resolves when they are written.
    fn handle(&mut self, _msg: FlushInbound, ctx: &mut Context<Self>) -> Self::Result {
        self.drain_answered(ctx);
        match self.inbound_write() {
            Some(write) => Box::pin(write),
            None => Box::pin(actix::fut::ready(())),
        }
    }
}

impl Handler<Snapshot> for NumberActor {
    type Result = MessageResult<Snapshot>;

    /// Reports the actor's state.
    fn handle(&mut self, _msg: Snapshot, ctx: &mut Context<Self>) -> MessageResult<Snapshot> {
        self.drain_answered(ctx);
        let now_seconds = self.deps.clock.now_seconds();
        let state = &self.live.state;
        MessageResult(NumberSnapshot {
            tenant: self.deps.policy.tenant.to_string(),
            number: self.deps.policy.number.to_string(),
            paused: state.paused(),
            shield_until_seconds: state.shield_until(now_seconds),
            budget_exhausted: state.budget_block(),
            cached_senders: state.cached_senders(),
            deferred_here: state.deferred_here(),
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
