//! Two replicas of the four-provider deployment on one real `redis-server`,
//! flooded through every provider: one reply per sender, caps held,
//! provider retries never paid twice.

use std::collections::HashSet;
use std::time::Duration;

use antirelou_ledger::EntryKind;
use antirelou_providers::{plivo, vonage};
use futures_util::stream::{self, StreamExt};

use super::*;
use crate::support::eventually;

/// Senders of the flood; each sends [`MESSAGES_PER_SENDER`] messages.
const SENDERS: usize = 30;
const MESSAGES_PER_SENDER: usize = 3;
/// Ten replies a day per number: fewer than the senders, so the cap binds.
const DAILY_CAP: &str = "daily_cap = \"0.80\"";
const REPLIES_UNDER_CAP: usize = 10;

#[actix_web::test]
async fn a_flood_through_each_provider_on_two_replicas_pays_one_reply_per_sender_and_holds_every_cap() {
    let providers = Providers::start();
    let redis = RedisServer::start();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = replica(dir_a.path(), &providers, DAILY_CAP, redis_ledger(&redis, "flood").await).await;
    let b = replica(dir_b.path(), &providers, DAILY_CAP, redis_ledger(&redis, "flood").await).await;
    let replicas = [&a, &b];
    // Message i comes from sender i % SENDERS, to replica (i + i / SENDERS) % 2:
    // each sender reaches both replicas.
    let messages = SENDERS * MESSAGES_PER_SENDER;
    let route = |i: usize| (replicas[(i + i / SENDERS) % 2], sender(i % SENDERS));

    // Twilio and Plivo answer inline: count the replies.
    let twilio_replies: Vec<String> = stream::iter(0..messages)
        .map(|i| async move {
            let (app, from) = route(i);
            let answer = text_twilio(app, &from, twilio_sid(i)).await;
            assert_eq!(answer.status, 200);
            answer.reply().map(|_| from)
        })
        .buffer_unordered(16)
        .filter_map(|reply| async move { reply })
        .collect()
        .await;
    let plivo_replies: Vec<String> = stream::iter(0..messages)
        .map(|i| async move {
            let (app, from) = route(i);
            let answer = text_plivo(app, &from, &plivo::emulate::message_uuid_from(i as u128)).await;
            assert_eq!(answer.status, 200);
            plivo::read_reply(&answer.body).map(|reply| format!("+{}", reply.dst))
        })
        .buffer_unordered(16)
        .filter_map(|reply| async move { reply })
        .collect()
        .await;

    // Vonage answers through its API; every webhook is also retried, on the other replica.
    stream::iter(0..messages)
        .map(|i| async move {
            let (app, from) = route(i);
            let query = vonage_query(&from, &vonage::emulate::message_id_from(i as u128), unix_now());
            assert_eq!(get_vonage(app, &query).await.status, 200);
            let other = if std::ptr::eq(app, replicas[0]) { replicas[1] } else { replicas[0] };
            assert_eq!(get_vonage(other, &query).await.status, 200, "the retry");
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;

    // OVHcloud: the whole flood lands in the inbox at once.
    let ids: Vec<u64> = (0..messages).map(|i| providers.ovh.push_incoming(&sender(i % SENDERS), "salut")).collect();
    let emptied = eventually(Duration::from_secs(60), || async {
        providers.ovh.incoming_ids().is_empty() && providers.ovh.deleted_ids().len() == ids.len()
    })
    .await;
    assert!(emptied, "inbox left: {}", providers.ovh.incoming_ids().len());

    let sent = eventually(Duration::from_secs(20), || async {
        providers.vonage.accepted().len() >= REPLIES_UNDER_CAP && providers.ovh.accepted().len() >= REPLIES_UNDER_CAP
    })
    .await;
    assert!(sent, "vonage {}, ovh {}", providers.vonage.accepted().len(), providers.ovh.accepted().len());
    for (provider, replies) in [
        ("twilio", twilio_replies),
        ("plivo", plivo_replies),
        ("vonage", recipients(&providers.vonage.accepted())),
        ("ovh", recipients(&providers.ovh.accepted())),
    ] {
        let distinct: HashSet<&String> = replies.iter().collect();
        assert_eq!(replies.len(), REPLIES_UNDER_CAP, "{provider}: the cap pays exactly ten replies");
        assert_eq!(distinct.len(), replies.len(), "{provider}: one reply per sender");
    }
    assert_eq!(providers.twilio.accepted().len() + providers.plivo.accepted().len(), 0, "inline replies only");

    let entries = antirelou_ledger::conformance::all_entries(&*a.ledger, &Default::default()).await;
    for number in [TWILIO_NUMBER, VONAGE_NUMBER, PLIVO_NUMBER, OVH_NUMBER] {
        let paid: Vec<i64> = entries
            .iter()
            .filter(|e| e.kind == EntryKind::Reply && e.number == number)
            .map(|e| e.amount.micros())
            .collect();
        assert_eq!(paid.len(), REPLIES_UNDER_CAP, "{number}");
        assert_eq!(paid.iter().sum::<i64>(), REPLIES_UNDER_CAP as i64 * COST_MICROS, "{number}: exactly the cap");
    }
    let (ma, mb) = (a.metrics().await, b.metrics().await);
    let outcomes = |tenant: &str, outcome: &str| {
        ma.value("antirelou_inbound_total", &[("tenant", tenant), ("outcome", outcome)])
            + mb.value("antirelou_inbound_total", &[("tenant", tenant), ("outcome", outcome)])
    };
    for tenant in ["paris", "lille", "lyon", "marseille"] {
        assert_eq!(outcomes(tenant, "replied"), REPLIES_UNDER_CAP as f64, "{tenant}");
    }
    let leases = ma.value("antirelou_poller_lease_held", &[("number", OVH_NUMBER)])
        + mb.value("antirelou_poller_lease_held", &[("number", OVH_NUMBER)]);
    assert_eq!(leases, 1.0, "one replica polls the OVHcloud number");
}
