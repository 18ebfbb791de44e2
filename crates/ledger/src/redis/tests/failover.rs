//! The ledger behind Redis Sentinel: a master killed mid-flood is replaced
//! by its replica and the ledger follows it by itself; a Sentinel that names
//! a replica is not followed; the old master back as a replica changes nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use antirelou_domain::Money;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{random_prefix, replied};
use crate::conformance::{all_entries, request, NOON_MICROS};
use crate::model::{EntryFilter, EntryKind, ReplyVerdict};
use crate::redis::{RedisLedger, RedisTarget, ReplicaAcks, SentinelTarget};
use crate::redis_sentinel::{SentinelGroup, MASTER_NAME};
use crate::{Ledger, LedgerError, LedgerEvent};

const NUMBER: &str = "+33612345678";
const ACKS: ReplicaAcks = ReplicaAcks { replicas: 1, timeout: Duration::from_millis(100) };

fn target(sentinels: Vec<String>) -> RedisTarget {
    RedisTarget::Sentinel(SentinelTarget {
        sentinels,
        master_name: MASTER_NAME.to_owned(),
        password: None,
        sentinel_password: None,
    })
}

async fn open(sentinels: Vec<String>, prefix: &str) -> RedisLedger {
    RedisLedger::open(target(sentinels), prefix, Duration::from_secs(1), Duration::from_millis(300), ACKS)
        .await
        .expect("the ledger finds the master through Sentinel")
}

/// What a flood saw: who was answered, how many decisions failed, when replies resumed.
#[derive(Default)]
struct Seen {
    replied: Vec<String>,
    failed: usize,
    first_reply_after_kill: Option<Duration>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_master_killed_mid_flood_is_replaced_and_two_ledgers_resume_without_paying_twice_or_crossing_the_cap() {
    let mut group = SentinelGroup::start(&[]);
    let prefix = random_prefix();
    let ledgers = [open(group.sentinel_addresses(), &prefix).await, open(group.sentinel_addresses(), &prefix).await];
    // A cap of 400 replies: the flood of new senders reaches it after the failover.
    let cap = Money::from_micros(400 * 80_000);
    let decide = |i: usize, sender: String| {
        let mut r = request("paris", NUMBER, &format!("SMflood{i}"), &sender);
        r.caps.number_daily = Some(cap);
        (ledgers[i % 2].clone(), r)
    };

    let old_master = group.master_port();
    let (with_acks, without_acks) = wait_cost(&group, &prefix).await;
    let mut seen = Seen::default();
    let mut killed_at = None;
    let started = Instant::now();
    for i in 0.. {
        let sender = format!("+3366{i:07}");
        if i == 150 {
            group.server(old_master).kill();
            killed_at = Some(Instant::now());
        }
        let (ledger, r) = decide(i, sender.clone());
        match ledger.decide_reply(&r).await {
            Ok(verdict) if replied(&verdict) => {
                seen.replied.push(sender);
                if let (Some(at), None) = (killed_at, seen.first_reply_after_kill) {
                    seen.first_reply_after_kill = Some(at.elapsed());
                }
            }
            Ok(ReplyVerdict::BudgetExhausted { .. }) => break,
            Ok(verdict) => panic!("a new sender gets a reply or the cap: {verdict:?}"),
            // The flood goes on at its pace while there is no master.
            Err(_) => {
                seen.failed += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the flood never reached the cap");
    }
    let resumed = seen.first_reply_after_kill.expect("replies resumed after the kill");
    assert!(resumed < Duration::from_secs(30), "replies resumed {resumed:?} after the kill");
    let new_master = group.master_port();
    assert_ne!(new_master, old_master, "Sentinel promoted the replica");

    // Every sender answered, asked again on either ledger, is a repeat sender:
    // no reply a sender saw was lost with the old master.
    for (i, sender) in seen.replied.iter().enumerate() {
        let (ledger, mut r) = decide(i, sender.clone());
        r.message_id = format!("SMagain{i}");
        let verdict = ledger.decide_reply(&r).await.unwrap();
        assert_eq!(verdict, ReplyVerdict::RepeatSender, "{sender} would be answered twice");
    }
    let entries = all_entries(&ledgers[0], &EntryFilter::default()).await;
    let paid: Vec<_> = entries.iter().filter(|e| e.kind == EntryKind::Reply && e.number == NUMBER).collect();
    let spend: i64 = paid.iter().map(|e| e.amount.micros()).sum();
    assert!(spend <= cap.micros(), "the cap is never crossed: {spend} > {}", cap.micros());
    // Debits without a reply (the master died after the script, before the
    // replica acknowledged) are the only difference, and only the failed decisions can make them.
    let distinct: HashSet<&String> = seen.replied.iter().collect();
    assert_eq!(distinct.len(), seen.replied.len(), "no sender answered twice during the flood");
    assert!(paid.len() >= seen.replied.len(), "every reply seen has its entry on the new master");
    assert!(paid.len() - seen.replied.len() <= seen.failed);
    eprintln!(
        "failover: a paid decision takes {with_acks:?} waiting for the replica, {without_acks:?} without; \
         replies resumed {resumed:?} after the kill; {} replies, {} entries on the new master, \
         {} decisions failed closed, spend {} of cap {}",
        seen.replied.len(),
        paid.len(),
        seen.failed,
        Money::from_micros(spend),
        cap
    );

    // The events subscription moved to the new master with the ledger.
    let mut events = ledgers[1].events();
    ledgers[0].top_up("paris", Money::from_micros(1_000_000), "after the failover", NOON_MICROS).await.unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(LedgerEvent::TopUp { tenant }) = events.recv().await {
                return tenant;
            }
        }
    })
    .await;
    assert_eq!(heard.ok().as_deref(), Some("paris"), "the other ledger hears events on the new master");

