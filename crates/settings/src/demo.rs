//! The built-in demo configuration of `antirelou serve` without `--config`:
//! one tenant, one number, a demo Twilio account, an embedded ledger.

use std::path::Path;

use crate::check::Origin;
use crate::env::Env;
use crate::error::SettingsError;
use crate::settings::{from_toml, Settings};

/// The demo's `privacy.sender_key`: public, so refused in any other configuration.
macro_rules! demo_sender_key {
    () => {
        "antirelou-PUBLIC-demo-sender-key-known-to-everyone-never-use-it"
    };
}

/// The demo's `privacy.sealing_key`: public, so refused in any other configuration.
macro_rules! demo_sealing_key {
    () => {
        "antirelou-PUBLIC-demo-sealing-key-known-to-everyone-never-use-it"
    };
}

/// The demo tenant's `admin_token` (console sign-in, `/v1` API): public, so refused in any other configuration.
macro_rules! demo_admin_token {
    () => {
        "antirelou-PUBLIC-demo-admin-token"
    };
}

/// The demo tenant's `admin_token`.
pub const DEMO_ADMIN_TOKEN: &str = demo_admin_token!();
/// The demo's `privacy.sender_key`.
pub const DEMO_SENDER_KEY: &str = demo_sender_key!();
/// The demo's `privacy.sealing_key`.
pub const DEMO_SEALING_KEY: &str = demo_sealing_key!();

/// Stands for the ledger file path in [`DEMO_TOML`]; [`demo_toml`] replaces it.
pub const DEMO_LEDGER_PATH_PLACEHOLDER: &str = "\"@DATA_DIR@/ledger.sqlite3\"";

/// The demo configuration, with [`DEMO_LEDGER_PATH_PLACEHOLDER`] for the ledger path.
pub const DEMO_TOML: &str = concat!(
    r#"# antirelou built-in demo: try it with `antirelou send`.
[server]
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"

[ledger]
backend = "embedded"
path = "@DATA_DIR@/ledger.sqlite3"
currency = "EUR"
timezone = "Europe/Paris"

[privacy]
# Public keys, refused outside the demo: generate your own with `openssl rand -base64 32`.
sender_key = ""#,
    demo_sender_key!(),
    r#""
sealing_key = ""#,
    demo_sealing_key!(),
    r#""

[[tenants]]
id = "demo"
monthly_cap = "50.00"
# Sign in to the console (/console/) with it; public, refused outside the demo.
admin_token = ""#,
    demo_admin_token!(),
    r#""
provider = { kind = "twilio", account_sid = "AC0123456789abcdef0123456789abcdef", auth_token = "demo-auth-token" }

[[tenants.numbers]]
number = "+33612345678"
reply = "Bonjour. Vous avez mis mal à l'aise la personne qui vous a donné ce numéro. Elle ne souhaite pas poursuivre. Non, c'est non. Merci de la laisser tranquille."
price_per_segment = "0.08"
daily_cap = "5.00"
"#
);

/// [`DEMO_TOML`] with its ledger at `data_dir/ledger.sqlite3`.
pub fn demo_toml(data_dir: &Path) -> String {
    let ledger_path = data_dir.join("ledger.sqlite3");
    let quoted = toml::Value::String(ledger_path.to_string_lossy().into_owned()).to_string();
    DEMO_TOML.replace(DEMO_LEDGER_PATH_PLACEHOLDER, &quoted)
}

impl Settings {
    /// The built-in demo, without environment overrides.
    pub fn demo(data_dir: &Path) -> Settings {
        // The demo text is fixed and the data dir only becomes a quoted TOML
        // string, so this only fails if DEMO_TOML itself is broken, which
        // `the_demo_validates` rules out.
        from_toml(&demo_toml(data_dir), None, &Env::default(), Origin::Demo)
            .unwrap_or_else(|e| panic!("the built-in demo configuration is invalid:\n{e}"))
    }

    /// The built-in demo with the process's `ANTIRELOU__` overrides applied
    /// (e.g. `ANTIRELOU__SERVER__LISTEN=0.0.0.0:8080` in a container).
    pub fn demo_with_env(data_dir: &Path) -> Result<Settings, SettingsError> {
        from_toml(&demo_toml(data_dir), None, &Env::from_process(), Origin::Demo)
    }
}

#[cfg(test)]
mod tests {
    use antirelou_domain::segments::Encoding;
    use antirelou_domain::Money;

    use super::*;
    use crate::{LedgerBackend, ProviderSettings};

    #[test]
    fn the_demo_validates() {
        let dir = Path::new("/tmp/antirelou demo \"quoted\"");
        let demo = Settings::demo(dir);
        assert_eq!(demo.number_count(), 1);
        let tenant = &demo.tenants[0];
        assert_eq!(tenant.id, "demo");
        assert_eq!(tenant.monthly_cap, Some(Money::parse("50.00").unwrap()));
        assert_eq!(tenant.admin_token.as_ref().map(|t| t.expose()), Some(DEMO_ADMIN_TOKEN));
        let ProviderSettings::Twilio { account_sid, auth_token, api_base } = &tenant.provider else {
            panic!("the demo is a Twilio tenant, got {:?}", tenant.provider);
        };
        assert_eq!(account_sid.len(), 34);
        assert_eq!(auth_token.expose(), "demo-auth-token");
        assert_eq!(api_base, "https://api.twilio.com");
        let number = &tenant.numbers[0];
        assert_eq!(number.number.as_str(), "+33612345678");
        assert_eq!(number.price_per_segment, Money::parse("0.08").unwrap());
        assert_eq!(number.daily_cap, Some(Money::parse("5.00").unwrap()));
        assert_eq!(demo.privacy.sender_key.expose(), DEMO_SENDER_KEY);
        assert_eq!(demo.privacy.sealing_key.expose(), DEMO_SEALING_KEY);
        assert_eq!(demo.server.listen, "127.0.0.1:8080");
        assert_eq!(demo.server.public_url, "http://127.0.0.1:8080");
        match &demo.ledger.backend {
            LedgerBackend::Embedded { path } => assert_eq!(path, &dir.join("ledger.sqlite3")),
            other => panic!("expected embedded, got {other:?}"),
        }
    }

    #[test]
    fn the_demo_reply_is_one_gsm7_segment() {
        let demo = Settings::demo(Path::new("data"));
        let number = &demo.tenants[0].numbers[0];
        assert_eq!((number.reply_segments.encoding, number.reply_segments.segments), (Encoding::Gsm7, 1));
        assert_eq!(number.reply_cost, Money::parse("0.08").unwrap());
    }

    #[test]
    fn the_demo_keys_are_refused_in_any_other_configuration() {
        let text = demo_toml(Path::new("data"));
        let error = Settings::from_toml_str_with_env(&text, std::iter::empty::<(String, String)>()).unwrap_err();
        let keys: Vec<&str> = error.problems().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["privacy.sender_key", "privacy.sealing_key", "tenants[0].admin_token"], "{error}");
        assert!(error.to_string().contains("openssl rand -base64 32"), "{error}");
    }

    #[test]
    fn the_demo_warns_that_its_number_is_a_french_mobile() {
        let demo = Settings::demo(Path::new("data"));
        let keys: Vec<&str> = demo.warnings.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["tenants[0].numbers[0].number"]);
    }
}
