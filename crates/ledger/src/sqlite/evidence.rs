//! [`EvidenceStore`] on SQLite: an incident row per shield episode (its
//! totals as columns), a row per slot of its timeline, the open incident
//! of each number, and the sealed parts as blobs with their expiry. Each
//! method is one transaction.

use antirelou_evidence::model::{
    COUNT_FIELDS, INCIDENTS_KEPT_PER_TENANT, INCIDENT_RETENTION_SECONDS, MAX_INCIDENTS_PER_PAGE,
    MAX_PARTS_PER_INCIDENT, MAX_SLOTS_PER_INCIDENT,
};
use antirelou_evidence::{
    Incident, IncidentActivity, IncidentCounts, IncidentId, IncidentOpening, IncidentSlot, SealedPart,
};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::SqliteLedger;
use crate::evidence::{check_part, EvidenceStore};
use crate::LedgerError;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, number TEXT NOT NULL,
    started_micros INTEGER NOT NULL, until_micros INTEGER NOT NULL,
    messages INTEGER NOT NULL DEFAULT 0, new_senders INTEGER NOT NULL DEFAULT 0, replies INTEGER NOT NULL DEFAULT 0,
    flooders INTEGER NOT NULL DEFAULT 0, reply_spend_micros INTEGER NOT NULL DEFAULT 0,
    inbound_spend_micros INTEGER NOT NULL DEFAULT 0, unprotected_cost_micros INTEGER NOT NULL DEFAULT 0,
    expires_micros INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_by_tenant ON incidents (tenant, id);
CREATE INDEX IF NOT EXISTS incidents_by_number ON incidents (number, id);
CREATE TABLE IF NOT EXISTS incident_slots (
    incident INTEGER NOT NULL, slot INTEGER NOT NULL,
    messages INTEGER NOT NULL DEFAULT 0, new_senders INTEGER NOT NULL DEFAULT 0, replies INTEGER NOT NULL DEFAULT 0,
    flooders INTEGER NOT NULL DEFAULT 0, reply_spend_micros INTEGER NOT NULL DEFAULT 0,
    inbound_spend_micros INTEGER NOT NULL DEFAULT 0, unprotected_cost_micros INTEGER NOT NULL DEFAULT 0,
    expires_micros INTEGER NOT NULL,
    PRIMARY KEY (incident, slot)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sealed_parts (
    incident INTEGER NOT NULL, part TEXT NOT NULL, tenant TEXT NOT NULL, sealed BLOB NOT NULL,
    senders INTEGER NOT NULL, written_micros INTEGER NOT NULL, expires_micros INTEGER NOT NULL,
    PRIMARY KEY (incident, part)) WITHOUT ROWID;
";

/// `messages, new_senders, …` in [`COUNT_FIELDS`] order.
fn count_columns() -> String {
    COUNT_FIELDS.join(", ")
}

fn counts_at(row: &Row<'_>, first: usize) -> rusqlite::Result<IncidentCounts> {
    let mut counts = IncidentCounts::default();
    for (i, field) in COUNT_FIELDS.iter().enumerate() {
        counts.set(field, row.get(first + i)?);
    }
    Ok(counts)
}

fn open(connection: &mut Connection, o: &IncidentOpening) -> Result<IncidentId, LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let open: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM incidents WHERE number = ?1 AND tenant = ?2 AND until_micros > ?3 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![o.number, o.tenant, o.now_micros], |row| row.get(0))
        .optional()?;
    let expires = o.until_micros.saturating_add(INCIDENT_RETENTION_SECONDS * 1_000_000);
    let id = match open {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE incidents SET until_micros = max(until_micros, ?2), expires_micros = max(expires_micros, ?3)
                 WHERE id = ?1",
            )?
            .execute(params![id, o.until_micros, expires])?;
            id
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO incidents (tenant, number, started_micros, until_micros, expires_micros)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![o.tenant, o.number, o.now_micros, o.until_micros, expires])?;
            let id = tx.last_insert_rowid();
            tx.prepare_cached(
                "DELETE FROM incidents WHERE tenant = ?1 AND id NOT IN
                 (SELECT id FROM incidents WHERE tenant = ?1 ORDER BY id DESC LIMIT ?2)",
            )?
            .execute(params![o.tenant, INCIDENTS_KEPT_PER_TENANT as i64])?;
            id
        }
    };
    tx.commit()?;
    u64::try_from(id).map_err(|_| LedgerError::Corrupt(format!("incident id {id}")))
}