    // The old master comes back empty: Sentinel makes it a replica, and the
    // ledgers stay with the new master (a reply there is still remembered).
    group.server(old_master).restart();
    let back_as_replica = Instant::now();
    while !crate::redis_sentinel::info(old_master, "replication").contains("role:slave") {
        assert!(back_as_replica.elapsed() < Duration::from_secs(30), "Sentinel never demoted the old master");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ledger, mut r) = decide(0, seen.replied[0].clone());
    r.message_id = "SMafterdemotion".to_owned();
    assert_eq!(ledger.decide_reply(&r).await.unwrap(), ReplyVerdict::RepeatSender);
}

/// The mean time of a paid decision with and without waiting for the replica (200 each, in turn).
async fn wait_cost(group: &SentinelGroup, prefix: &str) -> (Duration, Duration) {
    let acked = open(group.sentinel_addresses(), prefix).await;
    let unacked = RedisLedger::open(
        target(group.sentinel_addresses()),
        prefix,
        Duration::from_secs(1),
        Duration::from_millis(300),
        ReplicaAcks::NONE,
    )
    .await
    .unwrap();
    let mut took = [Duration::ZERO; 2];
    for i in 0..400 {
        let ledger = if i % 2 == 0 { &acked } else { &unacked };
        let r = request("lyon", "+33700000000", &format!("SMcost{i}"), &format!("+3377{i:07}"));
        let started = Instant::now();
        assert!(replied(&ledger.decide_reply(&r).await.unwrap()));
        took[i % 2] += started.elapsed();
    }
    (took[0] / 200, took[1] / 200)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_that_names_a_replica_is_not_followed() {
    let group = SentinelGroup::start(&[]);
    let master = group.master_port();
    let replica = group.servers.iter().map(|s| s.port()).find(|p| *p != master).unwrap();
    let liar = LyingSentinel::start(replica).await;
    let mut sentinels = vec![liar.address()];
    sentinels.extend(group.sentinel_addresses());
    let ledger = open(sentinels, &random_prefix()).await;
    let verdict = ledger.decide_reply(&request("paris", NUMBER, "SMliar", "+33600000001")).await.unwrap();
    assert!(replied(&verdict), "{verdict:?}");
    let on_master = crate::redis_sentinel::info(master, "commandstats");
    assert!(on_master.contains("cmdstat_evalsha"), "the decision ran on the master");
    // Alone, the liar leaves the ledger without a master: it refuses to start.
    let alone = RedisLedger::open(
        target(vec![liar.address()]),
        &random_prefix(),
        Duration::from_secs(1),
        Duration::from_millis(300),
        ACKS,
    )
    .await;
    assert!(matches!(&alone, Err(LedgerError::NoMaster(reason)) if reason.contains("slave")), "{:?}", alone.err());
}

/// A fake Sentinel that names the node on `port` as the master, whatever it is.
struct LyingSentinel {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl LyingSentinel {
    async fn start(port: u16) -> LyingSentinel {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let own = listener.local_addr().unwrap().port();
        let named = Arc::new(format!("*2\r\n$9\r\n127.0.0.1\r\n${}\r\n{port}\r\n", port.to_string().len()));
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let named = named.clone();
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 4096];
                    // Every command that names SENTINEL gets the address; anything else +OK.
                    while let Ok(read) = socket.read(&mut buffer).await {
                        if read == 0 {
                            break;
                        }
                        let text = String::from_utf8_lossy(&buffer[..read]).to_uppercase();
                        for command in text.split("\r\n*").filter(|c| !c.is_empty()) {
                            let answer = if command.contains("SENTINEL") { named.as_str() } else { "+OK\r\n" };
                            if socket.write_all(answer.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        LyingSentinel { port: own, task }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for LyingSentinel {
    fn drop(&mut self) {
        self.task.abort();
    }
}
