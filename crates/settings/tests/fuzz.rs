//! Structure-aware fuzzing of the settings loaders and of number patches:
//! whatever the input, loading returns settings or problems, never panics.
//!
//! Inputs are grown from a valid configuration (every provider kind, every
//! table) by mutations that know its shape: a value replaced by one of
//! another type, a huge number, odd Unicode or a near-valid string; a key
//! removed, renamed or added; `ANTIRELOU__...` overrides with list indexes;
//! the text itself cut or spliced. Patches are JSON objects around the
//! patchable keys. Each run is bounded in cases (`ANTIRELOU_FUZZ_CASES`
//! raises it locally) and finishes in seconds.
//!
//! A panicking input is shrunk, saved under `tests/fuzz-corpus/settings/`
//! and the test fails; every saved input is replayed by
//! `every_saved_input_loads_without_panicking`.

use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use antirelou_settings::{NumberPatch, Settings};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::{json, Value};

/// A configuration that loads, with every table and provider kind: the seed
/// every mutated input grows from.
const VALID: &str = r#"
[server]
listen = "127.0.0.1:0"
public_url = "https://sms.example.org/"
admin_listen = "127.0.0.1:0"
operator_token = { env = "FUZZ_OPERATOR_TOKEN" }
console_session_ttl = "1h"

[ledger]
backend = "redis"
redis_url = "redis://127.0.0.1:6379/0"
path = "ledger.sqlite3"
monthly_cap = "500.00"

[privacy]
sender_key = { env = "FUZZ_SENDER_KEY" }
sealing_key = "a-fuzz-sealing-key-0123456789-abcdefghij"

[log]
format = "json"

[[tenants]]
id = "paris"
monthly_cap = "100.00"
blocklist = ["+33700000000", "+32470123456"]
admin_token = "paris-admin-token-0123456789"
alert_webhook = "https://chat.example.org/hooks/paris"
provider = { kind = "twilio", account_sid = "AC0123456789abcdef0123456789abcdef", auth_token = { env = "FUZZ_TWILIO_TOKEN" } }

[[tenants.numbers]]
number = "+33937000001"
reply = "Non, c'est non."
price_per_segment = "0.08"
daily_cap = "5.00"
allowed_countries = ["FR", "BE"]
shield = { trigger_per_minute = 60, hold = "1h", trickle_per_hour = 0, defer_for = "45m" }

[[tenants.numbers]]
number = "+33612345678"
reply = "Vous êtes allé trop loin."
price_per_segment = 0
reply_once_per = 86400

[[tenants]]
id = "bruxelles"
prepaid = true
provider = { kind = "vonage", api_key = "a1b2c3d4", api_secret = "s", signature_secret = "ss", signature_method = "sha256" }

[[tenants.numbers]]
number = "+3225550101"
reply = "Non."
price_per_segment = "0.07"

[[tenants]]
id = "montreal"
provider = { kind = "plivo", auth_id = "MA2025RK4E639VJFZAGV", auth_token = "p" }

[[tenants.numbers]]
number = "+15145550101"
reply = "Non."
price_per_segment = "0.01"
allowed_countries = ["*"]

[[tenants]]
id = "lyon"
provider = { kind = "ovh", application_key = "k1", application_secret = "as", consumer_key = "ck", service_name = "sms-ab12345-1", poll_interval = "5s" }

[[tenants.numbers]]
number = "+33938000001"
reply = "Non."
price_per_segment = "0.07"
"#;

/// The variables the seed's `{ env = "..." }` secrets read.
const ENV: [(&str, &str); 3] = [
    ("FUZZ_SENDER_KEY", "a-fuzz-sender-key-0123456789-abcdefghij"),
    ("FUZZ_OPERATOR_TOKEN", "a-fuzz-operator-token-0123456789"),
    ("FUZZ_TWILIO_TOKEN", "twilio-token"),
];