fn add_activity(connection: &mut Connection, a: &IncidentActivity) -> Result<(), LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = i64::try_from(a.incident).unwrap_or(i64::MAX);
    let expires: Option<i64> = tx
        .prepare_cached("SELECT expires_micros FROM incidents WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?;
    let Some(expires) = expires else {
        return Ok(());
    };
    let sets = COUNT_FIELDS.iter().enumerate().map(|(i, f)| format!("{f} = {f} + ?{}", i + 2)).collect::<Vec<_>>();
    let values: Vec<i64> = a.counts.fields().iter().map(|(_, v)| *v).collect();
    tx.prepare_cached(&format!("UPDATE incidents SET {} WHERE id = ?1", sets.join(", ")))?
        .execute(rusqlite::params_from_iter(std::iter::once(id).chain(values.iter().copied())))?;
    let slots: i64 = tx
        .prepare_cached("SELECT count(*) FROM incident_slots WHERE incident = ?1")?
        .query_row([id], |row| row.get(0))?;
    let known: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM incident_slots WHERE incident = ?1 AND slot = ?2")?
        .query_row(params![id, a.slot], |row| row.get(0))
        .optional()?;
    if known.is_some() || slots < MAX_SLOTS_PER_INCIDENT as i64 {
        let placeholders = (0..COUNT_FIELDS.len()).map(|i| format!("?{}", i + 4)).collect::<Vec<_>>().join(", ");
        let updates = COUNT_FIELDS.iter().map(|f| format!("{f} = {f} + excluded.{f}")).collect::<Vec<_>>();
        tx.prepare_cached(&format!(
            "INSERT INTO incident_slots (incident, slot, expires_micros, {}) VALUES (?1, ?2, ?3, {placeholders})
             ON CONFLICT (incident, slot) DO UPDATE SET {}",
            count_columns(),
            updates.join(", ")
        ))?
        .execute(rusqlite::params_from_iter([id, a.slot, expires].into_iter().chain(values.iter().copied())))?;
    }
    tx.commit()?;
    Ok(())
}

