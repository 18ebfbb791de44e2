//! The sender rows of sealed evidence and their file: `senders.csv`, with
//! the columns `number,first_seen,last_seen,messages,bodies,reason`
//! (numbers in E.164, times in the ledger's timezone, the kept bodies in
//! one cell, one per line). It exists in clear only in a server's memory,
//! the moment before [`EvidenceRecipient::seal`](crate::EvidenceRecipient::seal).

use std::fmt;

use chrono::TimeZone;
use chrono_tz::Tz;

/// `evidence.bodies_per_sender` at most.
pub const MAX_BODIES_PER_SENDER: u32 = 10;
/// A kept body is cut after this many characters (four SMS segments).
pub const MAX_BODY_CHARS: usize = 640;
/// A server keeps at most this many senders of one incident (its part).
pub const MAX_SENDERS_PER_PART: usize = 1_000;

/// The header of `senders.csv`.
pub const SENDERS_CSV_HEADER: &str = "number,first_seen,last_seen,messages,bodies,reason";

/// Why a sender is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeptBecause {
    /// The judgement found them flooding.
    Flooder,
    /// The collective blocked them, and they wrote during the incident.
    Blocked,
}

impl KeptBecause {
    pub fn as_str(self) -> &'static str {
        match self {
            KeptBecause::Flooder => "flooder",
            KeptBecause::Blocked => "blocked",
        }
    }
}

/// One sender kept for evidence.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderRow {
    /// E.164.
    pub number: String,
    pub first_seen_micros: i64,
    pub last_seen_micros: i64,
    pub messages: u32,
    /// At most `evidence.bodies_per_sender`, each at most [`MAX_BODY_CHARS`].
    pub bodies: Vec<String>,
    pub reason: KeptBecause,
}

impl fmt::Debug for SenderRow {
    /// Never the number nor a body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderRow")
            .field("messages", &self.messages)
            .field("bodies", &self.bodies.len())
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

/// A body as kept: cut after [`MAX_BODY_CHARS`] characters (`…` marks the cut).
pub fn kept_body(body: &str) -> String {
    match body.char_indices().nth(MAX_BODY_CHARS) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None => body.to_owned(),
    }
}

/// `senders.csv`: the header, then one line per row (RFC 4180 quoting).
pub fn senders_csv(rows: &[SenderRow], timezone: Tz) -> String {
    let mut out = String::with_capacity(64 + rows.len() * 96);
    out.push_str(SENDERS_CSV_HEADER);
    out.push_str("\r\n");
    for row in rows {
        let fields = [
            csv_field(&row.number),
            local_time(row.first_seen_micros, timezone),
            local_time(row.last_seen_micros, timezone),
            row.messages.to_string(),
            csv_field(&spreadsheet_safe(&row.bodies.join("\n"))),
            row.reason.as_str().to_owned(),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// An instant as RFC 3339 in `timezone` (`2026-11-28T12:00:05+01:00`).
pub fn local_time(micros: i64, timezone: Tz) -> String {
    timezone.timestamp_micros(micros).single().map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// A field quoted when it needs to be.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab
/// or a carriage return first) gets an apostrophe before it: a flooder's
/// text must not run on the collective's computer.
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: &str, bodies: &[&str]) -> SenderRow {
        SenderRow {
            number: number.to_owned(),
            first_seen_micros: 1_795_867_205_000_000,
            last_seen_micros: 1_795_867_265_000_000,
            messages: 7,
            bodies: bodies.iter().map(|b| (*b).to_owned()).collect(),
            reason: KeptBecause::Flooder,
        }
    }

    #[test]
    fn rows_are_csv_lines_in_local_time_with_bodies_in_one_cell() {
        let csv = senders_csv(
            &[row("+33698120001", &["t'es où ?", "réponds, \"stp\""]), row("+33698120002", &[])],
            chrono_tz::Europe::Paris,
        );
        assert_eq!(
            csv,
            "number,first_seen,last_seen,messages,bodies,reason\r\n\
             +33698120001,2026-11-28T13:00:05+01:00,2026-11-28T13:01:05+01:00,7,\"t'es où ?\n\
             réponds, \"\"stp\"\"\",flooder\r\n\
             +33698120002,2026-11-28T13:00:05+01:00,2026-11-28T13:01:05+01:00,7,,flooder\r\n"
        );
    }

    #[test]
    fn a_body_a_spreadsheet_would_run_is_written_after_an_apostrophe() {
        let csv = senders_csv(&[row("+33698120001", &["=HYPERLINK(\"x\")"])], chrono_tz::UTC);
        assert!(csv.contains(",\"'=HYPERLINK(\"\"x\"\")\",flooder"), "{csv}");
    }

    #[test]
    fn long_bodies_are_cut_on_a_character() {
        let long = "é".repeat(MAX_BODY_CHARS + 5);
        let kept = kept_body(&long);
        assert_eq!(kept.chars().count(), MAX_BODY_CHARS + 1);
        assert!(kept.ends_with('…'));
        assert_eq!(kept_body("court"), "court");
    }

    #[test]
    fn a_row_never_prints_its_number_or_bodies() {
        let debug = format!("{:?}", row("+33698120001", &["secret words"]));
        assert!(!debug.contains("+33698120001") && !debug.contains("secret"), "{debug}");
    }
}
