//! `kill -HUP` on a running `antirelou serve`: the file is read again and
//! applied; an invalid one is refused and the running configuration stays.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{eventually, metric, post_sms, scrape, sid, Account, Server};

const NUMBER: &str = "+33612345678";
const ADDED: &str = "+33612345679";
const SID: &str = "AC11111111111111111111111111111111";
const TOKEN: &str = "reload-test-auth-token";
const PUBLIC_URL: &str = "https://sms.example.org";
const ACCOUNT: Account<'static> = Account { sid: SID, token: TOKEN, public_url: PUBLIC_URL };

/// An embedded-ledger config whose numbers answer with `reply`; `price` is
/// written as is (an invalid one makes an invalid file).
fn write_config(dir: &Path, numbers: &[&str], reply: &str, price: &str) -> String {
    let path = dir.join("antirelou.toml");
    let numbers: String = numbers
        .iter()
        .map(|n| {
            format!("[[tenants.numbers]]\nnumber = \"{n}\"\nreply = \"{reply}\"\nprice_per_segment = \"{price}\"\n\n")
        })
        .collect();
    let text = format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"

[ledger]
backend = "embedded"
path = "{ledger}"

[privacy]
sender_key = "reload-test-sender-key-0123456789"
sealing_key = "reload-test-sealing-key-0123456789"

[[tenants]]
id = "paris"
provider = {{ kind = "twilio", account_sid = "{SID}", auth_token = "{TOKEN}" }}

{numbers}"#,
        ledger = dir.join("ledger.sqlite3").display()
    );
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn hang_up(server: &Server) {
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
}

async fn reloads(client: &reqwest::Client, url: &str, result: &str) -> f64 {
    metric(&scrape(client, url).await, "antirelou_config_reloads_total", &[("result", result)])
}

#[tokio::test]
async fn sighup_applies_a_valid_file_and_keeps_serving_through_an_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[NUMBER], "Non, c'est non.", "0.08");
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = reqwest::Client::new();
    let url = server.url.clone();
    let unknown = post_sms(&client, &url, &ACCOUNT, ADDED, "+33700000001", &sid("hup", 0)).await.unwrap();
    assert_eq!(unknown.status, 404, "not served yet");

    write_config(dir.path(), &[NUMBER, ADDED], "Nouveau: non, c'est non.", "0.08");
    hang_up(&server);
    let applied = || async { reloads(&client, &url, "applied").await == 1.0 };
    assert!(eventually(Duration::from_secs(10), applied).await, "SIGHUP reloads");
    let added = post_sms(&client, &url, &ACCOUNT, ADDED, "+33700000001", &sid("hup", 1)).await.unwrap();
    assert_eq!(added.reply.as_deref(), Some("Nouveau: non, c'est non."), "the added number answers");

    write_config(dir.path(), &[NUMBER], "Autre texte.", "-1");
    hang_up(&server);
    let refused = || async { reloads(&client, &url, "refused").await == 1.0 };
    assert!(eventually(Duration::from_secs(10), refused).await, "an invalid file is refused");
    let still = post_sms(&client, &url, &ACCOUNT, ADDED, "+33700000002", &sid("hup", 2)).await.unwrap();
    assert_eq!(still.reply.as_deref(), Some("Nouveau: non, c'est non."), "the running configuration stays");
}

const OVH_NUMBER: &str = "+33939000004";
const OVH_KEYS: (&str, &str, &str, &str) =
    ("ovhappkey1", "ovh-application-secret-for-reload", "ovh-consumer-key-for-reload-tests", "sms-ab12345-1");

/// The Twilio config of `write_config`, plus an OVHcloud tenant polling
/// `api_base` when `ovh` is set.
fn write_config_with_ovh(dir: &Path, api_base: &str, ovh: bool) -> String {
    let path = write_config(dir, &[NUMBER], "Non, c'est non.", "0.08");
    if ovh {
        let (key, secret, consumer, service) = OVH_KEYS;
        let tenant = format!(
            "\n[[tenants]]\nid = \"marseille\"\nprovider = {{ kind = \"ovh\", application_key = \"{key}\", \
             application_secret = \"{secret}\", consumer_key = \"{consumer}\", service_name = \"{service}\", \
             poll_interval = \"1s\", api_base = \"{api_base}\" }}\n\n[[tenants.numbers]]\nnumber = \"{OVH_NUMBER}\"\n\
             reply = \"Non, c'est non.\"\nprice_per_segment = \"0.08\"\n"
        );
        let text = std::fs::read_to_string(&path).unwrap() + &tenant;
        std::fs::write(&path, text).unwrap();
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_starts_the_poller_of_an_added_ovhcloud_number_and_stops_a_removed_one() {
    let (key, secret, consumer, service) = OVH_KEYS;
    let ovh = antirelou_emulators::start_ovh(antirelou_emulators::OvhAccount {
        application_key: key.into(),
        application_secret: secret.into(),
        consumer_key: consumer.into(),
        service_name: service.into(),
        number: "0033939000004".into(),
        clock_skew_secs: 0,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config_with_ovh(dir.path(), ovh.api_base(), false);
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = reqwest::Client::new();
    let url = server.url.clone();
    let waiting = ovh.push_incoming("+33611000001", "on se revoit ?");
    let polled = |client: &reqwest::Client, url: &str| {
        let (client, url) = (client.clone(), url.to_owned());
        async move {
            let ready: serde_json::Value =
                client.get(format!("{url}/readyz")).send().await.unwrap().json().await.unwrap();
            ready["pollers"]["numbers"].get(OVH_NUMBER).is_some()
        }
    };
    assert!(!polled(&client, &url).await, "no poller before the number is configured");

    // Added: its poller starts, takes the lease and answers what waited.
    write_config_with_ovh(dir.path(), ovh.api_base(), true);
    hang_up(&server);
    assert!(eventually(Duration::from_secs(10), || async { reloads(&client, &url, "applied").await == 1.0 }).await);
    let answered = eventually(Duration::from_secs(10), || async { ovh.deleted_ids() == [waiting] }).await;
    assert!(answered, "the added number's waiting SMS was decided: deleted {:?}", ovh.deleted_ids());
    assert!(eventually(Duration::from_secs(10), || async { ovh.accepted().len() == 1 }).await, "and answered");
    assert!(polled(&client, &url).await, "/readyz shows its poller");
    let held = metric(&scrape(&client, &url).await, "antirelou_poller_lease_held", &[("number", OVH_NUMBER)]);
    assert_eq!(held, 1.0);

    // Removed: its poller stops; a new SMS stays in the inbox, unread.
    write_config_with_ovh(dir.path(), ovh.api_base(), false);
    hang_up(&server);
    assert!(eventually(Duration::from_secs(10), || async { reloads(&client, &url, "applied").await == 2.0 }).await);
    assert!(eventually(Duration::from_secs(10), || async { !polled(&client, &url).await }).await, "poller gone");
    let later = ovh.push_incoming("+33611000002", "salut");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(ovh.incoming_ids(), [later], "nobody polls the removed number");
    assert_eq!(ovh.accepted().len(), 1, "no reply for it");
    let text = scrape(&client, &url).await;
    assert!(!text.contains(&format!("number=\"{OVH_NUMBER}\"")), "its series are gone");
}
