//! `NumberRegistry`: the actors of every configured number, spread over a
//! few arbiters (threads), and the one way the web layer reaches them.

use std::collections::HashMap;
use std::sync::Arc;

use actix::dev::SendError;
use actix::prelude::*;
use antirelou_domain::{Outcome, SenderHasher, SenderKey, SharedClock};
use antirelou_ledger::{Ledger, LedgerEvent};
use antirelou_providers::SendApi;
use antirelou_settings::Settings;
use tokio::sync::{broadcast, oneshot};

use crate::alerts::AlertOutbox;
use crate::control::ControlGate;
use crate::messages::{Decision, FlushInbound, Inbound, LedgerChanged, NumberSnapshot, Snapshot, Tick};
use crate::metrics::{LedgerOp, Metrics, NumberMetrics};
use crate::number::{ActorDeps, NumberActor};
use crate::options::EngineOptions;
use crate::policy::{NumberPolicy, TenantRoute};

/// What the engine is plugged into, besides the ledger and the clock.
pub struct Wiring {
    pub alerts: AlertOutbox,
    /// Each number's send API, by number (E.164).
    pub send_apis: SendApis,
    pub options: EngineOptions,
}

/// Send APIs by number (E.164).
pub type SendApis = HashMap<String, Arc<dyn SendApi>>;

/// One number as the web layer sees it.
#[derive(Clone)]
pub struct NumberHandle {
    pub addr: Addr<NumberActor>,
    pub tenant: Arc<TenantRoute>,
    pub policy: Arc<NumberPolicy>,
    pub metrics: NumberMetrics,
}

/// Routes inbound SMS to number actors.
#[derive(Clone)]
pub struct NumberRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    numbers: HashMap<String, NumberHandle>,
    tenants: HashMap<String, Arc<TenantRoute>>,
    hasher: SenderHasher,
    options: EngineOptions,
    metrics: Metrics,
    ledger: Arc<dyn Ledger>,
    /// Opened by [`Controls`](crate::Controls) once the stored controls are applied.
    gate: ControlGate,
    _arbiters: Vec<ArbiterHandle>,
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
        let holder: Arc<str> = Arc::from(options.replica.as_str());
        let arbiter_count = if options.arbiters == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            options.arbiters
        };
        let arbiters: Vec<ArbiterHandle> = (0..arbiter_count).map(|_| Arbiter::new().handle()).collect();
        let mut numbers = HashMap::new();
        let mut tenants = HashMap::new();
        let mut index = 0usize;
        for tenant in &settings.tenants {
            let route = Arc::new(TenantRoute::from_settings(tenant));
            tenants.insert(tenant.id.clone(), Arc::clone(&route));
            for number in &tenant.numbers {
                let policy = Arc::new(NumberPolicy::from_settings(settings, tenant, number));
                let number_metrics = metrics.for_number(&tenant.id, number.number.as_str());
                let arbiter = &arbiters[index % arbiters.len()];
                index += 1;
                let actor = {
                    let (policy, ledger, clock) = (Arc::clone(&policy), Arc::clone(&ledger), Arc::clone(&clock));
                    let (number_metrics, alerts, options) = (number_metrics.clone(), alerts.clone(), options.clone());
                    let send_api = send_apis.get(number.number.as_str()).cloned();
                    let (hasher, sealer) = (settings.privacy.hasher.clone(), settings.privacy.sealer.clone());
                    let holder = Arc::clone(&holder);
                    move |_: &mut Context<NumberActor>| {
                        NumberActor::new(ActorDeps {
                            policy: Arc::clone(&policy),
                            ledger: Arc::clone(&ledger),
                            clock: Arc::clone(&clock),
                            metrics: number_metrics.clone(),
                            alerts: alerts.clone(),
                            send_api: send_api.clone(),
                            hasher: hasher.clone(),
                            sealer: sealer.clone(),
                            holder: Arc::clone(&holder),
                            options: options.clone(),
                        })
                    }
                };
                let addr = Supervisor::start_in_arbiter(arbiter, actor);
                numbers.insert(
                    number.number.as_str().to_owned(),
                    NumberHandle { addr, tenant: Arc::clone(&route), policy, metrics: number_metrics },
                );
            }
        }
        metrics.numbers_configured.set(numbers.len() as f64);
        let registry = NumberRegistry {
            inner: Arc::new(Inner {
                numbers,
                tenants,
                hasher: settings.privacy.hasher.clone(),
                options,
                metrics,
                ledger: Arc::clone(&ledger),
                gate: ControlGate::closed(),
                _arbiters: arbiters,
            }),
        };
        registry.forward_ledger_events(ledger.events());
        registry
    }

    /// The number's handle, if we serve it.
    pub fn route(&self, number: &str) -> Option<&NumberHandle> {
        self.inner.numbers.get(number)
    }

    pub fn tenant(&self, id: &str) -> Option<&Arc<TenantRoute>> {
        self.inner.tenants.get(id)
    }

    pub fn numbers(&self) -> impl Iterator<Item = &NumberHandle> {
        self.inner.numbers.values()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
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
    pub fn sender_key(&self, sender_number: &str) -> SenderKey {
        self.inner.hasher.key(sender_number)
    }

    pub(crate) fn controls_gate(&self) -> &ControlGate {
        &self.inner.gate
    }

    /// Decides one inbound SMS for `handle`'s number and counts its outcome.
    /// Never waits longer than the decision timeout; a full mailbox answers
    /// `overloaded` at once, and so does a replica whose runtime controls
    /// are not loaded yet (it might not know that the number is paused).
    pub async fn decide(&self, handle: &NumberHandle, message_id: &str, sender_number: &str, body: &str) -> Decision {
        if !self.inner.gate.wait(self.inner.options.decision_timeout).await {
            handle.metrics.count(Outcome::Overloaded);
            return Decision::silent(Outcome::Overloaded);
        }
        let (reply_to, answer) = oneshot::channel();
        let inbound = Inbound {
            message_id: Arc::from(message_id),
            sender: self.inner.hasher.key(sender_number),
            sender_number: sender_number.to_owned(),
            body: body.to_owned(),
            reply_to,
        };
        let decision = match handle.addr.try_send(inbound) {
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
        };
        handle.metrics.count(decision.outcome);
        decision
    }

    pub async fn snapshot(&self, handle: &NumberHandle) -> Result<NumberSnapshot, MailboxError> {
        handle.addr.send(Snapshot).await
    }

    /// Runs every actor's periodic work once at the clock's current time and
    /// waits for it (driven timers: the simulator calls this as it moves
    /// its virtual clock).
    pub async fn tick(&self) {
        for handle in self.inner.numbers.values() {
            let _ = handle.addr.send(Tick).await;
        }
    }

    /// Graceful shutdown: every actor writes its pending inbound charges,
    /// then the ledger makes everything durable.
    pub async fn flush(&self) {
        for handle in self.inner.numbers.values() {
            let _ = tokio::time::timeout(self.inner.options.decision_timeout, handle.addr.send(FlushInbound)).await;
        }
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
                    .numbers
                    .values()
                    .filter(|h| match &event {
                        LedgerEvent::TopUp { tenant } => *h.policy.tenant == **tenant,
                        LedgerEvent::Shield { number, .. } | LedgerEvent::Deferred { number } => {
                            *h.policy.number == **number
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
