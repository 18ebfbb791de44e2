//! `antirelou check-config`.

use std::process::ExitCode;

use antirelou_settings::{AllowedCountries, Settings};

use crate::cli::CheckConfigArgs;
use crate::config;

pub fn run(args: CheckConfigArgs) -> anyhow::Result<ExitCode> {
    if args.list_keys {
        for (table, key) in antirelou_settings::declared_keys() {
            println!("{table}\t{key}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(path) = args.config else {
        anyhow::bail!("--config is required");
    };
    let settings = match config::load(Some(&path)) {
        Ok(settings) => settings,
        Err(bad) => return Ok(bad.into()),
    };
    print!("{}", report(&settings));
    // Warnings do not refuse the configuration: the exit status stays 0.
    for warning in &settings.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(ExitCode::SUCCESS)
}

/// For each reply that is UCS-2 (70 characters an SMS instead of 160): the
/// characters that force it and the GSM-7 text to write instead, if any.
pub fn ucs2_notes(settings: &Settings) -> String {
    let mut out = String::new();
    for (_, number) in settings.numbers() {
        let forcing = antirelou_domain::segments::ucs2_characters(&number.reply);
        if forcing.is_empty() {
            continue;
        }
        let named: Vec<String> = forcing
            .iter()
            .map(|&c| match antirelou_domain::segments::gsm7_replacement(c) {
                Some(with) => format!("{c:?} (replace with {with:?})"),
                None => format!("{c:?} (no GSM-7 equivalent)"),
            })
            .collect();
        out.push_str(&format!(
            "\n{}: the reply is UCS-2 (70 characters an SMS instead of 160) because of {}\n",
            number.number,
            named.join(", ")
        ));
    }
    out
}

/// The human summary of a valid configuration.
pub fn report(settings: &Settings) -> String {
    let currency = &settings.ledger.currency;
    let cap = |c: Option<antirelou_domain::Money>| c.map_or_else(|| "none".to_owned(), |m| format!("{m} {currency}"));
    let mut out = format!(
        "configuration OK: {} tenant(s), {} number(s); ledger {} ({}), timezone {}, deployment monthly cap {}\n\n",
        settings.tenants.len(),
        settings.number_count(),
        settings.ledger.backend.name(),
        currency,
        settings.ledger.timezone.name(),
        cap(settings.ledger.monthly_cap),
    );
    let header = [
        "tenant",
        "number",
        "encoding",
        "segments",
        "cost/reply",
        "daily cap",
        "tenant monthly cap",
        "countries",
        "paused",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for (tenant, number) in settings.numbers() {
        rows.push(vec![
            tenant.id.clone(),
            number.number.to_string(),
            number.reply_segments.encoding.to_string(),
            number.reply_segments.segments.to_string(),
            format!("{} {currency}", number.reply_cost),
            cap(number.daily_cap),
            cap(tenant.monthly_cap),
            match &number.allowed_countries {
                AllowedCountries::Any => "any".to_owned(),
                AllowedCountries::Only(list) => list.join(","),
            },
            if number.paused { "yes" } else { "no" }.to_owned(),
        ]);
    }
    let widths: Vec<usize> =
        (0..header.len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    for row in &rows {
        let line: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&ucs2_notes(settings));
    let keeping: Vec<&str> = settings.tenants.iter().filter(|t| t.evidence.is_some()).map(|t| t.id.as_str()).collect();
    if let Some(signer) = &settings.privacy.evidence_signer {
        out.push_str(&format!(
            "\nevidence kept for: {}; bundles are signed with the Ed25519 public key {} (publish it)\n",
            if keeping.is_empty() { "no tenant".to_owned() } else { keeping.join(", ") },
            signer.public_key_base64()
        ));
    }
    out
}
