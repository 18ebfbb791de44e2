//! The deferred-reply queue and the leases of the SQLite ledger (see
//! [`crate::queue`]): one row per pending sender, marks per hour, leases.

use antirelou_domain::micros;
use antirelou_domain::SenderKey;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::queue::{
    DeferredArrival, DeferredReply, DeferredState, Enqueued, ITEM_MARGIN_SECONDS, MARKS_RETENTION_SECONDS,
};
use crate::LedgerError;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deferred (
    number TEXT NOT NULL, sender BLOB NOT NULL, tenant TEXT NOT NULL, first_message_id TEXT NOT NULL,
    sealed BLOB NOT NULL, first_micros INTEGER NOT NULL, slot INTEGER NOT NULL, messages INTEGER NOT NULL,
    fingerprint INTEGER, block INTEGER NOT NULL, state TEXT NOT NULL, judge_by_micros INTEGER NOT NULL,
    expires_micros INTEGER NOT NULL,
    PRIMARY KEY (number, sender)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deferred_by_arrival ON deferred (number, first_micros);
CREATE TABLE IF NOT EXISTS deferral_marks (
    number TEXT NOT NULL, hour INTEGER NOT NULL, mark TEXT NOT NULL, senders INTEGER NOT NULL,
    expires_micros INTEGER NOT NULL,
    PRIMARY KEY (number, hour, mark)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until_micros INTEGER NOT NULL);
";

const HOUR_MICROS: i64 = micros::from_seconds(3_600);

fn fingerprint_mark(fingerprint: u64) -> String {
    format!("f:{fingerprint:016x}")
}

fn block_mark(block: u64) -> String {
    format!("b:{block:016x}")
}

pub(super) fn defer(connection: &mut Connection, a: &DeferredArrival, now: i64) -> Result<Enqueued, LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let sender = &a.sender.as_bytes()[..];
    let live: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM deferred WHERE number = ?1 AND sender = ?2 AND expires_micros > ?3")?
        .query_row(params![&*a.number, sender, now], |row| row.get(0))
        .optional()?;
    if live.is_some() {
        tx.prepare_cached("UPDATE deferred SET messages = messages + 1 WHERE number = ?1 AND sender = ?2")?
            .execute(params![&*a.number, sender])?;
        tx.commit()?;
        return Ok(Enqueued::Pending);
    }
    let pending: i64 = tx
        .prepare_cached("SELECT count(*) FROM deferred WHERE number = ?1 AND expires_micros > ?2")?
        .query_row(params![&*a.number, now], |row| row.get(0))?;
    if pending >= a.queue_limit as i64 {
        return Ok(Enqueued::Full);
    }
    tx.prepare_cached(
        "INSERT INTO deferred (number, sender, tenant, first_message_id, sealed, first_micros, slot, messages,
             fingerprint, block, state, judge_by_micros, expires_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, 'pending', ?10, ?11)
         ON CONFLICT (number, sender) DO UPDATE SET tenant = excluded.tenant,
             first_message_id = excluded.first_message_id, sealed = excluded.sealed,
             first_micros = excluded.first_micros, slot = excluded.slot, messages = 1,
             fingerprint = excluded.fingerprint, block = excluded.block, state = 'pending',
             judge_by_micros = excluded.judge_by_micros, expires_micros = excluded.expires_micros",
    )?
    .execute(params![
        &*a.number,
        sender,
        &*a.tenant,
        a.first_message_id,
        a.sealed_sender,
        a.first_micros,
        a.slot,
        a.fingerprint.map(|f| f as i64),
        a.block as i64,
        a.expires_micros,
        micros::after_seconds(a.expires_micros, ITEM_MARGIN_SECONDS),
    ])?;
    let hour = a.first_micros.div_euclid(HOUR_MICROS);
    let marks_expire = micros::after_seconds(now, MARKS_RETENTION_SECONDS);
    let mut marks = vec![block_mark(a.block)];
    marks.extend(a.fingerprint.map(fingerprint_mark));
    for mark in marks {
        tx.prepare_cached(
            "INSERT INTO deferral_marks (number, hour, mark, senders, expires_micros) VALUES (?1, ?2, ?3, 1, ?4)
             ON CONFLICT (number, hour, mark) DO UPDATE SET senders = senders + 1,
                 expires_micros = max(expires_micros, excluded.expires_micros)",
        )?
        .execute(params![&*a.number, hour, mark, marks_expire])?;
    }
    tx.commit()?;
    Ok(Enqueued::New)
}

