//! Two `antirelou serve` replicas on one real `redis-server` polling one
//! OVHcloud number (its API a local stand-in): one replica holds the poll
//! lease; when it is killed (SIGKILL, no goodbye), the other takes the
//! number over within the lease TTL and the SMS waiting meanwhile are
//! answered once.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use antirelou_emulators::{start_ovh, OvhAccount};
use antirelou_ledger::redis_server::RedisServer;
use antirelou_ledger::{EntryFilter, EntryKind, RedisLedger};
use common::{eventually, metric, scrape, Server};

const NUMBER: &str = "+33939000004";
const APP_KEY: &str = "ovhappkey1";
const APP_SECRET: &str = "ovh-application-secret-for-replicas";
const CONSUMER_KEY: &str = "ovh-consumer-key-for-replica-tests";
const SERVICE: &str = "sms-ab12345-1";
/// The lease TTL of a 1 s poll interval: three intervals, at least 10 s
/// (`antirelou_web::pollers::ovh::MIN_LEASE_TTL`).
const LEASE_TTL: Duration = Duration::from_secs(10);

fn write_config(dir: &Path, redis_url: &str, api_base: &str) -> String {
    let path = dir.join("antirelou.toml");
    let text = format!(
        r#"
[server]
public_url = "https://sms.example.org"

[ledger]
backend = "redis"
redis_url = "{redis_url}"
key_prefix = "ovh"

[privacy]
sender_key = "ovh-poller-test-sender-key-0123456789"
sealing_key = "ovh-poller-test-sealing-key-0123456789"

[[tenants]]
id = "marseille"
provider = {{ kind = "ovh", application_key = "{APP_KEY}", application_secret = "{APP_SECRET}", consumer_key = "{CONSUMER_KEY}", service_name = "{SERVICE}", poll_interval = "1s", api_base = "{api_base}" }}

[[tenants.numbers]]
number = "{NUMBER}"
reply = "Non, c'est non. Laissez-la tranquille."
price_per_segment = "0.08"
"#
    );
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

async fn lease_held(client: &reqwest::Client, server: &Server) -> f64 {
    metric(&scrape(client, &server.url).await, "antirelou_poller_lease_held", &[("number", NUMBER)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_lease_holder_is_killed_the_other_replica_takes_the_number_over_within_the_lease_ttl() {
    let redis = RedisServer::start();
    let ovh = start_ovh(OvhAccount {
        application_key: APP_KEY.into(),
        application_secret: APP_SECRET.into(),
        consumer_key: CONSUMER_KEY.into(),
        service_name: SERVICE.into(),
        number: "0033939000004".into(),
        clock_skew_secs: 0,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &redis.url(), ovh.api_base());
    let mut servers: Vec<Server> = (0..2).map(|_| Server::start(dir.path(), &["--config", &config])).collect();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();

    let one_holder = eventually(Duration::from_secs(15), || async {
        lease_held(&client, &servers[0]).await + lease_held(&client, &servers[1]).await == 1.0
    })
    .await;
    assert!(one_holder, "exactly one replica holds the lease");
    let holder = if lease_held(&client, &servers[0]).await == 1.0 { 0 } else { 1 };
    let first = ovh.push_incoming("+33611000001", "on se revoit ?");
    assert!(eventually(Duration::from_secs(10), || async { ovh.deleted_ids() == [first] }).await);
    let other_polls = metric(&scrape(&client, &servers[1 - holder].url).await, "antirelou_poller_polls_total", &[]);
    assert_eq!(other_polls, 0.0, "the other replica never polls a held lease");

    // SIGKILL: the lease is not released, it expires.
    let mut dead = servers.remove(holder);
    dead.child.kill().unwrap();
    dead.child.wait().unwrap();
    let killed_at = Instant::now();
    let waiting = ovh.push_incoming("+33611000002", "salut");
    let survivor = &servers[0];
    let taken_over =
        eventually(LEASE_TTL + Duration::from_secs(5), || async { lease_held(&client, survivor).await == 1.0 }).await;
    assert!(taken_over, "the survivor took the lease over");
    let answered = eventually(Duration::from_secs(10), || async { ovh.deleted_ids() == [first, waiting] }).await;
    assert!(answered, "the SMS that waited was read: deleted {:?}", ovh.deleted_ids());
    eprintln!("lease taken over and the waiting SMS answered {:?} after the kill", killed_at.elapsed());

    assert!(eventually(Duration::from_secs(10), || async { ovh.accepted().len() == 2 }).await);
    let ledger =
        RedisLedger::connect(&redis.url(), "ovh", Duration::from_secs(2), Duration::from_secs(2)).await.unwrap();
    let entries = antirelou_ledger::conformance::all_entries(&ledger, &EntryFilter::default()).await;
    assert_eq!(entries.iter().filter(|e| e.kind == EntryKind::Reply).count(), 2, "each SMS paid once");
}
