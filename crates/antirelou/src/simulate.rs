//! `antirelou simulate`: builds the traffic from the command line (a
//! generated scenario or a traffic file) and runs it in-process (default)
//! or against a server (`--target`); the work is in the
//! `antirelou-simulator` crate. A traffic file that cannot be read exits 2
//! naming its line; a run whose invariants broke prints its report, then
//! each violation, and exits 1.

use std::process::ExitCode;

use antirelou_simulator::http::{self, HttpOptions, Pace, TargetSelection};
use antirelou_simulator::in_process::{self, InProcessOptions, LedgerChoice};
use antirelou_simulator::{read_traffic, write_outputs, Knobs, Report, Scenario, ScenarioFile, Traffic};
use anyhow::Context;

use crate::cli::SimulateArgs;
use crate::{config, EXIT_BAD_CONFIG};

/// The seed when neither `--seed` nor the scenario file gives one.
const DEFAULT_SEED: u64 = 1;

pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let mut resolved = ScenarioFile::resolve(&args.scenario).context("--scenario")?;
    let mut knobs = Knobs::parse(
        args.attackers.as_deref(),
        args.duration.as_deref(),
        args.price.as_deref(),
        args.daily_cap.as_deref(),
        args.monthly_cap.as_deref(),
    )?;
    knobs.attack_messages = args.messages;
    knobs.genuine_senders = args.genuine;
    knobs.apply(&mut resolved)?;
    let traffic: Traffic = match &args.traffic {
        Some(path) => match read_traffic(path) {
            Ok(traffic) => traffic,
            Err(error) => {
                eprintln!("error: --traffic {}: {error}", path.display());
                return Ok(ExitCode::from(EXIT_BAD_CONFIG));
            }
        },
        None => {
            let seed = args.seed.or(resolved.seed).unwrap_or(DEFAULT_SEED);
            Scenario::generate(&resolved.spec, seed)?.traffic()
        }
    };
    let progress = !args.no_progress && !args.json;

    let records = match &args.target {
        None => {
            if args.config.is_some() || args.number.is_some() || args.all_numbers {
                anyhow::bail!("--config, --number and --all-numbers apply to --target runs only");
            }
            let ledger = match &args.ledger {
                None => LedgerChoice::Embedded,
                Some(url) => LedgerChoice::Redis(url.clone()),
            };
            let options = InProcessOptions { setup: resolved.setup.clone(), ledger, progress };
            in_process::run_blocking(&traffic, &options)?
        }
        Some(target) => {
            if args.price.is_some() || args.daily_cap.is_some() || args.monthly_cap.is_some() || args.ledger.is_some() {
                anyhow::bail!(
                    "--price, --daily-cap, --monthly-cap and --ledger come from the server's --config with --target"
                );
            }
            let settings = match config::load(args.config.as_deref()) {
                Ok(settings) => settings,
                Err(bad) => return Ok(bad.into()),
            };
            let selection = match (&args.number, args.all_numbers) {
                (Some(number), _) => TargetSelection::Number(number.clone()),
                (None, true) => TargetSelection::All,
                (None, false) => TargetSelection::First,
            };
            let mut options = HttpOptions::from_settings(&settings, target, &selection)?;
            options.concurrency = args.concurrency.max(1);
            options.progress = progress;
            options.pace = match (args.speed, args.rate) {
                (Some(x), _) => Pace::Speed(x),
                (None, Some(r)) => Pace::Rate(r),
                (None, None) => Pace::AsFastAsPossible,
            };
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(http::run(&traffic, &options))?
        }
    };

    let report = Report::new(&traffic, &records);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    if let Some(dir) = &args.out {
        let (json, svg) = write_outputs(&report, dir)?;
        eprintln!("wrote {} and {}", json.display(), svg.display());
    }
    if !report.violations.is_empty() {
        for violation in &report.violations {
            eprintln!("error: invariant broken: {violation}");
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
