//! Delivers the engine's alerts: one background task POSTs each alert as
//! JSON to its tenant's `alert_webhook` (bounded time per POST), and counts
//! the result in `antirelou_alert_webhooks_total{tenant,kind,result}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use antirelou_engine::{Alert, Metrics};
use tokio::sync::mpsc;

/// The longest one alert POST may take.
const POST_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the delivery task on the current runtime. `webhooks` maps a
/// tenant to its `alert_webhook` URL (tenants without one get no POST).
pub fn spawn(mut alerts: mpsc::Receiver<Alert>, webhooks: HashMap<String, Arc<str>>, metrics: Metrics) {
    let client = reqwest::Client::builder().timeout(POST_TIMEOUT).build().unwrap_or_default();
    tokio::spawn(async move {
        while let Some(alert) = alerts.recv().await {
            let Some(url) = webhooks.get(&alert.tenant) else { continue };
            let ok = match client.post(url.as_ref()).json(&alert).send().await {
                Ok(response) => response.status().is_success(),
                Err(_) => false,
            };
            if !ok {
                tracing::warn!(tenant = %alert.tenant, event = alert.event, "alert webhook failed");
            }
            metrics.alert_delivered(&alert.tenant, alert.kind, ok);
        }
    });
}
