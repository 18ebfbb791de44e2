//! Several `antirelou serve` replicas on one real `redis-server` (issue 3):
//! exact money under concurrency, one debit per MessageSid, failing closed
//! when Redis dies or hangs, recovering by itself, shared shield and budget.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use antirelou_ledger::redis_server::RedisServer;
use antirelou_ledger::{EntryFilter, EntryKind, Ledger, RedisLedger};
use common::{eventually, metric, post_sms, scrape, sid, Account, Server};
use futures_util::stream::{self, StreamExt};

const NUMBER: &str = "+33612345678";
const SID: &str = "AC11111111111111111111111111111111";
const TOKEN: &str = "replica-test-auth-token";
const PUBLIC_URL: &str = "https://sms.example.org";
const ACCOUNT: Account<'static> = Account { sid: SID, token: TOKEN, public_url: PUBLIC_URL };
const COST_MICROS: i64 = 80_000;

/// A config for `redis`, with `number_extra` TOML lines on the number and `tenant_extra` on the tenant.
fn write_config(dir: &Path, redis_url: &str, prefix: &str, tenant_extra: &str, number_extra: &str) -> String {
    let path = dir.join("antirelou.toml");
    let text = format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"
decision_timeout_ms = 1000
operator_token = "operator-token-0123456789"

[ledger]
backend = "redis"
redis_url = "{redis_url}"
key_prefix = "{prefix}"
redis_response_timeout_ms = 300

[privacy]
sender_key = "replica-test-sender-key-0123456789"
sealing_key = "replica-test-sealing-key-0123456789"

[[tenants]]
id = "paris"
{tenant_extra}
provider = {{ kind = "twilio", account_sid = "{SID}", auth_token = "{TOKEN}" }}

[[tenants.numbers]]
number = "{NUMBER}"
reply = "Non, c'est non. Merci de la laisser tranquille."
price_per_segment = "0.08"
max_replies_per_minute = 100000
{number_extra}
"#
    );
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const NO_SHIELD: &str =
    "shield = { trigger_per_minute = 1000000, new_senders_per_minute = 1000000, trigger_per_hour = 1000000, new_senders_per_hour = 1000000, hold = \"1h\", trickle_per_hour = 10, baseline_factor = 0, money_margin_percent = 100000 }";

fn replicas(dir: &Path, config: &str, count: usize) -> Vec<Server> {
    (0..count).map(|_| Server::start(dir, &["--config", config])).collect()
}

async fn ledger(redis: &RedisServer, prefix: &str) -> Arc<dyn Ledger> {
    Arc::new(RedisLedger::connect(&redis.url(), prefix, Duration::from_secs(2), Duration::from_secs(2)).await.unwrap())
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).pool_max_idle_per_host(64).build().unwrap()
}

fn sender(i: usize) -> String {
    format!("+3366{i:07}")
}

/// Posts `count` webhooks from `senders` senders (numbered from
/// `first_sender`) round-robin over the
/// replicas; returns (sender, reply?) per answer, asserting each is a 200.
async fn flood(
    servers: &[Server],
    count: usize,
    senders: usize,
    first_sender: usize,
    tag: &str,
) -> Vec<(String, bool)> {
    let client = client();
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    stream::iter(0..count)
        .map(|i| {
            // Each round of senders shifts by one replica, so every sender reaches every replica.
            let (client, url) = (client.clone(), urls[(i + i / senders) % urls.len()].clone());
            let from = sender(first_sender + i % senders);
            let sid = sid(tag, i);
            async move {
                let answer = post_sms(&client, &url, &ACCOUNT, NUMBER, &from, &sid).await.unwrap();
                assert_eq!(answer.status, 200);
                (from, answer.reply.is_some())
            }
        })
        .buffer_unordered(48)
        .collect()
        .await
}

async fn reply_entries(ledger: &dyn Ledger) -> Vec<antirelou_ledger::Entry> {
    let entries = antirelou_ledger::conformance::all_entries(ledger, &EntryFilter::default()).await;
    entries.into_iter().filter(|e| e.kind == EntryKind::Reply).collect()
}

/// Calls of EVALSHA so far (the decision script's round-trips).
async fn evalsha_calls(redis: &RedisServer) -> u64 {
    let mut connection = redis::Client::open(redis.url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut connection).await.unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next()?.parse().ok())
        .unwrap_or(0)
}

