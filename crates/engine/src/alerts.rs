//! Alerts the engine raises for a tenant (a shield entered or exited; the
//! budget alerts of the console are raised the same way). The engine only
//! emits them into a bounded [`AlertOutbox`]; delivery (the HTTP POST to the
//! tenant's `alert_webhook`, the metric of its result) is the web crate's.
//! Emitting never blocks a decision: a full outbox drops the alert and says so.

use chrono::DateTime;
use serde::Serialize;
use tokio::sync::mpsc;

use antirelou_domain::shield::SurgeTotals;

/// What an alert is about: the `kind` label of `antirelou_alert_webhooks_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    Shield,
    Budget,
    /// A number started failing (once per episode).
    Health,
}

impl AlertKind {
    pub const ALL: [AlertKind; 3] = [AlertKind::Shield, AlertKind::Budget, AlertKind::Health];

    pub const fn as_str(self) -> &'static str {
        match self {
            AlertKind::Shield => "shield",
            AlertKind::Budget => "budget",
            AlertKind::Health => "health",
        }
    }
}

/// One alert, as POSTed (JSON). `text` makes chat webhooks (Mattermost,
/// Slack, Rocket.Chat) show it as is. Never holds a sender or a body.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// `shield_entered`, `shield_exited`, `budget_50`, ...
    pub event: &'static str,
    pub tenant: String,
    pub number: Option<String>,
    pub text: String,
    /// Event-specific figures (`shield_until`, `inbound_last_minute`, ...).
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Why a number's shield went up, in figures a volunteer can read (the
/// console's number page explains the shield with them). Never a sender.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShieldCause {
    /// `surge`, `baseline` or `money`: the `cause` of `antirelou_shield_entered_total`.
    pub cause: &'static str,
    /// New senders in an ordinary hour of the number (the busier of this
    /// hour and the last), rounded to whole senders.
    pub ordinary_hour: u32,
    /// New senders today (every replica's, as last shared, and this one's).
    pub new_senders_today: u32,
    /// The money rule: when the day's money would be gone at today's pace
    /// of new senders (Unix seconds).
    pub money_gone_at: Option<i64>,
}

impl Alert {
    /// A number entered shield mode until `until_seconds`, for `why`.
    pub fn shield_entered(
        tenant: &str,
        number: &str,
        until_seconds: i64,
        totals: SurgeTotals,
        why: &ShieldCause,
    ) -> Alert {
        let until = DateTime::from_timestamp(until_seconds, 0).map(|t| t.to_rfc3339());
        let text = format!(
            "antirelou: number {number} of {tenant} is under a flood ({} messages, {} new senders in the last minute). \
             Shield mode is on until {}: new senders are judged before they get a reply.",
            totals.inbound,
            totals.new_senders,
            until.as_deref().unwrap_or("later"),
        );
        let mut details = serde_json::Map::new();
        details.insert("shield_until".into(), until.into());
        details.insert("inbound_last_minute".into(), totals.inbound.into());
        details.insert("new_senders_last_minute".into(), totals.new_senders.into());
        details.insert("cause".into(), why.cause.into());
        details.insert("new_senders_last_hour".into(), totals.new_senders_hour.into());
        details.insert("ordinary_new_senders_per_hour".into(), why.ordinary_hour.into());
        details.insert("new_senders_today".into(), why.new_senders_today.into());
        let gone = why.money_gone_at.and_then(|at| DateTime::from_timestamp(at, 0)).map(|t| t.to_rfc3339());
        details.insert("money_gone_at".into(), gone.into());
        Alert {
            kind: AlertKind::Shield,
            event: "shield_entered",
            tenant: tenant.into(),
            number: Some(number.into()),
            text,
            details,
        }
    }

    /// The flood on a number is over.
    pub fn shield_exited(tenant: &str, number: &str, totals: SurgeTotals) -> Alert {
        let text = format!("antirelou: the flood on number {number} of {tenant} is over; shield mode is off.");
        let mut details = serde_json::Map::new();
        details.insert("shield_until".into(), serde_json::Value::Null);
        details.insert("inbound_last_minute".into(), totals.inbound.into());
        details.insert("new_senders_last_minute".into(), totals.new_senders.into());
        Alert {
            kind: AlertKind::Shield,
            event: "shield_exited",
            tenant: tenant.into(),
            number: Some(number.into()),
            text,
            details,
        }
    }
}

/// Where the engine drops alerts. Cheap to clone.
#[derive(Clone)]
pub struct AlertOutbox {
    queue: mpsc::Sender<Alert>,
}

/// Alerts waiting for delivery; beyond this they are dropped (and counted failed).
pub const ALERT_QUEUE_CAPACITY: usize = 256;

impl AlertOutbox {
    /// An outbox and the receiving end the deliverer reads.
    pub fn channel() -> (AlertOutbox, mpsc::Receiver<Alert>) {
        let (queue, alerts) = mpsc::channel(ALERT_QUEUE_CAPACITY);
        (AlertOutbox { queue }, alerts)
    }

    /// Queues an alert; `false` when it was dropped (full outbox, or nobody delivers).
    pub fn emit(&self, alert: Alert) -> bool {
        self.queue.try_send(alert).is_ok()
    }
}
