//! The registry's route table (numbers and tenants, swapped whole by a
//! reload) and the [`ActorSpawner`] that starts the actors of new numbers.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix::prelude::*;
use antirelou_domain::{SenderHasher, SenderSealer, SharedClock};
use antirelou_ledger::Ledger;
use antirelou_settings::Settings;

use super::SendApis;
use crate::alerts::AlertOutbox;
use crate::handle::NumberHandle;
use crate::health::HealthReporter;
use crate::metrics::Metrics;
use crate::number::published::Published;
use crate::number::{ActorDeps, NumberActor};
use crate::options::EngineOptions;
use crate::policy::{NumberPolicy, TenantRoute};

/// What one process serves: numbers by E.164, tenants by id.
pub(super) struct RouteTable {
    pub(super) numbers: HashMap<String, Arc<NumberHandle>>,
    pub(super) tenants: HashMap<String, Arc<TenantRoute>>,
}

/// What a reload changed, by number (E.164) and tenant id, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RouteChanges {
    pub numbers_added: Vec<String>,
    pub numbers_removed: Vec<String>,
    /// Numbers kept whose rules (or tenant) changed.
    pub numbers_changed: Vec<String>,
    pub tenants_added: Vec<String>,
    pub tenants_removed: Vec<String>,
}

impl RouteTable {
    /// The table of `settings`. With `reuse`, numbers already served keep
    /// their actor and metrics (the caller sends them their new policy);
    /// others get a new actor.
    pub(super) fn build(
        settings: &Settings,
        send_apis: &SendApis,
        metrics: &Metrics,
        spawner: &ActorSpawner,
        reuse: Option<&RouteTable>,
    ) -> RouteTable {
        let mut numbers = HashMap::new();
        let mut tenants = HashMap::new();
        for tenant in &settings.tenants {
            let route = Arc::new(TenantRoute::from_settings(tenant));
            tenants.insert(tenant.id.clone(), Arc::clone(&route));
            for number in &tenant.numbers {
                let policy = Arc::new(NumberPolicy::from_settings(settings, tenant, number));
                let kept = reuse.and_then(|old| old.numbers.get(number.number.as_str()));
                // A number moved to another tenant starts afresh.
                let kept = kept.filter(|old| *old.tenant_id() == policy.tenant);
                let send_api = send_apis.get(number.number.as_str()).cloned();
                let handle = match kept {
                    Some(old) => NumberHandle {
                        addr: old.addr.clone(),
                        tenant: Arc::clone(&route),
                        policy,
                        metrics: old.metrics.clone(),
                        send_api,
                        published: Arc::clone(&old.published),
                    },
                    None => {
                        let number_metrics = metrics.for_number(&tenant.id, number.number.as_str());
                        let (addr, published) = spawner.spawn(&policy, &number_metrics, send_api.clone());
                        NumberHandle {
                            addr,
                            tenant: Arc::clone(&route),
                            policy,
                            metrics: number_metrics,
                            send_api,
                            published,
                        }
                    }
                };
                // Kept or new, the series carry the provider the number's webhooks come from now.
                handle.metrics.series.receive_webhooks_of(Some(tenant.provider.kind()));
                handle.metrics.series.set_answers_calls(handle.policy.voice.is_some());
                numbers.insert(number.number.as_str().to_owned(), Arc::new(handle));
            }
        }
        RouteTable { numbers, tenants }
    }

    /// What `self` changes from `old`.
    pub(super) fn changes_from(&self, old: &RouteTable) -> RouteChanges {
        let sorted =
            |keys: &mut dyn Iterator<Item = &String>| keys.cloned().collect::<BTreeSet<_>>().into_iter().collect();
        let changed = self.numbers.iter().filter(|(number, handle)| {
            old.numbers.get(*number).is_some_and(|previous| {
                format!("{:?}", previous.policy) != format!("{:?}", handle.policy)
                    || format!("{:?}", previous.tenant) != format!("{:?}", handle.tenant)
            })
        });
        RouteChanges {
            numbers_added: sorted(&mut self.numbers.keys().filter(|n| !old.numbers.contains_key(*n))),
            numbers_removed: sorted(&mut old.numbers.keys().filter(|n| !self.numbers.contains_key(*n))),
            numbers_changed: sorted(&mut changed.map(|(number, _)| number)),
            tenants_added: sorted(&mut self.tenants.keys().filter(|t| !old.tenants.contains_key(*t))),
            tenants_removed: sorted(&mut old.tenants.keys().filter(|t| !self.tenants.contains_key(*t))),
        }
    }
}

/// Starts number actors over the registry's arbiters, round robin.
pub(super) struct ActorSpawner {
    arbiters: Vec<ArbiterHandle>,
    next: AtomicUsize,
    ledger: Arc<dyn Ledger>,
    clock: SharedClock,
    alerts: AlertOutbox,
    health: HealthReporter,
    hasher: SenderHasher,
    sealer: SenderSealer,
    holder: Arc<str>,
    options: EngineOptions,
}

impl ActorSpawner {
    pub(super) fn new(
        settings: &Settings,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
        alerts: AlertOutbox,
        health: HealthReporter,
        options: &EngineOptions,
    ) -> ActorSpawner {
        let arbiter_count = if options.arbiters == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            options.arbiters
        };
        ActorSpawner {
            arbiters: (0..arbiter_count).map(|_| Arbiter::new().handle()).collect(),
            next: AtomicUsize::new(0),
            ledger,
            clock,
            alerts,
            health,
            hasher: settings.privacy.hasher.clone(),
            sealer: settings.privacy.sealer.clone(),
            holder: Arc::from(options.replica.as_str()),
            options: options.clone(),
        }
    }

    /// Starts the supervised actor of one number.
    fn spawn(
        &self,
        policy: &Arc<NumberPolicy>,
        metrics: &crate::metrics::NumberMetrics,
        send_api: Option<Arc<dyn antirelou_providers::SendApi>>,
    ) -> (Addr<NumberActor>, Arc<Published>) {
        let published = Arc::new(Published::new(self.options.mailbox_capacity, self.options.answer_on_workers));
        let shared = Arc::clone(&published);
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        let arbiter = &self.arbiters[index % self.arbiters.len()];
        let (policy, ledger, clock) = (Arc::clone(policy), Arc::clone(&self.ledger), Arc::clone(&self.clock));
        let (metrics, alerts, options) = (metrics.clone(), self.alerts.clone(), self.options.clone());
        let health = self.health.clone();
        let (hasher, sealer, holder) = (self.hasher.clone(), self.sealer.clone(), Arc::clone(&self.holder));
        let addr = Supervisor::start_in_arbiter(arbiter, move |_: &mut Context<NumberActor>| {
            NumberActor::new(ActorDeps {
                policy: Arc::clone(&policy),
                ledger: Arc::clone(&ledger),
                clock: Arc::clone(&clock),
                metrics: metrics.clone(),
                alerts: alerts.clone(),
                health: health.clone(),
                send_api: send_api.clone(),
                hasher: hasher.clone(),
                sealer: sealer.clone(),
                holder: Arc::clone(&holder),
                options: options.clone(),
                published: Arc::clone(&shared),
            })
        });
        (addr, published)
    }
}
