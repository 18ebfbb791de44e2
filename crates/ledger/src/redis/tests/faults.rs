//! What happens when Redis dies, stalls or comes back, and how events travel
//! between instances.

use std::time::{Duration, Instant};

use antirelou_domain::Money;
use tokio::sync::broadcast;

use super::{connect, number_day, random_prefix, replied};
use crate::conformance::{request, NOON_MICROS};
use crate::model::{EntryFilter, ReplyVerdict};
use crate::redis::RedisLedger;
use crate::redis_server::RedisServer;
use crate::{Ledger, LedgerError, LedgerEvent};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_message_id_sent_100_times_at_once_debits_once() {
    let server = RedisServer::start();
    let prefix = random_prefix();
    // Two instances, as two replicas would be.
    let ledgers = [connect(&server, &prefix).await, connect(&server, &prefix).await];
    let r = request("paris", "+33612345678", "SMretry", "+33700000001");
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (ledger, r) = (ledgers[i % 2].clone(), r.clone());
            tokio::spawn(async move { ledger.decide_reply(&r).await.unwrap() })
        })
        .collect();
    let mut verdicts = Vec::new();
    for task in tasks {
        verdicts.push(task.await.unwrap());
    }
    assert_eq!(verdicts.iter().filter(|v| replied(v)).count(), 1);
    assert_eq!(verdicts.iter().filter(|v| **v == ReplyVerdict::Duplicate { replied: true }).count(), 99);
    assert_eq!(number_day(&ledgers[0], &r).await, r.cost);
    assert_eq!(ledgers[1].entries(&EntryFilter::default()).await.unwrap().entries.len(), 1);
}

/// Decides fresh messages until one is replied to (each attempt is a new
/// message from a new sender), or panics after `within`.
async fn replies_again_within(ledger: &RedisLedger, within: Duration, tag: &str) -> usize {
    let deadline = Instant::now() + within;
    for attempt in 0.. {
        let r = request("paris", "+33612345678", &format!("SM{tag}{attempt}"), &format!("+{tag}{attempt}"));
        match ledger.decide_reply(&r).await {
            Ok(verdict) => {
                assert!(replied(&verdict), "{verdict:?}");
                return attempt;
            }
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(error) => panic!("still failing after {within:?}: {error}"),
        }
    }
    unreachable!()
}

#[tokio::test]
async fn a_killed_redis_fails_closed_and_is_used_again_after_restart() {
    let mut server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    assert_eq!(replies_again_within(&ledger, Duration::ZERO, "a").await, 0);
    server.kill();
    for i in 0..3 {
        let started = Instant::now();
        let r = request("paris", "+33612345678", &format!("SMdown{i}"), "+9");
        let outcome = ledger.decide_reply(&r).await;
        assert!(outcome.is_err(), "{outcome:?}");
        println!("decision with redis down: {outcome:?} after {:?}", started.elapsed());
        assert!(ledger.ping().await.is_err());
    }
    server.restart();
    let attempts = replies_again_within(&ledger, Duration::from_secs(15), "b").await;
    println!("replied again after {attempts} failed attempts");
    // The restarted server is empty (no persistence in tests): one entry.
    assert_eq!(ledger.entries(&EntryFilter::default()).await.unwrap().entries.len(), 1);
}

#[tokio::test]
async fn a_paused_redis_times_out_and_recovers_on_resume() {
    let server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    server.pause();
    let stuck = request("paris", "+33612345678", "SMstuck", "+1");
    let outcome = ledger.decide_reply(&stuck).await;
    assert!(matches!(outcome, Err(LedgerError::Timeout(_)) | Err(LedgerError::Redis(_))), "{outcome:?}");
    assert!(ledger.ping().await.is_err());
    server.resume();
    replies_again_within(&ledger, Duration::from_secs(10), "c").await;
    // The timed-out decision ran when Redis woke up: the provider's retry
    // sees it as done, and nothing is ever paid twice.
    let retried = ledger.decide_reply(&stuck).await.unwrap();
    assert_eq!(retried, ReplyVerdict::Duplicate { replied: true });
    let references: Vec<String> =
        ledger.entries(&EntryFilter::default()).await.unwrap().entries.into_iter().map(|e| e.reference).collect();
    assert_eq!(references.iter().filter(|r| *r == "SMstuck").count(), 1, "{references:?}");
}

async fn next_event(events: &mut broadcast::Receiver<LedgerEvent>, within: Duration) -> Option<LedgerEvent> {
    tokio::time::timeout(within, events.recv()).await.ok()?.ok()
}

#[tokio::test]
async fn top_ups_and_shields_reach_every_instance() {
    let server = RedisServer::start();
    let prefix = random_prefix();
    let (a, b) = (connect(&server, &prefix).await, connect(&server, &prefix).await);
    let other = connect(&server, &random_prefix()).await;
    let (mut heard_by_b, mut heard_by_a, mut heard_elsewhere) = (b.events(), a.events(), other.events());
    // Let the listeners' health PINGs run a few times first.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    a.top_up("paris", Money::from_micros(1), "", NOON_MICROS).await.unwrap();
    let top_up = LedgerEvent::TopUp { tenant: "paris".into() };
    assert_eq!(next_event(&mut heard_by_b, Duration::from_secs(2)).await, Some(top_up.clone()));
    assert_eq!(next_event(&mut heard_by_a, Duration::from_secs(2)).await, Some(top_up));
    b.set_shield("+33612345678", 2_000, 1_000).await.unwrap();
    let shield = LedgerEvent::Shield { number: "+33612345678".into(), until_seconds: 2_000 };
    assert_eq!(next_event(&mut heard_by_a, Duration::from_secs(2)).await, Some(shield));
    assert_eq!(next_event(&mut heard_elsewhere, Duration::from_millis(200)).await, None);
}

#[tokio::test]
async fn events_flow_again_after_redis_restarts() {
    let mut server = RedisServer::start();
    let prefix = random_prefix();
    let (a, b) = (connect(&server, &prefix).await, connect(&server, &prefix).await);
    let mut heard = b.events();
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "no event after the restart");
        if a.top_up("lyon", Money::from_micros(1), "", NOON_MICROS).await.is_ok()
            && next_event(&mut heard, Duration::from_millis(500)).await.is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn connecting_to_a_dead_redis_fails_within_the_connect_timeout() {
    let mut server = RedisServer::start();
    let url = server.url();
    server.kill();
    let started = Instant::now();
    let outcome = RedisLedger::connect(&url, "p", Duration::from_millis(800), Duration::from_millis(500)).await;
    assert!(outcome.is_err());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn an_out_of_memory_redis_fails_closed_and_writes_nothing() {
    let server = RedisServer::start_with(&["--maxmemory", "1", "--maxmemory-policy", "noeviction"]);
    let ledger = connect(&server, &random_prefix()).await;
    let r = request("paris", "+33612345678", "SM1", "+1");
    match ledger.decide_reply(&r).await {
        Err(LedgerError::Redis(error)) => assert!(error.to_string().contains("OOM"), "{error}"),
        other => panic!("expected an OOM error, got {other:?}"),
    }
    let mut refused = r.clone();
    refused.prepaid = true; // refusal path: only the message id would be written
    refused.message_id = "SM2".into();
    assert!(ledger.decide_reply(&refused).await.is_err());
    assert!(ledger.top_up("paris", Money::from_micros(1), "", NOON_MICROS).await.is_err());
    let mut con = super::raw(&server).await;
    let keys: Vec<String> = super::command(&mut con, &["KEYS", "*"]).await;
    assert_eq!(keys, Vec::<String>::new());
}