pub(super) fn note_messages(
    connection: &mut Connection,
    number: &str,
    senders: &[(SenderKey, u32)],
) -> Result<(), LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut update =
            tx.prepare_cached("UPDATE deferred SET messages = messages + ?3 WHERE number = ?1 AND sender = ?2")?;
        for (sender, count) in senders {
            update.execute(params![number, &sender.as_bytes()[..], count])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn deferred(
    c: &Connection,
    number: &str,
    arrived_before: i64,
    now: i64,
    limit: usize,
) -> Result<Vec<DeferredReply>, LedgerError> {
    let mut statement = c.prepare_cached(
        "SELECT sender, tenant, first_message_id, sealed, first_micros, slot, messages, fingerprint, block, state,
                judge_by_micros
         FROM deferred WHERE number = ?1 AND expires_micros > ?3 AND first_micros < ?2
         ORDER BY first_micros, sender LIMIT ?4",
    )?;
    let rows = statement.query_map(params![number, arrived_before, now, limit as i64], row_item)?;
    let mut items = Vec::new();
    for row in rows {
        let mut item = row?.ok_or_else(|| LedgerError::Corrupt("deferred sender key is not 32 bytes".into()))?;
        let hour = item.first_micros.div_euclid(HOUR_MICROS);
        item.block_senders = mark_senders(c, number, hour, &block_mark(item.block))?;
        if let Some(fingerprint) = item.fingerprint {
            item.fingerprint_senders = mark_senders(c, number, hour, &fingerprint_mark(fingerprint))?;
        }
        items.push(item);
    }
    Ok(items)
}

/// An item from its row; `None` when the stored sender key is not 32 bytes.
fn row_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<DeferredReply>> {
    let sender: Vec<u8> = row.get(0)?;
    let Some(sender) = SenderKey::from_slice(&sender) else { return Ok(None) };
    let fingerprint: Option<i64> = row.get(7)?;
    let block: i64 = row.get(8)?;
    let state: String = row.get(9)?;
    Ok(Some(DeferredReply {
        sender,
        tenant: row.get(1)?,
        first_message_id: row.get(2)?,
        sealed_sender: row.get(3)?,
        first_micros: row.get(4)?,
        slot: row.get(5)?,
        messages: row.get(6)?,
        fingerprint: fingerprint.map(|f| f as u64),
        block: block as u64,
        fingerprint_senders: 0,
        block_senders: 0,
        state: if state == "sending" { DeferredState::Sending } else { DeferredState::Pending },
        expires_micros: row.get(10)?,
    }))
}

/// Senders counted under `mark` in `hour` and the hour before.
fn mark_senders(c: &Connection, number: &str, hour: i64, mark: &str) -> Result<u32, LedgerError> {
    let senders: i64 = c
        .prepare_cached(
            "SELECT coalesce(sum(senders), 0) FROM deferral_marks WHERE number = ?1 AND mark = ?3 AND hour IN (?2, ?2 - 1)",
        )?
        .query_row(params![number, hour, mark], |row| row.get(0))?;
    Ok(u32::try_from(senders).unwrap_or(u32::MAX))
}

pub(super) fn finish(
    connection: &mut Connection,
    number: &str,
    sender: &SenderKey,
    refuse_until: Option<(i64, i64)>,
) -> Result<(), LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.prepare_cached("DELETE FROM deferred WHERE number = ?1 AND sender = ?2")?
        .execute(params![number, &sender.as_bytes()[..]])?;
    if let Some((until, _now)) = refuse_until {
        tx.prepare_cached(
            "INSERT INTO senders (number, sender, expires_micros) VALUES (?1, ?2, ?3)
             ON CONFLICT (number, sender) DO UPDATE SET expires_micros = max(expires_micros, excluded.expires_micros)",
        )?
        .execute(params![number, &sender.as_bytes()[..], until])?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn count(c: &Connection, number: &str, now: i64) -> Result<usize, LedgerError> {
    let n: i64 = c
        .prepare_cached("SELECT count(*) FROM deferred WHERE number = ?1 AND expires_micros > ?2")?
        .query_row(params![number, now], |row| row.get(0))?;
    Ok(n as usize)
}

pub(super) fn lease(c: &Connection, name: &str, holder: &str, ttl_ms: u64, now: i64) -> Result<bool, LedgerError> {
    let until = now.saturating_add(i64::try_from(ttl_ms).unwrap_or(i64::MAX).saturating_mul(1_000));
    let changed = c
        .prepare_cached(
            "INSERT INTO leases (name, holder, until_micros) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_micros = excluded.until_micros
             WHERE leases.holder = excluded.holder OR leases.until_micros <= ?4",
        )?
        .execute(params![name, holder, until, now])?;
    Ok(changed == 1)
}

pub(super) fn release(c: &Connection, name: &str, holder: &str) -> Result<(), LedgerError> {
    c.prepare_cached("DELETE FROM leases WHERE name = ?1 AND holder = ?2")?.execute(params![name, holder])?;
    Ok(())
}
