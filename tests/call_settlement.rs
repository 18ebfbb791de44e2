//! A call's real cost through the real server, on both ledgers: Twilio's
//! signed call status callback settles an answered call once at its real
//! duration (every started minute, never above the reservation), and no
//! replay, forgery or unknown call changes the money.

use std::sync::Arc;
use std::time::Duration;

use antirelou_domain::Money;
use antirelou_ledger::redis_server::RedisServer;
use antirelou_ledger::{Entry, EntryKind, Ledger, RedisLedger, TotalsQuery};
use antirelou_providers::twilio;

use crate::support::*;

const CALLER: &str = "+33700000001";

/// The Paris number answering calls at 0.02 a minute, at most `max_seconds`.
fn voice(max_seconds: u32) -> String {
    format!(
        "daily_cap = \"5.00\"\nvoice = {{ say = \"Bonjour. Non, c'est non.\", language = \"fr-FR\", \
         price_per_minute = \"0.02\", max_seconds = {max_seconds} }}"
    )
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Redis,
}

const BOTH: [Backend; 2] = [Backend::Sqlite, Backend::Redis];

/// A server on `backend`, and what must outlive it.
struct Running {
    app: TestApp,
    _redis: Option<RedisServer>,
    _dir: tempfile::TempDir,
}

async fn start(backend: Backend, max_seconds: u32) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let toml = config_toml(dir.path(), "", &two_tenants(&voice(max_seconds)));
    match backend {
        Backend::Sqlite => {
            let app = spawn_app_in_at(dir.path(), &toml, midday_clock()).await;
            Running { app, _redis: None, _dir: dir }
        }
        Backend::Redis => {
            let redis = RedisServer::start();
            let settings =
                antirelou_settings::Settings::from_toml_str_with_env(&toml, std::iter::empty::<(String, String)>())
                    .unwrap();
            let timeout = Duration::from_secs(2);
            let ledger: Arc<dyn Ledger> =
                Arc::new(RedisLedger::connect(&redis.url(), "settle", timeout, timeout).await.unwrap());
            let app = spawn_app_with_clock(dir.path(), settings, ledger, midday_clock()).await;
            Running { app, _redis: Some(redis), _dir: dir }
        }
    }
}