/// Key names the mutations pick from: the schema's, and some near misses.
const KEYS: &[&str] = &[
    "server",
    "ledger",
    "privacy",
    "log",
    "tenants",
    "numbers",
    "provider",
    "shield",
    "listen",
    "public_url",
    "admin_listen",
    "metrics_listen",
    "decision_timeout_ms",
    "request_timeout_ms",
    "mailbox_capacity",
    "max_connections",
    "max_connections_per_ip",
    "operator_token",
    "console_session_ttl",
    "backend",
    "path",
    "redis_url",
    "key_prefix",
    "currency",
    "timezone",
    "monthly_cap",
    "sender_key",
    "sealing_key",
    "format",
    "level",
    "id",
    "prepaid",
    "blocklist",
    "admin_token",
    "alert_webhook",
    "kind",
    "account_sid",
    "auth_token",
    "api_base",
    "api_key",
    "api_secret",
    "signature_secret",
    "signature_method",
    "auth_id",
    "endpoint",
    "application_key",
    "application_secret",
    "consumer_key",
    "service_name",
    "poll_interval",
    "number",
    "paused",
    "reply",
    "price_per_segment",
    "inbound_price",
    "daily_cap",
    "reply_once_per",
    "max_replies_per_minute",
    "allowed_countries",
    "trigger_per_minute",
    "new_senders_per_minute",
    "hold",
    "trickle_per_hour",
    "defer_for",
    "env",
    "file",
    "",
    "0",
    "tenants[0]",
    "a.b",
    "ÿ",
    "KIND",
];

/// Strings near the edges of what readers accept.
const STRINGS: &[&str] = &[
    "",
    " ",
    "*",
    "0",
    "-1",
    "0.08",
    "1e3",
    "0.0000001",
    "9223372036854775807",
    "92233720368547.758071",
    "99999999999999999999999999999999999999999",
    "30d",
    "0s",
    "3650d",
    "3651d",
    "18446744073709551615s",
    "99999999999999999999w",
    "1h30m",
    "+33612345678",
    "+33937000001",
    "+1",
    "+000000000",
    "+",
    "FR",
    "fr",
    "France",
    "twilio",
    "vonage",
    "plivo",
    "ovh",
    "sinch",
    "redis",
    "embedded",
    "md5hash",
    "sha512",
    "ovh-eu",
    "sms-ab12345-1",
    "AC0123456789abcdef0123456789abcdef",
    "MA2025RK4E639VJFZAGV",
    "http://",
    "https://x/",
    "redis://:pw@host",
    "redis://",
    "127.0.0.1:8080",
    "[::]:0",
    "0.0.0.0:65536",
    "Europe/Paris",
    "Mars/Olympus",
    "EUR",
    "ôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôôô",
    "🚨🚨🚨",
    "\u{0}",
    "\u{202e}",
    "\u{fffd}",
    "e\u{301}",
    "\r\n",
    "FUZZ_SENDER_KEY",
    "/nonexistent/secret",
];

/// A configuration value, shaped like TOML's.
fn value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        prop::sample::select(STRINGS).prop_map(|s| toml::Value::String(s.to_owned())),
        "\\PC{0,24}".prop_map(toml::Value::String),
        any::<i64>().prop_map(toml::Value::Integer),
        prop::sample::select(&[0i64, 1, -1, i64::MAX, i64::MIN, u32::MAX as i64, 86_400_001][..])
            .prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|entries| toml::Value::Table(entries.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => "\\PC{0,12}"]
}

/// One change to the tree, at the node `path` leads to (each step picks a
/// child by index, modulo the children there are).
#[derive(Clone, Debug)]
enum Mutation {
    Set(Vec<usize>, toml::Value),
    Insert(Vec<usize>, String, toml::Value),
    Remove(Vec<usize>),
    Rename(Vec<usize>, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let path = prop::collection::vec(any::<usize>(), 0..5);
    prop_oneof![
        3 => (path.clone(), value()).prop_map(|(p, v)| Mutation::Set(p, v)),
        2 => (path.clone(), key(), value()).prop_map(|(p, k, v)| Mutation::Insert(p, k, v)),
        2 => path.clone().prop_map(Mutation::Remove),
        1 => (path, key()).prop_map(|(p, k)| Mutation::Rename(p, k)),
    ]
}

/// The children of a table or array.
fn children(value: &mut toml::Value) -> Vec<&mut toml::Value> {
    match value {
        toml::Value::Table(table) => table.iter_mut().map(|(_, v)| v).collect(),
        toml::Value::Array(items) => items.iter_mut().collect(),
        _ => Vec::new(),
    }
}

/// The table or array at `path`, and the index of the entry the last step names.
fn walk<'v>(root: &'v mut toml::Value, path: &[usize]) -> (&'v mut toml::Value, Option<usize>) {
    let Some((last, steps)) = path.split_last() else { return (root, None) };
    let mut node = root;
    for step in steps {
        let count = children(node).len();
        if count == 0 {
            return (node, Some(*last));
        }
        let index = step % count;
        let is_container = matches!(children(node)[index], toml::Value::Table(_) | toml::Value::Array(_));
        if !is_container {
            break;
        }
        node = children(node).into_iter().nth(index).unwrap_or_else(|| unreachable!("index is in range"));
    }
    (node, Some(*last))
}

