//! Privacy after a flood (issue 12): a real `antirelou serve`, logging at
//! `RUST_LOG=trace`, takes a flood of distinct and repeating senders with
//! distinctive bodies through signed webhooks; then every place the product
//! writes to is read back and searched for every sender number (E.164,
//! without `+`, national, URL-encoded) and every body: the data directory's
//! files (the SQLite ledger with its `-wal`/`-shm`), every Redis key and
//! value, the captured log and `/metrics`. One hit fails the test.
//!
//! On Redis the tenant keeps evidence (docs/evidence.md): the collective
//! blocks a sender during the attack, who writes again, so a sealed part is
//! written; it holds that sender once opened with the collective's age
//! identity, yet nothing of it is in clear anywhere.
//!
//! Start with [`a_flood_leaves_no_sender_number_or_body_in_sqlite_logs_or_metrics`].

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use antirelou_ledger::redis_server::RedisServer;
use common::{post_sms_body, scrape, sid, Account, Server};
use futures_util::stream::{self, StreamExt};

const NUMBER: &str = "+33612345678";
const SID: &str = "AC11111111111111111111111111111111";
const TOKEN: &str = "privacy-test-auth-token";
const OPERATOR_TOKEN: &str = "operator-token-0123456789";
const PUBLIC_URL: &str = "https://sms.example.org";
const ACCOUNT: Account<'static> = Account { sid: SID, token: TOKEN, public_url: PUBLIC_URL };
/// Distinct French senders: enough to cross the shield's default first wave (10 new senders a minute).
const FRENCH_SENDERS: usize = 36;
/// Senders from a country the number does not answer (refused, yet never written down).
const FOREIGN_SENDERS: usize = 4;
/// The first senders write this many times each (repeat senders, replays of the decision).
const REPEATS: usize = 3;
const REPEATING_SENDERS: usize = 8;

/// A sender of the flood, with every spelling a leak could take.
struct Sender {
    e164: String,
    national: String,
}

impl Sender {
    fn french(i: usize) -> Sender {
        let e164 = format!("+3369812{i:04}");
        let national = format!("0{}", &e164[3..]);
        Sender { e164, national }
    }

    fn american(i: usize) -> Sender {
        let e164 = format!("+1415555{i:04}");
        let national = e164[2..].to_owned();
        Sender { e164, national }
    }

    /// `+33698120007`, `33698120007`, `0698120007`, `%2B33698120007`.
    fn spellings(&self) -> [String; 4] {
        [self.e164.clone(), self.e164[1..].to_owned(), self.national.clone(), format!("%2B{}", &self.e164[1..])]
    }
}

/// The message `n`'s text: a marker no product string contains, and French words.
fn body(n: usize) -> String {
    format!("Kq7vZ{n:04} t'es charmante, on se revoit ?")
}

/// The marker alone: a body logged cut short or encoded still shows it.
fn marker(n: usize) -> String {
    format!("Kq7vZ{n:04}")
}

fn senders() -> Vec<Sender> {
    (0..FRENCH_SENDERS).map(Sender::french).chain((0..FOREIGN_SENDERS).map(Sender::american)).collect()
}

/// Every sender once; the first ones [`REPEATS`] times; one says STOP.
fn messages(senders: &[Sender]) -> Vec<(usize, String)> {
    let mut messages: Vec<(usize, String)> = Vec::new();
    for round in 0..REPEATS {
        for (i, _) in senders.iter().enumerate() {
            if round == 0 || i < REPEATING_SENDERS {
                let n = messages.len();
                messages.push((i, body(n)));
            }
        }
    }
    messages.push((REPEATING_SENDERS, "STOP".to_owned()));
    messages
}

/// The messages the blocked sender writes after being blocked, numbered after the flood's.
fn blocked_messages() -> Vec<(usize, String)> {
    let first = messages(&senders()).len();
    (first..first + 2).map(|n| (n, body(n))).collect()
}

fn write_config(dir: &Path, ledger: &str, evidence: Option<&str>) -> String {
    let path = dir.join("antirelou.toml");
    let text = format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"
operator_token = "operator-token-0123456789"

{ledger}

[privacy]
sender_key = "privacy-test-sender-key-0123456789"
sealing_key = "privacy-test-sealing-key-0123456789"
evidence_signing_key = "q2V4KY7r8n0Qm3w5T1ZbJ6cXfL9dHs4pA0uGiEoRkMY="

[[tenants]]
id = "paris"
EVIDENCE
provider = {{ kind = "twilio", account_sid = "{SID}", auth_token = "{TOKEN}" }}

[[tenants.numbers]]
number = "{NUMBER}"
reply = "Non, c'est non. Merci de la laisser tranquille."
price_per_segment = "0.08"
allowed_countries = ["FR"]
"#
    );
    let evidence = evidence.map(|r| format!("evidence = {{ recipient = \"{r}\" }}")).unwrap_or_default();
    std::fs::write(&path, text.replace("EVIDENCE", &evidence)).unwrap();
    path.to_string_lossy().into_owned()
}

