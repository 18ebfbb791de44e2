//! The runtime controls of the SQLite ledger (see [`crate::control`]): one
//! transaction per change writes the change, the next version and the
//! audit record.

use antirelou_domain::SenderKey;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::SqliteLedger;
use crate::control::{
    audit_full, blocklist_full, page_limit, session_changes, AuditNote, AuditPage, AuditRecord, Blocked, BlockedSender,
    ControlStore, NumberControl, SessionGeneration, SessionToken, MAX_BLOCKLIST, OPERATOR,
};
use crate::{LedgerError, LedgerEvent};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS control_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS number_controls (number TEXT PRIMARY KEY, paused INTEGER, overrides TEXT);
CREATE TABLE IF NOT EXISTS blocked_senders (
    tenant TEXT NOT NULL, sender BLOB NOT NULL, label TEXT NOT NULL, added_micros INTEGER NOT NULL,
    PRIMARY KEY (tenant, sender)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    version INTEGER PRIMARY KEY, tenant TEXT NOT NULL, note TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_tenant ON audit (tenant, version);
CREATE TABLE IF NOT EXISTS audit_counts (
    tenant TEXT NOT NULL, by_operator INTEGER NOT NULL, records INTEGER NOT NULL,
    PRIMARY KEY (tenant, by_operator)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revoked_sessions (id TEXT PRIMARY KEY, expires_micros INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_generations (
    who TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, generation INTEGER NOT NULL) WITHOUT ROWID;
";

fn version(c: &Connection) -> Result<u64, LedgerError> {
    let v: Option<i64> =
        c.query_row("SELECT version FROM control_version WHERE id = 1", [], |row| row.get(0)).optional()?;
    Ok(v.unwrap_or(0) as u64)
}

/// How many records of the tenant's trail this maker made (counted once
/// from the records themselves, for a ledger written before the counts).
fn audit_count(tx: &Transaction<'_>, note: &AuditNote) -> Result<i64, LedgerError> {
    let by_operator = note.by_operator();
    let counted: Option<i64> = tx
        .query_row(
            "SELECT records FROM audit_counts WHERE tenant = ?1 AND by_operator = ?2",
            params![note.tenant, by_operator],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(records) = counted {
        return Ok(records);
    }
    let records: i64 = tx.query_row(
        "SELECT COUNT(*) FROM audit WHERE tenant = ?1 AND (json_extract(note, '$.who') = ?2) = ?3",
        params![note.tenant, OPERATOR, by_operator],
        |row| row.get(0),
    )?;
    Ok(records)
}

/// The next version and its audit record, in `tx`; refused when the
/// maker's records already fill the tenant's trail (nothing is dropped).
fn audit_and_bump(tx: &Transaction<'_>, note: &AuditNote) -> Result<u64, LedgerError> {
    let records = audit_count(tx, note)?;
    if records >= note.kept_limit() as i64 {
        return Err(audit_full(note));
    }
    let next = version(tx)? + 1;
    tx.execute(
        "INSERT INTO control_version (id, version) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        [next as i64],
    )?;
    let text = serde_json::to_string(note).map_err(|e| LedgerError::Corrupt(format!("audit note: {e}")))?;
    tx.execute(
        "INSERT INTO audit (version, tenant, note) VALUES (?1, ?2, ?3)",
        params![next as i64, note.tenant, text],
    )?;
    tx.execute(
        "INSERT INTO audit_counts (tenant, by_operator, records) VALUES (?1, ?2, ?3)
         ON CONFLICT (tenant, by_operator) DO UPDATE SET records = excluded.records",
        params![note.tenant, note.by_operator(), records + 1],
    )?;
    Ok(next)
}

/// Runs `change` and the audit in one IMMEDIATE transaction; `change`
/// returns `false` to write nothing (rolled back, no version).
fn changed(
    c: &mut Connection,
    note: &AuditNote,
    change: impl FnOnce(&Transaction<'_>) -> Result<bool, LedgerError>,
) -> Result<Option<u64>, LedgerError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if !change(&tx)? {
        return Ok(None);
    }
    let version = audit_and_bump(&tx, note)?;
    tx.commit()?;
    Ok(Some(version))
}

impl SqliteLedger {
    /// Announces a change to this process's listeners.
    fn announce(&self, version: Option<u64>) {
        if let Some(version) = version {
            let _ = self.inner.events.send(LedgerEvent::Control { version });
        }
    }
}

#[async_trait]
impl ControlStore for SqliteLedger {
    async fn control_version(&self) -> Result<u64, LedgerError> {
        self.run(|state| version(&state.connection)).await
    }

    async fn number_controls(&self, numbers: &[String]) -> Result<Vec<NumberControl>, LedgerError> {
        let numbers = numbers.to_vec();
        self.run(move |state| {
            let mut statement =
                state.connection.prepare_cached("SELECT paused, overrides FROM number_controls WHERE number = ?1")?;
            let mut found = Vec::new();
            for number in numbers {
                let row: Option<(Option<bool>, Option<String>)> =
                    statement.query_row([&number], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
                if let Some((paused, overrides)) = row {
                    found.push(NumberControl { number, paused, overrides });
                }
            }
            Ok(found)
        })
        .await
    }

    async fn set_paused(&self, number: &str, paused: bool, audit: &AuditNote) -> Result<u64, LedgerError> {
        let (number, note) = (number.to_owned(), audit.clone());
        let version = self
            .run(move |state| {
                changed(&mut state.connection, &note, |tx| {
                    tx.execute(
                        "INSERT INTO number_controls (number, paused) VALUES (?1, ?2)
                         ON CONFLICT (number) DO UPDATE SET paused = excluded.paused",
                        params![number, paused],
                    )?;
                    Ok(true)
                })
            })
            .await?;
        self.announce(version);
        version.ok_or_else(|| LedgerError::Corrupt("a pause wrote nothing".into()))
    }

    async fn set_overrides(
        &self,
        number: &str,
        overrides: Option<&str>,
        audit: &AuditNote,
    ) -> Result<Option<u64>, LedgerError> {
        let (number, overrides, note) = (number.to_owned(), overrides.map(str::to_owned), audit.clone());
        let version = self
            .run(move |state| {
                changed(&mut state.connection, &note, |tx| {
                    let changed = match overrides {
                        Some(json) => tx.execute(
                            "INSERT INTO number_controls (number, overrides) VALUES (?1, ?2)
                             ON CONFLICT (number) DO UPDATE SET overrides = excluded.overrides",
                            params![number, json],
                        )?,
                        None => tx.execute(
                            "UPDATE number_controls SET overrides = NULL WHERE number = ?1 AND overrides IS NOT NULL",
                            [&number],
                        )?,
                    };
                    Ok(changed > 0)
                })
            })
            .await?;
        self.announce(version);
        Ok(version)
    }

    async fn block_sender(
        &self,
        tenant: &str,
        blocked: &BlockedSender,
        limit: usize,
        audit: &AuditNote,
    ) -> Result<Blocked, LedgerError> {
        let (tenant, blocked, note) = (tenant.to_owned(), blocked.clone(), audit.clone());
        let outcome = self
            .run(move |state| {
                let mut added = false;
                let version = changed(&mut state.connection, &note, |tx| {
                    let sender = &blocked.sender.as_bytes()[..];
                    let present: Option<i64> = tx
                        .query_row(
                            "SELECT 1 FROM blocked_senders WHERE tenant = ?1 AND sender = ?2",
                            params![tenant, sender],
                            |row| row.get(0),
                        )
                        .optional()?;
                    if present.is_none() {
                        let count: i64 =
                            tx.query_row("SELECT count(*) FROM blocked_senders WHERE tenant = ?1", [&tenant], |row| {
                                row.get(0)
                            })?;
                        if count >= limit as i64 {
                            return Err(blocklist_full(limit));
                        }
                        added = true;
                    }
                    tx.execute(
                        "INSERT INTO blocked_senders (tenant, sender, label, added_micros) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (tenant, sender) DO UPDATE SET label = excluded.label",
                        params![tenant, sender, blocked.label, blocked.added_micros],
                    )?;
                    Ok(true)
                })?;
                Ok((added, version))
            })
            .await?;
        self.announce(outcome.1);
        let version = outcome.1.ok_or_else(|| LedgerError::Corrupt("a block wrote nothing".into()))?;
        Ok(Blocked { added: outcome.0, version })
    }

    async fn unblock_sender(
        &self,
        tenant: &str,
        sender: &SenderKey,
        audit: &AuditNote,
    ) -> Result<Option<u64>, LedgerError> {
        let (tenant, sender, note) = (tenant.to_owned(), *sender, audit.clone());
        let version = self
            .run(move |state| {
                changed(&mut state.connection, &note, |tx| {
                    let removed = tx.execute(
                        "DELETE FROM blocked_senders WHERE tenant = ?1 AND sender = ?2",
                        params![tenant, &sender.as_bytes()[..]],
                    )?;
                    Ok(removed > 0)
                })
            })
            .await?;
        self.announce(version);
        Ok(version)
    }

    async fn blocklist(&self, tenant: &str) -> Result<Vec<BlockedSender>, LedgerError> {
        let tenant = tenant.to_owned();
        self.run(move |state| {
            let mut statement = state.connection.prepare_cached(
                "SELECT sender, label, added_micros FROM blocked_senders WHERE tenant = ?1
                 ORDER BY added_micros, sender LIMIT ?2",
            )?;
            let rows = statement.query_map(params![tenant, MAX_BLOCKLIST as i64], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?))
            })?;
            let mut list = Vec::new();
            for row in rows {
                let (sender, label, added_micros) = row?;
                let sender = SenderKey::from_slice(&sender)
                    .ok_or_else(|| LedgerError::Corrupt("blocked sender key is not 32 bytes".into()))?;
                list.push(BlockedSender { sender, label, added_micros });
            }
            Ok(list)
        })
        .await
    }

    async fn revoke_session(&self, id: &str, _now_micros: i64, expires_micros: i64) -> Result<(), LedgerError> {
        let id = id.to_owned();
        self.run(move |state| {
            state.connection.execute(
                "INSERT INTO revoked_sessions (id, expires_micros) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET expires_micros = max(expires_micros, excluded.expires_micros)",
                params![id, expires_micros],
            )?;
            Ok(())
        })
        .await
    }

    async fn session_revoked(&self, id: &str, now_micros: i64) -> Result<bool, LedgerError> {
        let id = id.to_owned();
        self.run(move |state| {
            let found: Option<i64> = state
                .connection
                .prepare_cached("SELECT 1 FROM revoked_sessions WHERE id = ?1 AND expires_micros > ?2")?
                .query_row(params![id, now_micros], |row| row.get(0))
                .optional()?;
            Ok(found.is_some())
        })
        .await
    }

    async fn align_session_generations(&self, current: &[SessionToken]) -> Result<(), LedgerError> {
        let current = current.to_vec();
        self.run(move |state| {
            let tx = state.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let recorded = {
                let mut statement =
                    tx.prepare_cached("SELECT who, fingerprint, generation FROM session_generations")?;
                let rows = statement.query_map([], |row| {
                    Ok(SessionGeneration {
                        who: row.get(0)?,
                        fingerprint: row.get(1)?,
                        generation: row.get::<_, i64>(2)? as u64,
                    })
                })?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            for change in session_changes(&recorded, &current) {
                tx.execute(
                    "INSERT INTO session_generations (who, fingerprint, generation) VALUES (?1, ?2, ?3)
                     ON CONFLICT (who) DO UPDATE SET fingerprint = excluded.fingerprint,
                         generation = excluded.generation",
                    params![change.who, change.fingerprint, change.generation as i64],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn session_generation(&self, who: &str) -> Result<u64, LedgerError> {
        let who = who.to_owned();
        self.run(move |state| {
            let generation: Option<i64> = state
                .connection
                .prepare_cached("SELECT generation FROM session_generations WHERE who = ?1")?
                .query_row(params![who], |row| row.get(0))
                .optional()?;
            Ok(generation.unwrap_or(0) as u64)
        })
        .await
    }

    async fn audit(&self, tenant: &str, before: Option<u64>, limit: usize) -> Result<AuditPage, LedgerError> {
        let (tenant, limit) = (tenant.to_owned(), page_limit(limit));
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        self.run(move |state| {
            let mut statement = state.connection.prepare_cached(
                "SELECT version, note FROM audit WHERE tenant = ?1 AND version < ?2 ORDER BY version DESC LIMIT ?3",
            )?;
            let rows = statement.query_map(params![tenant, before, limit as i64 + 1], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut records = Vec::new();
            for row in rows {
                let (version, text) = row?;
                let note = serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt(format!("audit note: {e}")))?;
                records.push(AuditRecord { version: version as u64, note });
            }
            Ok(crate::control::paged(records, limit))
        })
        .await
    }
}