fn apply(root: &mut toml::Value, mutation: &Mutation) {
    match mutation {
        Mutation::Set(path, value) => {
            let (node, last) = walk(root, path);
            let mut slots = children(node);
            if let (Some(last), false) = (last, slots.is_empty()) {
                let count = slots.len();
                *slots[last % count] = value.clone();
            }
        }
        Mutation::Insert(path, key, value) => match walk(root, path).0 {
            toml::Value::Table(table) => {
                table.insert(key.clone(), value.clone());
            }
            toml::Value::Array(items) => items.push(value.clone()),
            _ => {}
        },
        Mutation::Remove(path) => match walk(root, path) {
            (toml::Value::Table(table), Some(last)) if !table.is_empty() => {
                let key = table.keys().nth(last % table.len()).cloned().unwrap_or_default();
                table.remove(&key);
            }
            (toml::Value::Array(items), Some(last)) if !items.is_empty() => {
                let count = items.len();
                items.remove(last % count);
            }
            _ => {}
        },
        Mutation::Rename(path, new_key) => {
            if let (toml::Value::Table(table), Some(last)) = walk(root, path) {
                if let Some(key) = table.keys().nth(last % table.len().max(1)).cloned() {
                    if let Some(value) = table.remove(&key) {
                        table.insert(new_key.clone(), value);
                    }
                }
            }
        }
    }
}

/// An `ANTIRELOU__...` override: key names, list indexes, and a value.
fn override_var() -> impl Strategy<Value = (String, String)> {
    let segment = prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(|k| k.to_ascii_uppercase()),
        2 => prop::sample::select(&["0", "1", "2", "999", "1000", "00"][..]).prop_map(str::to_owned),
        1 => "[A-Za-z0-9_-]{0,6}",
    ];
    let value = prop_oneof![prop::sample::select(STRINGS).prop_map(str::to_owned), "\\PC{0,16}"];
    (prop::collection::vec(segment, 1..6), value)
        .prop_map(|(segments, value)| (format!("ANTIRELOU__{}", segments.join("__")), value))
}

/// A TOML input with its environment, as saved in the corpus.
#[derive(Clone, Debug)]
struct SettingsInput {
    toml: String,
    env: Vec<(String, String)>,
}

fn settings_input() -> impl Strategy<Value = SettingsInput> {
    let seed: toml::Value = toml::from_str(VALID).unwrap_or_else(|e| panic!("the seed is not TOML: {e}"));
    let cut = prop::option::weighted(0.15, (any::<usize>(), "\\PC{0,8}"));
    (prop::collection::vec(mutation(), 0..8), prop::collection::vec(override_var(), 0..4), cut).prop_map(
        move |(mutations, overrides, cut)| {
            let mut tree = seed.clone();
            for mutation in &mutations {
                apply(&mut tree, mutation);
            }
            let mut toml = toml::to_string(&tree).unwrap_or_else(|_| VALID.to_owned());
            if let Some((at, splice)) = cut {
                let mut at = at % (toml.len() + 1);
                while !toml.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + 16).min(toml.len());
                while !toml.is_char_boundary(end) {
                    end += 1;
                }
                toml.replace_range(at..end, "");
                toml.insert_str(at, &splice);
            }
            let env = ENV.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).chain(overrides).collect();
            SettingsInput { toml, env }
        },
    )
}

/// A JSON patch around the patchable keys.
fn patch_input() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(STRINGS).prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
    ];
    let json = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4).prop_map(|e| Value::Object(e.into_iter().collect())),
        ]
    });
    let patch_key = prop::sample::select(
        &["reply", "daily_cap", "max_replies_per_minute", "allowed_countries", "shield", "paused", ""][..],
    );
    let shield_key = prop::sample::select(
        &["trigger_per_minute", "new_senders_per_minute", "hold", "trickle_per_hour", "defer_for"][..],
    );
    (prop::collection::vec((patch_key, json.clone()), 0..5), prop::collection::vec((shield_key, json.clone()), 0..4))
        .prop_map(|(keys, shield)| {
            let mut object: serde_json::Map<String, Value> = keys.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            if !shield.is_empty() {
                object.insert(
                    "shield".to_owned(),
                    Value::Object(shield.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
                );
            }
            Value::Object(object)
        })
}

