//! [`Baselines`] on SQLite: one row per number; a write is one `UPDATE …
//! WHERE version = ?` (or an `INSERT OR IGNORE` for the first), so a write
//! based on a stale read changes nothing.

use antirelou_domain::micros;
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::SqliteLedger;
use crate::baselines::{check_baseline, Baselines, StoredBaseline, BASELINE_RETENTION_SECONDS};
use crate::LedgerError;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS baselines (
    number TEXT PRIMARY KEY, version INTEGER NOT NULL, bytes BLOB NOT NULL, expires_micros INTEGER NOT NULL)
    WITHOUT ROWID;
";

#[async_trait]
impl Baselines for SqliteLedger {
    async fn baseline(&self, number: &str) -> Result<Option<StoredBaseline>, LedgerError> {
        let number = number.to_owned();
        self.run(move |state| {
            let found = state
                .connection
                .prepare_cached("SELECT version, bytes FROM baselines WHERE number = ?1")?
                .query_row(params![number], |row| {
                    Ok(StoredBaseline { version: row.get::<_, i64>(0)? as u64, bytes: row.get(1)? })
                })
                .optional()?;
            Ok(found)
        })
        .await
    }

    async fn put_baseline(
        &self,
        number: &str,
        expected: u64,
        bytes: &[u8],
        now_micros: i64,
    ) -> Result<bool, LedgerError> {
        check_baseline(bytes)?;
        let (number, bytes) = (number.to_owned(), bytes.to_vec());
        let expires = micros::after_seconds(now_micros, BASELINE_RETENTION_SECONDS);
        let expected = i64::try_from(expected).unwrap_or(i64::MAX);
        self.run(move |state| {
            let written = if expected == 0 {
                state.connection.execute(
                    "INSERT OR IGNORE INTO baselines (number, version, bytes, expires_micros) VALUES (?1, 1, ?2, ?3)",
                    params![number, bytes, expires],
                )?
            } else {
                state.connection.execute(
                    "UPDATE baselines SET version = version + 1, bytes = ?2, expires_micros = ?3 \
                     WHERE number = ?1 AND version = ?4",
                    params![number, bytes, expires, expected],
                )?
            };
            Ok(written == 1)
        })
        .await
    }
}