fn select_incidents(
    connection: &Connection,
    tenant: &str,
    before: i64,
    limit: i64,
    now: i64,
) -> Result<Vec<Incident>, LedgerError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT id, tenant, number, started_micros, until_micros,
             (SELECT count(*) FROM sealed_parts p WHERE p.incident = i.id AND p.expires_micros > ?4), {}
         FROM incidents i WHERE tenant = ?1 AND id < ?2 AND expires_micros > ?4 ORDER BY id DESC LIMIT ?3",
        count_columns()
    ))?;
    let rows = statement.query_map(params![tenant, before, limit, now], |row| {
        Ok(Incident {
            id: row.get::<_, i64>(0)?.max(0) as u64,
            tenant: row.get(1)?,
            number: row.get(2)?,
            started_micros: row.get(3)?,
            until_micros: row.get(4)?,
            sealed_parts: row.get::<_, i64>(5)?.max(0) as usize,
            counts: counts_at(row, 6)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn put_part(connection: &mut Connection, p: &SealedPart, now: i64) -> Result<(), LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = i64::try_from(p.incident).unwrap_or(i64::MAX);
    tx.prepare_cached("DELETE FROM sealed_parts WHERE expires_micros <= ?1")?.execute([now])?;
    let known: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM sealed_parts WHERE incident = ?1 AND part = ?2")?
        .query_row(params![id, p.part], |row| row.get(0))
        .optional()?;
    let parts: i64 = tx
        .prepare_cached("SELECT count(*) FROM sealed_parts WHERE incident = ?1")?
        .query_row([id], |row| row.get(0))?;
    if known.is_none() && parts >= MAX_PARTS_PER_INCIDENT as i64 {
        return Err(LedgerError::Refused(format!("an incident keeps at most {MAX_PARTS_PER_INCIDENT} sealed parts")));
    }
    tx.prepare_cached(
        "INSERT INTO sealed_parts (incident, part, tenant, sealed, senders, written_micros, expires_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (incident, part) DO UPDATE SET sealed = excluded.sealed, senders = excluded.senders,
             written_micros = excluded.written_micros, expires_micros = excluded.expires_micros",
    )?
    .execute(params![id, p.part, p.tenant, p.sealed, p.senders, p.written_micros, p.expires_micros])?;
    tx.commit()?;
    Ok(())
}

#[async_trait]
impl EvidenceStore for SqliteLedger {
    async fn open_incident(&self, opening: &IncidentOpening) -> Result<IncidentId, LedgerError> {
        let opening = opening.clone();
        self.run(move |state| open(&mut state.connection, &opening)).await
    }

    async fn add_incident_activity(&self, activity: &IncidentActivity) -> Result<(), LedgerError> {
        if activity.counts.is_empty() {
            return Ok(());
        }
        let activity = activity.clone();
        self.run(move |state| add_activity(&mut state.connection, &activity)).await
    }

    async fn incidents(
        &self,
        tenant: &str,
        before: Option<IncidentId>,
        limit: usize,
        now_micros: i64,
    ) -> Result<Vec<Incident>, LedgerError> {
        let tenant = tenant.to_owned();
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let limit = limit.clamp(1, MAX_INCIDENTS_PER_PAGE) as i64;
        self.run(move |state| select_incidents(&state.connection, &tenant, before, limit, now_micros)).await
    }

    async fn incident(
        &self,
        tenant: &str,
        id: IncidentId,
        now_micros: i64,
    ) -> Result<Option<(Incident, Vec<IncidentSlot>)>, LedgerError> {
        let tenant = tenant.to_owned();
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        self.run(move |state| {
            let Some(incident) = select_incidents(&state.connection, &tenant, id.saturating_add(1), 1, now_micros)?
                .into_iter()
                .find(|i| i.id as i64 == id)
            else {
                return Ok(None);
            };
            let mut statement = state.connection.prepare_cached(&format!(
                "SELECT slot, {} FROM incident_slots WHERE incident = ?1 ORDER BY slot",
                count_columns()
            ))?;
            let slots = statement
                .query_map([id], |row| Ok(IncidentSlot { slot: row.get(0)?, counts: counts_at(row, 1)? }))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some((incident, slots)))
        })
        .await
    }

    async fn put_sealed_part(&self, part: &SealedPart, now_micros: i64) -> Result<(), LedgerError> {
        check_part(part)?;
        let part = part.clone();
        self.run(move |state| put_part(&mut state.connection, &part, now_micros)).await
    }

    async fn sealed_parts(
        &self,
        tenant: &str,
        id: IncidentId,
        now_micros: i64,
    ) -> Result<Vec<SealedPart>, LedgerError> {
        let tenant = tenant.to_owned();
        let Ok(id) = i64::try_from(id) else { return Ok(Vec::new()) };
        self.run(move |state| {
            let mut statement = state.connection.prepare_cached(
                "SELECT part, sealed, senders, written_micros, expires_micros FROM sealed_parts
                 WHERE incident = ?1 AND tenant = ?2 AND expires_micros > ?3 ORDER BY part",
            )?;
            let rows = statement.query_map(params![id, tenant, now_micros], |row| {
                Ok(SealedPart {
                    incident: id as u64,
                    tenant: tenant.clone(),
                    part: row.get(0)?,
                    sealed: row.get(1)?,
                    senders: row.get(2)?,
                    written_micros: row.get(3)?,
                    expires_micros: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
