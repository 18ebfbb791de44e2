//! The in-process driver: the real application (routes, signature
//! verification, form parsing, number actors, ledger) served without a
//! socket, on a virtual clock. Four hours replay in seconds and the
//! economics are exact.
//!
//! Messages are posted one after the other (each decided before the clock
//! moves on), so the outcome of each is read exactly from the engine's
//! `antirelou_inbound_total` counters (`antirelou_calls_total` for calls,
//! posted to the Twilio voice webhook: a call is answered when the TwiML
//! says the number's `voice` message, at the cost of its reservation). The actors have no timers of their
//! own: the driver runs their periodic work ([`NumberRegistry::tick`]) as
//! it moves the clock (see [`VirtualTime`]), and keeps going after the last
//! message until every deferred judgement has ended. Replies the engine
//! sends later go through a [`SendRecorder`]. At the end the ledger's own
//! entries are read back for the report's invariants.

use antirelou_domain::micros;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{test, App};
use antirelou_domain::{Clock, DeferredResult, ManualClock, Money, Outcome, SharedClock};
use antirelou_engine::metrics::number_series::{NumberSeries, CALL_WITHOUT_VOICE};
use antirelou_engine::{Channel, NumberRegistry};
use antirelou_ledger::{Entry, EntryFilter, Ledger, RedisLedger, SqliteLedger};
use antirelou_providers::twilio;
use antirelou_web::{routes, AppData, AppHooks};
use rand::Rng;

use crate::latency::Latencies;
use crate::progress::Progress;
use crate::recorder::SendRecorder;
use crate::report::{MessageRecord, RunRecords};
use crate::setup::{NumberSetup, SIM_ACCOUNT_SID, SIM_AUTH_TOKEN, SIM_NUMBER, SIM_PUBLIC_URL, SIM_TENANT};
use crate::traffic::Traffic;
use crate::SimError;

/// After the last message the run goes on this much longer than
/// `shield.defer_for`, so every deferred judgement has ended.
pub const RUN_ON_AFTER_DEFER_FOR_SECONDS: i64 = 15 * 60;

/// Memory-backed storage where Linux has it: the simulated ledger needs no
/// durability, and its fsyncs would otherwise make most of a run's time.
const MEMORY_DIR: &str = "/dev/shm";

/// Pages read at most when the ledger's entries are read back (a page may be
/// empty with a cursor; this bounds the loop, far above any run's entries).
const MAX_ENTRY_PAGES: usize = 1_000_000;

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

/// Runs `traffic` in a fresh actix System of its own (do not call from
/// inside one; use [`run`] there).
pub fn run_blocking(traffic: &Traffic, options: &InProcessOptions) -> Result<RunRecords, SimError> {
    actix_web::rt::System::new().block_on(run(traffic, options))
}

