//! A number's health on the built binary: an OVHcloud number whose polls
//! fail (wrong `api_base`) or whose credentials are refused is `failing`
//! on every replica (two `serve` on one real `redis-server`) within two
//! poll intervals, red in the console with the reason, and alerted once;
//! a Twilio number whose webhooks are all refused (wrong `public_url`) is
//! `failing` after the first refused webhooks.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use antirelou_emulators::{start_ovh, OvhAccount};
use antirelou_ledger::redis_server::RedisServer;
use common::{eventually, post_sms, sid, Account, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NUMBER: &str = "+33939000004";
const APP_KEY: &str = "ovhappkey1";
const APP_SECRET: &str = "ovh-application-secret-for-health";
const CONSUMER_KEY: &str = "ovh-consumer-key-for-health-tests";
const SERVICE: &str = "sms-ab12345-1";
const ADMIN_TOKEN: &str = "the-admin-token-of-marseille-0123";
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// A chat-style alert webhook: records each JSON body it is POSTed.
async fn alert_receiver() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut buffer).await else { return };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    let Some(end) = text.find("\r\n\r\n") else { continue };
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() < end + 4 + length {
                        continue;
                    }
                    if let Ok(json) = serde_json::from_slice(&request[end + 4..end + 4 + length]) {
                        sink.lock().unwrap().push(json);
                    }
                    let _ =
                        socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                    return;
                }
            });
        }
    });
    (url, received)
}

