//! [`Reports`] on SQLite: an alert claim and its record are one
//! transaction (`INSERT OR IGNORE` of the claim, then the record and the
//! trim of the owner's list); a day's counters are one UPSERT per field in
//! one transaction.

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteLedger;
use crate::reports::{AlertClaim, AlertRecord, DayCounts, Reports, ALERTS_KEPT, MAX_STATS_DAYS};
use crate::LedgerError;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS alert_claims (key TEXT PRIMARY KEY, expires_micros INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, at_micros INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_by_owner ON alerts (owner, id);
CREATE TABLE IF NOT EXISTS day_counts (
    tenant TEXT NOT NULL, day TEXT NOT NULL, field TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (tenant, day, field)) WITHOUT ROWID;
";

#[async_trait]
impl Reports for SqliteLedger {
    async fn claim_alert(&self, claim: &AlertClaim) -> Result<bool, LedgerError> {
        let claim = claim.clone();
        self.run(move |state| {
            let tx = state.connection.transaction()?;
            let now = claim.record.at_micros;
            tx.execute("DELETE FROM alert_claims WHERE key = ?1 AND expires_micros <= ?2", params![claim.key, now])?;
            let claimed = tx.execute(
                "INSERT OR IGNORE INTO alert_claims (key, expires_micros) VALUES (?1, ?2)",
                params![claim.key, claim.expires_micros],
            )? == 1;
            if claimed {
                tx.execute(
                    "INSERT INTO alerts (owner, at_micros, json) VALUES (?1, ?2, ?3)",
                    params![claim.owner, claim.record.at_micros, claim.record.json],
                )?;
                tx.execute(
                    "DELETE FROM alerts WHERE owner = ?1 AND id NOT IN \
                     (SELECT id FROM alerts WHERE owner = ?1 ORDER BY id DESC LIMIT ?2)",
                    params![claim.owner, ALERTS_KEPT as i64],
                )?;
            }
            tx.commit()?;
            Ok(claimed)
        })
        .await
    }

    async fn alerts(&self, owner: &str, limit: usize) -> Result<Vec<AlertRecord>, LedgerError> {
        let owner = owner.to_owned();
        let limit = limit.clamp(1, ALERTS_KEPT) as i64;
        self.run(move |state| {
            let mut statement = state
                .connection
                .prepare_cached("SELECT at_micros, json FROM alerts WHERE owner = ?1 ORDER BY id DESC LIMIT ?2")?;
            let rows = statement.query_map(params![owner, limit], |row| {
                Ok(AlertRecord { at_micros: row.get(0)?, json: row.get(1)? })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn add_day_counts(&self, counts: &DayCounts) -> Result<(), LedgerError> {
        if counts.counts.is_empty() {
            return Ok(());
        }
        let counts = counts.clone();
        self.run(move |state| {
            let tx = state.connection.transaction()?;
            for (field, value) in &counts.counts {
                tx.execute(
                    "INSERT INTO day_counts (tenant, day, field, value) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (tenant, day, field) DO UPDATE SET value = value + excluded.value",
                    params![counts.tenant, counts.day, field, value],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn day_counts(&self, tenant: &str, days: &[String]) -> Result<Vec<Vec<(String, i64)>>, LedgerError> {
        if days.len() > MAX_STATS_DAYS {
            return Err(LedgerError::Refused(format!("at most {MAX_STATS_DAYS} days at once")));
        }
        let (tenant, days) = (tenant.to_owned(), days.to_vec());
        self.run(move |state| {
            let mut statement = state
                .connection
                .prepare_cached("SELECT field, value FROM day_counts WHERE tenant = ?1 AND day = ?2 ORDER BY field")?;
            let mut all = Vec::with_capacity(days.len());
            for day in &days {
                let rows = statement.query_map(params![tenant, day], |row| Ok((row.get(0)?, row.get(1)?)))?;
                all.push(rows.collect::<Result<Vec<(String, i64)>, _>>()?);
            }
            Ok(all)
        })
        .await
    }
}
