//! Loading settings and opening the ledger, shared by every command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use antirelou_ledger::redis::{RedisTarget, ReplicaAcks, SentinelTarget};
use antirelou_ledger::{Ledger, LedgerError, RedisLedger, SqliteLedger};
use antirelou_settings::{LedgerBackend, ProviderSettings, Settings};

use crate::EXIT_BAD_CONFIG;

/// Where the demo keeps its ledger when no configuration is given.
pub const DEMO_DATA_DIR: &str = "data";

/// A refusal that must exit with status 2, with its message already printed.
pub struct BadConfig;

impl From<BadConfig> for ExitCode {
    fn from(_: BadConfig) -> ExitCode {
        ExitCode::from(EXIT_BAD_CONFIG)
    }
}

/// Why the ledger could not be opened, with the message already printed.
pub enum LedgerUnusable {
    /// The configuration asks for something unsafe or impossible: exit 2.
    BadConfig,
    /// The ledger is unreachable right now (e.g. Redis down): exit 1, a restart may succeed.
    Unreachable,
}

impl From<LedgerUnusable> for ExitCode {
    fn from(reason: LedgerUnusable) -> ExitCode {
        match reason {
            LedgerUnusable::BadConfig => ExitCode::from(EXIT_BAD_CONFIG),
            LedgerUnusable::Unreachable => ExitCode::FAILURE,
        }
    }
}

/// What `serve` changes in the settings it reads, at start and at every
/// reload alike: the command line's `--listen`, and the demo's provider
/// API (the built-in stand-in, never the real Twilio).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--listen`: replaces `server.listen`.
    pub listen: Option<String>,
    /// The demo tenant's `api_base`: where its replies that are not inline go.
    pub demo_api_base: Option<String>,
}

impl Overrides {
    fn apply(&self, mut settings: Settings) -> Settings {
        if let Some(listen) = &self.listen {
            settings.server.listen.clone_from(listen);
        }
        if let Some(base) = &self.demo_api_base {
            for tenant in &mut settings.tenants {
                if let ProviderSettings::Twilio { api_base, .. } = &mut tenant.provider {
                    api_base.clone_from(base);
                }
            }
        }
        settings
    }
}

/// Loads `path` (or the demo), printing every problem on failure.
pub fn load(path: Option<&Path>) -> Result<Settings, BadConfig> {
    load_with(path, &Overrides::default())
}

/// [`load`] with `overrides` applied.
pub fn load_with(path: Option<&Path>, overrides: &Overrides) -> Result<Settings, BadConfig> {
    read(path, overrides).map_err(|error| {
        let source = path.map_or_else(|| "the built-in demo".to_owned(), |p| p.display().to_string());
        eprintln!("error: invalid configuration in {source}:\n{error}");
        BadConfig
    })
}

fn read(path: Option<&Path>, overrides: &Overrides) -> Result<Settings, antirelou_settings::SettingsError> {
    let settings = match path {
        Some(path) => Settings::load(path)?,
        None => Settings::demo_with_env(&PathBuf::from(DEMO_DATA_DIR))?,
    };
    Ok(overrides.apply(settings))
}

/// What `POST /v1/reload` and `SIGHUP` read: the same file (or the demo),
/// the process environment and the same overrides as at start, validated
/// as `check-config` does.
pub fn source(path: Option<PathBuf>, overrides: Overrides) -> antirelou_web::reload::ConfigSource {
    Arc::new(move || read(path.as_deref(), &overrides))
}

/// Whether a command may create the embedded ledger file when it is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    /// `serve`: the configured path is where the ledger begins.
    Yes,
    /// `ledger ...`: reading or crediting a ledger that is not there would
    /// only show zeros, or hide a credit where the server never looks.
    No,
}

/// Opens the configured ledger. An unusable ledger (unwritable path, a Redis
/// that may evict keys) is a configuration error.
pub async fn open_ledger(settings: &Settings, create: Create) -> Result<Arc<dyn Ledger>, LedgerUnusable> {
    match &settings.ledger.backend {
        LedgerBackend::Embedded { path } if create == Create::No && !path.exists() => {
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            eprintln!("error: no ledger at {} (ledger.path): nothing was created.", shown.display());
            Err(LedgerUnusable::BadConfig)
        }
        LedgerBackend::Embedded { path } => match SqliteLedger::open(path) {
            Ok(ledger) => Ok(Arc::new(ledger)),
            Err(error) => {
                eprintln!("error: ledger.path: cannot open {}: {error}", path.display());
                Err(LedgerUnusable::BadConfig)
            }
        },
        LedgerBackend::Redis {
            url,
            sentinels,
            master_name,
            password,
            sentinel_password,
            replicas_to_ack,
            ack_timeout_ms,
            key_prefix,
            connect_timeout_ms,
            response_timeout_ms,
        } => {
            // Settings are valid: a URL, or Sentinels with a master name.
            let (target, key, acks_by_default) = match (url, master_name) {
                (Some(url), _) => (RedisTarget::Url(url.clone()), "ledger.redis_url", 0),
                (None, Some(master_name)) => (
                    RedisTarget::Sentinel(SentinelTarget {
                        sentinels: sentinels.clone(),
                        master_name: master_name.clone(),
                        password: password.as_ref().map(|p| p.expose().to_owned()),
                        sentinel_password: sentinel_password.as_ref().map(|p| p.expose().to_owned()),
                    }),
                    "ledger.redis_sentinels",
                    1,
                ),
                (None, None) => {
                    eprintln!("error: ledger.redis_url: required (or redis_sentinels with redis_master_name)");
                    return Err(LedgerUnusable::BadConfig);
                }
            };
            let acks = ReplicaAcks {
                replicas: replicas_to_ack.unwrap_or(acks_by_default),
                timeout: Duration::from_millis(*ack_timeout_ms),
            };
            let connected = RedisLedger::open(
                target,
                key_prefix,
                Duration::from_millis(*connect_timeout_ms),
                Duration::from_millis(*response_timeout_ms),
                acks,
            )
            .await;
            match connected {
                Ok(ledger) => Ok(Arc::new(ledger)),
                Err(LedgerError::Refused(reason)) => {
                    eprintln!("error: {key}: {reason}");
                    Err(LedgerUnusable::BadConfig)
                }
                Err(error) => {
                    eprintln!("error: {key}: Redis is unreachable: {error}");
                    Err(LedgerUnusable::Unreachable)
                }
            }
        }
    }
}
