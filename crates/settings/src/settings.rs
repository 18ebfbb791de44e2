//! [`Settings`]: the validated tree, and how it is loaded: a TOML file (or
//! string), then `ANTIRELOU__SECTION__KEY` environment overrides, then the
//! declarations of each table, which report every problem at once.

use std::path::Path;

use antirelou_domain::PhoneNumber;
use config::{Config, File, FileFormat};

use crate::check::{Check, Origin};
use crate::env::{Env, EnvOverrides};
use crate::error::{Problem, SettingsError};
use crate::ledger::LedgerSettings;
use crate::node::Node;
use crate::number::NumberSettings;
use crate::privacy::PrivacySettings;
use crate::server::{LogSettings, ServerSettings};
use crate::table::Table;
use crate::tenant::TenantSettings;

section! {
    /// Everything a deployment is configured with, validated and typed.
    #[derive(Clone, Debug)]
    pub struct Settings in "" {
        server: ServerSettings = section(),
        ledger: LedgerSettings = section(),
        privacy: PrivacySettings = section(),
        log: LogSettings = section(),
        tenants: Vec<TenantSettings> = tables("at least one tenant is required (a [[tenants]] table)"),
    }
    derived {
        /// Values that are accepted but probably wrong (a French mobile number
        /// answering automatically, ...), in file order; the loader fills them
        /// once every table is read. `check-config` prints them and `serve`
        /// logs them at warn level.
        warnings: Vec<Problem> = Vec::new(),
    }
    check settings_rules;
}

/// The rules across tables.
fn settings_rules(settings: &Settings, _path: &str, check: &mut Check<'_>) {
    for (i, tenant) in settings.tenants.iter().enumerate() {
        crate::donations::check_currency(&format!("tenants[{i}]"), &settings.ledger.currency, &tenant.donations, check);
    }
}

impl Settings {
    /// Reads `path`, applies the process's `ANTIRELOU__` overrides, validates.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        load(path, &Env::from_process())
    }

    /// Parses TOML text, applies the process's `ANTIRELOU__` overrides, validates.
    pub fn from_toml_str(text: &str) -> Result<Settings, SettingsError> {
        from_toml(text, None, &Env::from_process(), Origin::File)
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
        from_toml(text, None, &Env::from_pairs(env), Origin::File)
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
    from_toml(&text, Some(path), env, Origin::File)
}

/// Parses `text`, applies the overrides of `env`, and reads every table.
pub(crate) fn from_toml(text: &str, path: Option<&Path>, env: &Env, origin: Origin) -> Result<Settings, SettingsError> {
    let (overrides, env_problems) = env.overrides();
    let parse_error = |e: config::ConfigError| match path {
        Some(path) => SettingsError::Parse(format!("{}: {e}", path.display())),
        None => SettingsError::Parse(e.to_string()),
    };
    let config = Config::builder()
        .add_source(File::from_str(text, FileFormat::Toml))
        .add_source(EnvOverrides(overrides))
        .build()
        .map_err(parse_error)?;
    let root: Node = config.try_deserialize().map_err(parse_error)?;
    let Node::Table(entries) = root else {
        return Err(SettingsError::Parse("the configuration is not a table of keys".to_owned()));
    };
    let mut check = Check::new(env, origin);
    let mut table = Table::open(&check, String::new(), "", entries);
    let settings = <Settings as crate::schema::Section>::read(&mut table, &mut check);
    table.finish(&mut check);
    let (mut problems, warnings) = check.finish();
    problems.extend(env_problems);
    match settings {
        Some(settings) if problems.is_empty() => Ok(Settings { warnings, ..settings }),
        // Every refused value recorded its problem; this only guards against
        // a reader that forgot to.
        _ if problems.is_empty() => Err(SettingsError::Invalid(vec![Problem::new("", "invalid configuration")])),
        _ => Err(SettingsError::Invalid(problems)),
    }
}

/// Every `(table, key)` the declarations read, nested tables and every
/// provider kind included: what `docs/configuration.md` documents and what
/// `antirelou check-config --list-keys` prints (the Helm chart's values
/// schema is checked against it).
pub fn declared_keys() -> Vec<(&'static str, &'static str)> {
    let env = Env::default();
    let mut check = Check::describing(&env);
    let mut table = Table::open(&check, String::new(), "", Default::default());
    let _ = <Settings as crate::schema::Section>::read(&mut table, &mut check);
    check.described()
}
