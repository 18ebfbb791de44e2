//! What the providers' stand-ins say of each number's link shows in its
//! health: the connection test (`POST /v1/numbers/{n}/check` and the
//! console's « Tester la connexion ») and the send API failing
//! (`send_failing`, `credentials_refused`), on the embedded ledger and on a
//! real `redis-server`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use antirelou_emulators::{start_vonage, Fault, VonageAccount};
use antirelou_ledger::Ledger;
use serde_json::Value;

use super::*;
use crate::console::sign_in_at;
use crate::support::{eventually, settings_and_ledger, spawn_app_with_ledger};

const OPERATOR: &str = "operator-token-of-the-health-tests-0123";
const PARIS_ADMIN: &str = "paris-admin-token-of-the-health-tests";
/// A fifth tenant whose provider API cannot be reached (a closed port).
const NANTES_NUMBER: &str = "+33939000005";

/// The four-provider deployment with tokens, plus Nantes (Twilio at a closed port).
fn toml(dir: &std::path::Path, providers: &Providers) -> String {
    let closed_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let tenants = providers.tenants("").replacen(
        "id = \"paris\"\n",
        &format!("id = \"paris\"\nadmin_token = \"{PARIS_ADMIN}\"\n"),
        1,
    );
    let nantes = format!(
        r#"
[[tenants]]
id = "nantes"
provider = {{ kind = "twilio", account_sid = "AC55555555555555555555555555555555", auth_token = "nantes-token", api_base = "http://127.0.0.1:{closed_port}" }}

[[tenants.numbers]]
number = "{NANTES_NUMBER}"
reply = "{REPLY}"
price_per_segment = "0.08"
"#
    );
    config_toml(dir, &format!("decision_timeout_ms = 2000\noperator_token = \"{OPERATOR}\""), &(tenants + &nantes))
}

/// One replica on `ledger`, or on the embedded ledger of `dir`.
async fn deployment(dir: &std::path::Path, providers: &Providers, ledger: Option<Arc<dyn Ledger>>) -> TestApp {
    let (settings, embedded) = settings_and_ledger(&toml(dir, providers));
    spawn_app_with_ledger(dir, settings, ledger.unwrap_or(embedded)).await
}

