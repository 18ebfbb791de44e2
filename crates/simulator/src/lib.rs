//! `antirelou simulate`: replays a flood against the real application and
//! reports what it cost.
//!
//! - [`ScenarioSpec`] (spec.rs): the knobs of a flood — the built-in
//!   `flood-2017` and `spoofed-senders`, or a TOML file — and [`NumberSetup`],
//!   the simulated number's price, caps and limits.
//! - [`Scenario`] (scenario.rs): the generated messages, deterministic for a
//!   seed (ChaCha), sorted by time; `generate.rs` builds it.
//! - [`in_process`]: the default driver. The real app (routing, signature
//!   verification, form parsing, number actors, ledger) served without a
//!   socket, on a [`ManualClock`](antirelou_domain::ManualClock) set to each
//!   message's timestamp: four hours replay in seconds, economics exact.
//! - [`http`]: signed webhooks to a running server (`--target`), with
//!   keep-alive, concurrency and pacing: the throughput benchmark.
//! - [`Report`] (report.rs): the figures of SPEC §9, as a table and as
//!   `report.json`; [`chart`] draws `spend.svg`.
//! - [`setup`]: the settings TOML of the simulated deployment.
//!
//! Start with `ScenarioSpec::flood_2017`, then `in_process::run`.

pub mod chart;
mod generate;
pub mod http;
pub mod in_process;
mod latency;
mod progress;
mod report;
mod scenario;
pub mod setup;
mod spec;

pub use latency::Latencies;
pub use report::{LatencyMs, MessageRecord, Report, RunRecords};
pub use scenario::{Message, Scenario, Sender};
pub use setup::NumberSetup;
pub use spec::{parse_cap, AttackSenders, Knobs, ResolvedScenario, ScenarioFile, ScenarioSpec, SpecError};

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
