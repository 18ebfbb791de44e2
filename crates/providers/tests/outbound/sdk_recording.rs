//! The committed recordings are what the pinned SDKs send today: the
//! recorder script runs again (with the interpreter of `ANTIRELOU_PYTHON`,
//! the suite's venv from tests/python/requirements.txt) and its output must
//! equal the committed fixtures, except the OVHcloud timestamp and the
//! signature that depends on it (the SDK reads the clock), which are
//! checked with our signing function instead. If the script fails, the
//! test fails.

use std::path::Path;
use std::process::Command;

use antirelou_emulators::{Fixture, RecordedProvider};

use crate::wire_truth::assert_ovh_sdk_signatures_are_ours;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/python/record_provider_requests.py");

/// The fixture as JSON without the values that depend on the moment of recording.
fn stable(json: &str) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_str(json).expect("fixture JSON");
    for exchange in value["exchanges"].as_array_mut().expect("exchanges") {
        for request in exchange["requests"].as_array_mut().expect("requests") {
            if let Some(headers) = request["headers"].as_object_mut() {
                headers.remove("x-ovh-timestamp");
                headers.remove("x-ovh-signature");
            }
        }
    }
    value
}

#[test]
fn the_official_sdks_still_send_what_the_committed_fixtures_say() {
    let Ok(python) = std::env::var("ANTIRELOU_PYTHON") else {
        eprintln!("ANTIRELOU_PYTHON is not set: the SDK re-recording runs in tests/run-all.sh");
        return;
    };
    let out = tempfile::tempdir().expect("temp dir");
    let output = Command::new(&python)
        .arg(SCRIPT)
        .arg(out.path())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {python}: {error}"));
    assert!(
        output.status.success(),
        "the SDK recorder failed (is `pip install -r tests/python/requirements.txt` done?):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for provider in RecordedProvider::ALL {
        let file = out.path().join(format!("{}.json", provider.as_str()));
        let fresh = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", Path::new(&file).display()));
        assert_eq!(
            stable(&fresh),
            stable(provider.committed_json()),
            "{} SDK requests changed: re-run the recorder into crates/providers/tests/data/recorded/ and review the diff",
            provider.as_str()
        );
        if provider == RecordedProvider::Ovh {
            assert_ovh_sdk_signatures_are_ours(&Fixture::parse(&fresh).expect("fresh fixture"));
        }
    }
}
