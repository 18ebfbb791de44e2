//! Budget, shield, judgement and control events between replicas: scripts PUBLISH a small JSON
//! document on `{prefix}:events`; every [`RedisLedger`](super::RedisLedger)
//! keeps one pub/sub connection SUBSCRIBEd to it and forwards what it hears
//! to its broadcast channel (its own publications included).
//!
//! The listener reconnects with exponential backoff when Redis goes away,
//! PINGs the connection now and then so a silently dead socket is noticed,
//! and stops when the ledger is dropped. Events published while it was
//! disconnected are lost (pub/sub keeps nothing): they are cache hints, and
//! every decision is checked by the ledger anyway.

use std::time::{Duration, Instant};

use std::sync::Arc;

use ::redis::aio::{PubSubSink, PubSubStream};
use ::redis::{Client, RedisResult, Value};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::master::Master;
use crate::{LedgerError, LedgerEvent};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often an idle subscription is checked with a PING.
const HEALTH_EVERY: Duration = if cfg!(test) { Duration::from_millis(500) } else { Duration::from_secs(5) };

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Wire {
    TopUp { tenant: String },
    Shield { number: String, until_seconds: i64 },
    Deferred { number: String },
    Control { version: u64 },
}

pub fn encode(event: &LedgerEvent) -> String {
    let wire = match event {
        LedgerEvent::TopUp { tenant } => Wire::TopUp { tenant: tenant.clone() },
        LedgerEvent::Shield { number, until_seconds } => {
            Wire::Shield { number: number.clone(), until_seconds: *until_seconds }
        }
        LedgerEvent::Deferred { number } => Wire::Deferred { number: number.clone() },
        LedgerEvent::Control { version } => Wire::Control { version: *version },
    };
    // Serializing two plain structs cannot fail.
    serde_json::to_string(&wire).unwrap_or_default()
}

pub fn decode(payload: &[u8]) -> Option<LedgerEvent> {
    Some(match serde_json::from_slice(payload).ok()? {
        Wire::TopUp { tenant } => LedgerEvent::TopUp { tenant },
        Wire::Shield { number, until_seconds } => LedgerEvent::Shield { number, until_seconds },
        Wire::Deferred { number } => LedgerEvent::Deferred { number },
        Wire::Control { version } => LedgerEvent::Control { version },
    })
}

pub type Subscription = (PubSubSink, PubSubStream);

/// A new pub/sub connection subscribed to `channel`, within `timeout`.
pub async fn subscribe(client: &Client, channel: &str, timeout: Duration) -> Result<Subscription, LedgerError> {
    let attempt = async {
        let (mut sink, stream) = client.get_async_pubsub().await?.split();
        sink.subscribe(channel).await?;
        RedisResult::Ok((sink, stream))
    };
    tokio::time::timeout(timeout, attempt).await.map_err(|_| LedgerError::Timeout(timeout))?.map_err(LedgerError::from)
}

/// Forwards events until aborted, resubscribing whenever the connection is
/// lost or the master changes (always on the current master).
pub async fn listen(
    master: Arc<Master>,
    channel: String,
    first: Subscription,
    events: broadcast::Sender<LedgerEvent>,
    timeout: Duration,
) {
    let mut current = Some(first);
    let mut backoff = MIN_BACKOFF;
    let mut changes = master.changes();
    loop {
        changes.mark_unchanged();
        let (mut sink, mut stream) = match current.take() {
            Some(subscription) => subscription,
            None => match subscribe(&master.node().client, &channel, timeout).await {
                Ok(subscription) => {
                    tracing::info!(%channel, "ledger events: subscribed again");
                    subscription
                }
                Err(error) => {
                    tracing::warn!(%channel, %error, "ledger events: cannot subscribe, retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            },
        };
        let since = Instant::now();
        let mut health = tokio::time::interval_at(tokio::time::Instant::now() + HEALTH_EVERY, HEALTH_EVERY);
        health.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                message = stream.next() => match message {
                    Some(message) => match decode(message.get_payload_bytes()) {
                        // Nobody listening is fine.
                        Some(event) => { let _ = events.send(event); }
                        None => tracing::warn!(%channel, "ledger events: ignored a malformed event"),
                    },
                    None => break,
                },
                _ = changes.changed() => {
                    tracing::info!(%channel, "ledger events: the master changed, subscribing there");
                    break;
                },
                _ = health.tick() => {
                    let pong = tokio::time::timeout(timeout, sink.ping::<Value>()).await;
                    if !matches!(pong, Ok(Ok(_))) {
                        break;
                    }
                }
            }
        }
        tracing::warn!(%channel, "ledger events: subscription lost, reconnecting");
        drop((sink, stream));
        if since.elapsed() > MAX_BACKOFF {
            backoff = MIN_BACKOFF;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_json() {
        for event in [
            LedgerEvent::TopUp { tenant: "paris".into() },
            LedgerEvent::Shield { number: "+33612345678".into(), until_seconds: 1_795_870_800 },
            LedgerEvent::Control { version: 42 },
        ] {
            assert_eq!(decode(encode(&event).as_bytes()), Some(event));
        }
        assert_eq!(decode(b"not json"), None);
        // control.lua writes this payload itself.
        assert_eq!(decode(br#"{"kind":"control","version":7}"#), Some(LedgerEvent::Control { version: 7 }));
        assert!(encode(&LedgerEvent::TopUp { tenant: "x".into() }).contains("\"top_up\""));
    }
}
