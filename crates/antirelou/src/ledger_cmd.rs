//! `antirelou ledger balances | top-up | entries`.

use std::process::ExitCode;

use antirelou_domain::{Clock, Money, Periods, SystemClock};
use antirelou_ledger::{EntryFilter, TotalsQuery};
use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDate, Utc};

use crate::cli::{EntriesFormat, LedgerArgs, LedgerCommand};
use crate::config;

pub fn run(args: LedgerArgs) -> anyhow::Result<ExitCode> {
    let settings = match config::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(bad) => return Ok(bad.into()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(async move {
        let ledger = match config::open_ledger(&settings).await {
            Ok(ledger) => ledger,
            Err(bad) => return Ok(bad.into()),
        };
        let currency = settings.ledger.currency.clone();
        match args.command {
            LedgerCommand::Balances => {
                let now = SystemClock.now();
                let periods = Periods::at(now, settings.ledger.timezone);
                let balances = ledger.balances().await.context("reading balances")?;
                println!("day {} / month {} ({})", periods.day, periods.month, settings.ledger.timezone.name());
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
                    println!("{}: this month {month} {currency} ({cap}), {balance}", tenant.id);
                    for line in lines {
                        println!("{line}");
                    }
                }
            }
            LedgerCommand::TopUp { tenant, amount, note } => {
                if settings.tenant(&tenant).is_none() {
                    bail!("--tenant {tenant:?}: no such tenant in the configuration");
                }
                let amount = Money::parse(&amount).with_context(|| format!("--amount {amount:?}"))?;
                if amount == Money::ZERO {
                    bail!("--amount must be positive");
                }
                let balance =
                    ledger.top_up(&tenant, amount, &note, SystemClock.now_micros()).await.context("top-up")?;
                println!("credited {amount} {currency} to {tenant}: balance {balance} {currency}");
            }
            LedgerCommand::Entries { tenant, since, until, format } => {
                let filter = EntryFilter {
                    tenant,
                    since_micros: since.as_deref().map(parse_instant).transpose().context("--since")?,
                    until_micros: until.as_deref().map(parse_instant).transpose().context("--until")?,
                    limit: None,
                };
                let entries = ledger.entries(&filter).await.context("reading entries")?;
                match format {
                    EntriesFormat::Csv => {
                        println!("id,at,tenant,number,kind,amount,currency,count,reference");
                        for e in &entries {
                            println!(
                                "{},{},{},{},{},{},{currency},{},{}",
                                e.id,
                                rfc3339(e.at_micros),
                                csv_field(&e.tenant),
                                csv_field(&e.number),
                                e.kind.as_str(),
                                e.amount,
                                e.count,
                                csv_field(&e.reference)
                            );
                        }
                    }
                    EntriesFormat::Json => {
                        let rows: Vec<_> = entries
                            .iter()
                            .map(|e| {
                                serde_json::json!({
                                    "id": e.id, "at": rfc3339(e.at_micros), "tenant": e.tenant, "number": e.number,
                                    "kind": e.kind, "amount": e.amount.to_string(), "currency": currency,
                                    "count": e.count, "reference": e.reference,
                                })
                            })
                            .collect();
                        println!("{}", serde_json::to_string_pretty(&rows)?);
                    }
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn parse_instant(text: &str) -> anyhow::Result<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc).timestamp_micros());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("{text:?} is not RFC 3339 or YYYY-MM-DD"))?;
    Ok(date.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp_micros()))
}

fn rfc3339(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros).map_or_else(String::new, |t| t.to_rfc3339())
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("gala"), "gala");
        assert_eq!(csv_field("gala, 2026"), "\"gala, 2026\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn instants_parse_as_rfc3339_or_dates() {
        assert_eq!(parse_instant("2026-11-28").unwrap(), 1_795_824_000_000_000);
        assert_eq!(parse_instant("2026-11-28T12:00:00Z").unwrap(), 1_795_867_200_000_000);
        assert!(parse_instant("yesterday").is_err());
    }
}
