//! Two `antirelou serve` replicas on a Redis master found through three
//! Sentinels (issue 27): the master is killed mid-flood, a Redis replica is
//! promoted, and the replicas resume deciding by themselves, every webhook
//! answered `200`, no sender answered twice, no cap crossed.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use antirelou_ledger::redis::{RedisTarget, ReplicaAcks, SentinelTarget};
use antirelou_ledger::redis_sentinel::{SentinelGroup, MASTER_NAME};
use antirelou_ledger::{EntryFilter, EntryKind, RedisLedger};
use common::{metric, post_sms, scrape, sid, Account, Server};

const NUMBER: &str = "+33612345678";
const SID: &str = "AC22222222222222222222222222222222";
const TOKEN: &str = "failover-test-auth-token";
const PUBLIC_URL: &str = "https://sms.example.org";
const ACCOUNT: Account<'static> = Account { sid: SID, token: TOKEN, public_url: PUBLIC_URL };
/// The daily cap, in replies of 0.08: the flood of new senders reaches it after the failover.
const CAP_REPLIES: usize = 300;
const NO_SHIELD: &str =
    "shield = { trigger_per_minute = 1000000, new_senders_per_minute = 1000000, trigger_per_hour = 1000000, new_senders_per_hour = 1000000, hold = \"1h\", trickle_per_hour = 10, baseline_factor = 0, money_margin_percent = 100000 }";

fn write_config(dir: &Path, sentinels: &[String]) -> String {
    let path = dir.join("antirelou.toml");
    let sentinels = sentinels.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    let text = format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"
decision_timeout_ms = 1000
operator_token = "operator-token-0123456789"

[ledger]
backend = "redis"
redis_sentinels = [{sentinels}]
redis_master_name = "{MASTER_NAME}"
key_prefix = "failover"
redis_response_timeout_ms = 300

[privacy]
sender_key = "failover-test-sender-key-0123456789"
sealing_key = "failover-test-sealing-key-0123456789"

[[tenants]]
id = "paris"
provider = {{ kind = "twilio", account_sid = "{SID}", auth_token = "{TOKEN}" }}

[[tenants.numbers]]
number = "{NUMBER}"
reply = "Non, c'est non. Merci de la laisser tranquille."
price_per_segment = "0.08"
max_replies_per_minute = 100000
daily_cap = "{cap}"
{NO_SHIELD}
"#,
        cap = format_args!("{}.00", CAP_REPLIES * 8 / 100)
    );
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

/// One webhook of the flood: who sent it, whether a reply came back, how long the answer took.
struct Posted {
    sender: String,
    replied: bool,
    took: Duration,
    after_kill: Option<Duration>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_resume_by_themselves_when_the_redis_master_is_killed_mid_flood() {
    let mut group = SentinelGroup::start(&["--appendonly", "yes"]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &group.sentinel_addresses());
    let servers =
        [Server::start(dir.path(), &["--config", &config]), Server::start(dir.path(), &["--config", &config])];
    let client = client();
    let old_master = group.master_port();

    let mut posted: Vec<Posted> = Vec::new();
    let mut killed_at: Option<Instant> = None;
    let started = Instant::now();
    for i in 0.. {
        if i == 100 {
            group.server(old_master).kill();
            killed_at = Some(Instant::now());
        }
        let sender = format!("+3366{i:07}");
        let sent = Instant::now();
        let answer = post_sms(&client, &servers[i % 2].url, &ACCOUNT, NUMBER, &sender, &sid("flood", i)).await.unwrap();
        assert_eq!(answer.status, 200, "every webhook is answered 200, master or not");
        let replied = answer.reply.is_some();
        posted.push(Posted { sender, replied, took: sent.elapsed(), after_kill: killed_at.map(|at| at.elapsed()) });
        let replies = posted.iter().filter(|p| p.replied).count();
        let resumed = posted.iter().any(|p| p.replied && p.after_kill.is_some());
        let unanswered_since = posted.iter().rev().take_while(|p| !p.replied).count();
        // The cap reached: every reply paid, or (a decision cut by the kill
        // may be paid without a reply) new senders no longer answered.
        if replies == CAP_REPLIES || (resumed && unanswered_since >= 50) {
            break;
        }
        if !replied && killed_at.is_some() {
            // The flood goes on at its pace while there is no master.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "the flood never reached the cap");
    }
    let first_reply_after_kill = posted
        .iter()
        .filter(|p| p.replied)
        .filter_map(|p| p.after_kill)
        .min()
        .expect("replies resumed after the kill, without a restart");
    assert!(first_reply_after_kill < Duration::from_secs(30), "resumed {first_reply_after_kill:?} after the kill");
    let slowest = posted.iter().map(|p| p.took).max().unwrap_or_default();
    let unanswered = posted.iter().filter(|p| p.after_kill.is_some_and(|a| a < first_reply_after_kill)).count();

    // Every answered sender, writing again to either replica, is a repeat sender.
    let replied: Vec<&Posted> = posted.iter().filter(|p| p.replied).collect();
    let distinct: HashSet<&str> = replied.iter().map(|p| p.sender.as_str()).collect();
    assert_eq!(distinct.len(), replied.len(), "no sender answered twice during the flood");
    for (i, p) in replied.iter().enumerate() {
        let message = sid("again", i);
        let again = post_sms(&client, &servers[(i + 1) % 2].url, &ACCOUNT, NUMBER, &p.sender, &message).await.unwrap();
        assert_eq!((again.status, again.reply), (200, None), "{} would be answered twice", p.sender);
    }

    // The new master knows every reply a sender saw, and the cap holds.
    let new_master = group.master_port();
    assert_ne!(new_master, old_master, "Sentinel promoted the Redis replica");
    let target = RedisTarget::Sentinel(SentinelTarget {
        sentinels: group.sentinel_addresses(),
        master_name: MASTER_NAME.to_owned(),
        password: None,
        sentinel_password: None,
    });
    let ledger =
        RedisLedger::open(target, "failover", Duration::from_secs(2), Duration::from_secs(2), ReplicaAcks::NONE)
            .await
            .unwrap();
    let entries = antirelou_ledger::conformance::all_entries(&ledger, &EntryFilter::default()).await;
    let paid: Vec<_> = entries.iter().filter(|e| e.kind == EntryKind::Reply).collect();
    let seen: HashSet<&str> = replied.iter().map(|p| p.sender.as_str()).collect();
    assert!(paid.len() >= seen.len(), "{} replies seen, {} entries on the new master", seen.len(), paid.len());
    let spend: i64 = paid.iter().map(|e| e.amount.micros()).sum();
    assert!(spend <= (CAP_REPLIES as i64) * 80_000, "the cap is never crossed: {spend}");
    let mut unavailable = 0.0;
    for server in &servers {
        let text = scrape(&client, &server.url).await;
        unavailable += metric(&text, "antirelou_inbound_total", &[("outcome", "ledger_unavailable")]);
    }
    assert!(unavailable >= 1.0, "decisions failed closed while there was no master");
    eprintln!(
        "failover with 2 replicas: {} webhooks, slowest answer {slowest:?}; replies resumed \
         {first_reply_after_kill:?} after the kill ({unanswered} webhooks meanwhile, {unavailable} \
         ledger_unavailable); {} replies seen, {} entries on the new master, 0 answered twice, spend {} of {}",
        posted.len(),
        replied.len(),
        paid.len(),
        antirelou_domain::Money::from_micros(spend),
        antirelou_domain::Money::from_micros(CAP_REPLIES as i64 * 80_000),
    );
}
