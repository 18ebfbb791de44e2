//! Loading and validation end to end: every kind of mistake becomes a
//! problem at its exact key, all of them at once; overrides, secrets,
//! privacy, defaults, and every example file shipped in the repository.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use antirelou_domain::{Money, SenderHasher};

use crate::{AllowedCountries, LedgerBackend, LogFormat, Problem, ProviderSettings, Settings, SettingsError};

const HEAD: &str = r#"
[server]
public_url = "https://sms.example.org/"

[privacy]
sender_key = { env = "TEST_SENDER_KEY" }
sealing_key = { env = "TEST_SEALING_KEY" }
"#;

const PARIS: &str = r#"
[[tenants]]
id = "paris"
provider = { kind = "twilio", account_sid = "AC0123456789abcdef0123456789abcdef", auth_token = { env = "TEST_TWILIO_TOKEN" } }

[[tenants.numbers]]
number = "+33612345678"
reply = "Non, c'est non."
price_per_segment = "0.08"
"#;

const LYON: &str = r#"
[[tenants]]
id = "lyon"
provider = { kind = "twilio", account_sid = "ACabcdef0123456789abcdef0123456789", auth_token = "lyon-token" }

[[tenants.numbers]]
number = "+33612345679"
reply = "Non, c'est non."
price_per_segment = "0.08"
"#;

const TEST_ENV: [(&str, &str); 3] = [
    ("TEST_SENDER_KEY", "a-test-sender-key-of-32-bytes!!!"),
    ("TEST_SEALING_KEY", "a-test-sealing-key-of-33-bytes!!!"),
    ("TEST_TWILIO_TOKEN", "paris-token"),
];

/// Only one test changes the process environment; it holds this lock, as
/// must any future test that reads or writes it.
static PROCESS_ENV: Mutex<()> = Mutex::new(());

fn config(head: &str, paris: &str, lyon: &str) -> String {
    format!("{head}{paris}{lyon}")
}

fn load(text: &str) -> Result<Settings, SettingsError> {
    Settings::from_toml_str_with_env(text, TEST_ENV)
}

fn load_env(text: &str, extra: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::from_toml_str_with_env(text, TEST_ENV.iter().chain(extra).copied())
}

fn problems(text: &str) -> Vec<Problem> {
    match load(text) {
        Ok(_) => panic!("expected problems, the configuration is valid:\n{text}"),
        Err(SettingsError::Invalid(problems)) => problems,
        Err(other) => panic!("expected SettingsError::Invalid, got {other:?}"),
    }
}

/// The single problem of `text`, which must be at `key` and contain `reason`.
#[track_caller]
fn assert_one_problem(text: &str, key: &str, reason: &str) {
    let problems = problems(text);
    assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
    assert_eq!(problems[0].key, key, "{problems:#?}");
    assert!(problems[0].reason.contains(reason), "{:?} should contain {reason:?}", problems[0].reason);
}

mod docs;
mod donations;
mod evidence;
mod examples;
mod loading;
mod overrides;
mod patch;
mod problems;
mod providers;
mod secrets;
mod server;
mod voice;
mod warnings;
