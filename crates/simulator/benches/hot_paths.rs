//! `cargo bench -p antirelou-simulator --bench hot_paths`: the hot paths of
//! one inbound SMS, in-process (see docs/benchmarks.md).
//!
//! - `segments/*`: GSM 03.38 segment counting of a reply.
//! - `signature/verify`: `X-Twilio-Signature` check of a realistic form.
//! - `decide/repeat_sender`: `NumberRegistry::decide` for a sender already
//!   answered (the flood case: decided in the actor's memory, no ledger).
//! - `decide/new_sender_sqlite`: a candidate reply paid for in the SQLite
//!   ledger (one IMMEDIATE transaction, `synchronous=FULL`).
//! - `webhook/repeat_sender`: the whole webhook in-process: routing, form
//!   parsing, signature verification, decision, TwiML.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{test, App};
use antirelou_domain::shield::ShieldPolicy;
use antirelou_domain::{segments, SystemClock};
use antirelou_ledger::SqliteLedger;
use antirelou_providers::twilio;
use antirelou_simulator::setup::{SIM_ACCOUNT_SID, SIM_AUTH_TOKEN, SIM_NUMBER, SIM_PUBLIC_URL, SIM_REPLY};
use antirelou_simulator::NumberSetup;
use antirelou_web::{routes, AppData};
use criterion::{criterion_group, criterion_main, Criterion};

fn segment_counting(c: &mut Criterion) {
    let ucs2 = "Bonjour. Vous avez mis mal à l'aise la personne qui vous a donné ce numéro. Elle ne souhaite pas \
                poursuivre. Non, c'est non. Merci de la laisser tranquille.";
    let mut group = c.benchmark_group("segments");
    group.bench_function("gsm7_reply", |b| b.iter(|| segments::count(black_box(SIM_REPLY))));
    group.bench_function("ucs2_reply", |b| b.iter(|| segments::count(black_box(ucs2))));
    group.finish();
}

fn signature_verification(c: &mut Criterion) {
    let url = format!("{SIM_PUBLIC_URL}/webhooks/twilio");
    let pairs =
        twilio::inbound_form(SIM_ACCOUNT_SID, &twilio::message_sid_from(1), "+33611223344", SIM_NUMBER, "msg 1");
    let header = twilio::signature(SIM_AUTH_TOKEN, &url, &pairs);
    let form = twilio::WebhookForm::parse(twilio::encode_form(&pairs).as_bytes()).unwrap();
    c.bench_function("signature/verify", |b| {
        b.iter(|| twilio::verify_signature(SIM_AUTH_TOKEN, black_box(&url), form.pairs(), black_box(&header)))
    });
}

/// An engine on a real SQLite ledger; `unlimited`: no caps, rate limit or shield.
fn engine(system: &actix_web::rt::SystemRunner, unlimited: bool) -> (AppData, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    let mut setup = NumberSetup::default();
    if unlimited {
        setup.daily_cap = None;
        setup.monthly_cap = None;
        setup.max_replies_per_minute = 100_000_000;
        setup.shield = ShieldPolicy {
            trigger_per_minute: 100_000_000,
            new_senders_per_minute: 100_000_000,
            trigger_per_hour: 100_000_000,
            new_senders_per_hour: 100_000_000,
            hold_seconds: 60,
            trickle_per_hour: 10,
            baseline_factor: 0,
            money_margin_percent: 1_000_000,
        };
    }
    let settings = setup.settings(&path).unwrap();
    let data = system.block_on(async {
        let ledger = Arc::new(SqliteLedger::open(&path).unwrap());
        AppData::start(&settings, ledger, Arc::new(SystemClock)).unwrap()
    });
    (data, dir)
}

fn decision_path(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let mut group = c.benchmark_group("decide");

    let (state, _dir) = engine(&system, false);
    let handle = state.state.registry.route(SIM_NUMBER).unwrap().clone();
    let sender = "+33611223344";
    let first = system.block_on(state.state.registry.decide(&handle, "SMwarm", sender, "msg"));
    assert!(first.reply.is_some(), "the first message is answered");
    let counter = AtomicU64::new(0);
    group.bench_function("repeat_sender", |b| {
        b.iter(|| {
            let sid = format!("SM{:032x}", counter.fetch_add(1, Ordering::Relaxed));
            system.block_on(state.state.registry.decide(&handle, &sid, sender, "msg"))
        })
    });

    let (state, _dir2) = engine(&system, true);
    let handle = state.state.registry.route(SIM_NUMBER).unwrap().clone();
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    group.bench_function("new_sender_sqlite", |b| {
        b.iter(|| {
            let i = counter.fetch_add(1, Ordering::Relaxed);
            let sid = format!("SM{i:032x}");
            let from = format!("+336{:08}", i % 100_000_000);
            let decision = system.block_on(state.state.registry.decide(&handle, &sid, &from, "msg"));
            debug_assert!(decision.reply.is_some());
            decision
        })
    });
    group.finish();
}

fn webhook_path(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let (state, _dir) = engine(&system, false);
    let app = system.block_on(test::init_service(App::new().configure(|cfg| routes(cfg, &state))));
    let url = format!("{SIM_PUBLIC_URL}/webhooks/twilio");
    let counter = AtomicU64::new(0);
    let request = || {
        let i = counter.fetch_add(1, Ordering::Relaxed);
        let pairs = twilio::inbound_form(
            SIM_ACCOUNT_SID,
            &twilio::message_sid_from(u128::from(i)),
            "+33611223344",
            SIM_NUMBER,
            "msg",
        );
        let signature = twilio::signature(SIM_AUTH_TOKEN, &url, &pairs);
        test::TestRequest::post()
            .uri("/webhooks/twilio")
            .insert_header((twilio::SIGNATURE_HEADER, signature))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(twilio::encode_form(&pairs))
            .to_request()
    };
    system.block_on(test::call_service(&app, request()));
    c.bench_function("webhook/repeat_sender", |b| {
        b.iter_batched(
            request,
            |req| system.block_on(async { test::read_body(test::call_service(&app, req).await).await }),
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, segment_counting, signature_verification, decision_path, webhook_path);
criterion_main!(benches);
