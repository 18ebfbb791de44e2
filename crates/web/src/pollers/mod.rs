//! Pollers: the providers that deliver inbound SMS to an inbox we read
//! (OVHcloud) instead of posting webhooks. They hand each message to the
//! same [`Intake`] the webhook routes use. Started by `Application::build` for every polled
//! number, started, stopped or restarted by a reload as the numbers come,
//! go or change, and stopped (leases released) by `run_until_stopped`.
//!
//! - `ovh.rs`: [`OvhPoller`], one per OVHcloud number. Start there.
//! - `health.rs`: [`PollerHealth`], what `/readyz` reports.

pub mod health;
pub mod ovh;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use antirelou_domain::{ProviderKind, SharedClock};
use antirelou_providers::ovh::OvhApi;
use antirelou_settings::Settings;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::intake::Intake;
pub use health::{PollerHealth, PollerStatus};
pub use ovh::{Handled, OvhPoller, PollReport};

/// How long a stop waits for the pollers to release their leases.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// What every poller of a process shares.
#[derive(Clone)]
pub struct PollerContext {
    pub intake: Intake,
    pub clock: SharedClock,
    pub health: PollerHealth,
}

/// One running poller: what it was started with, and how to stop it.
struct Running {
    tenant: String,
    /// The tenant and its provider settings: a change restarts the poller.
    started_with: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// The running pollers of one application, by number.
pub struct Pollers {
    context: PollerContext,
    running: Mutex<HashMap<String, Running>>,
}

impl Pollers {
    pub fn new(context: PollerContext) -> Pollers {
        Pollers { context, running: Mutex::default() }
    }

    /// Starts a poller for each OVHcloud number of `settings` that has none
    /// (on the current runtime), with its tenant's client from `apis`.
    pub fn start_missing(&self, settings: &Settings, apis: &HashMap<String, Arc<OvhApi>>) {
        let mut running = self.lock();
        for (tenant, number) in settings.numbers().filter(|(t, _)| t.provider.kind() == ProviderKind::Ovh) {
            let number = number.number.as_str();
            if running.contains_key(number) {
                continue;
            }
            let Some(poller) = OvhPoller::new(&self.context, settings, number, apis) else { continue };
            let (stop, stopped) = watch::channel(false);
            // `tokio::spawn`, not actix's `spawn_local`: a reload may run outside the actix
            // system's local set (the SIGHUP task).
            let task = tokio::spawn(poller.run(stopped));
            let started_with = started_with(tenant);
            running.insert(number.to_owned(), Running { tenant: tenant.id.clone(), started_with, stop, task });
        }
    }

    /// Makes the running pollers those of `settings` (a reload): stops the
    /// pollers of numbers removed, or whose tenant or provider settings
    /// changed (their leases released, their health and series dropped),
    /// then starts the missing ones with the new clients `apis`.
    pub async fn sync(&self, settings: &Settings, apis: &HashMap<String, Arc<OvhApi>>) {
        let wanted: HashMap<&str, String> = settings
            .numbers()
            .filter(|(t, _)| t.provider.kind() == ProviderKind::Ovh)
            .map(|(t, n)| (n.number.as_str(), started_with(t)))
            .collect();
        let leaving: Vec<(String, Running)> = {
            let mut running = self.lock();
            let gone: Vec<String> = running
                .iter()
                .filter(|(number, r)| wanted.get(number.as_str()) != Some(&r.started_with))
                .map(|(number, _)| number.clone())
                .collect();
            gone.into_iter().filter_map(|number| running.remove(&number).map(|r| (number, r))).collect()
        };
        for (number, poller) in leaving {
            let tenant = poller.tenant.clone();
            stop_one(poller).await;
            self.context.health.remove(&number);
            self.context.intake.registry().metrics().pollers.forget(&tenant, &number);
            tracing::info!(number, "OVHcloud poller stopped by a reload");
        }
        self.start_missing(settings, apis);
    }

    /// Pollers running.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tells every poller to stop and waits (bounded) for them to release their leases.
    pub async fn stop(&self) {
        let all: Vec<Running> = self.lock().drain().map(|(_, r)| r).collect();
        for poller in all {
            stop_one(poller).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a poller depends on, compared across a reload (in memory only).
fn started_with(tenant: &antirelou_settings::TenantSettings) -> String {
    format!("{}:{:?}", tenant.id, tenant.provider)
}

async fn stop_one(poller: Running) {
    let _ = poller.stop.send(true);
    if tokio::time::timeout(STOP_WITHIN, poller.task).await.is_err() {
        tracing::warn!("a poller did not stop within {} s", STOP_WITHIN.as_secs());
    }
}
