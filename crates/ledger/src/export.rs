//! Entries as exported for reconciliation with the provider's invoice: one
//! CSV line or JSON object per entry, the same for the CLI (`antirelou
//! ledger entries`) and the admin API (`GET /v1/tenants/{t}/entries`).

use chrono::DateTime;

use crate::model::Entry;

/// The CSV header line (RFC 4180), without the line ending.
pub const CSV_HEADER: &str = "id,at,tenant,number,kind,amount,currency,count,reference";

/// One CSV line for `entry`, without the line ending.
pub fn csv_row(entry: &Entry, currency: &str) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{}",
        entry.id,
        rfc3339(entry.at_micros),
        csv_field(&entry.tenant),
        csv_field(&entry.number),
        entry.kind.as_str(),
        entry.amount,
        csv_field(currency),
        entry.count,
        csv_field(&entry.reference)
    )
}

/// One JSON object for `entry` (amounts as decimal strings, never floats).
pub fn json_row(entry: &Entry, currency: &str) -> serde_json::Value {
    serde_json::json!({
        "id": entry.id, "at": rfc3339(entry.at_micros), "tenant": entry.tenant, "number": entry.number,
        "kind": entry.kind.as_str(), "amount": entry.amount.to_string(), "currency": currency,
        "count": entry.count, "reference": entry.reference,
    })
}

/// RFC 3339 in UTC with microseconds.
pub fn rfc3339(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros).map_or_else(String::new, |t| t.to_rfc3339())
}

/// Quotes a CSV field when it needs it (RFC 4180). A field starting with
/// `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet never runs it
/// as a formula (top-up notes are typed by people).
pub fn csv_field(text: &str) -> String {
    let formula = match text.as_bytes() {
        [b'=' | b'-' | b'@', ..] | [b'+'] => true,
        [b'+', next, ..] => !next.is_ascii_digit(),
        _ => false,
    };
    let text = if formula { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntryKind;
    use antirelou_domain::Money;

    #[test]
    fn csv_fields_are_quoted_only_when_needed_and_never_formulas() {
        assert_eq!(csv_field("gala"), "gala");
        assert_eq!(csv_field("gala, 2026"), "\"gala, 2026\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("+33612345678"), "+33612345678", "our numbers stay as they are");
    }

    #[test]
    fn a_row_carries_every_field_in_header_order() {
        let entry = Entry {
            id: 7,
            at_micros: 1_795_867_200_000_000,
            tenant: "paris".into(),
            number: "+33612345678".into(),
            kind: EntryKind::Reply,
            amount: Money::from_micros(80_000),
            count: 1,
            reference: "SMabc".into(),
        };
        assert_eq!(csv_row(&entry, "EUR"), "7,2026-11-28T12:00:00+00:00,paris,+33612345678,reply,0.08,EUR,1,SMabc");
        assert_eq!(CSV_HEADER.split(',').count(), csv_row(&entry, "EUR").split(',').count());
        assert_eq!(json_row(&entry, "EUR")["amount"], "0.08");
    }
}
