//! The conformance suite against a real `redis-server` (one per test, on its
//! own port), and what only Redis has: TTLs, script cache loss, eviction
//! policy, round-trips; faults (kill, SIGSTOP) and events across instances
//! are in [`faults`].

mod failover;
mod faults;

use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::Client;
use antirelou_domain::Money;

use super::*;
use crate::conformance::{request, request_at, NOON_MICROS};
use crate::queue::{DeferredQueue, Leases};
use crate::redis_server::RedisServer;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

pub(super) fn random_prefix() -> String {
    format!("antirelou-test-{:016x}", rand::random::<u64>())
}

pub(super) async fn connect(server: &RedisServer, prefix: &str) -> RedisLedger {
    RedisLedger::connect(&server.url(), prefix, CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
        .await
        .expect("connect to the test redis-server")
}

async fn fresh() -> (RedisServer, Arc<dyn Ledger>) {
    let server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    (server, Arc::new(ledger))
}

crate::ledger_conformance_suite!(fresh);

/// A plain connection for inspecting the server behind the ledger's back.
pub(super) async fn raw(server: &RedisServer) -> MultiplexedConnection {
    Client::open(server.url()).unwrap().get_multiplexed_async_connection().await.unwrap()
}

pub(super) async fn command<T: ::redis::FromRedisValue>(con: &mut MultiplexedConnection, args: &[&str]) -> T {
    let mut cmd = ::redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query_async(con).await.unwrap()
}

pub(super) fn replied(verdict: &ReplyVerdict) -> bool {
    matches!(verdict, ReplyVerdict::Replied { .. })
}

pub(super) async fn number_day(ledger: &dyn Ledger, r: &ReplyRequest) -> Money {
    let query = TotalsQuery { tenant: r.tenant.to_string(), number: r.number.to_string(), periods: r.periods.clone() };
    ledger.totals(&query).await.unwrap().number_day
}

#[tokio::test]
async fn only_balances_last_top_ups_entries_and_the_entry_counter_live_without_ttl() {
    let server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    ledger.top_up("paris", Money::from_micros(1_000_000), "gala", NOON_MICROS).await.unwrap();
    let limits = |r: &mut ReplyRequest| {
        r.max_replies_per_minute = Some(2);
        r.prepaid = true;
        r.caps.number_daily = Some(Money::from_micros(1_000_000));
        r.caps.tenant_monthly = Some(Money::from_micros(1_000_000));
        r.caps.deployment_monthly = Some(Money::from_micros(1_000_000));
    };
    let mut outcomes = Vec::new();
    for (i, sender) in ["+1", "+1", "+2", "+3", "+4"].into_iter().enumerate() {
        let mut r = request("paris", "+33612345678", &format!("SM{i}"), sender);
        limits(&mut r);
        outcomes.push(ledger.decide_reply(&r).await.unwrap());
        outcomes.push(ledger.decide_reply(&r).await.unwrap()); // duplicate
    }
    let mut broke = request("lyon", "+33612345670", "SMb", "+5");
    broke.prepaid = true;
    outcomes.push(ledger.decide_reply(&broke).await.unwrap());
    assert!(outcomes.contains(&ReplyVerdict::RepeatSender));
    assert!(outcomes.contains(&ReplyVerdict::RateLimited));
    assert!(outcomes.iter().filter(|v| replied(v)).count() == 2);
    let mut batch = crate::conformance::inbound(&["SMi1", "SMi2", "SMi3"], NOON_MICROS);
    batch.prepaid = true;
    ledger.record_inbound(&batch).await.unwrap();
    let now_seconds = NOON_MICROS / 1_000_000;
    ledger.set_shield("+33612345678", now_seconds + 600, now_seconds).await.unwrap();
    // A deferred sender (item, index, marks), paid from a slot (pacing
    // counter), one still pending, and a lease.
    let deferred = |n: u32| crate::DeferredArrival {
        tenant: Arc::from("paris"),
        number: Arc::from("+33612345678"),
        sender: antirelou_domain::SenderHasher::new(b"conformance-key").key(&format!("+3370000{n:04}")),
        first_message_id: format!("SMd{n}"),
        sealed_sender: vec![1, 2, 3],
        first_micros: NOON_MICROS,
        slot: 7,
        fingerprint: Some(1),
        block: 2,
        expires_micros: NOON_MICROS + 45 * 60_000_000,
        queue_limit: 10,
    };
    ledger.defer(&deferred(1), NOON_MICROS).await.unwrap();
    ledger.defer(&deferred(2), NOON_MICROS).await.unwrap();
    let mut paid = request("paris", "+33612345678", "SMd1", "+33700000001");
    paid.deferred = Some(crate::Pacing { slot: 7, slot_replies: 5 });
    assert!(replied(&ledger.decide_reply(&paid).await.unwrap()));
    assert!(ledger.lease("judge:+33612345678", "a", 30_000, NOON_MICROS).await.unwrap());

    let mut con = raw(&server).await;
    let keys: Vec<String> = command(&mut con, &["KEYS", "*"]).await;
    assert!(keys.len() >= 18, "{keys:?}");
    for expected in ["pace:", "deferred:", "deferred_index:", "marks:", "lease:"] {
        assert!(keys.iter().any(|k| k.contains(expected)), "no {expected} key in {keys:?}");
    }
    let tag = ledger.key_tag().to_owned();
    let persistent =
        [format!("{tag}balances"), format!("{tag}last_top_ups"), format!("{tag}entries"), format!("{tag}entry_id")];
    for key in &keys {
        assert!(key.starts_with(&tag), "{key} is outside the hash tag {tag}");
        let ttl: i64 = command(&mut con, &["PTTL", key]).await;
        if persistent.contains(key) {
            assert_eq!(ttl, -1, "{key} must not expire");
        } else {
            assert!(ttl > 0, "{key} has no TTL ({ttl})");
        }
    }
    for key in &persistent {
        assert!(keys.contains(key), "{key} missing from {keys:?}");
    }
}

#[tokio::test]
async fn script_flush_between_decisions_reloads_and_debits_once() {
    let server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    let first = request("paris", "+33612345678", "SM1", "+33700000001");
    assert!(replied(&ledger.decide_reply(&first).await.unwrap()));
    let mut con = raw(&server).await;
    let _: () = command(&mut con, &["SCRIPT", "FLUSH"]).await;
    let second = request("paris", "+33612345678", "SM2", "+33700000002");
    assert!(replied(&ledger.decide_reply(&second).await.unwrap()));
    let _: () = command(&mut con, &["SCRIPT", "FLUSH"]).await;
    assert_eq!(ledger.decide_reply(&second).await.unwrap(), ReplyVerdict::Duplicate { replied: true });
    assert_eq!(number_day(&ledger, &first).await, Money::from_micros(160_000));
    assert_eq!(ledger.entries(&EntryFilter::default()).await.unwrap().entries.len(), 2);
    let _: () = command(&mut con, &["SCRIPT", "FLUSH"]).await;
    ledger.top_up("paris", Money::from_micros(5), "after flush", NOON_MICROS).await.unwrap();
    ledger.set_shield("+33612345678", 10, 5).await.unwrap();
}

/// What clients send to the server, as MONITOR shows it: commands run
/// inside scripts (`[0 lua]`) and the event listener's health PINGs are left out.
struct Monitor {
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::net::TcpStream>>,
    marker: MultiplexedConnection,
}

impl Monitor {
    async fn start(server: &RedisServer) -> Monitor {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port())).await.unwrap();
        stream.write_all(b"MONITOR\r\n").await.unwrap();
        let mut lines = tokio::io::BufReader::new(stream).lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("+OK"));
        Monitor { lines, marker: raw(server).await }
    }

    /// Command names sent by clients since the last call.
    async fn commands(&mut self) -> Vec<String> {
        let _: String = command(&mut self.marker, &["ECHO", "monitor-marker"]).await;
        let mut seen = Vec::new();
        loop {
            let line = tokio::time::timeout(Duration::from_secs(5), self.lines.next_line())
                .await
                .expect("monitor line")
                .unwrap()
                .expect("monitor open");
            if line.contains("\"monitor-marker\"") {
                return seen;
            }
            let Some((source, command)) = line.split_once("] \"") else {
                continue;
            };
            let name = command.split('"').next().unwrap_or_default().to_lowercase();
            if !source.ends_with(" lua") && name != "ping" {
                seen.push(name);
            }
        }
    }
}

