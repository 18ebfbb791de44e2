//! Replies paid now and sent later through the provider's send API, when
//! something dies on the way, in one process on one virtual clock with a
//! real `redis-server`:
//!
//! - three replicas share a number's deferred judgements; one takes the
//!   judge lease, pays a reply and dies in the middle of sending it (its send
//!   never returns and it never ticks again, as after `kill -9`). The others
//!   take the lease over once it expires, end the judgement it was sending as
//!   `send_failed` (paid, never sent twice) and send every other reply once;
//! - Redis hangs while a new sender's webhook is decided: the webhook is
//!   answered without a reply, the script runs when Redis resumes, and the
//!   paid reply goes out through the send API, once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{test as actix_test, App};
use antirelou_domain::{Clock, DeferredResult, ManualClock, Money, SharedClock};
use antirelou_ledger::redis_server::RedisServer;
use antirelou_ledger::{DeferredQueue, EntryKind, Ledger, RedisLedger};
use antirelou_providers::{twilio, AccountCheck, OutboundSms, SendApi, SendError, SendReceipt};
use antirelou_simulator::in_process::read_entries;
use antirelou_simulator::setup::{SIM_ACCOUNT_SID, SIM_AUTH_TOKEN, SIM_NUMBER, SIM_PUBLIC_URL, SIM_TENANT};
use antirelou_simulator::{NumberSetup, SendRecorder};
use antirelou_web::{routes, AppData, AppHooks, AppState};
use async_trait::async_trait;

/// Tuesday 2 June 2026, 10:00 Paris: far from midnight and month ends.
const START_SECONDS: i64 = 1_780_387_200;

/// New senders in the wave (each writes once, from its own 100-block).
const SENDERS: usize = 60;

/// The judge lease's time to live (three judge periods, in real time).
const LEASE_TTL: Duration = Duration::from_secs(15);

/// A send API that records the recipient, then never answers: the process
/// died between paying and sending.
#[derive(Default)]
struct DiesWhileSending {
    attempts: Mutex<Vec<String>>,
}

#[async_trait]
impl SendApi for DiesWhileSending {
    async fn send(&self, sms: &OutboundSms) -> Result<SendReceipt, SendError> {
        self.attempts.lock().unwrap().push(sms.to.clone());
        std::future::pending().await
    }

    async fn check_account(&self) -> AccountCheck {
        AccountCheck::Accepted
    }
}

fn sender(i: usize) -> String {
    // A distinct 100-block per sender: sequential numbers would be judged a block.
    format!("+336{:02}{:06}", 10 + i, 100 + i * 37)
}

fn settings(redis_url: &str, prefix: &str, server_extra: &str) -> antirelou_settings::Settings {
    let setup = NumberSetup {
        // Room for every sender in one slot's allowance: this test is about
        // who sends, not about pacing.
        daily_cap: Some(Money::from_micros(500_000_000)),
        monthly_cap: None,
        max_replies_per_minute: 1_000,
        ..NumberSetup::default()
    };
    let mut shield = setup.shield;
    shield.new_senders_per_minute = 5;
    let setup = NumberSetup { shield, ..setup };
    let toml = setup.settings_toml(std::path::Path::new("/unused"));
    let embedded = toml.lines().find(|l| l.starts_with("path = ")).unwrap().to_owned();
    let public_url = format!("public_url = \"{SIM_PUBLIC_URL}\"");
    let toml = toml
        .replace(&public_url, &format!("{public_url}\n{server_extra}"))
        .replace("backend = \"embedded\"", "backend = \"redis\"")
        .replace(&embedded, &format!("redis_url = \"{redis_url}\"\nkey_prefix = \"{prefix}\""));
    antirelou_settings::Settings::from_toml_str_with_env(&toml, std::iter::empty::<(String, String)>()).unwrap()
}

/// A signed Twilio webhook from `from`, the `index`-th message of the wave.
fn webhook(index: usize, from: &str) -> actix_test::TestRequest {
    let message_sid = format!("SM{index:032x}");
    let pairs = twilio::inbound_form(SIM_ACCOUNT_SID, &message_sid, from, SIM_NUMBER, &format!("salut {index}"));
    let signature = twilio::signature(SIM_AUTH_TOKEN, &format!("{SIM_PUBLIC_URL}/webhooks/twilio"), &pairs);
    actix_test::TestRequest::post()
        .uri("/webhooks/twilio")
        .insert_header((twilio::SIGNATURE_HEADER, signature))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .set_payload(twilio::encode_form(&pairs))
}

