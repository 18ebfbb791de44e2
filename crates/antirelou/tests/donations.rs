//! Donations credit the balance, on the built binary: HelloAsso and Open
//! Collective notifications posted to `antirelou serve`, every payment read
//! back from the platforms' stand-ins, the ledger in SQLite or in a real
//! `redis-server` shared by two replicas.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use antirelou_emulators::helloasso::{PAYER_EMAIL, PAYER_FIRST_NAME, PAYER_LAST_NAME};
use antirelou_emulators::opencollective::uuid_of;
use antirelou_emulators::{
    start_helloasso, start_opencollective, Fault, HelloAssoClient, HelloAssoEmulator, HelloAssoPayment, OcTransaction,
    OpenCollectiveEmulator,
};
use antirelou_ledger::redis_server::RedisServer;
use antirelou_ledger::{EntryFilter, EntryKind, Ledger, RedisLedger};
use common::{metric, scrape, Server};
use futures_util::stream::{self, StreamExt};
use serde_json::Value;

const OPERATOR: &str = "donations-operator-token-0123456789";
const LYON_TOKEN: &str = "lyon-admin-token-Hd72kLs9Wq4m";
const CLIENT_ID: &str = "lyon-client";
const CLIENT_SECRET: &str = "lyon-helloasso-secret";
const OC_TOKEN: &str = "lyon-opencollective-token";
const ENV: [(&str, &str); 2] = [("TEST_HA_SECRET", CLIENT_SECRET), ("TEST_OC_TOKEN", OC_TOKEN)];

/// Tenant `lyon` (prepaid) takes donations on both platforms; tenant
/// `paris` (not prepaid) takes none.
fn write_config(dir: &Path, ledger: &str, helloasso: &str, opencollective: &str) -> String {
    let text = format!(
        r#"
[server]
public_url = "https://sms.example.org"
operator_token = "{OPERATOR}"

[ledger]
{ledger}

[privacy]
sender_key = "donations-test-sender-key-0123456789"
sealing_key = "donations-test-sealing-key-0123456789"

[[tenants]]
id = "lyon"
prepaid = true
admin_token = "{LYON_TOKEN}"
donation_url = "https://www.helloasso.com/associations/collectif-lyon"
donations = [
  {{ kind = "helloasso", organization_slug = "collectif-lyon", client_id = "{CLIENT_ID}", client_secret = {{ env = "TEST_HA_SECRET" }}, api_base = "{helloasso}" }},
  {{ kind = "opencollective", collective_slug = "collectif-lyon", token = {{ env = "TEST_OC_TOKEN" }}, api_base = "{opencollective}" }},
]
provider = {{ kind = "twilio", account_sid = "AC11111111111111111111111111111111", auth_token = "lyon-twilio-token" }}

[[tenants.numbers]]
number = "+33612345678"
reply = "Non, c'est non."
price_per_segment = "0.08"

[[tenants]]
id = "paris"
provider = {{ kind = "twilio", account_sid = "AC22222222222222222222222222222222", auth_token = "paris-twilio-token" }}

[[tenants.numbers]]
number = "+33698765432"
reply = "Non, c'est non."
price_per_segment = "0.08"
"#
    );
    let path = dir.join("antirelou.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn sqlite(dir: &Path) -> String {
    format!("backend = \"embedded\"\npath = \"{}\"", dir.join("ledger.sqlite3").display())
}

fn helloasso() -> HelloAssoEmulator {
    let emulator = start_helloasso(vec![HelloAssoClient {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        organizations: vec!["collectif-lyon".into(), "amis-de-lyon".into()],
    }])
    .unwrap();
    emulator.put_payment(HelloAssoPayment::donation(11, "collectif-lyon", "don-sms", 2_000));
    emulator.put_payment(HelloAssoPayment::donation(12, "amis-de-lyon", "don-sms", 5_000));
    emulator
}

fn opencollective() -> OpenCollectiveEmulator {
    let emulator = start_opencollective(vec![OC_TOKEN.into()]).unwrap();
    emulator.put_transaction(OcTransaction::contribution(53_460, "collectif-lyon", 1_000, 856));
    emulator.put_transaction(OcTransaction::contribution(53_461, "collectif-paris", 1_000, 856));
    emulator
}

/// A HelloAsso `Payment` notification, as HelloAsso sends it (the payer included).
fn helloasso_payment(id: u64, state: &str) -> String {
    format!(
        r#"{{"eventType":"Payment","data":{{"id":{id},"amount":2000,"state":"{state}","date":"2026-12-07T10:00:00+01:00",
        "order":{{"id":9001,"formSlug":"don-sms","formType":"Donation","organizationSlug":"collectif-lyon"}},
        "payer":{{"firstName":"{PAYER_FIRST_NAME}","lastName":"{PAYER_LAST_NAME}","email":"{PAYER_EMAIL}"}}}}}}"#
    )
}

