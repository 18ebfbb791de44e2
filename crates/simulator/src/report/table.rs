//! The report as the table `antirelou simulate` prints on stdout.

use std::fmt::Write as _;

use super::{Cap, Report};

impl Report {
    /// The table printed on stdout: a few sentences for a person, then the
    /// figures, each with its unit (messages, replies, senders, money).
    pub fn table(&self) -> String {
        let c = &self.currency;
        let w = self.words();
        let mut t = String::new();
        let seed = self.seed.map_or_else(|| "traffic file".to_owned(), |s| format!("seed {s}"));
        let _ =
            writeln!(t, "antirelou simulate: {} ({seed}), {} mode, {} ledger", self.scenario, self.mode, self.ledger);
        let _ = writeln!(t, "{}", "-".repeat(72));
        for paragraph in self.story_sentences() {
            let _ = writeln!(t, "{}\n", wrap(&paragraph, 72));
        }
        let _ = writeln!(t, "{}", "-".repeat(72));
        let mut row = |label: &str, value: String| {
            let _ = writeln!(t, "{label:<24}{value}");
        };
        row(
            "messages",
            format!(
                "{}  (attack {} from {}, genuine {} from {}; over {})",
                count(self.messages, w.message),
                count(self.attack_messages, w.message),
                count(self.attackers, "number"),
                count(self.genuine_messages, w.message),
                count(self.genuine_senders, w.sender),
                hours(self.duration_seconds)
            ),
        );
        row(
            w.replies_paid,
            format!(
                "{}  (to attackers {}, to genuine {}s {}; {} sent later)",
                count(self.replies, w.reply),
                self.attacker_replies,
                w.sender,
                self.genuine_replies,
                self.deferred_replies
            ),
        );
        row(
            "spend",
            format!(
                "{c} {}  (attackers {c} {}, genuine {c} {}: {:.0} % to genuine {}s)",
                self.spend,
                self.attacker_spend,
                self.genuine_spend,
                self.genuine_spend_share * 100.0,
                w.sender
            ),
        );
        row(
            w.naive,
            format!(
                "{c} {}  ({} at {c} {}: {})",
                self.naive_spend,
                count(self.messages, w.reply),
                self.reply_cost,
                w.naive_rule
            ),
        );
        row("spend vs naive", format!("{:.2} %", self.spend_vs_naive * 100.0));
        let cap = |v: &Option<String>| v.as_ref().map_or("none".to_owned(), |v| format!("{c} {v}"));
        row("caps", format!("number daily {}, tenant monthly {}", cap(&self.daily_cap), cap(&self.monthly_cap)));
        if let Some(audit) = &self.ledger_audit {
            row(
                "ledger",
                format!(
                    "{} {} entries, {c} {}; most in a day {c} {}, in a month {c} {}",
                    audit.reply_entries,
                    w.entry,
                    audit.reply_spend,
                    audit.max_number_daily_spend,
                    audit.max_tenant_monthly_spend
                ),
            );
        }
        row(
            "genuine answered",
            format!(
                "{} of {} ({:.1} %); the caps afford {}",
                self.genuine_answered,
                count(self.genuine_senders, w.sender),
                self.genuine_answered_percent,
                count(self.affordable_replies, w.reply)
            ),
        );
        row(
            "genuine reply delay",
            self.genuine_reply_delay_seconds.map_or_else(
                || "none answered".to_owned(),
                |d| format!("p50 {}, p90 {}, max {}", seconds(d.p50), seconds(d.p90), seconds(d.max)),
            ),
        );
        row(&format!("decisions ({}s)", w.message), String::new());
        for (outcome, n) in &self.outcomes {
            row(&format!("  {outcome}"), count(*n, w.message));
        }
        if !self.deferred_results.is_empty() {
            row("judgements (senders)", String::new());
            for (result, n) in &self.deferred_results {
                row(&format!("  {result}"), count(*n, "sender"));
            }
        }
        if self.errors > 0 {
            row("refused or failed", count(self.errors, w.message));
        }
        let throughput =
            format!("{:.0} {}s/s  (wall {:.2} s)", self.throughput_per_second, w.message, self.wall_seconds);
        row("throughput", throughput);
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

    /// Who was answered, where the money went, when and why the others
    /// were not: one paragraph each.
    pub fn story_sentences(&self) -> Vec<String> {
        let c = &self.currency;
        let w = self.words();
        let story = &self.story;
        let genuine = format!("genuine {}", w.sender);
        let mut answered = if self.genuine_answered == self.genuine_senders && self.genuine_senders > 1 {
            format!("All {} {genuine}s {}.", self.genuine_senders, w.got_reply)
        } else {
            format!(
                "{} of the {} {} ({:.0} %).",
                self.genuine_answered,
                count(self.genuine_senders, &genuine),
                w.got_reply,
                self.genuine_answered_percent
            )
        };
        let later = match story.genuine_answered_later {
            0 => None,
            n if n == self.genuine_answered && n > 1 => Some(format!("All {n} got it")),
            n => Some(format!("{n} of them got it")),
        };
        if let Some(later) = later {
            let _ = write!(
                answered,
                " {later} later, not in the answer to their message: the shield held their reply back until \
                 they were judged genuine."
            );
        }
        let mut money = format!(
            "antirelou paid {c} {} for {}: {c} {} ({:.0} %) to {genuine}s, {c} {} to attackers.",
            self.spend,
            count(self.replies, w.reply),
            self.genuine_spend,
            self.genuine_spend_share * 100.0,
            self.attacker_spend
        );
        let _ = write!(
            money,
            " {} would have paid {c} {} for {}.",
            w.naive_sentence,
            self.naive_spend,
            count(self.messages, w.reply)
        );
        let unanswered = self.genuine_senders.saturating_sub(self.genuine_answered);
        let mut others = String::new();
        match (story.money_ran_out_micros, story.money_ran_out_cap) {
            (Some(at), Some(cap)) => {
                let (which, amount) = match cap {
                    Cap::Daily => ("The number's money for the day", &self.daily_cap),
                    Cap::Monthly => ("The money for the month", &self.monthly_cap),
                };
                let amount = amount.as_ref().map_or_else(String::new, |a| format!(" ({c} {a})"));
                let into = seconds(antirelou_domain::micros::to_seconds_f64(at - self.start_micros()));
                let _ = write!(
                    others,
                    "{which}{amount} was spent at {} ({}), {into} after the first message.",
                    local_time(at, self.timezone),
                    self.timezone
                );
                if story.genuine_unanswered_after_money > 0 {
                    let _ = write!(
                        others,
                        " The {} who first {} after that got nothing: the cap keeps the money.",
                        count(story.genuine_unanswered_after_money, &genuine),
                        w.wrote
                    );
                }
                if story.genuine_unanswered_before_money > 0 {
                    let _ = write!(
                        others,
                        " {} {} before then and got nothing: during the flood the shield held new {}s \
                         back, and the money ran out before their turn.",
                        capitalized(&count(story.genuine_unanswered_before_money, &format!("other {genuine}"))),
                        w.wrote,
                        w.sender
                    );
                }
            }
            _ if unanswered == 0 => {
                let _ = write!(others, "Every {genuine} was answered; no cap was reached.");
            }
            _ => {
                let _ = write!(
                    others,
                    "No cap was reached. {} got nothing: {}",
                    capitalized(&count(unanswered, &genuine)),
                    w.unanswered_why
                );
            }
        }
        vec![answered, money, others]
    }

    /// What the table calls things: messages and replies, or calls and answers.
    fn words(&self) -> Words {
        if self.channel == "call" {
            Words {
                message: "call",
                reply: "answered call",
                sender: "caller",
                replies_paid: "calls answered",
                entry: "call",
                naive: "answering machine",
                naive_rule: "every call answered for max_seconds",
                naive_sentence: "A naive answering machine answering every call",
                wrote: "called",
                got_reply: "were answered",
                unanswered_why: "a repeat caller is not answered again, and in shield mode no new caller is (a \
                                 caller cannot be answered later).",
            }
        } else {
            Words {
                message: "message",
                reply: "reply",
                sender: "sender",
                replies_paid: "replies paid",
                entry: "reply",
                naive: "naive responder",
                naive_rule: "one per message",
                naive_sentence: "An auto-responder answering every message",
                wrote: "wrote",
                got_reply: "got the reply",
                unanswered_why: "the shield held new senders back during the flood and did not judge them \
                                 genuine in time (see the judgements below).",
            }
        }
    }

    fn start_micros(&self) -> i64 {
        chrono::DateTime::parse_from_rfc3339(&self.start).map_or(0, |d| d.timestamp_micros())
    }
}

/// The words of a report on SMS or on calls.
struct Words {
    message: &'static str,
    reply: &'static str,
    sender: &'static str,
    replies_paid: &'static str,
    entry: &'static str,
    naive: &'static str,
    naive_rule: &'static str,
    naive_sentence: &'static str,
    wrote: &'static str,
    got_reply: &'static str,
    unanswered_why: &'static str,
}

/// `1 message`, `2 messages`, `1 reply`, `3 replies`.
pub(crate) fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else if let Some(stem) = what.strip_suffix('y') {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {what}s")
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// `17:42` in the ledger's timezone.
fn local_time(at: i64, timezone: chrono_tz::Tz) -> String {
    let utc = chrono::DateTime::from_timestamp_micros(at).unwrap_or_default();
    utc.with_timezone(&timezone).format("%H:%M").to_string()
}

/// `text` cut into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let length = word.chars().count();
        if line > 0 && line + 1 + length > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += length;
    }
    out
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

    #[test]
    fn counts_carry_their_unit_in_the_right_number() {
        assert_eq!(count(1, "reply"), "1 reply");
        assert_eq!(count(125, "reply"), "125 replies");
        assert_eq!(count(0, "message"), "0 messages");
        assert_eq!(count(300, "genuine sender"), "300 genuine senders");
    }

    #[test]
    fn sentences_wrap_at_spaces() {
        assert_eq!(wrap("one two three four", 9), "one two\nthree\nfour");
    }
}