fn deferred_results(state: &AppState) -> [u64; DeferredResult::ALL.len()] {
    state.registry.metrics().numbers.for_number(SIM_TENANT, SIM_NUMBER).deferred_snapshot()
}

fn result_count(states: &[&AppState], result: DeferredResult) -> u64 {
    let index = DeferredResult::ALL.iter().position(|r| *r == result).unwrap();
    states.iter().map(|s| deferred_results(s)[index]).sum()
}

#[test]
fn a_replica_killed_while_sending_a_deferred_reply_leaves_the_rest_to_the_others_and_nobody_is_paid_twice() {
    let redis = RedisServer::start();
    actix_web::rt::System::new().block_on(async {
        let clock = Arc::new(ManualClock::starting_at(chrono::DateTime::from_timestamp(START_SECONDS, 0).unwrap()));
        let shared: SharedClock = clock.clone();
        let settings = settings(&redis.url(), "killed", "");
        let timeout = Duration::from_secs(2);
        let mut states = Vec::new();
        let recorders = [Arc::new(SendRecorder::new(shared.clone())), Arc::new(SendRecorder::new(shared.clone()))];
        let dying = Arc::new(DiesWhileSending::default());
        let send_apis: [Arc<dyn SendApi>; 3] = [recorders[0].clone(), recorders[1].clone(), dying.clone()];
        for send_api in send_apis {
            let ledger: Arc<dyn Ledger> =
                Arc::new(RedisLedger::connect(&redis.url(), "killed", timeout, timeout).await.unwrap());
            let hooks = AppHooks {
                send_api: Some(send_api),
                driven_timers: true,
                config_source: None,
                decide_in_actors: false,
            };
            states.push(AppData::start_with(&settings, ledger, shared.clone(), hooks).unwrap());
        }
        let mut apps = Vec::new();
        for data in &states {
            apps.push(actix_test::init_service(App::new().configure(|cfg| routes(cfg, data))).await);
        }

        // The wave: a new sender every second, round-robin over the replicas.
        let mut inline = HashSet::new();
        for i in 0..SENDERS {
            clock.advance_seconds(1);
            let response = actix_test::call_service(&apps[i % 3], webhook(i, &sender(i)).to_request()).await;
            assert!(response.status().is_success());
            let body = actix_test::read_body(response).await;
            if std::str::from_utf8(&body).ok().and_then(twilio::twiml_reply_text).is_some() {
                inline.insert(sender(i));
            }
            // Only the replica that will die runs its timers: it takes the judge lease.
            states[2].state.registry.tick().await;
        }
        let ledger = RedisLedger::connect(&redis.url(), "killed", timeout, timeout).await.unwrap();
        let now = || clock.now_micros();
        let deferred = ledger.deferred_count(SIM_NUMBER, now()).await.unwrap();
        assert!(deferred >= 30, "the shield deferred most of the wave: {deferred} deferred, {} inline", inline.len());

        // Past the slot's judgement time, the dying replica judges first:
        // it pays one reply and never comes back from sending it.
        clock.advance_seconds(21 * 60);
        let victim = states[2].clone();
        actix_web::rt::spawn(async move { victim.state.registry.tick().await });
        let started = Instant::now();
        while dying.attempts.lock().unwrap().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(20), "the dying replica never tried to send");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        let killed_at = Instant::now();

        // The survivors tick (5 virtual seconds a tick) until the queue is empty.
        let deadline = Instant::now() + LEASE_TTL + Duration::from_secs(30);
        loop {
            clock.advance_seconds(5);
            for data in &states[..2] {
                data.state.registry.tick().await;
            }
            if ledger.deferred_count(SIM_NUMBER, now()).await.unwrap() == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the survivors never finished the queue");
            // The lease runs on real time: let it pass without aging the judgements.
            actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        }
        assert!(killed_at.elapsed() >= Duration::from_secs(10), "the lease was held until it expired");

        let attempted = dying.attempts.lock().unwrap().clone();
        assert_eq!(attempted.len(), 1, "a dead replica sends nothing more");
        let sent: Vec<String> = recorders.iter().flat_map(|r| r.sends()).map(|s| s.to).collect();
        let distinct: HashSet<&String> = sent.iter().collect();
        assert_eq!(distinct.len(), sent.len(), "no sender was sent two deferred replies");
        assert!(!distinct.contains(&attempted[0]), "the reply the dead replica was sending is not sent again");
        assert!(sent.iter().all(|to| !inline.contains(to)), "nobody answered inline gets a deferred reply too");
        let results: Vec<(&str, u64)> = DeferredResult::ALL
            .iter()
            .map(|r| (r.as_str(), result_count(&[&states[0].state, &states[1].state, &states[2].state], *r)))
            .collect();
        assert_eq!(sent.len() + 1, deferred, "the survivors answered the rest: {results:?}");

        let survivors: [&AppState; 2] = [&states[0].state, &states[1].state];
        assert_eq!(result_count(&survivors, DeferredResult::SendFailed), 1, "the paid, unsent reply ends send_failed");
        assert_eq!(result_count(&survivors, DeferredResult::Sent), sent.len() as u64);

        // Money: one debit per reply sent, plus the one the dead replica paid.
        let entries = read_entries(&ledger).await.unwrap();
        let replies = entries.iter().filter(|e| e.kind == EntryKind::Reply).count();
        assert_eq!(replies, inline.len() + sent.len() + 1, "every debit is a reply sent or the one lost in the crash");
        eprintln!(
            "{} inline, {deferred} deferred: {} sent by the survivors after {:?}, 1 lost with the dead replica",
            inline.len(),
            sent.len(),
            killed_at.elapsed()
        );
    });
}