/// Runs `traffic` against the real app. Must run inside an actix System.
pub async fn run(traffic: &Traffic, options: &InProcessOptions) -> Result<RunRecords, SimError> {
    let dir = tempfile::Builder::new().prefix("antirelou-sim-").tempdir_in(scratch_dir())?;
    let settings = options.setup.settings(&dir.path().join("ledger.sqlite3"))?;
    let (ledger, ledger_name): (Arc<dyn Ledger>, &str) = match &options.ledger {
        LedgerChoice::Embedded => (Arc::new(SqliteLedger::open(&dir.path().join("ledger.sqlite3"))?), "embedded"),
        LedgerChoice::Redis(url) => {
            let prefix = format!("antirelou-sim-{:016x}", rand::thread_rng().gen::<u64>());
            let timeout = Duration::from_secs(2);
            (Arc::new(RedisLedger::connect(url, &prefix, timeout, timeout).await?), "redis")
        }
    };
    let clock = Arc::new(ManualClock::starting_at(traffic.start));
    let shared: SharedClock = clock.clone();
    let recorder = Arc::new(SendRecorder::new(shared.clone()));
    let hooks = AppHooks {
        send_api: Some(recorder.clone()),
        driven_timers: true,
        config_source: None,
        decide_in_actors: false,
    };
    let data = AppData::start_with(&settings, Arc::clone(&ledger), shared, hooks)?;
    let app = test::init_service(App::new().configure(|cfg| routes(cfg, &data))).await;
    let state = &data.state;

    let tenant = &settings.tenants[0];
    let number = &tenant.numbers[0];
    // A call costs the voice's reservation; without `voice`, calls are rejected unanswered.
    let reply_cost = match (traffic.channel, &number.voice) {
        (Channel::Call, Some(voice)) => voice.call_reservation,
        (Channel::Call, None) => Money::ZERO,
        (Channel::Sms, _) => number.reply_cost,
    };
    let counters = state.registry.metrics().numbers.for_number(SIM_TENANT, SIM_NUMBER);
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let path = match traffic.channel {
        Channel::Sms => "/webhooks/twilio",
        Channel::Call => "/webhooks/twilio/voice",
    };
    let signed_url = format!("{SIM_PUBLIC_URL}{path}");
    let idle_after_seconds = number.shield.defer_for_seconds as i64 + RUN_ON_AFTER_DEFER_FOR_SECONDS;
    let mut time = VirtualTime::new(&clock, &state.registry, traffic.start_micros(), idle_after_seconds);

    let mut records = Vec::with_capacity(traffic.messages.len());
    let mut latencies = Latencies::with_capacity(traffic.messages.len());
    let mut progress = Progress::new(traffic.messages.len() as u64, options.progress);
    let started = Instant::now();
    for (index, message) in traffic.messages.iter().enumerate() {
        time.advance_to(message.at_micros).await;
        let (from, sid) = (&traffic.sender_of(message).from, traffic.message_sid(index));
        let pairs = match traffic.channel {
            Channel::Sms => twilio::inbound_form(SIM_ACCOUNT_SID, &sid, from, SIM_NUMBER, traffic.body_of(message)),
            Channel::Call => twilio::voice_form(SIM_ACCOUNT_SID, &sid, from, SIM_NUMBER),
        };
        let signature = twilio::signature(SIM_AUTH_TOKEN, &signed_url, &pairs);
        let request = test::TestRequest::post()
            .uri(path)
            .insert_header((twilio::SIGNATURE_HEADER, signature))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(twilio::encode_form(&pairs))
            .to_request();
        let seen = decided(&counters, traffic.channel);
        let sent = Instant::now();
        let response = test::call_service(&app, request).await;
        let ok = response.status().is_success();
        let body = test::read_body(response).await;
        latencies.record(sent.elapsed());
        time.message_posted(message.at_micros);
        let answer = std::str::from_utf8(&body).ok();
        let replied = ok
            && match traffic.channel {
                Channel::Sms => answer.and_then(twilio::twiml_reply_text).is_some(),
                Channel::Call => answer.and_then(twilio::twiml_said_text).is_some(),
            };

        let now = decided(&counters, traffic.channel);
        let label = match (0..Outcome::ALL.len()).find(|&i| now[i] > seen[i]) {
            Some(i) => Outcome::ALL[i].as_str(),
            None if now[Outcome::COUNT] > seen[Outcome::COUNT] => CALL_WITHOUT_VOICE,
            None if ok => "undecided",
            None => "rejected",
        };
        *outcomes.entry(label.to_owned()).or_default() += 1;
        records.push(MessageRecord {
            replied,
            cost_micros: if replied { reply_cost.micros() } else { 0 },
            naive_cost_micros: reply_cost.micros(),
            ok,
        });
        progress.inc(1);
    }
    // Every deferred judgement ends within `defer_for` of its message.
    let last_micros = traffic.messages.last().map_or(traffic.start_micros(), |m| m.at_micros);
    time.advance_to(micros::after_seconds(last_micros, idle_after_seconds)).await;
    let wall = started.elapsed();
    progress.finish();
    state.registry.flush().await;

    let deferred = counters.deferred_snapshot();
    let deferred_results = DeferredResult::ALL
        .iter()
        .zip(deferred)
        .filter(|(_, count)| *count > 0)
        .map(|(result, count)| (result.as_str().to_owned(), count))
        .collect();
    Ok(RunRecords {
        mode: "in-process".to_owned(),
        ledger: ledger_name.to_owned(),
        currency: settings.ledger.currency.clone(),
        records,
        outcomes,
        latencies,
        wall,
        channel: traffic.channel,
        reply_cost,
        daily_cap: number.daily_cap,
        monthly_cap: tenant.monthly_cap,
        deployment_monthly_cap: settings.ledger.monthly_cap,
        timezone: settings.ledger.timezone,
        reply_once_per_seconds: number.reply_once_per_seconds,
        sends: recorder.sends(),
        entries: Some(read_entries(ledger.as_ref()).await?),
        deferred_results,
    })
}