#[tokio::test]
async fn a_decision_is_one_evalsha() {
    let server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    let mut monitor = Monitor::start(&server).await;
    let cases = [
        ("SM1", "+1", true),  // replied
        ("SM1", "+1", false), // duplicate
        ("SM2", "+1", false), // repeat sender
    ];
    for (message_id, sender, expect_reply) in cases {
        let r = request("paris", "+33612345678", message_id, sender);
        assert_eq!(replied(&ledger.decide_reply(&r).await.unwrap()), expect_reply);
        assert_eq!(monitor.commands().await, ["evalsha"]);
    }
    let mut con = raw(&server).await;
    // After losing the script cache: EVALSHA (NOSCRIPT), SCRIPT LOAD, EVALSHA.
    let _: () = command(&mut con, &["SCRIPT", "FLUSH"]).await;
    let _ = monitor.commands().await;
    let r = request("paris", "+33612345678", "SM3", "+3");
    assert!(replied(&ledger.decide_reply(&r).await.unwrap()));
    assert_eq!(monitor.commands().await, ["evalsha", "script", "evalsha"]);
    // Totals are one pipelined round-trip (MGET + HGET).
    number_day(&ledger, &r).await;
    assert_eq!(monitor.commands().await, ["mget", "hget"]);
}

#[tokio::test]
async fn redis_that_may_evict_ledger_keys_is_refused_at_connect() {
    for policy in ["allkeys-lru", "volatile-ttl"] {
        let server = RedisServer::start_with(&["--maxmemory-policy", policy]);
        let refused = RedisLedger::connect(&server.url(), "p", CONNECT_TIMEOUT, RESPONSE_TIMEOUT).await;
        match refused {
            Err(LedgerError::Refused(message)) => assert_eq!(
                message,
                format!(
                    "redis maxmemory-policy is {policy}: it may evict ledger keys (balances, \
                     entries, sender memory); set it to noeviction"
                )
            ),
            Err(other) => panic!("expected a refusal, got {other}"),
            Ok(_) => panic!("{policy} was accepted"),
        }
    }
    let hidden = RedisServer::start_with(&["--rename-command", "CONFIG", ""]);
    connect(&hidden, "p").await.ping().await.unwrap();
    let strict = RedisServer::start_with(&["--maxmemory-policy", "noeviction"]);
    connect(&strict, "p").await.ping().await.unwrap();
    assert!(matches!(
        RedisLedger::connect(&strict.url(), "{p}", CONNECT_TIMEOUT, RESPONSE_TIMEOUT).await,
        Err(LedgerError::Refused(_))
    ));
}