/// Loads one input, and uses the result as a caller would.
fn load_settings(input: &SettingsInput) {
    if let Ok(settings) = Settings::from_toml_str_with_env(&input.toml, input.env.clone()) {
        let _ = format!("{settings:?}");
        for (_, number) in settings.numbers() {
            let _ = number.with_patch(&NumberPatch::default()).reply_cost;
        }
        for warning in &settings.warnings {
            let _ = warning.to_string();
        }
    }
}

/// Reads one patch; an accepted one must survive its stored form and apply.
fn read_patch(value: &Value) -> Result<(), String> {
    let Ok(patch) = NumberPatch::from_json(value) else { return Ok(()) };
    let stored = serde_json::to_string(&patch).map_err(|e| e.to_string())?;
    let again: NumberPatch = serde_json::from_str(&stored).map_err(|e| format!("stored {stored}: {e}"))?;
    if again != patch {
        return Err(format!("{stored} read back as {again:?}, not {patch:?}"));
    }
    let number = base_number();
    let patched = number.with_patch(&patch);
    if patched.reply_cost != patched.price_per_segment.checked_mul(patched.reply_segments.segments).unwrap_or_default()
    {
        return Err(format!("the cost of {patch:?} was not recomputed"));
    }
    Ok(())
}

fn base_number() -> antirelou_settings::NumberSettings {
    let env: Vec<(&str, &str)> = ENV.to_vec();
    let settings = Settings::from_toml_str_with_env(VALID, env).unwrap_or_else(|e| panic!("the seed is invalid:\n{e}"));
    settings.tenants[0].numbers[0].clone()
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz-corpus/settings")
}

/// Saves a failing input under the corpus, named by its content.
fn save(case: &Value) -> PathBuf {
    let text = serde_json::to_string_pretty(case).unwrap_or_default();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    let target = case["target"].as_str().unwrap_or("unknown");
    let path = corpus().join(format!("{target}-{:016x}.json", hasher.finish()));
    let _ = std::fs::create_dir_all(corpus());
    let _ = std::fs::write(&path, text + "\n");
    path
}

fn settings_case(input: &SettingsInput) -> Value {
    json!({"target": "settings", "toml": input.toml, "env": input.env})
}

fn patch_case(patch: &Value) -> Value {
    json!({"target": "patch", "patch": patch})
}

fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("ANTIRELOU_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 4_096, ..Config::default() })
}

/// Runs `check` on each generated input; a failure is shrunk, saved and reported.
fn fuzz<S, F>(strategy: S, cases: u32, as_case: impl Fn(&S::Value) -> Value, check: F)
where
    S: Strategy,
    F: Fn(&S::Value) -> Result<(), String>,
{
    let result = runner(cases).run(&strategy, |input| match catch_unwind(AssertUnwindSafe(|| check(&input))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(TestCaseError::fail(reason)),
        Err(_) => Err(TestCaseError::fail("panicked")),
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, input)) => {
            let path = save(&as_case(&input));
            panic!("{reason} on an input saved as {}:\n{input:?}", path.display());
        }
        Err(TestError::Abort(reason)) => panic!("fuzzing aborted: {reason}"),
    }
}

#[test]
fn mutated_configurations_load_or_list_problems_without_panicking() {
    fuzz(settings_input(), 400, settings_case, |input| {
        load_settings(input);
        Ok(())
    });
}

#[test]
fn generated_patches_are_read_or_refused_and_accepted_ones_round_trip() {
    fuzz(patch_input(), 400, patch_case, read_patch);
}

#[test]
fn the_seed_loads_so_mutations_start_from_a_valid_tree() {
    let settings = Settings::from_toml_str_with_env(VALID, ENV).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.tenants.len(), 4);
    assert_eq!(settings.warnings.len(), 1, "the French mobile number warns");
}

#[test]
fn every_saved_input_loads_without_panicking() {
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
        let outcome = catch_unwind(AssertUnwindSafe(|| match case["target"].as_str() {
            Some("settings") => {
                let env = case["env"].as_array().map_or_else(Vec::new, |pairs| {
                    pairs
                        .iter()
                        .filter_map(|pair| Some((pair[0].as_str()?.to_owned(), pair[1].as_str()?.to_owned())))
                        .collect()
                });
                let toml = case["toml"].as_str().unwrap_or_default().to_owned();
                load_settings(&SettingsInput { toml, env });
                Ok(())
            }
            Some("patch") => read_patch(&case["patch"]),
            other => Err(format!("unknown target {other:?}")),
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => failures.push(format!("{}: {reason}", file.display())),
            Err(_) => failures.push(format!("{}: panicked", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