/// Posts `form` to `path`, signed by Paris (`signature`: `None` for the right one); the status.
async fn post_signed(app: &TestApp, path: &str, form: &[(String, String)], signature: Option<&str>) -> u16 {
    let signed_url = format!("{}{path}", app.settings.server.public_url);
    let right = twilio::signature(PARIS_TOKEN, &signed_url, form);
    app.client
        .post(format!("{}{path}", app.base_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header(twilio::SIGNATURE_HEADER, signature.unwrap_or(&right))
        .body(twilio::encode_form(form))
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

/// Calls Paris as `call_sid` and checks the call was answered.
async fn answered_call(app: &TestApp, call_sid: &str) {
    let form = twilio::voice_form(PARIS_SID, call_sid, CALLER, PARIS_NUMBER);
    let response = app
        .client
        .post(format!("{}/webhooks/twilio/voice", app.base_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header(
            twilio::SIGNATURE_HEADER,
            twilio::signature(PARIS_TOKEN, "https://sms.example.org/webhooks/twilio/voice", &form),
        )
        .body(twilio::encode_form(&form))
        .send()
        .await
        .unwrap();
    let body = response.text().await.unwrap();
    assert!(twilio::twiml_said_text(&body).is_some(), "the call is answered: {body}");
}

/// Twilio's status callback of `call_sid` ending with `status` after `seconds`.
fn callback(call_sid: &str, status: &str, seconds: u32) -> Vec<(String, String)> {
    twilio::call_status_form(PARIS_SID, call_sid, CALLER, PARIS_NUMBER, status, seconds)
}

async fn post_callback(app: &TestApp, form: &[(String, String)]) -> u16 {
    post_signed(app, "/webhooks/twilio/voice/status", form, None).await
}

/// The Paris number's spend on the day of its call, and the tenant's month;
/// the entries add up to them.
async fn spent(app: &TestApp) -> (Money, Money) {
    let call = entries(app, EntryKind::Call).await.pop().expect("a call was paid");
    let at = chrono::DateTime::from_timestamp_micros(call.at_micros).unwrap();
    let periods = antirelou_domain::Periods::at(at, app.settings.ledger.timezone);
    let query = TotalsQuery { tenant: "paris".into(), number: PARIS_NUMBER.into(), periods };
    let totals = app.ledger.totals(&query).await.unwrap();
    let all = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    let paris: i64 = all.iter().filter(|e| e.tenant == "paris").map(Entry::spend_micros).sum();
    assert_eq!(totals.number_day.micros(), paris, "the entries add up to the spend: {all:?}");
    (totals.number_day, totals.tenant_month)
}

async fn entries(app: &TestApp, kind: EntryKind) -> Vec<Entry> {
    let all = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    all.into_iter().filter(|e| e.kind == kind).collect()
}

fn settlements(metrics: &Metrics, result: &str) -> u64 {
    metrics
        .value("antirelou_call_settlements_total", &[("tenant", "paris"), ("number", PARIS_NUMBER), ("result", result)])
        as u64
}

const CENTS_2: Money = Money::from_micros(20_000);

#[actix_web::test]
async fn a_14_second_call_costs_its_one_started_minute_not_its_reservation_on_both_ledgers() {
    for backend in BOTH {
        // max 30 s: 0.02 reserved, 0.02 spent.
        let short = start(backend, 30).await;
        let sid = twilio::call_sid_from(1);
        answered_call(&short.app, &sid).await;
        assert_eq!(post_callback(&short.app, &callback(&sid, "completed", 14)).await, 200, "{backend:?}");
        assert_eq!(spent(&short.app).await, (CENTS_2, CENTS_2), "{backend:?}");
        let settled = entries(&short.app, EntryKind::CallSettled).await;
        assert_eq!((settled.len(), settled[0].amount, settled[0].reference.as_str()), (1, Money::ZERO, sid.as_str()));

        // max 90 s: 0.04 reserved, 0.02 given back.
        let long = start(backend, 90).await;
        answered_call(&long.app, &sid).await;
        assert_eq!(spent(&long.app).await.0, Money::from_micros(40_000), "{backend:?}: the reservation");
        assert_eq!(post_callback(&long.app, &callback(&sid, "completed", 14)).await, 200);
        assert_eq!(spent(&long.app).await, (CENTS_2, CENTS_2), "{backend:?}");
        let settled = entries(&long.app, EntryKind::CallSettled).await;
        assert_eq!((settled.len(), settled[0].amount), (1, CENTS_2), "{backend:?}");
        let metrics = long.app.metrics().await;
        assert_eq!(settlements(&metrics, "settled"), 1);
        let given_back = [("tenant", "paris"), ("number", PARIS_NUMBER)];
        assert_eq!(metrics.value("antirelou_call_given_back_total", &given_back), 0.02);
    }
}

#[actix_web::test]
async fn a_callback_replayed_twice_then_concurrently_settles_the_call_once_on_both_ledgers() {
    for backend in BOTH {
        let running = start(backend, 90).await;
        let app = &running.app;
        let sid = twilio::call_sid_from(2);
        answered_call(app, &sid).await;
        let form = callback(&sid, "completed", 14);
        for _ in 0..2 {
            assert_eq!(post_callback(app, &form).await, 200);
        }
        let replays = (0..10).map(|_| post_callback(app, &form));
        assert!(futures_util::future::join_all(replays).await.iter().all(|status| *status == 200));
        // The same call reported again as never answered: nothing more either.
        assert_eq!(post_callback(app, &callback(&sid, "busy", 0)).await, 200);
        assert_eq!(spent(app).await, (CENTS_2, CENTS_2), "{backend:?}");
        assert_eq!(entries(app, EntryKind::CallSettled).await.len(), 1, "{backend:?}");
        let metrics = app.metrics().await;
        assert_eq!((settlements(&metrics, "settled"), settlements(&metrics, "already_settled")), (1, 12));
    }
}

#[actix_web::test]
async fn a_forged_callback_is_refused_and_changes_nothing() {
    for backend in BOTH {
        let running = start(backend, 90).await;
        let app = &running.app;
        let sid = twilio::call_sid_from(3);
        answered_call(app, &sid).await;
        let form = callback(&sid, "completed", 0);
        let path = "/webhooks/twilio/voice/status";
        assert_eq!(post_signed(app, path, &form, Some("bm90IGEgc2lnbmF0dXJl")).await, 403, "forged");
        assert_eq!(post_signed(app, path, &form, Some("")).await, 403, "unsigned");
        let signed_elsewhere = twilio::signature(PARIS_TOKEN, "https://sms.example.org/webhooks/twilio/voice", &form);
        assert_eq!(post_signed(app, path, &form, Some(&signed_elsewhere)).await, 403, "another URL's signature");
        assert_eq!(spent(app).await.0, Money::from_micros(40_000), "{backend:?}: still the reservation");
        assert!(entries(app, EntryKind::CallSettled).await.is_empty());
        let metrics = app.metrics().await;
        assert_eq!(metrics.rejected("bad_signature"), 3);
        assert_eq!(settlements(&metrics, "settled"), 0);
    }
}

#[actix_web::test]
async fn a_callback_for_an_unknown_call_is_answered_200_and_changes_nothing() {
    for backend in BOTH {
        let running = start(backend, 90).await;
        let app = &running.app;
        answered_call(app, &twilio::call_sid_from(4)).await;
        let unknown = twilio::call_sid_from(99);
        assert_eq!(post_callback(app, &callback(&unknown, "completed", 14)).await, 200, "Twilio must not retry");
        assert_eq!(post_callback(app, &callback(&unknown, "no-answer", 0)).await, 200);
        assert_eq!(spent(app).await.0, Money::from_micros(40_000), "{backend:?}");
        assert!(entries(app, EntryKind::CallSettled).await.is_empty());
        assert_eq!(settlements(&app.metrics().await, "unknown_call"), 2);
    }
}

#[actix_web::test]
async fn a_call_that_ended_unanswered_gives_back_its_whole_reservation_and_progress_events_nothing() {
    for backend in BOTH {
        let running = start(backend, 90).await;
        let app = &running.app;
        let sid = twilio::call_sid_from(5);
        answered_call(app, &sid).await;
        assert_eq!(post_callback(app, &callback(&sid, "in-progress", 0)).await, 200);
        assert_eq!(spent(app).await.0, Money::from_micros(40_000), "{backend:?}: not over yet");
        assert_eq!(post_callback(app, &callback(&sid, "failed", 0)).await, 200);
        assert_eq!(spent(app).await, (Money::ZERO, Money::ZERO), "{backend:?}");
        let metrics = app.metrics().await;
        assert_eq!((settlements(&metrics, "not_over"), settlements(&metrics, "settled")), (1, 1));
    }
}
