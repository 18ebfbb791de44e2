//! `antirelou evidence list | export`: a tenant's incidents and one
//! incident's evidence bundle, read from the configured ledger (the same
//! bundle as the admin API's, docs/evidence.md).

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use antirelou_domain::{Clock, SystemClock};
use antirelou_engine::evidence::{incident_bundle, BundleSource};
use antirelou_engine::NumberPolicy;
use antirelou_evidence::model::MAX_INCIDENTS_PER_PAGE;
use antirelou_evidence::senders::local_time;
use antirelou_ledger::Ledger;
use antirelou_settings::Settings;
use anyhow::{bail, Context};

use crate::cli::{EvidenceArgs, EvidenceCommand};
use crate::config;
use crate::ledger_cmd::is_broken_pipe;

pub fn run(args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    let settings = match config::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(bad) => return Ok(bad.into()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(async move {
        let ledger = match config::open_ledger(&settings, config::Create::No).await {
            Ok(ledger) => ledger,
            Err(bad) => return Ok(bad.into()),
        };
        match run_command(args.command, &settings, &*ledger).await {
            Err(error) if is_broken_pipe(&error) => Ok(ExitCode::SUCCESS),
            Err(error) => Err(error),
            Ok(()) => Ok(ExitCode::SUCCESS),
        }
    })
}

async fn run_command(command: EvidenceCommand, settings: &Settings, ledger: &dyn Ledger) -> anyhow::Result<()> {
    let now = SystemClock.now_micros();
    let tz = settings.ledger.timezone;
    match command {
        EvidenceCommand::List { tenant, limit } => {
            known_tenant(settings, &tenant)?;
            let limit = limit.clamp(1, MAX_INCIDENTS_PER_PAGE);
            let incidents = ledger.incidents(&tenant, None, limit, now).await.context("reading incidents")?;
            let mut out = std::io::stdout().lock();
            if incidents.is_empty() {
                writeln!(out, "no incident for {tenant}")?;
            }
            for i in &incidents {
                let c = &i.counts;
                let ended = i.ended_micros(now).map_or("shield still on".to_owned(), |t| local_time(t, tz));
                writeln!(
                    out,
                    "incident {} on {}: {} -> {}\n  {} messages, {} senders, {} flooders, {} replies; spent {} {}, saved {} {}; {} encrypted senders file(s)",
                    i.id,
                    i.number,
                    local_time(i.started_micros, tz),
                    ended,
                    c.messages,
                    c.new_senders,
                    c.flooders,
                    c.replies,
                    c.spend(),
                    settings.ledger.currency,
                    c.saved(),
                    settings.ledger.currency,
                    i.sealed_parts,
                )?;
            }
        }
        EvidenceCommand::Export { tenant, incident, output } => {
            known_tenant(settings, &tenant)?;
            if output.exists() {
                bail!("{} exists: choose another --output (nothing was written)", output.display());
            }
            let source = BundleSource {
                ledger,
                signer: settings.privacy.evidence_signer.as_ref(),
                timezone: tz,
                now_micros: now,
            };
            let policy_of = |number: &str| {
                settings
                    .numbers()
                    .find(|(t, n)| t.id == tenant && n.number.as_str() == number)
                    .map(|(t, n)| Arc::new(NumberPolicy::from_settings(settings, t, n)))
            };
            let Some(zip) =
                incident_bundle(&source, &tenant, incident, policy_of).await.context("reading the incident")?
            else {
                bail!("{tenant} has no incident {incident} (see `antirelou evidence list --tenant {tenant}`)");
            };
            std::fs::write(&output, &zip).with_context(|| format!("writing {}", output.display()))?;
            println!("wrote {} ({} bytes): incident {incident} of {tenant}", output.display(), zip.len());
        }
    }
    Ok(())
}

fn known_tenant(settings: &Settings, tenant: &str) -> anyhow::Result<()> {
    if settings.tenant(tenant).is_none() {
        let known: Vec<&str> = settings.tenants.iter().map(|t| t.id.as_str()).collect();
        bail!("no tenant {tenant:?} in the configuration (tenants: {})", known.join(", "));
    }
    Ok(())
}