/// `POST /v1/numbers/{number}/check` with `token`, in French: the status and the answer.
async fn check(app: &TestApp, number: &str, token: &str) -> (u16, Value) {
    let answer = app
        .client
        .post(format!("{}/v1/numbers/{number}/check", app.admin_url))
        .bearer_auth(token)
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// The number's health: its state and its reasons' codes.
async fn health(app: &TestApp, number: &str) -> (String, Vec<String>) {
    let answer = app.client.get(format!("{}/v1/numbers/{number}", app.admin_url)).bearer_auth(OPERATOR).send();
    let detail: Value = answer.await.unwrap().json().await.unwrap();
    let health = &detail["health"];
    let codes = health["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned());
    (health["state"].as_str().unwrap().to_owned(), codes.collect())
}

/// Waits until the number's health is `state` with `codes`.
async fn wait_health(app: &TestApp, number: &str, state: &str, codes: &[&str]) {
    let reached = eventually(Duration::from_secs(15), || async {
        let (now, reasons) = health(app, number).await;
        now == state && reasons == codes
    })
    .await;
    assert!(reached, "{number} is {state} {codes:?}: it is {:?}", health(app, number).await);
}

/// How many `number_failing` alerts the tenant's alerts page keeps.
async fn failing_alerts(app: &TestApp, tenant: &str) -> usize {
    let answer = app.client.get(format!("{}/v1/tenants/{tenant}/alerts", app.admin_url)).bearer_auth(OPERATOR).send();
    answer.await.unwrap().text().await.unwrap().matches("number_failing").count()
}

async fn the_connection_test_on(app: &TestApp, providers: &Providers) {
    for number in [TWILIO_NUMBER, VONAGE_NUMBER, PLIVO_NUMBER, OVH_NUMBER] {
        let (status, answer) = check(app, number, OPERATOR).await;
        assert_eq!((status, &answer["ok"]), (200, &Value::Bool(true)), "{number}: {answer}");
        assert!(answer["text"].as_str().unwrap().starts_with("La connexion fonctionne"), "{answer}");
    }
    let sent: usize = [&providers.twilio, &providers.vonage, &providers.plivo, &*providers.ovh]
        .iter()
        .map(|emulator| emulator.accepted().len())
        .sum();
    assert_eq!(sent, 0, "a connection test sends no message");

    // Twilio refuses the credentials twice: failing once, one alert for the episode.
    for _ in 0..2 {
        providers.twilio.inject(Fault::Status(401));
        let (status, answer) = check(app, TWILIO_NUMBER, PARIS_ADMIN).await;
        assert_eq!((status, &answer["ok"]), (200, &Value::Bool(false)), "{answer}");
        let text = answer["text"].as_str().unwrap();
        assert!(text.starts_with("Twilio refuse nos identifiants") && text.contains("Auth Token"), "{text}");
    }
    let (state, codes) = health(app, TWILIO_NUMBER).await;
    assert_eq!((state.as_str(), codes), ("failing", vec!["credentials_refused".to_owned()]), "at once");
    assert!(eventually(Duration::from_secs(5), || async { failing_alerts(app, "paris").await == 1 }).await);

    // The right answer again ends the problem.
    let (_, answer) = check(app, TWILIO_NUMBER, PARIS_ADMIN).await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(health(app, TWILIO_NUMBER).await, ("answering".to_owned(), vec![]));
    assert_eq!(failing_alerts(app, "paris").await, 1, "still one episode");

    // An API that refuses the connection answers at once, without touching the health.
    let started = Instant::now();
    let (_, answer) = check(app, NANTES_NUMBER, OPERATOR).await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(answer["text"].as_str().unwrap().contains("ne peut pas être joint"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2), "quickly: {:?}", started.elapsed());
    assert_eq!(health(app, NANTES_NUMBER).await.0, "answering");

    // Another tenant's number does not exist for Paris; no token is 401.
    assert_eq!(check(app, VONAGE_NUMBER, PARIS_ADMIN).await.0, 404);
    assert_eq!(check(app, "+33999999999", OPERATOR).await.0, 404);
    assert_eq!(check(app, TWILIO_NUMBER, "not-a-token").await.0, 401);
}

#[actix_web::test]
async fn the_connection_test_tells_a_working_account_from_refused_credentials_and_an_unreachable_api() {
    let providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let app = deployment(dir.path(), &providers, None).await;
    the_connection_test_on(&app, &providers).await;
}

#[actix_web::test]
async fn the_connection_test_records_refused_credentials_in_the_redis_ledger_too() {
    let redis = RedisServer::start();
    let providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let app = deployment(dir.path(), &providers, Some(redis_ledger(&redis, "check").await)).await;
    the_connection_test_on(&app, &providers).await;
}

#[actix_web::test]
async fn the_console_button_tests_the_connection_and_shows_the_answer_next_to_it() {
    let providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let app = deployment(dir.path(), &providers, None).await;
    let session = sign_in_at(&app.admin_url, PARIS_ADMIN).await.expect("signed in");
    let cookie = format!("antirelou_console={session}");
    let page_url = format!("{}/console/numbers/{TWILIO_NUMBER}", app.admin_url);
    let page = app.client.get(&page_url).header("Cookie", &cookie).header("Accept-Language", "fr").send();
    let page = page.await.unwrap().text().await.unwrap();
    assert!(page.contains("Tester la connexion") && !page.contains("check-result"), "the button, no answer yet");
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let post = |csrf: String| {
        let request = app.client.post(format!("{page_url}/check")).header("Cookie", &cookie);
        async move { request.header("Accept-Language", "fr").form(&[("csrf", csrf)]).send().await.unwrap() }
    };

    let answered = post(csrf.clone()).await;
    assert_eq!(answered.status(), 200);
    let html = answered.text().await.unwrap();
    assert!(html.contains("id=\"check-result\""), "the answer next to the button");
    assert!(html.contains("La connexion fonctionne : Twilio accepte nos identifiants."), "in words");

    providers.twilio.inject(Fault::Status(403));
    let html = post(csrf).await.text().await.unwrap();
    assert!(html.contains("data-ok=\"false\"") && html.contains("Twilio refuse nos identifiants"), "what is wrong");
    assert!(html.contains("la console Twilio"), "and where to find the right ones");
    assert!(html.contains("health-failing") && html.contains("data-reason=\"credentials_refused\""), "red at once");

    let forged = post("not-the-form-token".to_owned()).await;
    assert_eq!(forged.status(), 403, "the form's CSRF token is checked");
}

/// Texts Lille's Vonage number from sender `i` (its reply goes through the send API).
async fn text_lille(app: &TestApp, i: usize) {
    let query = vonage_query(&sender(i), &vonage::emulate::message_id_from(0x5e7d_0000 + i as u128), unix_now());
    assert_eq!(get_vonage(app, &query).await.status, 200);
}

async fn the_send_api_health_on(app: &TestApp, providers: &mut Providers) {
    // Vonage's send API fails (500) for two replies: failing, alerted once.
    providers.vonage.inject(Fault::Status(500));
    providers.vonage.inject(Fault::Status(500));
    text_lille(app, 1).await;
    wait_health(app, VONAGE_NUMBER, "failing", &["send_failing"]).await;
    text_lille(app, 2).await;
    assert!(eventually(Duration::from_secs(10), || async { providers.vonage.request_count() == 2 }).await);
    assert!(eventually(Duration::from_secs(5), || async { failing_alerts(app, "lille").await == 1 }).await);

    // The next reply that goes out brings the number back.
    text_lille(app, 3).await;
    wait_health(app, VONAGE_NUMBER, "answering", &[]).await;
    assert_eq!(providers.vonage.accepted().len(), 1);

    // 401 from the send API: our credentials; a later send ends it.
    providers.vonage.inject(Fault::Status(401));
    text_lille(app, 4).await;
    wait_health(app, VONAGE_NUMBER, "failing", &["credentials_refused"]).await;
    text_lille(app, 5).await;
    wait_health(app, VONAGE_NUMBER, "answering", &[]).await;
    assert_eq!(failing_alerts(app, "lille").await, 2, "one alert per episode");

    // The API refuses connections: failing after the bounded retries.
    let fresh = start_vonage(VonageAccount { api_key: VONAGE_KEY.into(), api_secret: VONAGE_SECRET.into() });
    drop(std::mem::replace(&mut providers.vonage, fresh.unwrap()));
    text_lille(app, 6).await;
    wait_health(app, VONAGE_NUMBER, "failing", &["send_failing"]).await;
}

#[actix_web::test]
async fn a_failing_send_api_makes_the_number_failing_once_per_episode_and_a_later_send_ends_it() {
    let mut providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let app = deployment(dir.path(), &providers, None).await;
    the_send_api_health_on(&app, &mut providers).await;
}

#[actix_web::test]
async fn a_failing_send_api_is_the_same_episode_in_the_redis_ledger() {
    let redis = RedisServer::start();
    let mut providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let app = deployment(dir.path(), &providers, Some(redis_ledger(&redis, "sends").await)).await;
    the_send_api_health_on(&app, &mut providers).await;
}
