//! `antirelou ledger balances | top-up | entries`.

use std::process::ExitCode;

use std::io::Write as _;

use antirelou_domain::{Clock, Money, Periods, SystemClock};
use antirelou_ledger::{export, EntryFilter, Ledger, TotalsQuery};
use antirelou_settings::LedgerBackend;
use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDate, Utc};

use crate::cli::{EntriesFormat, LedgerArgs, LedgerCommand};
use crate::config;

pub fn run(args: LedgerArgs) -> anyhow::Result<ExitCode> {
    let settings = match config::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(bad) => return Ok(bad.into()),
    };
    if let LedgerBackend::Embedded { path } = &settings.ledger.backend {
        if !path.exists() {
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            match &args.config {
                None => eprintln!(
                    "error: no ledger at {}: this folder has none (the demo keeps its ledger in ./{}/ of the \
                     folder where `antirelou serve` ran). Run this command in that folder, or give the \
                     server's configuration with --config FILE. Nothing was created.",
                    shown.display(),
                    config::DEMO_DATA_DIR
                ),
                Some(file) => eprintln!(
                    "error: no ledger at {} (ledger.path of {}): the server has not run with this \
                     configuration yet, or ledger.path is not where it writes. Nothing was created.",
                    shown.display(),
                    file.display()
                ),
            }
            return Ok(ExitCode::from(crate::EXIT_BAD_CONFIG));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(async move {
        let ledger = match config::open_ledger(&settings, config::Create::No).await {
            Ok(ledger) => ledger,
            Err(bad) => return Ok(bad.into()),
        };
        let currency = settings.ledger.currency.clone();
        let mut out = std::io::stdout().lock();
        let result = run_command(args.command, &settings, &*ledger, &currency, &mut out).await;
        match result {
            // `| head`: the reader is gone, which is not an error.
            Err(error) if is_broken_pipe(&error) => Ok(ExitCode::SUCCESS),
            Err(error) => Err(error),
            Ok(()) => Ok(ExitCode::SUCCESS),
        }
    })
}

async fn run_command(
    command: LedgerCommand,
    settings: &antirelou_settings::Settings,
    ledger: &dyn Ledger,
    currency: &str,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    {
        match command {
            LedgerCommand::Balances => {
                let now = SystemClock.now();
                let periods = Periods::at(now, settings.ledger.timezone);
                let balances = ledger.balances().await.context("reading balances")?;
                writeln!(out, "day {} / month {} ({})", periods.day, periods.month, settings.ledger.timezone.name())?;
                for tenant in &settings.tenants {
                    let balance = balances.iter().find(|(t, _)| *t == tenant.id).map(|(_, b)| *b);
                    let mut month = Money::ZERO;
                    let mut lines = Vec::new();
                    for number in &tenant.numbers {
                        let totals = ledger
                            .totals(&TotalsQuery {
                                tenant: tenant.id.clone(),
                                number: number.number.to_string(),
                                periods: periods.clone(),
                            })
                            .await
                            .context("reading totals")?;
                        month = totals.tenant_month;
                        let cap = number.daily_cap.map_or_else(|| "no cap".to_owned(), |c| format!("cap {c}"));
                        lines.push(format!("  {}  today {} {currency} ({cap})", number.number, totals.number_day));
                    }
                    let balance =
                        balance.map_or_else(|| "no prepaid balance".to_owned(), |b| format!("balance {b} {currency}"));
                    let cap = tenant.monthly_cap.map_or_else(|| "no cap".to_owned(), |c| format!("cap {c}"));
                    writeln!(out, "{}: this month {month} {currency} ({cap}), {balance}", tenant.id)?;
                    for line in lines {
                        writeln!(out, "{line}")?;
                    }
                }
            }
            LedgerCommand::TopUp { tenant, amount, note } => {
                match settings.tenant(&tenant) {
                    None => bail!("--tenant {tenant:?}: no such tenant in the configuration"),
                    Some(t) if !t.prepaid => bail!("{}", antirelou_web::not_prepaid(&tenant)),
                    Some(_) => {}
                }
                let amount = Money::parse_typed(&amount).with_context(|| format!("--amount {amount:?}"))?;
                if amount == Money::ZERO {
                    bail!("--amount must be positive");
                }
                let balance =
                    ledger.top_up(&tenant, amount, &note, SystemClock.now_micros()).await.context("top-up")?;
                writeln!(out, "credited {amount} {currency} to {tenant}: balance {balance} {currency}")?;
            }
            LedgerCommand::Entries { tenant, since, until, format } => {
                let filter = EntryFilter {
                    tenant,
                    since_micros: since.as_deref().map(parse_instant).transpose().context("--since")?,
                    until_micros: until.as_deref().map(parse_instant).transpose().context("--until")?,
                    ..EntryFilter::default()
                };
                write_entries(ledger, filter, format, currency, out).await?;
            }
        }
        Ok(())
    }
}

fn parse_instant(text: &str) -> anyhow::Result<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc).timestamp_micros());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("{text:?} is not RFC 3339 or YYYY-MM-DD"))?;
    Ok(date.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp_micros()))
}

/// Streams every entry of `filter`, page by page (memory stays bounded
/// whatever the ledger holds), as CSV lines or one JSON array.
async fn write_entries(
    ledger: &dyn Ledger,
    mut filter: EntryFilter,
    format: EntriesFormat,
    currency: &str,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let mut first = true;
    match format {
        EntriesFormat::Csv => writeln!(out, "{}", export::CSV_HEADER)?,
        EntriesFormat::Json => write!(out, "[")?,
    }
    loop {
        let page = ledger.entries(&filter).await.context("reading entries")?;
        for entry in &page.entries {
            match format {
                EntriesFormat::Csv => writeln!(out, "{}", export::csv_row(entry, currency))?,
                EntriesFormat::Json => {
                    let separator = if first { "\n  " } else { ",\n  " };
                    write!(out, "{separator}{}", export::json_row(entry, currency))?;
                }
            }
            first = false;
        }
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    if matches!(format, EntriesFormat::Json) {
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
    }
    out.flush()?;
    Ok(())
}

/// Whether `error` comes from writing to a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_as_rfc3339_or_dates() {
        assert_eq!(parse_instant("2026-11-28").unwrap(), 1_795_824_000_000_000);
        assert_eq!(parse_instant("2026-11-28T12:00:00Z").unwrap(), 1_795_867_200_000_000);
        assert!(parse_instant("yesterday").is_err());
    }
}