fn replied(body: &[u8]) -> bool {
    std::str::from_utf8(body).ok().and_then(twilio::twiml_reply_text).is_some()
}

#[test]
fn a_reply_paid_after_its_webhook_timed_out_is_sent_through_the_providers_api_once() {
    let redis = RedisServer::start();
    actix_web::rt::System::new().block_on(async {
        let clock = Arc::new(ManualClock::starting_at(chrono::DateTime::from_timestamp(START_SECONDS, 0).unwrap()));
        let shared: SharedClock = clock.clone();
        let settings = settings(&redis.url(), "stalled", "decision_timeout_ms = 500");
        let timeout = Duration::from_secs(2);
        let ledger: Arc<dyn Ledger> =
            Arc::new(RedisLedger::connect(&redis.url(), "stalled", timeout, timeout).await.unwrap());
        let recorder = Arc::new(SendRecorder::new(shared.clone()));
        let hooks = AppHooks {
            send_api: Some(recorder.clone()),
            driven_timers: true,
            config_source: None,
            decide_in_actors: false,
        };
        let data = AppData::start_with(&settings, Arc::clone(&ledger), shared, hooks).unwrap();
        let app = actix_test::init_service(App::new().configure(|cfg| routes(cfg, &data))).await;

        let first = actix_test::call_service(&app, webhook(1, &sender(1)).to_request()).await;
        assert!(replied(&actix_test::read_body(first).await), "a healthy Redis answers inline");

        // Redis hangs (SIGSTOP) while the second sender's webhook is decided:
        // the webhook is answered without a reply when the decision times
        // out, and Redis runs the script once it is resumed.
        redis.pause();
        let started = Instant::now();
        let stalled = actix_test::call_service(&app, webhook(2, &sender(2)).to_request()).await;
        assert!(stalled.status().is_success());
        assert!(!replied(&actix_test::read_body(stalled).await), "no inline reply while the ledger hangs");
        let answered_in = started.elapsed();
        redis.resume();

        let deadline = Instant::now() + Duration::from_secs(15);
        while recorder.sends().is_empty() {
            assert!(Instant::now() < deadline, "the paid reply was never sent");
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        let sends = recorder.sends();
        assert_eq!(sends.len(), 1);
        assert_eq!(sends[0].to, sender(2), "the reply goes to the sender whose decision was paid");

        // The sender writes again: remembered as answered, not paid nor sent twice.
        let again = actix_test::call_service(&app, webhook(3, &sender(2)).to_request()).await;
        assert!(!replied(&actix_test::read_body(again).await));
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(recorder.sends().len(), 1, "one send for one debit");
        let entries = read_entries(&*ledger).await.unwrap();
        assert_eq!(entries.iter().filter(|e| e.kind == EntryKind::Reply).count(), 2, "two replies paid, two delivered");
        eprintln!("webhook answered in {answered_in:?} while Redis hung; the paid reply was sent after the follow-up");
    });
}
