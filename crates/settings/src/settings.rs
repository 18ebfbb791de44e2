//! [`Settings`]: the validated tree, and how it is loaded: a TOML file (or
//! string), then `ANTIRELOU__SECTION__KEY` environment overrides, then
//! [`validate`], which reports every problem at once.

use std::path::Path;

use antirelou_domain::{PhoneNumber, SenderHasher};
use config::{Config, ConfigError, File, FileFormat};

use crate::check::Check;
use crate::env::{Env, EnvOverrides};
use crate::error::{Problem, SettingsError};
use crate::ledger::{self, LedgerSettings, PrivacySettings};
use crate::number::NumberSettings;
use crate::raw::RawSettings;
use crate::server::{self, LogSettings, ServerSettings};
use crate::tenant::{self, TenantSettings};

/// Everything a deployment is configured with, validated and typed.
#[derive(Clone, Debug)]
pub struct Settings {
    pub server: ServerSettings,
    pub ledger: LedgerSettings,
    pub privacy: PrivacySettings,
    pub log: LogSettings,
    pub tenants: Vec<TenantSettings>,
}

impl Settings {
    /// Reads `path`, applies the process's `ANTIRELOU__` overrides, validates.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        load(path, &Env::from_process())
    }

    /// Parses TOML text, applies the process's `ANTIRELOU__` overrides, validates.
    pub fn from_toml_str(text: &str) -> Result<Settings, SettingsError> {
        from_toml(text, None, &Env::from_process())
    }

    /// Like [`Settings::load`], with an explicit environment (overrides and
    /// `{ env = "NAME" }` secrets) instead of the process's: for tests, which
    /// then need not touch the shared process environment.
    pub fn load_with_env<I, K, V>(path: &Path, env: I) -> Result<Settings, SettingsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        load(path, &Env::from_pairs(env))
    }

    /// Like [`Settings::from_toml_str`], with an explicit environment.
    pub fn from_toml_str_with_env<I, K, V>(text: &str, env: I) -> Result<Settings, SettingsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        from_toml(text, None, &Env::from_pairs(env))
    }

    /// How many numbers all tenants have.
    pub fn number_count(&self) -> usize {
        self.tenants.iter().map(|t| t.numbers.len()).sum()
    }

    /// Every number with its tenant, in configuration order.
    pub fn numbers(&self) -> impl Iterator<Item = (&TenantSettings, &NumberSettings)> {
        self.tenants.iter().flat_map(|t| t.numbers.iter().map(move |n| (t, n)))
    }

    /// The tenant and settings of one of our numbers.
    pub fn find_number(&self, number: &PhoneNumber) -> Option<(&TenantSettings, &NumberSettings)> {
        self.numbers().find(|(_, n)| n.number == *number)
    }

    /// The tenant with this id.
    pub fn tenant(&self, id: &str) -> Option<&TenantSettings> {
        self.tenants.iter().find(|t| t.id == id)
    }
}

fn load(path: &Path, env: &Env) -> Result<Settings, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read { path: path.to_owned(), source })?;
    from_toml(&text, Some(path), env)
}

fn from_toml(text: &str, path: Option<&Path>, env: &Env) -> Result<Settings, SettingsError> {
    let (overrides, env_problems) = env.overrides();
    let config = Config::builder()
        .add_source(File::from_str(text, FileFormat::Toml))
        .add_source(EnvOverrides(overrides))
        .build()
        .map_err(|e| match path {
            Some(path) => SettingsError::Parse(format!("{}: {e}", path.display())),
            None => SettingsError::Parse(e.to_string()),
        })?;
    let raw: RawSettings = match config.try_deserialize() {
        Ok(raw) => raw,
        Err(error) => {
            return Err(match shape_error(error) {
                SettingsError::Invalid(mut problems) => {
                    problems.extend(env_problems);
                    SettingsError::Invalid(problems)
                }
                other => other,
            })
        }
    };
    match validate(raw, env) {
        Ok(settings) if env_problems.is_empty() => Ok(settings),
        Ok(_) => Err(SettingsError::Invalid(env_problems)),
        Err(mut problems) => {
            problems.extend(env_problems);
            Err(SettingsError::Invalid(problems))
        }
    }
}

/// Turns the typed tree out of the raw one, or lists every problem.
pub(crate) fn validate(raw: RawSettings, env: &Env) -> Result<Settings, Vec<Problem>> {
    let mut check = Check::new(env);
    check.unknown_keys("", &raw.unknown, RawSettings::KEYS);
    let server = server::server(&mut check, raw.server);
    let ledger = ledger::ledger(&mut check, raw.ledger);
    let privacy = ledger::privacy(&mut check, raw.privacy);
    let log = server::log(&mut check, raw.log);
    // Without a valid key the blocklist is still checked (hashes are discarded).
    let hasher = privacy.as_ref().map_or_else(|| SenderHasher::new(b"unused"), |p| p.hasher.clone());
    let tenants = tenant::tenants(&mut check, raw.tenants, &hasher);
    let problems = check.into_problems();
    match (server, ledger, privacy, log, tenants) {
        (Some(server), Some(ledger), Some(privacy), Some(log), Some(tenants)) if problems.is_empty() => {
            Ok(Settings { server, ledger, privacy, log, tenants })
        }
        // Every `None` above recorded its problem; the fallback only guards
        // against a validator that forgot to.
        _ if problems.is_empty() => Err(vec![Problem::new("", "invalid configuration")]),
        _ => Err(problems),
    }
}

/// A value whose shape the raw tree cannot hold at all (a table where a
/// list belongs, ...): one problem at the key `config` names.
fn shape_error(error: ConfigError) -> SettingsError {
    let (key, reason) = match error {
        ConfigError::Type { unexpected, expected, key, .. } => {
            (key.unwrap_or_default(), format!("invalid type: {unexpected}, expected {expected}"))
        }
        ConfigError::At { error, key, .. } => (key.unwrap_or_default(), error.to_string()),
        ConfigError::NotFound(key) => (key, "required".to_owned()),
        other => return SettingsError::Parse(other.to_string()),
    };
    let reason = if reason.contains("unit value") {
        "missing: an environment override names a list index past the end of the list".to_owned()
    } else {
        reason
    };
    SettingsError::Invalid(vec![Problem::new(dotted(&key), reason)])
}

/// `config` writes `tenants[0]provider`; we write `tenants[0].provider`.
pub(crate) fn dotted(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut after_index = false;
    for c in key.chars() {
        if after_index && c != '[' && c != '.' {
            out.push('.');
        }
        after_index = c == ']';
        out.push(c);
    }
    out
}
