//! Hardening, second pass (issue 20): what one signature secret, one
//! captured webhook or one tenant token could still do, each replayed
//! against the built `antirelou serve` through real HTTP, on a real SQLite
//! file and, where the ledger is involved, a real `redis-server`.
//!
//! One module per finding (1 `vonage_parts`, 2 `replays`, 3 `audit`,
//! 4 `tokens`, 5 `downloads`, 6 and 7 `money_pages`, 8 `opt_out`,
//! 9 `sessions`); [`deployment`] writes the configuration they
//! share. Start with `vonage_parts.rs`.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod downloads;
mod money_pages;
mod opt_out;
mod replays;
mod sessions;
mod tokens;
mod vonage_parts;

use std::path::Path;

pub const PUBLIC_URL: &str = "https://sms.example.org";
pub const OPERATOR_TOKEN: &str = "operator-Xk29fPq7Lm3vB8";
pub const PARIS_NUMBER: &str = "+33612345678";
pub const PARIS_SID: &str = "AC11111111111111111111111111111111";
pub const PARIS_TWILIO_TOKEN: &str = "hardening-paris-twilio-token";
pub const PARIS_TOKEN: &str = "paris-admin-Qw83nZr5Tj1c";
pub const LYON_NUMBER: &str = "+33939000001";
pub const LYON_TOKEN: &str = "lyon-admin-Hd72kLs9Wq4m";
pub const VONAGE_KEY: &str = "vonagekey1";
pub const VONAGE_SIGNATURE_SECRET: &str = "vonage-signature-secret-of-lyon";
pub const PARIS: common::Account<'static> =
    common::Account { sid: PARIS_SID, token: PARIS_TWILIO_TOKEN, public_url: PUBLIC_URL };

/// Where the ledger lives: a SQLite file in the test's directory, or a Redis.
pub enum Backend<'a> {
    Sqlite,
    Redis { url: &'a str, prefix: &'a str },
}

/// Writes `antirelou.toml` in `dir`: tenant `paris` (Twilio, one number),
/// tenant `lyon` (Vonage, one number), both with an admin token,
/// and the operator token. `server_extra` goes in `[server]`,
/// `number_extra` on paris's number. Returns the file's path.
pub fn deployment(dir: &Path, backend: Backend<'_>, server_extra: &str, number_extra: &str) -> String {
    let ledger = match backend {
        Backend::Sqlite => format!("backend = \"embedded\"\npath = \"{}\"", dir.join("ledger.sqlite3").display()),
        Backend::Redis { url, prefix } => {
            format!("backend = \"redis\"\nredis_url = \"{url}\"\nkey_prefix = \"{prefix}\"")
        }
    };
    let text = format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"
operator_token = "{OPERATOR_TOKEN}"
{server_extra}

[ledger]
{ledger}

[privacy]
sender_key = "hardening-test-sender-key-0123456789"
sealing_key = "hardening-test-sealing-key-0123456789"

[[tenants]]
id = "paris"
admin_token = "{PARIS_TOKEN}"
provider = {{ kind = "twilio", account_sid = "{PARIS_SID}", auth_token = "{PARIS_TWILIO_TOKEN}" }}

[[tenants.numbers]]
number = "{PARIS_NUMBER}"
reply = "Non, c'est non. Merci de la laisser tranquille."
price_per_segment = "0.08"
{number_extra}

[[tenants]]
id = "lyon"
admin_token = "{LYON_TOKEN}"
provider = {{ kind = "vonage", api_key = "{VONAGE_KEY}", api_secret = "vonage-api-secret-of-lyon", signature_secret = "{VONAGE_SIGNATURE_SECRET}", signature_method = "sha256", api_base = "http://127.0.0.1:9" }}

[[tenants.numbers]]
number = "{LYON_NUMBER}"
reply = "Non, c'est non."
price_per_segment = "0.07"
"#
    );
    let path = dir.join("antirelou.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(20)).build().unwrap()
}
