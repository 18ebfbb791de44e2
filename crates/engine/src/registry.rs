//! `NumberRegistry`: the actors of every configured number, spread over a
//! few arbiters (threads), and the one way the web layer reaches them. The
//! route table (numbers and tenants) is swapped whole by a reload
//! (`registry/routes.rs` builds it and starts the actors of new numbers).
//! Decisions wait behind `registry/gate.rs` until [`Controls`](crate::Controls)
//! has first applied the stored runtime controls.

mod gate;
mod routes;

use std::collections::HashMap;
use std::sync::Arc;

use actix::dev::SendError;
use actix::prelude::*;
use antirelou_domain::{Outcome, SenderHasher, SenderKey, SharedClock};
use antirelou_ledger::{Ledger, LedgerEvent};
use antirelou_providers::SendApi;
use antirelou_settings::Settings;
use arc_swap::ArcSwap;
use tokio::sync::{broadcast, oneshot};

use crate::alerts::AlertOutbox;
use crate::handle::NumberHandle;
use crate::health::HealthReporter;
use crate::messages::{
    Channel, Decision, DrainAnswered, FlushInbound, Inbound, LedgerChanged, NumberSnapshot, SetSendApi, Snapshot, Tick,
};
use crate::metrics::{LedgerOp, Metrics};
use crate::number::published::FastArrival;
use crate::number::NumberActor;
use crate::options::EngineOptions;
use crate::policy::TenantRoute;
use crate::stats::{DayCounters, DAY_COUNTS_EVERY};
use gate::ControlGate;
pub use routes::RouteChanges;
use routes::{ActorSpawner, RouteTable};

/// What the engine is plugged into, besides the ledger and the clock.
pub struct Wiring {
    pub alerts: AlertOutbox,
    /// Each number's send API, by number (E.164).
    pub send_apis: SendApis,
    pub options: EngineOptions,
}

/// Send APIs by number (E.164).
pub type SendApis = HashMap<String, Arc<dyn SendApi>>;

/// Routes inbound SMS to number actors.
#[derive(Clone)]
pub struct NumberRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    /// Swapped whole by a reload; a lookup is one atomic load, no lock.
    routes: ArcSwap<RouteTable>,
    hasher: SenderHasher,
    options: EngineOptions,
    metrics: Metrics,
    ledger: Arc<dyn Ledger>,
    spawner: ActorSpawner,
    clock: SharedClock,
    day_counters: DayCounters,
    /// Opened by [`Controls`](crate::Controls) once the stored controls are applied.
    gate: ControlGate,
    health: HealthReporter,
}

impl NumberRegistry {
    /// Starts one supervised actor per number. Must run inside an actix
    /// `System`. Alerts go to `wiring.alerts` (the caller delivers them);
    /// replies that are not inline go through `wiring.send_apis`.
    pub fn start(
        settings: &Settings,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
        metrics: Metrics,
        wiring: Wiring,
    ) -> NumberRegistry {
        let Wiring { alerts, send_apis, options } = wiring;
        let health = HealthReporter::new(
            Arc::clone(&ledger),
            alerts.clone(),
            Arc::clone(&clock),
            metrics.clone(),
            options.ledger_timeout,
            &settings.server.public_url,
            settings.ledger.timezone,
        );
        let spawner =
            ActorSpawner::new(settings, Arc::clone(&ledger), Arc::clone(&clock), alerts, health.clone(), &options);
        let table = RouteTable::build(settings, &send_apis, &metrics, &spawner, None);
        metrics.numbers_configured.set(table.numbers.len() as f64);
        let registry = NumberRegistry {
            inner: Arc::new(Inner {
                routes: ArcSwap::from_pointee(table),
                hasher: settings.privacy.hasher.clone(),
                options,
                metrics,
                ledger: Arc::clone(&ledger),
                spawner,
                clock,
                day_counters: DayCounters::default(),
                gate: ControlGate::closed(),
                health,
            }),
        };
        registry.forward_ledger_events(ledger.events());
        if !registry.inner.options.driven_timers {
            registry.write_day_counts_regularly();
        }
        registry
    }

