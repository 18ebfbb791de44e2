//! The report as the table `antirelou simulate` prints on stdout.

use std::fmt::Write as _;

use super::Report;

impl Report {
    /// The table printed on stdout.
    pub fn table(&self) -> String {
        let c = &self.currency;
        let mut t = String::new();
        let seed = self.seed.map_or_else(|| "traffic file".to_owned(), |s| format!("seed {s}"));
        let _ =
            writeln!(t, "antirelou simulate: {} ({seed}), {} mode, {} ledger", self.scenario, self.mode, self.ledger);
        let _ = writeln!(t, "{}", "-".repeat(72));
        let mut row = |label: &str, value: String| {
            let _ = writeln!(t, "{label:<24}{value}");
        };
        row(
            "messages",
            format!(
                "{}  (attackers {} from {} numbers, genuine {} from {} senders, over {})",
                self.messages,
                self.attack_messages,
                self.attackers,
                self.genuine_messages,
                self.genuine_senders,
                hours(self.duration_seconds)
            ),
        );
        row(
            "replies",
            format!(
                "{}  (attackers {}, genuine {}; {} sent later)",
                self.replies, self.attacker_replies, self.genuine_replies, self.deferred_replies
            ),
        );
        row(
            "spend",
            format!(
                "{c} {}  (attackers {}, genuine {}: {:.0} % to genuine senders)",
                self.spend,
                self.attacker_spend,
                self.genuine_spend,
                self.genuine_spend_share * 100.0
            ),
        );
        row(
            "naive responder",
            format!("{c} {}  (a reply to every message at {c} {})", self.naive_spend, self.reply_cost),
        );
        row("spend vs naive", format!("{:.2} %", self.spend_vs_naive * 100.0));
        let cap = |v: &Option<String>| v.as_ref().map_or("none".to_owned(), |v| format!("{c} {v}"));
        row("caps", format!("number daily {}, tenant monthly {}", cap(&self.daily_cap), cap(&self.monthly_cap)));
        if let Some(audit) = &self.ledger_audit {
            row(
                "ledger",
                format!(
                    "{} reply entries, {c} {}; most in a day {c} {}, in a month {c} {}",
                    audit.reply_entries,
                    audit.reply_spend,
                    audit.max_number_daily_spend,
                    audit.max_tenant_monthly_spend
                ),
            );
        }
        row(
            "genuine answered",
            format!(
                "{} of {} senders ({:.1} %); the caps afford {}",
                self.genuine_answered, self.genuine_senders, self.genuine_answered_percent, self.affordable_replies
            ),
        );
        row(
            "genuine reply delay",
            self.genuine_reply_delay_seconds.map_or_else(
                || "none answered".to_owned(),
                |d| format!("p50 {}, p90 {}, max {}", seconds(d.p50), seconds(d.p90), seconds(d.max)),
            ),
        );
        row("decisions by outcome", String::new());
        for (outcome, count) in &self.outcomes {
            row(&format!("  {outcome}"), count.to_string());
        }
        if !self.deferred_results.is_empty() {
            row("deferred judgements", String::new());
            for (result, count) in &self.deferred_results {
                row(&format!("  {result}"), count.to_string());
            }
        }
        if self.errors > 0 {
            row("refused or failed", self.errors.to_string());
        }
        row("throughput", format!("{:.0} msg/s  (wall {:.2} s)", self.throughput_per_second, self.wall_seconds));
        row(
            "latency",
            format!(
                "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                self.latency_ms.p50, self.latency_ms.p99, self.latency_ms.max
            ),
        );
        let verdict = if self.violations.is_empty() {
            format!("{} checked, all hold", self.invariants.checked.len())
        } else {
            format!("{} BROKEN", self.violations.len())
        };
        row("invariants", verdict);
        for violation in &self.violations {
            row("", format!("- {violation}"));
        }
        t
    }
}

/// `4 hours`, `20 minutes`.
pub(crate) fn hours(seconds: u64) -> String {
    if seconds.is_multiple_of(3_600) {
        format!("{} hours", seconds / 3_600)
    } else {
        format!("{} minutes", seconds.div_ceil(60))
    }
}

/// `0.4 s`, `12 min 5 s`, `1 h 02 min`.
pub(crate) fn seconds(value: f64) -> String {
    let whole = value.round() as u64;
    if value < 60.0 {
        format!("{value:.1} s")
    } else if whole < 3_600 {
        format!("{} min {:02} s", whole / 60, whole % 60)
    } else {
        format!("{} h {:02} min", whole / 3_600, (whole % 3_600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(seconds(0.04), "0.0 s");
        assert_eq!(seconds(59.94), "59.9 s");
        assert_eq!(seconds(725.0), "12 min 05 s");
        assert_eq!(seconds(3_725.0), "1 h 02 min");
        assert_eq!(hours(14_400), "4 hours");
        assert_eq!(hours(1_201), "21 minutes");
    }
}