#[tokio::test]
async fn shield_keys_expire_with_the_shield() {
    let server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    ledger.set_shield("+1", 1_000, 998).await.unwrap();
    ledger.set_shield("+1", 999, 998).await.unwrap();
    assert_eq!(ledger.shield_until("+1", 998).await.unwrap(), Some(1_000));
    let mut con = raw(&server).await;
    let ttl: i64 = command(&mut con, &["PTTL", &ledger.inner.keys.shield("+1")]).await;
    assert!(ttl > 1_000 && ttl <= 2_000, "{ttl}");
    // Past ends are not stored.
    ledger.set_shield("+2", 5, 10).await.unwrap();
    let exists: i64 = command(&mut con, &["EXISTS", &ledger.inner.keys.shield("+2")]).await;
    assert_eq!(exists, 0);
}

#[tokio::test]
async fn entries_are_read_across_pages() {
    let server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    let total = entries::PAGE + 5;
    for i in 0..total {
        let at = NOON_MICROS + i as i64;
        let r = request_at("paris", "+33612345678", &format!("SM{i}"), &format!("+{i}"), at);
        assert!(replied(&ledger.decide_reply(&r).await.unwrap()));
    }
    let all = crate::conformance::all_entries(&ledger, &EntryFilter::default()).await;
    assert_eq!(all.len(), total);
    assert!(all.windows(2).all(|w| w[0].id + 1 == w[1].id));
    let tail = ledger
        .entries(&EntryFilter {
            since_micros: Some(NOON_MICROS + entries::PAGE as i64 - 1),
            limit: 3,
            ..EntryFilter::default()
        })
        .await
        .unwrap();
    assert!(tail.next.is_some());
    let ids: Vec<u64> = tail.entries.iter().map(|e| e.id).collect();
    let first = entries::PAGE as u64;
    assert_eq!(ids, vec![first, first + 1, first + 2]);
    assert_eq!(entries::next_stream_id("5-18446744073709551615").unwrap(), "6-0");
}

#[tokio::test]
async fn storage_figures_come_from_info_and_see_refused_writes() {
    let server = RedisServer::start();
    let ledger = connect(&server, &random_prefix()).await;
    let mut con = raw(&server).await;
    let _: () = command(&mut con, &["CONFIG", "SET", "maxmemory", "100mb"]).await;
    let figures = ledger.storage().await.unwrap().expect("redis has figures");
    assert!(figures.used_memory_bytes > 100_000, "{figures:?}");
    assert_eq!(figures.maxmemory_bytes, 100 * 1024 * 1024);
    // Below what it already uses: every write is refused (noeviction).
    let limit = (figures.used_memory_bytes / 2).to_string();
    let _: () = command(&mut con, &["CONFIG", "SET", "maxmemory", &limit]).await;
    let r = request("paris", "+33612345678", "SMoom", "+33700000001");
    assert!(ledger.decide_reply(&r).await.is_err(), "fail closed when Redis refuses writes");
    assert!(ledger.probe_write(NOON_MICROS).await.is_err(), "readyz would say not ready");
    let after = ledger.storage().await.unwrap().unwrap();
    assert!(after.rejected_writes >= 1, "{after:?}");
    let _: () = command(&mut con, &["CONFIG", "SET", "maxmemory", "0"]).await;
    assert_eq!(ledger.storage().await.unwrap().unwrap().maxmemory_bytes, 0);
}

#[test]
fn info_lines_are_read_by_name() {
    let info = "# Memory\r\nused_memory:1234\r\nused_memory_human:1.2K\r\nmaxmemory:5000\r\n# Stats\r\nevicted_keys:7\r\n# Errorstats\r\nerrorstat_OOM:count=3\r\nerrorstat_ERR:count=1\r\n";
    let figures = super::parse_info(info);
    assert_eq!(
        figures,
        crate::StorageFigures { used_memory_bytes: 1234, maxmemory_bytes: 5000, evicted_keys: 7, rejected_writes: 3 }
    );
}