    /// Applies a new configuration: numbers added get actors, removed ones
    /// are no longer routed (their actor stops once its in-flight messages
    /// are answered), kept ones keep their actor (caches, shield, queue)
    /// and get their new send API. Tenants' routes (secrets, tokens) are
    /// replaced. The kept numbers' new policies (the file with the stored
    /// overrides and pause) are the caller's to send:
    /// [`Controls::rebase`](crate::Controls::rebase). What cannot change
    /// without a restart is the caller's to refuse or report (`privacy`,
    /// the ledger, listeners).
    pub async fn reload(&self, settings: &Settings, send_apis: &SendApis) -> RouteChanges {
        let old = self.inner.routes.load_full();
        let table = RouteTable::build(settings, send_apis, &self.inner.metrics, &self.inner.spawner, Some(&old));
        let changes = table.changes_from(&old);
        for handle in table.numbers.values() {
            let Some(previous) = old.numbers.get(&**handle.number()) else { continue };
            if previous.addr != handle.addr {
                continue;
            }
            let send_api = send_apis.get(&**handle.number()).cloned();
            let _ = handle.addr.send(SetSendApi(send_api)).await;
        }
        self.inner.metrics.numbers_configured.set(table.numbers.len() as f64);
        let serves = |tenant: &str, number: &str| table.numbers.get(number).is_some_and(|h| **h.tenant_id() == *tenant);
        let has_tenant = |tenant: &str| table.tenants.contains_key(tenant);
        self.inner.metrics.numbers.retain(serves, has_tenant);
        for tenant in old.tenants.keys().filter(|t| !table.tenants.contains_key(t.as_str())) {
            self.inner.metrics.forget_tenant(tenant);
        }
        self.inner.routes.store(Arc::new(table));
        changes
    }

    /// The number's handle, if we serve it.
    pub fn route(&self, number: &str) -> Option<Arc<NumberHandle>> {
        self.inner.routes.load().numbers.get(number).cloned()
    }

    pub fn tenant(&self, id: &str) -> Option<Arc<TenantRoute>> {
        self.inner.routes.load().tenants.get(id).cloned()
    }

    /// Every number served now.
    pub fn numbers(&self) -> Vec<Arc<NumberHandle>> {
        self.inner.routes.load().numbers.values().cloned().collect()
    }

    /// Every tenant served now.
    pub fn tenants(&self) -> Vec<Arc<TenantRoute>> {
        self.inner.routes.load().tenants.values().cloned().collect()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Where observations of the numbers' provider links go (see [`crate::health`]).
    pub fn health(&self) -> &HealthReporter {
        &self.inner.health
    }

    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.inner.ledger
    }

    pub fn options(&self) -> &EngineOptions {
        &self.inner.options
    }

    /// The keyed fingerprint of a sender (`privacy.sender_key`), for callers
    /// that must group a sender's messages without keeping their number
    /// (the reassembly of long Vonage SMS).
    pub fn sender_key(&self, sender_phone: &str) -> SenderKey {
        self.inner.hasher.key(sender_phone)
    }

    pub(crate) fn controls_gate(&self) -> &ControlGate {
        &self.inner.gate
    }

    /// Decides one inbound SMS for `handle`'s number and counts its outcome
    /// (`antirelou_inbound_total`).
    /// The silent local outcomes (a repeat sender, a blocked sender, a
    /// paused number, a judged sender) are answered here from the number's
    /// published view, and applied by its actor afterwards
    /// (`number/published.rs`).
    pub async fn decide(&self, handle: &NumberHandle, message_id: &str, sender_phone: &str, body: &str) -> Decision {
        let sender = self.inner.hasher.key(sender_phone);
        if let Some(decision) = self.answer_here(handle, message_id, sender, sender_phone, body) {
            handle.metrics.count(decision.outcome);
            return decision;
        }
        let decision = self.decide_arrival(handle, message_id, sender, sender_phone, body, Channel::Sms).await;
        handle.metrics.count(decision.outcome);
        decision
    }

    /// Answers from the published view, and hands the arrival to the actor,
    /// when the rules decide it silently without the ledger.
    fn answer_here(
        &self,
        handle: &NumberHandle,
        message_id: &str,
        sender: SenderKey,
        sender_phone: &str,
        body: &str,
    ) -> Option<Decision> {
        if !self.inner.gate.is_open() {
            return None;
        }
        let now = self.inner.clock.now_micros();
        let outcome = handle.published.outcome(message_id, &sender, sender_phone, body, now)?;
        let arrival = FastArrival {
            message_id: Arc::from(message_id),
            sender,
            sender_phone: sender_phone.to_owned(),
            body: body.to_owned(),
            outcome,
            at_micros: now,
        };
        let wake = handle.published.hand_off(arrival).ok()?;
        if wake {
            // A full mailbox is drained by the message that fills it.
            let _ = handle.addr.try_send(DrainAnswered);
        }
        Some(Decision::silent(outcome))
    }

