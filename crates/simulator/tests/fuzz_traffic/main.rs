//! Structure-aware fuzzing of the traffic-file parser: whatever the bytes,
//! `parse_traffic` returns a traffic or an error naming a line, never
//! panics; an accepted traffic is sorted, consistent, and reads back the
//! same once written.
//!
//! Files are grown from valid lines by mutations that know the format
//! (keys removed, renamed or added, values of another type, odd times and
//! senders, lines cut or spliced, raw bytes, CRLF). Each run is bounded in
//! cases (`ANTIRELOU_FUZZ_CASES` raises it locally) and takes seconds.
//!
//! A failing input is shrunk, saved under `tests/fuzz-corpus/traffic/` and
//! the test fails; every saved input is replayed by
//! `every_saved_input_parses_without_panicking`.

use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

mod inputs;

use antirelou_simulator::{parse_traffic, write_traffic, Traffic, TrafficError};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::{json, Value};

/// Parses one file and checks what an accepted traffic must be.
fn check(bytes: &[u8]) -> Result<(), String> {
    let lines = bytes.split(|&b| b == b'\n').count();
    match parse_traffic(bytes, "fuzz") {
        Ok(traffic) => check_traffic(bytes, &traffic),
        Err(TrafficError::Line { line, reason }) if (1..=lines).contains(&line) && !reason.is_empty() => Ok(()),
        Err(TrafficError::Line { line, .. }) => Err(format!("an error names line {line} of {lines}")),
        Err(TrafficError::Empty | TrafficError::TooLong { .. } | TrafficError::TooManyLines { .. }) => Ok(()),
        Err(other) => Err(format!("unexpected error {other}")),
    }
}

fn check_traffic(bytes: &[u8], traffic: &Traffic) -> Result<(), String> {
    let messages =
        bytes.split(|&b| b == b'\n').filter(|l| !std::str::from_utf8(l).unwrap_or("x").trim().is_empty()).count();
    if traffic.messages.len() != messages {
        return Err(format!("{} messages for {messages} non-blank lines", traffic.messages.len()));
    }
    if !traffic.messages.windows(2).all(|w| w[0].at_micros <= w[1].at_micros) {
        return Err("messages are not sorted by time".to_owned());
    }
    let consistent = traffic.messages.iter().all(|m| {
        (m.sender as usize) < traffic.senders.len()
            && (m.body as usize) < traffic.bodies.len()
            && m.at_micros >= traffic.start_micros()
    });
    if !consistent {
        return Err("a message points outside the traffic".to_owned());
    }
    let mut written = Vec::new();
    write_traffic(traffic, &mut written).map_err(|e| e.to_string())?;
    let again = parse_traffic(&written, "fuzz").map_err(|e| format!("the written traffic does not read: {e}"))?;
    let view = |t: &Traffic| -> Vec<(i64, String, String, &'static str)> {
        t.messages
            .iter()
            .map(|m| (m.at_micros, t.sender_of(m).from.clone(), t.body_of(m).to_owned(), t.group_of(m).as_str()))
            .collect()
    };
    if view(&again) != view(traffic) {
        return Err("the written traffic reads back differently".to_owned());
    }
    Ok(())
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz-corpus/traffic")
}

/// A file's bytes as a corpus case: text when it is UTF-8, hex otherwise.
fn case(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => json!({"target": "traffic", "text": text}),
        Err(_) => json!({"target": "traffic", "hex": bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()}),
    }
}

fn bytes_of(case: &Value) -> Result<Vec<u8>, String> {
    if let Some(text) = case["text"].as_str() {
        return Ok(text.as_bytes().to_vec());
    }
    let hex = case["hex"].as_str().ok_or("a case has `text` or `hex`")?;
    (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(|| "bad hex".to_owned()))
        .collect()
}

/// Saves a failing input under the corpus, named by its content.
fn save(case: &Value) -> PathBuf {
    let text = serde_json::to_string_pretty(case).unwrap_or_default();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    let path = corpus().join(format!("traffic-{:016x}.json", hasher.finish()));
    let _ = std::fs::create_dir_all(corpus());
    let _ = std::fs::write(&path, text + "\n");
    path
}

fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("ANTIRELOU_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 4_096, ..Config::default() })
}

#[test]
fn mutated_traffic_files_parse_or_name_a_line_without_panicking() {
    let result =
        runner(2_000).run(&inputs::traffic_file(), |bytes| match catch_unwind(AssertUnwindSafe(|| check(&bytes))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(TestCaseError::fail(reason)),
            Err(_) => Err(TestCaseError::fail("panicked")),
        });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, bytes)) => {
            let path = save(&case(&bytes));
            panic!("{reason} on an input saved as {}:\n{}", path.display(), String::from_utf8_lossy(&bytes));
        }
        Err(TestError::Abort(reason)) => panic!("fuzzing aborted: {reason}"),
    }
}

#[test]
fn every_saved_input_parses_without_panicking() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", corpus().display()))
        .map(|entry| entry.map(|e| e.path()).unwrap_or_default())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus has seed inputs");
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(case["target"], "traffic", "{}", file.display());
        let bytes = bytes_of(&case).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        match catch_unwind(AssertUnwindSafe(|| check(&bytes))) {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => failures.push(format!("{}: {reason}", file.display())),
            Err(_) => failures.push(format!("{}: panicked", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_check_itself_fails_on_a_wrong_error_line_and_on_a_lost_message() {
    // A check that cannot fail finds nothing: feed it a traffic that lost a message.
    let file = b"{\"at\": \"2026-03-07T17:00:00Z\", \"from\": \"+33612345678\"}\n{\"at\": \"2026-03-07T17:00:01Z\", \"from\": \"+33612345679\"}\n";
    let traffic = parse_traffic(file, "t").unwrap();
    let mut lost = traffic.clone();
    lost.messages.pop();
    assert!(check_traffic(file, &lost).is_err());
    let mut unsorted = traffic.clone();
    unsorted.messages.reverse();
    assert!(check_traffic(file, &unsorted).is_err());
    assert!(check_traffic(file, &traffic).is_ok());
    assert_eq!(bytes_of(&case(&[0xff, 0x0a])).unwrap(), vec![0xff, 0x0a]);
}
