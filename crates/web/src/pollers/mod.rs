//! Pollers: the providers that deliver inbound SMS to an inbox we read
//! (OVHcloud) instead of posting webhooks. They feed the same registry the
//! webhook routes feed. Started by `Application::build` for every polled
//! number, stopped (leases released) by `run_until_stopped`.
//!
//! - `ovh.rs`: [`OvhPoller`], one per OVHcloud number. Start there.
//! - `health.rs`: [`PollerHealth`], what `/readyz` reports.

pub mod health;
pub mod ovh;

use std::time::Duration;

use antirelou_domain::ProviderKind;
use antirelou_settings::Settings;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use health::{PollerHealth, PollerStatus};
pub use ovh::{Handled, OvhPoller, PollReport};

use crate::startup::AppState;

/// How long a stop waits for the pollers to release their leases.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// The running pollers of one application.
pub struct Pollers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Pollers {
    /// Starts one poller per OVHcloud number of `settings` on the current runtime.
    pub fn start(settings: &Settings, state: &AppState) -> Pollers {
        let (stop, stopped) = watch::channel(false);
        let tasks = settings
            .numbers()
            .filter(|(tenant, _)| tenant.provider.kind() == ProviderKind::Ovh)
            .filter_map(|(_, number)| OvhPoller::for_number(state, settings, number.number.as_str()))
            .map(|poller| actix_web::rt::spawn(poller.run(stopped.clone())))
            .collect();
        Pollers { stop, tasks }
    }

    /// Pollers running.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Tells every poller to stop and waits (bounded) for them to release their leases.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if tokio::time::timeout(STOP_WITHIN, task).await.is_err() {
                tracing::warn!("a poller did not stop within {} s", STOP_WITHIN.as_secs());
            }
        }
    }
}