/// An Open Collective `collective.transaction.created` activity.
fn opencollective_transaction(legacy_id: i64) -> String {
    format!(
        r#"{{"createdAt":"2026-12-07T09:00:00.000Z","id":77,"type":"collective.transaction.created","CollectiveId":1,
        "data":{{"transaction":{{"id":{legacy_id},"uuid":"{}","type":"CREDIT","kind":"CONTRIBUTION","amount":1000,
        "isRefund":false}},"fromCollective":{{"name":"{PAYER_FIRST_NAME} {PAYER_LAST_NAME}"}}}}}}"#,
        uuid_of(legacy_id)
    )
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(32).build().unwrap()
}

async fn notify(client: &reqwest::Client, url: &str, path: &str, body: &str) -> u16 {
    let answer = client
        .post(format!("{url}{path}"))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    answer.status().as_u16()
}

/// The tenant's donation and refund entries, through the admin API.
async fn donation_entries(client: &reqwest::Client, url: &str, tenant: &str) -> Vec<(String, String, String)> {
    let answer: Value = client
        .get(format!("{url}/v1/tenants/{tenant}/entries?limit=1000"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "donation" || e["kind"] == "refund")
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or_default().to_owned();
            (text("kind"), text("amount"), text("reference"))
        })
        .collect()
}

