//! Shield alerts: a JSON POST to the tenant's `alert_webhook` on entry and
//! exit. Sending never blocks a decision: alerts go through a bounded queue
//! to one background task, and are dropped (and counted) when it is full.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

/// What the webhook receives. `text` makes chat webhooks (Mattermost, Slack,
/// Rocket.Chat) show it as is.
#[derive(Clone, Debug, Serialize)]
pub struct ShieldAlert {
    pub event: &'static str,
    pub tenant: String,
    pub number: String,
    pub shield_until: Option<String>,
    pub inbound_last_minute: u32,
    pub new_senders_last_minute: u32,
    pub text: String,
}

/// Where to send and what, plus a callback for the outcome metric.
pub struct AlertJob {
    pub url: String,
    pub alert: ShieldAlert,
    pub done: Box<dyn FnOnce(bool) + Send>,
}

/// Handle to the alert task. Cheap to clone.
#[derive(Clone)]
pub struct AlertSender {
    queue: mpsc::Sender<AlertJob>,
}

const QUEUE_CAPACITY: usize = 256;
const POST_TIMEOUT: Duration = Duration::from_secs(5);

impl AlertSender {
    /// Starts the background task on the current Tokio runtime.
    pub fn spawn() -> AlertSender {
        let (queue, mut jobs) = mpsc::channel::<AlertJob>(QUEUE_CAPACITY);
        let client = reqwest::Client::builder().timeout(POST_TIMEOUT).build().unwrap_or_default();
        tokio::spawn(async move {
            while let Some(job) = jobs.recv().await {
                let ok = match client.post(&job.url).json(&job.alert).send().await {
                    Ok(response) => response.status().is_success(),
                    Err(_) => false,
                };
                if !ok {
                    tracing::warn!(tenant = %job.alert.tenant, event = job.alert.event, "alert webhook failed");
                }
                (job.done)(ok);
            }
        });
        AlertSender { queue }
    }

    /// Queues an alert; when the queue is full the alert is dropped and reported failed.
    pub fn send(&self, job: AlertJob) {
        if let Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) =
            self.queue.try_send(job)
        {
            (job.done)(false);
        }
    }
}
