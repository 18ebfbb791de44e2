//! Loading settings and opening the ledger, shared by every command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use antirelou_ledger::{Ledger, SqliteLedger};
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

/// Opens the configured ledger. An unusable ledger (unwritable path, a Redis
/// that may evict keys) is a configuration error.
pub async fn open_ledger(settings: &Settings) -> Result<Arc<dyn Ledger>, BadConfig> {
    match &settings.ledger.backend {
        LedgerBackend::Embedded { path } => match SqliteLedger::open(path) {
            Ok(ledger) => Ok(Arc::new(ledger)),
            Err(error) => {
                eprintln!("error: ledger.path: cannot open {}: {error}", path.display());
                Err(BadConfig)
            }
        },
        LedgerBackend::Redis { .. } => {
            eprintln!("error: ledger.backend: the redis backend is not available in this build");
            Err(BadConfig)
        }
    }
}
