//! Loading settings and opening the ledger, shared by every command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use antirelou_ledger::{Ledger, LedgerError, RedisLedger, SqliteLedger};
use antirelou_settings::{LedgerBackend, Settings};

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

/// Loads `path` (or the demo), printing every problem on failure.
pub fn load(path: Option<&Path>) -> Result<Settings, BadConfig> {
    let loaded = match path {
        Some(path) => Settings::load(path),
        None => Settings::demo_with_env(&PathBuf::from(DEMO_DATA_DIR)),
    };
    loaded.map_err(|error| {
        let source = path.map_or_else(|| "the built-in demo".to_owned(), |p| p.display().to_string());
        eprintln!("error: invalid configuration in {source}:\n{error}");
        BadConfig
    })
}

/// What `POST /v1/reload` and `SIGHUP` read: the same file (or the demo)
/// and the process environment as at start, validated as `check-config` does.
pub fn source(path: Option<PathBuf>) -> antirelou_web::reload::ConfigSource {
    Arc::new(move || match &path {
        Some(path) => Settings::load(path),
        None => Settings::demo_with_env(&PathBuf::from(DEMO_DATA_DIR)),
    })
}

/// Opens the configured ledger. An unusable ledger (unwritable path, a Redis
/// that may evict keys) is a configuration error.
pub async fn open_ledger(settings: &Settings) -> Result<Arc<dyn Ledger>, LedgerUnusable> {
    match &settings.ledger.backend {
        LedgerBackend::Embedded { path } => match SqliteLedger::open(path) {
            Ok(ledger) => Ok(Arc::new(ledger)),
            Err(error) => {
                eprintln!("error: ledger.path: cannot open {}: {error}", path.display());
                Err(LedgerUnusable::BadConfig)
            }
        },
        LedgerBackend::Redis { url, key_prefix, connect_timeout_ms, response_timeout_ms } => {
            let connected = RedisLedger::connect(
                url,
                key_prefix,
                Duration::from_millis(*connect_timeout_ms),
                Duration::from_millis(*response_timeout_ms),
            )
            .await;
            match connected {
                Ok(ledger) => Ok(Arc::new(ledger)),
                Err(LedgerError::Refused(reason)) => {
                    eprintln!("error: ledger.redis_url: {reason}");
                    Err(LedgerUnusable::BadConfig)
                }
                Err(error) => {
                    eprintln!("error: ledger.redis_url: Redis is unreachable: {error}");
                    Err(LedgerUnusable::Unreachable)
                }
            }
        }
    }
}
