//! What the fuzz test feeds the traffic-file parser: files of lines, each a
//! valid traffic line, a JSON object with near-miss keys and values of any
//! type, a valid line cut or spliced, or raw text and bytes.

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Keys a line may carry: the format's, and near misses.
const KEYS: &[&str] = &["at", "from", "to", "body", "group", "At", "grup", "form", "", "at ", "bodies", "\u{0}"];

/// Strings near the edges of what the parser accepts.
const STRINGS: &[&str] = &[
    "",
    " ",
    "2026-03-07T17:04:05.120Z",
    "2026-03-07T17:04:05Z",
    "2026-03-07T17:04:05+01:00",
    "2026-03-07T17:04:05.999999999-12:00",
    "2026-02-30T17:04:05Z",
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
    "2099-12-31T23:59:60Z",
    "+262143-12-31T23:59:59Z",
    "-0001-01-01T00:00:00Z",
    "2026-03-07",
    "17:04:05",
    "+33612345678",
    "+33644556677",
    "0612345678",
    "INFO",
    "36180",
    "+",
    "+0000000000000000000000000000000000000000",
    "attack",
    "genuine",
    "ATTACK",
    "other",
    "STOP",
    "ARRÊT",
    "on se revoit ?",
    "ôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôô",
    "🚨🚨🚨",
    "\u{202e}",
    "\u{fffd}",
    "e\u{301}",
    "\r\n",
    "\t",
];

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(STRINGS).prop_map(str::to_owned),
        1 => "\\PC{0,24}",
        1 => (prop::sample::select(&["x", "é", "9", "🚨", "\\"][..]), 0usize..2_000).prop_map(|(s, n)| s.repeat(n)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => string().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((string(), inner), 0..3).prop_map(|e| Value::Object(e.into_iter().collect())),
        ]
    })
}

/// A line that reads: every field valid, the optional ones sometimes absent.
fn valid_line() -> impl Strategy<Value = String> {
    (
        0i64..400 * 86_400,
        0u32..1_000_000,
        prop::option::of(string()),
        prop::option::of(prop::sample::select(&["attack", "genuine", "other", ""][..])),
        any::<bool>(),
    )
        .prop_map(|(offset, number, body, group, with_to)| {
            let at = chrono::DateTime::from_timestamp(1_772_900_000 + offset, 0).unwrap_or_default();
            let mut line = Map::new();
            line.insert("at".into(), Value::String(at.to_rfc3339()));
            line.insert("from".into(), Value::String(format!("+33612{number:06}")));
            if with_to {
                line.insert("to".into(), Value::String("+33644556677".into()));
            }
            if let Some(body) = body {
                line.insert("body".into(), Value::String(body));
            }
            if let Some(group) = group {
                line.insert("group".into(), Value::String(group.into()));
            }
            Value::Object(line).to_string()
        })
}

/// A JSON object around the format's keys, with values of any type.
fn mutated_line() -> impl Strategy<Value = String> {
    (valid_line(), prop::collection::vec((prop::sample::select(KEYS), prop::option::of(value())), 1..4)).prop_map(
        |(line, changes)| {
            let mut object: Map<String, Value> = serde_json::from_str(&line).unwrap_or_default();
            for (key, value) in changes {
                match value {
                    Some(value) => object.insert(key.to_owned(), value),
                    None => object.remove(key),
                };
            }
            Value::Object(object).to_string()
        },
    )
}

fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => valid_line().prop_map(String::into_bytes),
        4 => mutated_line().prop_map(String::into_bytes),
        1 => (valid_line(), any::<prop::sample::Index>())
            .prop_map(|(l, cut)| l.as_bytes()[..cut.index(l.len() + 1)].to_vec()),
        1 => (valid_line(), valid_line(), any::<prop::sample::Index>()).prop_map(|(a, b, at)| {
            let mut spliced = a.as_bytes()[..at.index(a.len() + 1)].to_vec();
            spliced.extend_from_slice(b.as_bytes());
            spliced
        }),
        1 => "\\PC{0,60}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..60),
        1 => Just(Vec::new()),
    ]
}

/// A whole file: lines joined by `\n` or `\r\n`, with or without a last newline.
pub fn traffic_file() -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec((line(), any::<bool>()), 0..24), any::<bool>()).prop_map(|(lines, trailing)| {
        let mut file = Vec::new();
        let count = lines.len();
        for (i, (line, crlf)) in lines.into_iter().enumerate() {
            file.extend_from_slice(&line);
            if i + 1 < count || trailing {
                file.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
        }
        file
    })
}
