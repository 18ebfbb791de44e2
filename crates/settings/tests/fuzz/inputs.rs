//! What the fuzz test feeds the loaders: a valid seed configuration, the
//! mutations that grow inputs from it, environment overrides, and patches.

use proptest::prelude::*;
use serde_json::Value;

/// A configuration that loads, with every table and provider kind: the seed
/// every mutated input grows from.
pub const VALID: &str = r#"
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
pub const ENV: [(&str, &str); 3] = [
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
pub struct SettingsInput {
    pub toml: String,
    pub env: Vec<(String, String)>,
}

pub fn settings_input() -> impl Strategy<Value = SettingsInput> {
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
pub fn patch_input() -> impl Strategy<Value = Value> {
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