/// Runs the flood on a server started with `ledger` (a `[ledger]` section),
/// stops it (SIGTERM: flushed), and returns what it answered, its
/// `/metrics` page and its log.
/// The collective's age identity file and public key (`age-keygen`).
fn age_keygen(dir: &Path) -> (PathBuf, String) {
    let identity = dir.join("collectif.key");
    let made = std::process::Command::new("age-keygen").arg("-o").arg(&identity).output().expect("age-keygen");
    assert!(made.status.success());
    let text = std::fs::read_to_string(&identity).unwrap();
    let public = text.lines().find_map(|l| l.strip_prefix("# public key: ")).unwrap().to_owned();
    (identity, public)
}

/// The collective blocks the first sender during the attack (operator
/// token, admin API), who writes twice more; returns once their row is
/// sealed, with the incident's bundle.
async fn block_during_the_attack(client: &reqwest::Client, url: &str) -> Vec<u8> {
    let blocked = &senders()[0];
    let response = client
        .post(format!("{url}/v1/tenants/paris/blocklist"))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&serde_json::json!({ "number": blocked.e164 }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "blocked: {}", response.status());
    // Every replica applies a block within its 2 s version check; this one at once.
    for (n, text) in blocked_messages() {
        let status = post_sms_body(client, url, &ACCOUNT, NUMBER, &blocked.e164, &sid("privacy", n), &text)
            .await
            .unwrap()
            .status;
        assert_eq!(status, 200);
    }
    let incidents = format!("{url}/v1/tenants/paris/incidents");
    let sealed = antirelou_test_support::eventually(Duration::from_secs(10), || async {
        let listed: serde_json::Value =
            client.get(&incidents).bearer_auth(OPERATOR_TOKEN).send().await.unwrap().json().await.unwrap();
        listed["incidents"][0]["sealed_files"] == 1
    })
    .await;
    assert!(sealed, "the blocked sender's row was sealed at once");
    let listed: serde_json::Value =
        client.get(&incidents).bearer_auth(OPERATOR_TOKEN).send().await.unwrap().json().await.unwrap();
    let bundle = format!("{url}/v1/tenants/paris/incidents/{}/evidence", listed["incidents"][0]["id"]);
    client.get(bundle).bearer_auth(OPERATOR_TOKEN).send().await.unwrap().bytes().await.unwrap().to_vec()
}

/// The senders file of a bundle, opened with `identity` by Debian's age.
fn open_senders(dir: &Path, bundle: &[u8], identity: &Path) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bundle)).unwrap();
    let mut sealed = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("senders.csv.age").unwrap(), &mut sealed).unwrap();
    let path = dir.join("opened").join("senders.csv.age");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, sealed).unwrap();
    let opened = std::process::Command::new("age").arg("-d").arg("-i").arg(identity).arg(&path).output().unwrap();
    assert!(opened.status.success());
    // The scan covers the data directory: the opened copy does not stay there.
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    String::from_utf8(opened.stdout).unwrap()
}

async fn flood(dir: &Path, ledger: &str) -> (Vec<u16>, String, String) {
    flood_keeping(dir, ledger, None).await
}

