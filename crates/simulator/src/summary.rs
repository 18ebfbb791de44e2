//! Many runs in one table (`sim-traffic table`): for each `report.json`,
//! the spend, the share of it that went to genuine senders, genuine
//! senders answered against the replies the caps afford, their reply
//! delay, deferred replies, the most spent in a day and a month against
//! the caps, and whether every invariant held. Reads the JSON (not the
//! Rust type), so reports written by any build can be compared.

use std::fmt::Write as _;

use serde_json::Value;

/// The table's columns, in order.
pub const COLUMNS: [&str; 13] = [
    "traffic",
    "messages",
    "spend",
    "to genuine",
    "genuine answered",
    "affordable",
    "answered/affordable",
    "delay p50",
    "delay p90",
    "deferred",
    "max day / cap",
    "max month / cap",
    "invariants",
];

/// One row per report, as a Markdown table (aligned for a terminal too).
pub fn table(reports: &[Value]) -> String {
    let rows: Vec<[String; COLUMNS.len()]> = reports.iter().map(row).collect();
    let mut widths: [usize; COLUMNS.len()] = COLUMNS.map(|c| c.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        let _ = writeln!(out, "| {} |", padded.join(" | "));
    };
    line(&mut out, &COLUMNS.map(str::to_owned));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "|-{}-|", rule.join("-|-"));
    for row in &rows {
        line(&mut out, row);
    }
    out
}

/// The cells of one report.
pub fn row(report: &Value) -> [String; COLUMNS.len()] {
    let text = |key: &str| report.get(key).and_then(Value::as_str).unwrap_or("?").to_owned();
    let number = |key: &str| report.get(key).and_then(Value::as_u64);
    let currency = text("currency");
    let answered = number("genuine_answered").unwrap_or(0);
    let affordable = number("affordable_replies").unwrap_or(0);
    let delay = |q: &str| {
        report
            .get("genuine_reply_delay_seconds")
            .and_then(|d| d.get(q))
            .and_then(Value::as_f64)
            .map_or_else(|| "-".to_owned(), crate::report::seconds)
    };
    let audit = |key: &str| {
        report.get("ledger_audit").and_then(|a| a.get(key)).and_then(Value::as_str).unwrap_or("?").to_owned()
    };
    let cap = |key: &str| report.get(key).and_then(Value::as_str).unwrap_or("none").to_owned();
    let violations = report
        .get("invariants")
        .and_then(|i| i.get("violations"))
        .and_then(Value::as_array)
        .map_or(usize::MAX, Vec::len);
    [
        text("scenario"),
        number("messages").map_or_else(|| "?".to_owned(), |n| n.to_string()),
        format!("{currency} {}", text("spend")),
        report
            .get("genuine_spend_share")
            .and_then(Value::as_f64)
            .map_or_else(|| "?".to_owned(), |s| format!("{:.0} %", s * 100.0)),
        format!("{answered} / {}", number("genuine_senders").unwrap_or(0)),
        affordable.to_string(),
        if affordable == 0 { "-".to_owned() } else { format!("{:.2}", answered as f64 / affordable as f64) },
        delay("p50"),
        delay("p90"),
        number("deferred_replies").unwrap_or(0).to_string(),
        format!("{} / {}", audit("max_number_daily_spend"), cap("daily_cap")),
        format!("{} / {}", audit("max_tenant_monthly_spend"), cap("monthly_cap")),
        match violations {
            0 => "hold".to_owned(),
            usize::MAX => "?".to_owned(),
            n => format!("{n} BROKEN"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_row_shows_spend_share_reach_delay_and_invariants() {
        let report = json!({
            "scenario": "short-burst-seed1", "messages": 8200, "currency": "EUR", "spend": "16.80",
            "genuine_spend_share": 0.75, "genuine_answered": 90, "genuine_senders": 120,
            "affordable_replies": 120, "genuine_reply_delay_seconds": {"p50": 600.0, "p90": 1500.0, "max": 2700.0},
            "deferred_replies": 80, "daily_cap": "20.00", "monthly_cap": "100.00",
            "ledger_audit": {"max_number_daily_spend": "16.80", "max_tenant_monthly_spend": "16.80"},
            "invariants": {"checked": [], "violations": ["one_reply_per_sender: ..."]}
        });
        let cells = row(&report);
        assert_eq!(
            cells,
            [
                "short-burst-seed1",
                "8200",
                "EUR 16.80",
                "75 %",
                "90 / 120",
                "120",
                "0.75",
                "10 min 00 s",
                "25 min 00 s",
                "80",
                "16.80 / 20.00",
                "16.80 / 100.00",
                "1 BROKEN"
            ]
            .map(str::to_owned)
        );
        let none = json!({"scenario": "ordinary-day-seed1", "genuine_reply_delay_seconds": null,
            "invariants": {"violations": []}});
        let cells = row(&none);
        assert_eq!((cells[7].as_str(), cells[12].as_str()), ("-", "hold"));
        let printed = table(&[report, none]);
        assert_eq!(printed.lines().count(), 4);
        assert!(printed.lines().all(|l| l.chars().count() == printed.lines().next().unwrap().chars().count()));
    }
}
