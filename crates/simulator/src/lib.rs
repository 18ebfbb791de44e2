//! `antirelou simulate`: replays a flood, or any traffic, against the real
//! application and reports what it cost and who was answered.
//!
//! - [`ScenarioSpec`] (spec.rs): the knobs of a flood — the built-in
//!   `flood-2017`, `spoofed-senders` and `call-flood` (the same flood by
//!   telephone), or a TOML file — the command line's [`Knobs`] (knobs.rs)
//!   over it, and [`NumberSetup`], the simulated number's price, caps,
//!   limits and voice.
//! - [`Scenario`] (scenario.rs): the generated messages, deterministic for a
//!   seed (ChaCha), sorted by time; `generate.rs` builds it, `bodies.rs`
//!   writes what senders say.
//! - [`Traffic`] (traffic.rs): what the drivers replay — a scenario's
//!   messages with their bodies, a shape of the traffic generator
//!   ([`Shape`], shapes/), or a traffic file ([`read_traffic`],
//!   traffic_file.rs, one JSON object per line).
//! - [`in_process`]: the default driver. The real app (routing, signature
//!   verification, form parsing, number actors, ledger) served without a
//!   socket, on a [`ManualClock`](antirelou_domain::ManualClock) moved to
//!   each message's time, the engine's timers driven on it, replies sent
//!   later caught by a [`SendRecorder`]: hours replay in seconds.
//! - [`http`]: signed webhooks to a running server (`--target`), with
//!   keep-alive, concurrency and pacing: the throughput benchmark.
//! - [`Report`] (report/): the figures, as a table and as `report.json`;
//!   `replies.rs` lists every delivered reply, `genuine.rs` what genuine
//!   senders got, [`invariants`] the money rules checked against the
//!   ledger's own entries; [`chart`] draws `spend.svg`; [`summary`] puts
//!   many reports in one table.
//! - [`setup`]: the settings TOML of the simulated deployment.
//!
//! Start with `ScenarioSpec::flood_2017`, then `Scenario::traffic` and
//! `in_process::run`.

pub mod bodies;
pub mod chart;
mod generate;
mod genuine;
pub mod http;
pub mod in_process;
pub mod invariants;
mod knobs;
mod latency;
mod progress;
mod recorder;
mod replies;
mod report;
mod scenario;
pub mod setup;
pub mod shapes;
mod spec;
pub mod summary;
mod traffic;
mod traffic_file;

pub use genuine::{affordable_replies, DelaySeconds};
pub use knobs::{parse_cap, Knobs};
pub use latency::Latencies;
pub use recorder::{RecordedSend, SendRecorder};
pub use replies::{Delivery, Reply};
pub use report::{LatencyMs, MessageRecord, Report, RunRecords};
pub use scenario::{Message, Scenario, Sender};
pub use setup::{NumberSetup, VoiceSetup};
pub use shapes::Shape;
pub use spec::{AttackSenders, ResolvedScenario, ScenarioFile, ScenarioSpec, SpecError};
pub use traffic::{Group, Traffic, TrafficBuilder, TrafficMessage, TrafficSender};
pub use traffic_file::{
    parse_traffic, read_traffic, write_traffic, TrafficError, MAX_ADDRESS_CHARS, MAX_BODY_CHARS, MAX_LINE_BYTES,
    MAX_SPAN_SECONDS, MAX_TRAFFIC_BYTES, MAX_TRAFFIC_LINES,
};

use std::path::{Path, PathBuf};

/// Writes `report.json` and `spend.svg` into `dir` (created if needed);
/// returns their paths.
pub fn write_outputs(report: &Report, dir: &Path) -> Result<(PathBuf, PathBuf), SimError> {
    std::fs::create_dir_all(dir)?;
    let json = dir.join("report.json");
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    std::fs::write(&json, text)?;
    let svg = dir.join("spend.svg");
    std::fs::write(&svg, chart::spend_svg(report)?)?;
    Ok((json, svg))
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("scenario: {0}")]
    Spec(#[from] SpecError),
    #[error("traffic: {0}")]
    Traffic(#[from] TrafficError),
    #[error("simulated configuration is invalid:\n{0}")]
    Settings(#[from] antirelou_settings::SettingsError),
    #[error("ledger: {0}")]
    Ledger(#[from] antirelou_ledger::LedgerError),
    #[error("starting the application: {0}")]
    Startup(#[from] antirelou_web::StartupError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("http: {0}")]
    Http(String),
    #[error("{0}")]
    Target(String),
    #[error("chart: {0}")]
    Chart(String),
    #[error("report: {0}")]
    Json(#[from] serde_json::Error),
}