/// [`flood`] for a tenant keeping evidence for `recipient` (the identity file
/// opens it), blocking a sender during the attack: also the bundle's
/// senders file, opened.
async fn flood_keeping(dir: &Path, ledger: &str, evidence: Option<&Path>) -> (Vec<u16>, String, String) {
    let keys = evidence.map(age_keygen);
    let config = write_config(dir, ledger, keys.as_ref().map(|(_, public)| public.as_str()));
    let log_path = dir.join("serve.log");
    let mut server = Server::start_logged(dir, &["--config", &config], &[("RUST_LOG", "trace")], &log_path);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let senders = senders();
    let statuses: Vec<u16> = stream::iter(messages(&senders).into_iter().enumerate())
        .map(|(n, (i, text))| {
            let (client, url, from) = (client.clone(), server.url.clone(), senders[i].e164.clone());
            async move {
                post_sms_body(&client, &url, &ACCOUNT, NUMBER, &from, &sid("privacy", n), &text).await.unwrap().status
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    if let Some((identity, _)) = &keys {
        let bundle = block_during_the_attack(&client, &server.url).await;
        let senders_csv = open_senders(dir, &bundle, identity);
        let blocked = &senders[0];
        assert!(senders_csv.contains(&format!("{},", blocked.e164)), "the blocked sender is kept:\n{senders_csv}");
        assert!(senders_csv.contains(&blocked_messages()[0].1), "with their bodies");
        assert_eq!(senders_csv.lines().filter(|l| l.starts_with('+')).count(), 1, "no one else:\n{senders_csv}");
    }
    let metrics = scrape(&client, &server.url).await;
    assert!(server.terminate(Duration::from_secs(20)).success(), "serve exits cleanly on SIGTERM");
    let log = std::fs::read_to_string(&log_path).unwrap();
    (statuses, metrics, log)
}

/// Where each needle shows up in `haystack` (called `place`).
fn leaks(place: &str, haystack: &[u8], found: &mut Vec<String>) {
    let senders = senders();
    let messages = messages(&senders);
    let needles = senders
        .iter()
        .flat_map(Sender::spellings)
        .chain(
            messages
                .iter()
                .enumerate()
                .filter(|(_, (_, b))| b != "STOP")
                .flat_map(|(n, (_, b))| [b.clone(), marker(n)]),
        )
        .chain(blocked_messages().into_iter().flat_map(|(n, b)| [b, marker(n)]));
    for needle in needles {
        if haystack.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            found.push(format!("{place}: {needle:?}"));
        }
    }
}

/// Every file under `dir` (the ledger, its `-wal`/`-shm`, the log, the config).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn scan_files(dir: &Path, found: &mut Vec<String>) {
    for path in files(dir) {
        leaks(&path.display().to_string(), &std::fs::read(&path).unwrap(), found);
    }
}

/// Every byte string inside a Redis reply.
fn flatten(value: redis::Value, out: &mut Vec<u8>) {
    match value {
        redis::Value::BulkString(bytes) => out.extend(bytes),
        redis::Value::SimpleString(text) => out.extend(text.into_bytes()),
        redis::Value::Int(n) => out.extend(n.to_string().into_bytes()),
        redis::Value::Array(items) | redis::Value::Set(items) => items.into_iter().for_each(|v| {
            out.push(b'\n');
            flatten(v, out);
        }),
        redis::Value::Map(pairs) => pairs.into_iter().for_each(|(k, v)| {
            flatten(k, out);
            out.push(b'\n');
            flatten(v, out);
        }),
        other => out.extend(format!("{other:?}").into_bytes()),
    }
}

/// Every key of the Redis database and its value, read by type (small
/// integers are stored as integers; DUMP alone would hide them), plus DUMP.
async fn scan_redis(redis: &RedisServer, found: &mut Vec<String>) -> usize {
    let mut connection = redis::Client::open(redis.url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) =
            redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(1000).query_async(&mut connection).await.unwrap();
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    for key in &keys {
        let name = String::from_utf8_lossy(key).into_owned();
        leaks(&format!("redis key {name:?}"), key, found);
        let kind: String = redis::cmd("TYPE").arg(key).query_async(&mut connection).await.unwrap();
        let read = match kind.as_str() {
            "string" => redis::cmd("GET").arg(key).clone(),
            "hash" => redis::cmd("HGETALL").arg(key).clone(),
            "list" => redis::cmd("LRANGE").arg(key).arg(0).arg(-1).clone(),
            "set" => redis::cmd("SMEMBERS").arg(key).clone(),
            "zset" => redis::cmd("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES").clone(),
            "stream" => redis::cmd("XRANGE").arg(key).arg("-").arg("+").clone(),
            other => panic!("redis key {name:?} has a type the scan cannot read: {other}"),
        };
        let mut bytes = Vec::new();
        flatten(read.query_async(&mut connection).await.unwrap(), &mut bytes);
        flatten(redis::cmd("DUMP").arg(key).query_async(&mut connection).await.unwrap(), &mut bytes);
        leaks(&format!("redis value of {name:?} ({kind})"), &bytes, found);
    }
    keys.len()
}

/// The flood was real: every webhook answered 200, the log holds trace lines.
fn assert_the_flood_ran(statuses: &[u16], log: &str) {
    let expected = messages(&senders()).len();
    assert_eq!(statuses.len(), expected);
    assert!(statuses.iter().all(|s| *s == 200), "every webhook is a 200: {statuses:?}");
    assert!(log.lines().filter(|l| l.contains("TRACE")).count() > 10, "the log is at trace level:\n{log}");
}

fn assert_no_leak(found: &[String]) {
    assert!(found.is_empty(), "{} sender numbers or bodies were written down:\n{}", found.len(), found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_leaves_no_sender_number_or_body_in_sqlite_logs_or_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = format!(
        "[ledger]\nbackend = \"embedded\"\npath = \"{}\"\ntimezone = \"Europe/Paris\"",
        dir.path().join("ledger.sqlite3").display()
    );
    let (statuses, metrics, log) = flood(dir.path(), &ledger).await;
    assert_the_flood_ran(&statuses, &log);
    let mut found = Vec::new();
    scan_files(dir.path(), &mut found);
    leaks("/metrics", metrics.as_bytes(), &mut found);
    assert!(std::fs::metadata(dir.path().join("ledger.sqlite3")).unwrap().len() > 0);
    assert_no_leak(&found);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_leaves_no_sender_number_or_body_in_redis_logs_or_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let ledger = format!("[ledger]\nbackend = \"redis\"\nredis_url = \"{}\"\nkey_prefix = \"privacy\"", redis.url());
    let keys_dir = tempfile::tempdir().unwrap();
    let (statuses, metrics, log) = flood_keeping(dir.path(), &ledger, Some(keys_dir.path())).await;
    assert_the_flood_ran(&statuses, &log);
    let mut found = Vec::new();
    let keys = scan_redis(&redis, &mut found).await;
    assert!(keys > 5, "the flood wrote to Redis ({keys} keys)");
    scan_files(dir.path(), &mut found);
    leaks("/metrics", metrics.as_bytes(), &mut found);
    assert_no_leak(&found);
}