/// The console's money page of lyon, in English, signed in with its token.
async fn money_page(url: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = |response: &reqwest::Response, name: &str| {
        response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
            c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
    };
    let form = http.get(format!("{url}/console/login")).send().await.unwrap();
    let nonce = cookie(&form, "antirelou_signin").expect("a sign-in nonce");
    let body = form.text().await.unwrap();
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let signed_in = http
        .post(format!("{url}/console/login"))
        .header("Cookie", format!("antirelou_signin={nonce}"))
        .form(&[("token", LYON_TOKEN), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    let session = cookie(&signed_in, "antirelou_console").expect("a session");
    let page = http
        .get(format!("{url}/console/tenants/lyon/money"))
        .header("Cookie", format!("antirelou_console={session}; antirelou_lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

fn counted(metrics: &str, source: &str, result: &str) -> f64 {
    metric(metrics, "antirelou_donations_total", &[("tenant", "lyon"), ("source", source), ("result", result)])
}

fn entry(kind: &str, amount: &str, reference: &str) -> (String, String, String) {
    (kind.to_owned(), amount.to_owned(), reference.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helloasso_payment_is_credited_once_when_the_api_confirms_it_and_its_refund_debits_it() {
    let dir = tempfile::tempdir().unwrap();
    let (ha, oc) = (helloasso(), opencollective());
    let config = write_config(dir.path(), &sqlite(dir.path()), ha.root_url(), oc.root_url());
    let log = dir.path().join("serve.log");
    let server =
        Server::start_logged(dir.path(), &["--config", &config], &[("RUST_LOG", "debug"), ENV[0], ENV[1]], &log);
    let (client, url) = (http(), server.url.clone());
    let route = "/webhooks/helloasso/lyon";

    // Nine read-backs in all: within the ten a tenant's account may make at once after a quiet time.
    for _ in 0..3 {
        assert_eq!(notify(&client, &url, route, &helloasso_payment(11, "Authorized")).await, 200);
    }
    // Another organisation of the same client, an unknown id, a payment not paid yet: 200, nothing credited.
    assert_eq!(notify(&client, &url, route, &helloasso_payment(12, "Authorized")).await, 200);
    assert_eq!(notify(&client, &url, route, &helloasso_payment(404, "Authorized")).await, 200);
    let mut pending = HelloAssoPayment::donation(13, "collectif-lyon", "don-sms", 1_500);
    pending.state = "Pending".into();
    ha.put_payment(pending);
    assert_eq!(notify(&client, &url, route, &helloasso_payment(13, "Authorized")).await, 200, "the notification lies");
    assert_eq!(donation_entries(&client, &url, "lyon").await, [entry("donation", "20.00", "helloasso:11")]);

    // Paid later: the next notification credits it. Refunded: the refund debits what was credited, once.
    ha.set_state(13, "Authorized");
    assert_eq!(notify(&client, &url, route, &helloasso_payment(13, "Authorized")).await, 200);
    ha.set_state(11, "Refunded");
    for _ in 0..2 {
        assert_eq!(notify(&client, &url, route, &helloasso_payment(11, "Refunded")).await, 200);
    }
    assert_eq!(
        donation_entries(&client, &url, "lyon").await,
        [
            entry("donation", "20.00", "helloasso:11"),
            entry("donation", "15.00", "helloasso:13"),
            entry("refund", "20.00", "helloasso:11"),
        ]
    );

    let metrics = scrape(&client, &url).await;
    assert_eq!(counted(&metrics, "helloasso", "credited"), 2.0);
    assert_eq!(counted(&metrics, "helloasso", "duplicate"), 2.0 + 1.0, "two replays of 11, one of its refund");
    assert_eq!(counted(&metrics, "helloasso", "refunded"), 1.0);
    assert_eq!(counted(&metrics, "helloasso", "other_account"), 1.0);
    assert_eq!(counted(&metrics, "helloasso", "unknown_payment"), 1.0);
    assert_eq!(counted(&metrics, "helloasso", "not_authorized"), 1.0);
    assert_eq!(counted(&metrics, "opencollective", "credited"), 0.0, "declared at 0");
    assert_eq!(ha.tokens_issued(), 1, "one token for every read-back");

    // The console lists each donation with its platform and payment number, and what the balance pays for:
    // 15.00 EUR at 0.08 a reply.
    let page = money_page(&url).await;
    let donations = page.split("id=\"donations\"").nth(1).expect("a donations section");
    for shown in ["HelloAsso", ">11<", ">13<", "€20.00", "€15.00", "Refunded on"] {
        assert!(donations.contains(shown), "{shown}: {donations}");
    }
    assert!(page.contains("€15.00</strong> (≈ 187 replies)"), "{page}");

    // The payer is never stored, logged or counted.
    drop(server);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("donation credited"), "the log is the server's");
    for payer in [PAYER_FIRST_NAME, PAYER_LAST_NAME, PAYER_EMAIL] {
        assert!(!logged.contains(payer), "{payer} in the log");
        assert!(!metrics.contains(payer));
        let ledger = std::fs::read(dir.path().join("ledger.sqlite3")).unwrap();
        assert!(!String::from_utf8_lossy(&ledger).contains(payer), "{payer} in the ledger");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_collective_credits_a_contribution_to_the_collective_and_debits_its_refund() {
    let dir = tempfile::tempdir().unwrap();
    let (ha, oc) = (helloasso(), opencollective());
    let config = write_config(dir.path(), &sqlite(dir.path()), ha.root_url(), oc.root_url());
    let server = Server::start_with(dir.path(), &["--config", &config], &ENV, 1).0;
    let (client, url) = (http(), server.url.clone());
    let route = "/webhooks/opencollective/lyon";

    for _ in 0..3 {
        assert_eq!(notify(&client, &url, route, &opencollective_transaction(53_460)).await, 200);
    }
    assert_eq!(notify(&client, &url, route, &opencollective_transaction(53_461)).await, 200, "another collective");
    let refund = oc.refund(53_460, 53_470);
    assert_eq!(notify(&client, &url, route, &opencollective_transaction(refund.legacy_id)).await, 200);
    // A new member: no payment, nothing read back.
    let member = r#"{"type":"collective.member.created","data":{"order":{"id":183773,"totalAmount":100}}}"#;
    assert_eq!(notify(&client, &url, route, member).await, 200);
    assert_eq!(
        donation_entries(&client, &url, "lyon").await,
        [entry("donation", "8.56", "opencollective:53460"), entry("refund", "8.56", "opencollective:53460")]
    );
    let metrics = scrape(&client, &url).await;
    assert_eq!(counted(&metrics, "opencollective", "credited"), 1.0);
    assert_eq!(counted(&metrics, "opencollective", "other_account"), 1.0);
    assert_eq!(counted(&metrics, "opencollective", "ignored"), 1.0);
    assert_eq!(counted(&metrics, "opencollective", "refunded"), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_a_notification_of_ours_is_refused_before_any_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let (ha, oc) = (helloasso(), opencollective());
    let config = write_config(dir.path(), &sqlite(dir.path()), ha.root_url(), oc.root_url());
    let server = Server::start_with(dir.path(), &["--config", &config], &ENV, 1).0;
    let (client, url) = (http(), server.url.clone());
    let payment = helloasso_payment(11, "Authorized");
    // A tenant without donations, a tenant we do not serve: 404.
    assert_eq!(notify(&client, &url, "/webhooks/helloasso/paris", &payment).await, 404);
    assert_eq!(notify(&client, &url, "/webhooks/helloasso/nantes", &payment).await, 404);
    assert_eq!(notify(&client, &url, "/webhooks/helloasso/lyon", "not json").await, 400);
    let padded = format!("{}{}", &payment[..payment.len() - 1], format_args!(r#","pad":"{}"}}"#, "x".repeat(70_000)));
    assert_eq!(notify(&client, &url, "/webhooks/helloasso/lyon", &padded).await, 413);
    assert_eq!((ha.request_count(), oc.request_count()), (0, 0), "nothing was read back");
    let metrics = scrape(&client, &url).await;
    assert_eq!(counted(&metrics, "helloasso", "malformed"), 1.0);
    // The API down: 503, the platform sends it again; once it answers, the retry credits.
    assert_eq!(notify(&client, &url, "/webhooks/helloasso/lyon", &helloasso_payment(12, "Authorized")).await, 200);
    ha.inject(Fault::Status(502));
    assert_eq!(notify(&client, &url, "/webhooks/helloasso/lyon", &payment).await, 503);
    assert_eq!(notify(&client, &url, "/webhooks/helloasso/lyon", &payment).await, 200);
    assert_eq!(donation_entries(&client, &url, "lyon").await, [entry("donation", "20.00", "helloasso:11")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_a_hundred_times_across_two_replicas_a_donation_is_credited_once() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (ha, oc) = (helloasso(), opencollective());
    let ledger_keys = format!("backend = \"redis\"\nredis_url = \"{}\"\nkey_prefix = \"donations\"", redis.url());
    let config = write_config(dir.path(), &ledger_keys, ha.root_url(), oc.root_url());
    let replicas: Vec<Server> =
        (0..2).map(|_| Server::start_with(dir.path(), &["--config", &config], &ENV, 1).0).collect();
    let urls: Vec<String> = replicas.iter().map(|s| s.url.clone()).collect();
    let client = http();
    let notifications = [
        ("/webhooks/helloasso/lyon", helloasso_payment(11, "Authorized")),
        ("/webhooks/opencollective/lyon", opencollective_transaction(53_460)),
    ];
    // Each notification posted 100 times at once over both replicas: each is answered 200, or 503 when
    // the tenant's read-backs are over their limit (the platform sends it again later).
    for (path, body) in &notifications {
        let statuses: Vec<u16> = stream::iter(0..100)
            .map(|i| {
                let (client, url) = (client.clone(), urls[i % urls.len()].clone());
                async move { notify(&client, &url, path, body).await }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        assert!(statuses.iter().all(|s| [200, 503].contains(s)), "{statuses:?}");
    }
    let ledger: Arc<dyn Ledger> = Arc::new(
        RedisLedger::connect(&redis.url(), "donations", Duration::from_secs(2), Duration::from_secs(2)).await.unwrap(),
    );
    let entries = antirelou_ledger::conformance::all_entries(&*ledger, &EntryFilter::default()).await;
    let donations: Vec<_> = entries.iter().filter(|e| e.kind == EntryKind::Donation).collect();
    assert_eq!(donations.len(), 2, "{donations:?}");
    let balance = ledger.balances().await.unwrap().into_iter().find(|(t, _)| t == "lyon").unwrap().1;
    assert_eq!(balance.to_string(), "28.56", "20.00 from HelloAsso and 8.56 net from Open Collective");
    let (mut credited, mut replays) = (0.0, 0.0);
    for url in &urls {
        let metrics = scrape(&client, url).await;
        for source in ["helloasso", "opencollective"] {
            credited += counted(&metrics, source, "credited");
            replays += counted(&metrics, source, "duplicate");
        }
    }
    assert_eq!(credited, 2.0, "one credit per payment, on one replica");
    assert!(replays >= 10.0, "the ledger saw many replays of both, from both replicas: {replays}");
}

#[test]
fn donations_on_a_tenant_that_is_not_prepaid_stop_the_server_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sqlite(dir.path()), "http://127.0.0.1:9", "http://127.0.0.1:9");
    let file = dir.path().join("not-prepaid.toml");
    std::fs::write(&file, std::fs::read_to_string(&config).unwrap().replace("prepaid = true\n", "")).unwrap();
    for command in ["check-config", "serve"] {
        let output = std::process::Command::new(common::BIN)
            .args([command, "--config", file.to_str().unwrap()])
            .envs(ENV)
            .env("ANTIRELOU__SERVER__LISTEN", "127.0.0.1:0")
            .current_dir(dir.path())
            .output()
            .unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert_eq!(output.status.code(), Some(2), "{command}: {said}");
        assert!(said.contains("tenants[0].donations") && said.contains("set prepaid = true"), "{command}: {said}");
    }
}
