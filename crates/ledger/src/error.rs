//! Ledger errors. Any of them means "no reply" for the message at hand (fail closed).

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("sqlite ledger: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("redis ledger: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("ledger did not answer within {0:?}")]
    Timeout(Duration),
    #[error("ledger worker failed: {0}")]
    Worker(String),
    #[error("ledger refused the configuration: {0}")]
    Refused(String),
    #[error("ledger data is inconsistent: {0}")]
    Corrupt(String),
    #[error("no Redis master: {0}")]
    NoMaster(String),
}