/// Every key under the prefix has a TTL, except balances, the entries stream and id, and the
/// console's session generations (one field per caller ever configured).
async fn assert_only_balances_and_entries_lack_a_ttl(redis: &RedisServer, prefix: &str) {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{{{prefix}}}:*")).query_async(&mut connection).await.unwrap();
    assert!(!keys.is_empty());
    let allowed: HashSet<String> = ["balances", "entries", "entry_id", "sessions:fingerprints", "sessions:generations"]
        .iter()
        .map(|k| format!("{{{prefix}}}:{k}"))
        .collect();
    for key in keys {
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut connection).await.unwrap();
        assert!(ttl > 0 || allowed.contains(&key), "{key} has no TTL ({ttl})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_flooded_by_the_same_300_senders_pay_once_per_sender_and_never_cross_a_cap() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    for (prefix, cap, expected) in [("uncapped", None, 300usize), ("capped", Some("12.00"), 150)] {
        let number_extra = match cap {
            Some(cap) => format!("{NO_SHIELD}\ndaily_cap = \"{cap}\""),
            None => NO_SHIELD.to_owned(),
        };
        let config = write_config(dir.path(), &redis.url(), prefix, "", &number_extra);
        let servers = replicas(dir.path(), &config, 3);
        let evalsha_before = evalsha_calls(&redis).await;
        let answers = flood(&servers, 10_000, 300, 0, prefix).await;
        let round_trips = evalsha_calls(&redis).await - evalsha_before;
        let replied: Vec<&String> = answers.iter().filter(|(_, r)| *r).map(|(s, _)| s).collect();
        let distinct: HashSet<&String> = replied.iter().copied().collect();
        assert_eq!(replied.len(), expected, "{prefix}: replies across replicas");
        assert_eq!(distinct.len(), replied.len(), "{prefix}: no sender answered twice");

        let ledger = ledger(&redis, prefix).await;
        let entries = reply_entries(&*ledger).await;
        assert_eq!(entries.len(), replied.len(), "{prefix}: one ledger entry per reply seen over HTTP");
        let spend: i64 = entries.iter().map(|e| e.amount.micros()).sum();
        assert_eq!(spend, entries.len() as i64 * COST_MICROS, "{prefix}: spend = entries x cost");
        if let Some(cap) = cap {
            assert!(spend <= antirelou_domain::Money::parse(cap).unwrap().micros());
        }
        let mut outcomes: HashMap<&str, f64> = HashMap::new();
        let client = client();
        for server in &servers {
            let text = scrape(&client, &server.url).await;
            for outcome in ["replied", "repeat_sender", "budget_exhausted", "ledger_unavailable", "overloaded"] {
                *outcomes.entry(outcome).or_default() +=
                    metric(&text, "antirelou_inbound_total", &[("outcome", outcome)]);
            }
        }
        assert_eq!(outcomes["replied"] as usize, expected, "{prefix}: {outcomes:?}");
        assert_eq!(outcomes["ledger_unavailable"] + outcomes["overloaded"], 0.0, "{prefix}: {outcomes:?}");
        // Repeat senders are decided in memory: at most one decision script
        // per sender and replica (3 x 300), far below one per webhook; plus a
        // few per replica for the number's baseline (once a minute) and its
        // health (on a change, or every 30 s).
        assert!(round_trips <= 900 + 3 * 10, "{prefix}: {round_trips} EVALSHA for 10,000 webhooks");
        eprintln!(
            "{prefix}: 10,000 webhooks, 3 replicas, {} replies, {round_trips} EVALSHA, outcomes {outcomes:?}",
            replied.len()
        );
        assert_only_balances_and_entries_lack_a_ttl(&redis, prefix).await;
        if cap.is_none() {
            // The ledger CLI reads the Redis ledger too.
            let output = std::process::Command::new(common::BIN)
                .args(["ledger", "--config", &config, "entries", "--format", "json"])
                .output()
                .unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(rows.as_array().unwrap().len(), expected);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_message_sid_posted_100_times_across_replicas_is_paid_once() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &redis.url(), "dup", "", NO_SHIELD);
    let servers = replicas(dir.path(), &config, 3);
    let client = client();
    let answers: Vec<bool> = stream::iter(0..100)
        .map(|i| {
            let (client, url) = (client.clone(), servers[i % 3].url.clone());
            async move {
                let answer = post_sms(&client, &url, &ACCOUNT, NUMBER, "+33611111111", &sid("same", 0)).await.unwrap();
                assert_eq!(answer.status, 200);
                answer.reply.is_some()
            }
        })
        .buffer_unordered(100)
        .collect()
        .await;
    let ledger = ledger(&redis, "dup").await;
    assert_eq!(reply_entries(&*ledger).await.len(), 1, "one debit");
    // Every copy is answered as the paid one was: with the reply (never a second debit).
    assert_eq!(answers.iter().filter(|r| **r).count(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_redis_mid_flood_fails_closed_with_fast_200s_and_service_resumes_by_itself() {
    // Durable Redis, so entries written before the kill can be counted after it.
    let mut redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &redis.url(), "kill", "", NO_SHIELD);
    let servers = replicas(dir.path(), &config, 2);
    let before = flood(&servers, 300, 300, 0, "a").await;
    redis.kill();
    let started = Instant::now();
    let during = flood(&servers, 300, 300, 300, "b").await;
    let slowest_batch = started.elapsed();
    assert!(during[..].iter().all(|(_, replied)| !replied), "no reply while the ledger is gone");
    redis.restart();
    let resumed = eventually(Duration::from_secs(15), || async {
        let answer = post_sms(&client(), &servers[0].url, &ACCOUNT, NUMBER, &sender(5_000), &sid("resume", 0)).await;
        answer.map(|a| a.reply.is_some()).unwrap_or(false)
    })
    .await;
    assert!(resumed, "service resumes once Redis is back");
    let ledger = ledger(&redis, "kill").await;
    let entries = reply_entries(&*ledger).await;
    let seen = before.iter().filter(|(_, r)| *r).count() + 1;
    assert_eq!(entries.len(), seen, "every reply sent has its entry, and no entry lacks a reply");
    let text = scrape(&client(), &servers[0].url).await;
    assert!(metric(&text, "antirelou_ledger_errors_total", &[("backend", "redis")]) >= 1.0);
    assert!(metric(&text, "antirelou_inbound_total", &[("outcome", "ledger_unavailable")]) >= 1.0);
    eprintln!("300 webhooks with Redis dead answered in {slowest_batch:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_paused_for_10_seconds_times_out_to_ledger_unavailable_and_recovers_after_sigcont() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &redis.url(), "pause", "", NO_SHIELD);
    let servers = replicas(dir.path(), &config, 2);
    flood(&servers, 200, 200, 0, "warm").await;
    let rss_before: u64 = servers.iter().map(Server::rss_kib).sum();
    redis.pause();
    let paused_at = Instant::now();
    let mut during = Vec::new();
    let mut round = 0;
    while paused_at.elapsed() < Duration::from_secs(10) {
        let answers = flood(&servers, 100, 100, 1_000 + round * 100, &format!("p{round}")).await;
        during.extend(answers);
        round += 1;
    }
    let client = client();
    let readyz = client.get(format!("{}/readyz", servers[0].url)).send().await.unwrap().status().as_u16();
    let rss_during: u64 = servers.iter().map(Server::rss_kib).sum();
    redis.resume();
    assert!(during.iter().all(|(_, replied)| !replied), "no reply while Redis hangs");
    assert_eq!(readyz, 503, "/readyz reports the ledger");
    assert!(rss_during < rss_before + 64 * 1024, "memory stays bounded: {rss_before} KiB -> {rss_during} KiB");
    let text = scrape(&client, &servers[0].url).await;
    assert!(metric(&text, "antirelou_inbound_total", &[("outcome", "ledger_unavailable")]) >= 1.0);
    let recovered = eventually(Duration::from_secs(15), || async {
        let answer = post_sms(&client, &servers[1].url, &ACCOUNT, NUMBER, &sender(9_999), &sid("cont", 0)).await;
        answer.map(|a| a.reply.is_some()).unwrap_or(false)
    })
    .await;
    assert!(recovered, "recovery after SIGCONT");
    let ready = client.get(format!("{}/readyz", servers[0].url)).send().await.unwrap().status().as_u16();
    assert_eq!(ready, 200);
    eprintln!("{} webhooks during a 10 s pause; RSS {rss_before} -> {rss_during} KiB", during.len());
    assert_only_balances_and_entries_lack_a_ttl(&redis, "pause").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_flush_between_requests_is_invisible() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &redis.url(), "flush", "", NO_SHIELD);
    let servers = replicas(dir.path(), &config, 1);
    let client = client();
    let first = post_sms(&client, &servers[0].url, &ACCOUNT, NUMBER, &sender(1), &sid("f", 1)).await.unwrap();
    assert!(first.reply.is_some());
    let mut connection = redis::Client::open(redis.url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query_async(&mut connection).await.unwrap();
    let second = post_sms(&client, &servers[0].url, &ACCOUNT, NUMBER, &sender(2), &sid("f", 2)).await.unwrap();
    assert!(second.reply.is_some(), "the next decision succeeds");
    let ledger = ledger(&redis, "flush").await;
    assert_eq!(reply_entries(&*ledger).await.len(), 2, "one debit each");
    let text = scrape(&client, &servers[0].url).await;
    assert_eq!(metric(&text, "antirelou_ledger_errors_total", &[]), 0.0);
}

#[test]
fn a_redis_that_may_evict_keys_is_refused_at_startup_with_exit_2() {
    let redis = RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &redis.url(), "evict", "", "");
    let output = std::process::Command::new(common::BIN)
        .args(["serve", "--config", &config])
        .env("ANTIRELOU__SERVER__LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("maxmemory-policy") && stderr.contains("noeviction"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surge_on_one_replica_shields_the_number_on_every_replica() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let shield =
        "shield = { trigger_per_minute = 20, new_senders_per_minute = 1000, trigger_per_hour = 1000, new_senders_per_hour = 1000, hold = \"1h\", trickle_per_hour = 1 }";
    let config = write_config(dir.path(), &redis.url(), "shield", "", shield);
    let servers = replicas(dir.path(), &config, 2);
    let client = client();
    // A repeat flood on replica 0 only.
    for i in 0..25 {
        post_sms(&client, &servers[0].url, &ACCOUNT, NUMBER, "+33611111111", &sid("s", i)).await.unwrap();
    }
    let started = Instant::now();
    let shared = eventually(Duration::from_secs(5), || async {
        metric(&scrape(&client, &servers[1].url).await, "antirelou_shield_active", &[("number", NUMBER)]) == 1.0
    })
    .await;
    assert!(shared, "replica 1 shields too");
    eprintln!("shield reached the other replica in {:?}", started.elapsed());
    // Shielded everywhere: new senders are deferred, whichever replica they reach.
    let mut replies = 0;
    for i in 0..6 {
        let answer =
            post_sms(&client, &servers[i % 2].url, &ACCOUNT, NUMBER, &sender(100 + i), &sid("t", i)).await.unwrap();
        replies += usize::from(answer.reply.is_some());
    }
    assert_eq!(replies, 0, "no inline reply in shield mode");
    let mut deferred = 0.0;
    for server in &servers {
        deferred += metric(&scrape(&client, &server.url).await, "antirelou_inbound_total", &[("outcome", "deferred")]);
    }
    assert_eq!(deferred, 6.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_top_up_through_one_replica_lets_every_replica_reply_again() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &redis.url(), "topup", "prepaid = true", NO_SHIELD);
    let servers = replicas(dir.path(), &config, 2);
    let client = client();
    for (i, server) in servers.iter().enumerate() {
        let answer = post_sms(&client, &server.url, &ACCOUNT, NUMBER, &sender(i), &sid("e", i)).await.unwrap();
        assert!(answer.reply.is_none(), "no balance yet");
    }
    let response = client
        .post(format!("{}/v1/tenants/paris/top-up", servers[0].url))
        .bearer_auth("operator-token-0123456789")
        .json(&serde_json::json!({"amount": "1.00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let started = Instant::now();
    let mut n = 10;
    let resumed = eventually(Duration::from_secs(5), || {
        n += 1;
        let (client, url, from) = (client.clone(), servers[1].url.clone(), sender(n));
        async move { post_sms(&client, &url, &ACCOUNT, NUMBER, &from, &sid("r", n)).await.unwrap().reply.is_some() }
    })
    .await;
    assert!(resumed, "the other replica heard of the top-up");
    eprintln!("replica 1 replied again {:?} after the top-up on replica 0", started.elapsed());
}
