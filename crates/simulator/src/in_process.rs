//! The in-process driver: the real application (routes, signature
//! verification, form parsing, number actors, ledger) served without a
//! socket, on a virtual clock set to each message's timestamp before it is
//! posted. Four hours replay in seconds and the economics are exact.
//!
//! Messages are posted one after the other (each decided before the clock
//! moves on), so the outcome of each is read exactly from the engine's
//! `antirelou_inbound_total` counters.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{test, web, App};
use antirelou_domain::{ManualClock, Outcome, SharedClock};
use antirelou_ledger::{Ledger, RedisLedger, SqliteLedger};
use antirelou_providers::twilio;
use antirelou_web::{routes, AppState};
use rand::Rng;

use crate::latency::Latencies;
use crate::progress::Progress;
use crate::report::{MessageRecord, RunRecords};
use crate::scenario::Scenario;
use crate::setup::{NumberSetup, SIM_ACCOUNT_SID, SIM_AUTH_TOKEN, SIM_NUMBER, SIM_PUBLIC_URL, SIM_TENANT};
use crate::SimError;

/// Which ledger the simulated deployment uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LedgerChoice {
    /// A SQLite file in a temporary directory.
    #[default]
    Embedded,
    /// A Redis server (`redis://...`), under a fresh random key prefix.
    Redis(String),
}

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct InProcessOptions {
    pub setup: NumberSetup,
    pub ledger: LedgerChoice,
    /// Show a progress bar on stderr (only if it is a terminal and the run lasts over a second).
    pub progress: bool,
}

/// Runs `scenario` in a fresh actix System of its own (do not call from
/// inside one; use [`run`] there).
pub fn run_blocking(scenario: &Scenario, options: &InProcessOptions) -> Result<RunRecords, SimError> {
    actix_web::rt::System::new().block_on(run(scenario, options))
}

/// Runs `scenario` against the real app. Must run inside an actix System.
pub async fn run(scenario: &Scenario, options: &InProcessOptions) -> Result<RunRecords, SimError> {
    let dir = tempfile::tempdir()?;
    let settings = options.setup.settings(&dir.path().join("ledger.sqlite3"))?;
    let (ledger, ledger_name): (Arc<dyn Ledger>, &str) = match &options.ledger {
        LedgerChoice::Embedded => (Arc::new(SqliteLedger::open(&dir.path().join("ledger.sqlite3"))?), "embedded"),
        LedgerChoice::Redis(url) => {
            let prefix = format!("antirelou-sim-{:016x}", rand::thread_rng().gen::<u64>());
            let timeout = Duration::from_secs(2);
            (Arc::new(RedisLedger::connect(url, &prefix, timeout, timeout).await?), "redis")
        }
    };
    let clock = Arc::new(ManualClock::starting_at(scenario.start()));
    let shared: SharedClock = clock.clone();
    let state = web::Data::new(AppState::start(&settings, ledger, shared)?);
    let app = test::init_service(App::new().configure(|cfg| routes(cfg, state.clone()))).await;

    let number = &settings.tenants[0].numbers[0];
    let reply_cost = number.reply_cost.micros();
    let counters = state.registry.metrics().numbers.for_number(SIM_TENANT, SIM_NUMBER);
    let mut seen: [u64; Outcome::COUNT] = counters.snapshot();
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let signed_url = format!("{SIM_PUBLIC_URL}/webhooks/twilio");
    let start_micros = scenario.start_micros();

    let mut records = Vec::with_capacity(scenario.messages.len());
    let mut latencies = Latencies::with_capacity(scenario.messages.len());
    let mut progress = Progress::new(scenario.messages.len() as u64, options.progress);
    let started = Instant::now();
    for (index, message) in scenario.messages.iter().enumerate() {
        clock.set_micros(start_micros + message.offset_micros);
        let from = scenario.sender_of(message).e164();
        let pairs = twilio::inbound_form(
            SIM_ACCOUNT_SID,
            &scenario.message_sid(index),
            &from,
            SIM_NUMBER,
            &Scenario::body(index),
        );
        let signature = twilio::signature(SIM_AUTH_TOKEN, &signed_url, &pairs);
        let request = test::TestRequest::post()
            .uri("/webhooks/twilio")
            .insert_header((twilio::SIGNATURE_HEADER, signature))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(twilio::encode_form(&pairs))
            .to_request();
        let sent = Instant::now();
        let response = test::call_service(&app, request).await;
        let ok = response.status().is_success();
        let body = test::read_body(response).await;
        latencies.record(sent.elapsed());
        let replied = ok && std::str::from_utf8(&body).ok().and_then(twilio::twiml_reply_text).is_some();

        let now: [u64; Outcome::COUNT] = counters.snapshot();
        let label = match (0..Outcome::ALL.len()).find(|&i| now[i] > seen[i]) {
            Some(i) => Outcome::ALL[i].as_str(),
            None if ok => "undecided",
            None => "rejected",
        };
        seen = now;
        *outcomes.entry(label.to_owned()).or_default() += 1;
        records.push(MessageRecord {
            replied,
            cost_micros: if replied { reply_cost } else { 0 },
            naive_cost_micros: reply_cost,
            ok,
        });
        progress.inc(1);
    }
    let wall = started.elapsed();
    progress.finish();
    state.registry.flush().await;

    Ok(RunRecords {
        mode: "in-process".to_owned(),
        ledger: ledger_name.to_owned(),
        currency: settings.ledger.currency.clone(),
        records,
        outcomes,
        latencies,
        wall,
        reply_cost: number.reply_cost,
        daily_cap: number.daily_cap,
        monthly_cap: settings.tenants[0].monthly_cap,
    })
}