fn ovh_config(dir: &Path, redis_url: &str, api_base: &str, consumer_key: &str, hook: &str) -> String {
    let path = dir.join("antirelou.toml");
    let text = format!(
        r#"
[server]
public_url = "https://sms.example.org"

[ledger]
backend = "redis"
redis_url = "{redis_url}"
key_prefix = "health"

[privacy]
sender_key = "health-test-sender-key-0123456789abcdef"
sealing_key = "health-test-sealing-key-0123456789abcdef"

[[tenants]]
id = "marseille"
admin_token = "{ADMIN_TOKEN}"
alert_webhook = "{hook}"
provider = {{ kind = "ovh", application_key = "{APP_KEY}", application_secret = "{APP_SECRET}", consumer_key = "{consumer_key}", service_name = "{SERVICE}", poll_interval = "{}s", api_base = "{api_base}" }}

[[tenants.numbers]]
number = "{NUMBER}"
reply = "Non, c'est non. Laissez-la tranquille."
price_per_segment = "0.08"
"#,
        POLL_INTERVAL.as_secs()
    );
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn ovh_account() -> OvhAccount {
    OvhAccount {
        application_key: APP_KEY.into(),
        application_secret: APP_SECRET.into(),
        consumer_key: CONSUMER_KEY.into(),
        service_name: SERVICE.into(),
        number: "0033939000004".into(),
        clock_skew_secs: 0,
    }
}

/// `health` of `GET /v1/numbers/{number}` on `server`, in `lang`.
async fn health(client: &reqwest::Client, server: &Server, number: &str, token: &str, lang: &str) -> serde_json::Value {
    let answer = client
        .get(format!("{}/v1/numbers/{number}", server.url))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json::<serde_json::Value>().await.unwrap()["health"].clone()
}

/// The codes of a health's reasons.
fn codes(health: &serde_json::Value) -> Vec<String> {
    health["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect()
}

/// Signs in to the console with `token`; returns the session cookie.
async fn console_session(client: &reqwest::Client, server: &Server, token: &str) -> String {
    let form = client.get(format!("{}/console/login", server.url)).send().await.unwrap();
    let nonce = cookie_of(&form, "antirelou_signin");
    let html = form.text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let signed_in = client
        .post(format!("{}/console/login", server.url))
        .header("Cookie", format!("antirelou_signin={nonce}"))
        .form(&[("csrf", csrf.as_str()), ("token", token)])
        .send()
        .await
        .unwrap();
    cookie_of(&signed_in, "antirelou_console")
}

fn cookie_of(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap().to_owned()))
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

async fn console_page(client: &reqwest::Client, server: &Server, session: &str, path: &str) -> String {
    let page = client
        .get(format!("{}{path}", server.url))
        .header("Cookie", format!("antirelou_console={session}"))
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "{path}");
    page.text().await.unwrap()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Two replicas of an OVHcloud number configured with `api_base` and
/// `consumer_key`: both show it failing with `code` within two poll
/// intervals of their start, the console shows it red, one alert is posted.
async fn an_ovh_number_that_cannot_be_polled_is_failing_everywhere(api_base: &str, consumer_key: &str, code: &str) {
    let redis = RedisServer::start();
    let (hook, received) = alert_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = ovh_config(dir.path(), &redis.url(), api_base, consumer_key, &hook);
    let started = Instant::now();
    let servers: Vec<Server> = (0..2).map(|_| Server::start(dir.path(), &["--config", &config])).collect();
    let client = no_redirects();

    let failing_everywhere = eventually(2 * POLL_INTERVAL, || async {
        let mut all = true;
        for server in &servers {
            let h = health(&client, server, NUMBER, ADMIN_TOKEN, "en").await;
            all &= h["state"] == "failing" && codes(&h) == [code];
        }
        all
    })
    .await;
    assert!(failing_everywhere, "failing on both replicas within two poll intervals of {:?}", started.elapsed());
    let (first, second) = (
        health(&client, &servers[0], NUMBER, ADMIN_TOKEN, "fr").await,
        health(&client, &servers[1], NUMBER, ADMIN_TOKEN, "en").await,
    );
    assert_eq!(first["since"], second["since"], "the same episode, the same since, on every replica");
    let text = first["reasons"][0]["text"].as_str().unwrap();
    assert!(text.contains("OVHcloud") && text.contains("relevé suivant"), "{text}");

    let session = console_session(&client, &servers[1], ADMIN_TOKEN).await;
    let page = console_page(&client, &servers[1], &session, &format!("/console/numbers/{NUMBER}")).await;
    assert!(page.contains("health-failing"), "red on the number's page");
    assert!(page.contains(&format!("data-reason=\"{code}\"")), "with its reason");
    assert!(page.contains("relevé suivant"), "and what to do");
    let overview = console_page(&client, &servers[0], &session, "/console/").await;
    assert!(overview.contains("health-failing") && !overview.contains("health-answering"), "never answering");

    // Polls keep failing on both replicas: still one alert for the episode.
    tokio::time::sleep(3 * POLL_INTERVAL).await;
    let alerted: Vec<serde_json::Value> =
        received.lock().unwrap().iter().filter(|a| a["event"] == "number_failing").cloned().collect();
    assert_eq!(alerted.len(), 1, "one alert per episode: {alerted:?}");
    assert_eq!(alerted[0]["number"], NUMBER);
    assert_eq!(alerted[0]["reasons"], serde_json::json!([code]));
    let kept = client
        .get(format!("{}/v1/tenants/marseille/alerts", servers[0].url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(kept.matches("number_failing").count(), 1, "kept once for the alerts page: {kept}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ovh_number_with_a_wrong_api_base_is_failing_on_every_replica_red_and_alerted_once() {
    an_ovh_number_that_cannot_be_polled_is_failing_everywhere("http://127.0.0.1:9", CONSUMER_KEY, "poll_failing").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ovh_number_whose_credentials_are_refused_is_failing_on_every_replica_red_and_alerted_once() {
    let ovh = start_ovh(ovh_account()).unwrap();
    let wrong = "a-consumer-key-ovhcloud-never-issued";
    an_ovh_number_that_cannot_be_polled_is_failing_everywhere(ovh.api_base(), wrong, "credentials_refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_working_ovh_number_is_answering() {
    let redis = RedisServer::start();
    let ovh = start_ovh(ovh_account()).unwrap();
    let (hook, received) = alert_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = ovh_config(dir.path(), &redis.url(), ovh.api_base(), CONSUMER_KEY, &hook);
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = no_redirects();
    let id = ovh.push_incoming("+33611000001", "salut");
    assert!(eventually(Duration::from_secs(10), || async { ovh.deleted_ids() == [id] }).await, "polled");
    let h = health(&client, &server, NUMBER, ADMIN_TOKEN, "en").await;
    assert_eq!(h["state"], "answering", "{h}");
    assert!(codes(&h).is_empty());
    assert!(received.lock().unwrap().is_empty(), "no alert");
}

const TWILIO_NUMBER: &str = "+33937000001";
const TWILIO_SID: &str = "AC11111111111111111111111111111111";
const TWILIO_TOKEN: &str = "token-of-paris-for-health";

fn twilio_config(dir: &Path, public_url: &str, hook: &str) -> String {
    let path = dir.join("antirelou.toml");
    let text = format!(
        r#"
[server]
public_url = "{public_url}"
[ledger]
path = "ledger.sqlite3"
[privacy]
sender_key = "health-test-sender-key-0123456789abcdef"
sealing_key = "health-test-sealing-key-0123456789abcdef"
[[tenants]]
id = "paris"
admin_token = "{ADMIN_TOKEN}"
alert_webhook = "{hook}"
provider = {{ kind = "twilio", account_sid = "{TWILIO_SID}", auth_token = "{TWILIO_TOKEN}" }}
[[tenants.numbers]]
number = "{TWILIO_NUMBER}"
reply = "Non, c'est non."
price_per_segment = "0.08"
"#
    );
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twilio_number_whose_webhooks_are_all_refused_is_failing_after_the_first_ones() {
    let (hook, received) = alert_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    // Twilio calls (and signs) https://sms.example.org; the file says another address.
    let config = twilio_config(dir.path(), "https://wrong.example.org", &hook);
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = no_redirects();
    assert_eq!(health(&client, &server, TWILIO_NUMBER, ADMIN_TOKEN, "en").await["state"], "answering");
    let twilio = Account { sid: TWILIO_SID, token: TWILIO_TOKEN, public_url: "https://sms.example.org" };
    for i in 0..3 {
        let answer = post_sms(&client, &server.url, &twilio, TWILIO_NUMBER, "+33611000001", &sid("refused", i)).await;
        assert_eq!(answer.unwrap().status, 403, "refused: the signature is over another address");
    }
    let failing = eventually(Duration::from_secs(5), || async {
        let h = health(&client, &server, TWILIO_NUMBER, ADMIN_TOKEN, "fr").await;
        h["state"] == "failing" && codes(&h) == ["inbound_rejected"]
    })
    .await;
    assert!(failing, "failing after the refused webhooks");
    let h = health(&client, &server, TWILIO_NUMBER, ADMIN_TOKEN, "fr").await;
    let text = h["reasons"][0]["text"].as_str().unwrap();
    assert!(text.contains("Vérifiez l'adresse publique dans la console de Twilio"), "{text}");
    assert!(text.contains("https://wrong.example.org"), "{text}");
    assert!(eventually(Duration::from_secs(5), || async { received.lock().unwrap().len() == 1 }).await, "alerted");
    assert_eq!(received.lock().unwrap()[0]["event"], "number_failing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twilio_number_with_an_accepted_webhook_stays_answering_when_a_forged_one_is_refused() {
    let (hook, received) = alert_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = twilio_config(dir.path(), "https://sms.example.org", &hook);
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = no_redirects();
    let twilio = Account { sid: TWILIO_SID, token: TWILIO_TOKEN, public_url: "https://sms.example.org" };
    let accepted = post_sms(&client, &server.url, &twilio, TWILIO_NUMBER, "+33611000001", &sid("ok", 0)).await;
    assert_eq!(accepted.unwrap().status, 200);
    let forger = Account { sid: TWILIO_SID, token: "not-the-token", public_url: "https://sms.example.org" };
    let forged = post_sms(&client, &server.url, &forger, TWILIO_NUMBER, "+33611000002", &sid("forged", 0)).await;
    assert_eq!(forged.unwrap().status, 403);
    // Let the (spawned) observations reach the ledger, then look.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let h = health(&client, &server, TWILIO_NUMBER, ADMIN_TOKEN, "en").await;
    assert_eq!(h["state"], "answering", "{h}");
    assert!(received.lock().unwrap().is_empty(), "no alert");
}