/// The decisions counted so far for the simulated number: SMS by outcome
/// (`antirelou_inbound_total`), or calls (`antirelou_calls_total`), in the
/// order of [`Outcome::ALL`], then the calls rejected for want of `voice`.
fn decided(counters: &NumberSeries, channel: Channel) -> [u64; Outcome::COUNT + 1] {
    match channel {
        Channel::Call => counters.calls_snapshot(),
        Channel::Sms => {
            let mut all = [0; Outcome::COUNT + 1];
            all[..Outcome::COUNT].copy_from_slice(&counters.snapshot());
            all
        }
    }
}

/// Where the simulated ledger's file goes: [`MEMORY_DIR`] if there is one,
/// the system's temporary directory otherwise.
fn scratch_dir() -> std::path::PathBuf {
    let memory = std::path::Path::new(MEMORY_DIR);
    let writable = memory.is_dir() && std::fs::metadata(memory).is_ok_and(|m| !m.permissions().readonly());
    if writable {
        memory.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Every entry of the ledger, oldest first, page by page.
pub async fn read_entries(ledger: &dyn Ledger) -> Result<Vec<Entry>, SimError> {
    let mut entries = Vec::new();
    let mut filter = EntryFilter::default();
    for _ in 0..MAX_ENTRY_PAGES {
        let page = ledger.entries(&filter).await?;
        entries.extend(page.entries);
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return Ok(entries),
        }
    }
    Err(SimError::Ledger(antirelou_ledger::LedgerError::Refused(format!(
        "more than {MAX_ENTRY_PAGES} pages of entries"
    ))))
}

/// The virtual clock, moved forward with the engine's periodic work run on
/// it: once for every whole second while something may be pending (within
/// `idle_after_seconds` of the last message: a deferred judgement, the
/// shield's end), then straight to the next message, ticking on arrival.
struct VirtualTime<'a> {
    clock: &'a ManualClock,
    registry: &'a NumberRegistry,
    last_tick_second: i64,
    /// The work of the last message ends by then.
    busy_until_second: i64,
    idle_after_seconds: i64,
}

impl<'a> VirtualTime<'a> {
    fn new(
        clock: &'a ManualClock,
        registry: &'a NumberRegistry,
        start_micros: i64,
        idle_after_seconds: i64,
    ) -> VirtualTime<'a> {
        let start_second = micros::to_seconds(start_micros);
        VirtualTime {
            clock,
            registry,
            last_tick_second: start_second - 1,
            busy_until_second: start_second - 1,
            idle_after_seconds,
        }
    }

    /// Moves the clock to `micros`, ticking on the way; never backwards.
    async fn advance_to(&mut self, micros: i64) {
        let target_second = micros::to_seconds(micros);
        while self.last_tick_second + 1 < target_second && self.last_tick_second < self.busy_until_second {
            self.last_tick_second += 1;
            self.clock.set_micros(micros::from_seconds(self.last_tick_second));
            self.registry.tick().await;
        }
        if micros > self.clock.now_micros() {
            self.clock.set_micros(micros);
        }
        if target_second > self.last_tick_second {
            self.last_tick_second = target_second;
            self.registry.tick().await;
        }
    }

    fn message_posted(&mut self, at_micros: i64) {
        self.busy_until_second = micros::to_seconds(at_micros) + self.idle_after_seconds;
    }
}