    /// Decides one call for `handle`'s number, by the same rules and in the
    /// same ledger as an SMS (`call_id` is its message id; a paid answer's
    /// reply is what to say), and counts it (`antirelou_calls_total`). The
    /// caller rejects calls to a number without `voice` before asking.
    pub async fn decide_call(&self, handle: &NumberHandle, call_id: &str, sender_phone: &str) -> Decision {
        let sender = self.inner.hasher.key(sender_phone);
        let decision = self.decide_arrival(handle, call_id, sender, sender_phone, "", Channel::Call).await;
        handle.metrics.count_call(Some(decision.outcome));
        decision
    }

    /// Never waits longer than the decision timeout; a full mailbox answers
    /// `overloaded` at once, and so does a replica whose runtime controls
    /// are not loaded yet (it might not know that the number is paused).
    async fn decide_arrival(
        &self,
        handle: &NumberHandle,
        message_id: &str,
        sender: SenderKey,
        sender_phone: &str,
        body: &str,
        channel: Channel,
    ) -> Decision {
        if !self.inner.gate.wait(self.inner.options.decision_timeout).await {
            return Decision::silent(Outcome::Overloaded);
        }
        let (reply_to, answer) = oneshot::channel();
        let inbound = Inbound {
            message_id: Arc::from(message_id),
            sender,
            sender_phone: sender_phone.to_owned(),
            body: body.to_owned(),
            channel,
            reply_to,
        };
        match handle.addr.try_send(inbound) {
            Err(SendError::Full(_)) => {
                handle.metrics.mailbox_full();
                Decision::silent(Outcome::Overloaded)
            }
            Err(SendError::Closed(_)) => Decision::silent(Outcome::Overloaded),
            Ok(()) => match tokio::time::timeout(self.inner.options.decision_timeout, answer).await {
                Ok(Ok(decision)) => decision,
                // Timed out, or the actor panicked and dropped the request.
                _ => Decision::silent(Outcome::Overloaded),
            },
        }
    }

    pub async fn snapshot(&self, handle: &NumberHandle) -> Result<NumberSnapshot, MailboxError> {
        handle.addr.send(Snapshot).await
    }

    /// Runs every actor's periodic work once at the clock's current time and
    /// waits for it (driven timers: the simulator calls this as it moves
    /// its virtual clock).
    pub async fn tick(&self) {
        for handle in self.numbers() {
            let _ = handle.addr.send(Tick).await;
        }
    }

    /// Adds the decisions and spend counted since the last write to each
    /// tenant's day in the ledger (`stats.rs`); `false` when a write failed
    /// (it is retried with the next one).
    pub async fn write_day_counts(&self) -> bool {
        let written = self.inner.day_counters.write(&self.numbers(), &*self.inner.ledger, &self.inner.clock).await;
        if !written {
            self.inner.metrics.ledger_error(LedgerOp::WriteDayCounts);
        }
        written
    }

    fn write_day_counts_regularly(&self) {
        let registry = Arc::downgrade(&self.inner);
        actix::spawn(async move {
            let mut every = tokio::time::interval(DAY_COUNTS_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let Some(inner) = registry.upgrade() else { break };
                NumberRegistry { inner }.write_day_counts().await;
            }
        });
    }

    /// Graceful shutdown: every actor writes its pending inbound charges,
    /// the day counters are written, then the ledger makes everything durable.
    pub async fn flush(&self) {
        for handle in self.numbers() {
            let _ = tokio::time::timeout(self.inner.options.decision_timeout, handle.addr.send(FlushInbound)).await;
        }
        self.write_day_counts().await;
        if self.inner.ledger.flush().await.is_err() {
            self.inner.metrics.ledger_error(LedgerOp::Flush);
        }
    }

    /// Passes ledger events (top-ups, shared shields) to the actors concerned.
    fn forward_ledger_events(&self, mut events: broadcast::Receiver<LedgerEvent>) {
        let registry = self.clone();
        actix::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                let targets: Vec<Addr<NumberActor>> = registry
                    .inner
                    .routes
                    .load()
                    .numbers
                    .values()
                    .filter(|h| match &event {
                        LedgerEvent::TopUp { tenant } => **h.tenant_id() == **tenant,
                        LedgerEvent::Shield { number, .. } | LedgerEvent::Deferred { number } => {
                            **h.number() == **number
                        }
                        // Applied by `Controls`.
                        LedgerEvent::Control { .. } => false,
                    })
                    .map(|h| h.addr.clone())
                    .collect();
                for addr in targets {
                    let _ = addr.send(LedgerChanged(event.clone())).await;
                }
            }
        });
    }
}
