//! Delivers the engine's alerts: one background task POSTs each alert as
//! JSON to its tenant's `alert_webhook` (bounded time per POST; the
//! deployment's budget alerts to every tenant's), and counts
//! the result in `antirelou_alert_webhooks_total{tenant,kind,result}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use antirelou_engine::{Alert, Metrics};
use antirelou_ledger::reports::DEPLOYMENT_ALERTS;
use arc_swap::ArcSwap;
use tokio::sync::mpsc;

/// The longest one alert POST may take.
const POST_TIMEOUT: Duration = Duration::from_secs(5);

/// Each tenant's `alert_webhook` URL by tenant id; a reload swaps it.
pub type AlertWebhooks = Arc<ArcSwap<HashMap<String, Arc<str>>>>;

/// Starts the delivery task on the current runtime. `webhooks` maps a
/// tenant to its `alert_webhook` URL (tenants without one get no POST).
pub fn spawn(mut alerts: mpsc::Receiver<Alert>, webhooks: AlertWebhooks, metrics: Metrics) {
    let client = reqwest::Client::builder().timeout(POST_TIMEOUT).build().unwrap_or_default();
    tokio::spawn(async move {
        while let Some(alert) = alerts.recv().await {
            // The deployment's alerts (tenant `*`) go to every tenant's webhook.
            let targets: Vec<(String, Arc<str>)> = if alert.tenant == DEPLOYMENT_ALERTS {
                webhooks.load().iter().map(|(tenant, url)| (tenant.clone(), Arc::clone(url))).collect()
            } else {
                webhooks
                    .load()
                    .get(&alert.tenant)
                    .map(|url| (alert.tenant.clone(), Arc::clone(url)))
                    .into_iter()
                    .collect()
            };
            for (tenant, url) in targets {
                let ok = match client.post(url.as_ref()).json(&alert).send().await {
                    Ok(response) => response.status().is_success(),
                    Err(_) => false,
                };
                if !ok {
                    tracing::warn!(tenant = %tenant, event = alert.event, "alert webhook failed");
                }
                metrics.alert_delivered(&tenant, alert.kind, ok);
            }
        }
    });
}
