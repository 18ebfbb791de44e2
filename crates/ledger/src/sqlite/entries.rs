//! Entries of the SQLite ledger: writing one, top-ups (and the last credit
//! kept per tenant for the balance alerts), and reading them a
//! bounded page at a time (the cursor is the last entry id, indexed).

use antirelou_domain::Money;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::decide::read_balance;
use crate::model::{Entry, EntryFilter, EntryKind, EntryPage, TopUpMark};
use crate::{rules, LedgerError};

#[allow(clippy::too_many_arguments)]
pub(super) fn insert_entry(
    c: &Connection,
    at_micros: i64,
    tenant: &str,
    number: &str,
    kind: EntryKind,
    amount: Money,
    count: u32,
    reference: &str,
) -> Result<u64, LedgerError> {
    c.prepare_cached(
        "INSERT INTO entries (at_micros, tenant, number, kind, amount_micros, count, reference)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![at_micros, tenant, number, kind.as_str(), amount.micros(), count, reference])?;
    Ok(c.last_insert_rowid() as u64)
}

/// Credits `amount` (positive, at most [`rules::MAX_TOP_UP`]) unless the
/// balance would pass [`rules::MAX_BALANCE`]; returns the new balance.
pub(super) fn top_up(
    connection: &mut Connection,
    tenant: &str,
    amount: Money,
    note: &str,
    now_micros: i64,
) -> Result<Money, LedgerError> {
    rules::check_top_up(amount)?;
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let before = read_balance(&tx, tenant)?.unwrap_or(Money::ZERO);
    let after = before.checked_add(amount).filter(|b| *b <= rules::MAX_BALANCE).ok_or_else(|| {
        LedgerError::Refused(format!("the balance would exceed {} (it is {before})", rules::MAX_BALANCE))
    })?;
    tx.execute(
        "INSERT INTO balances (tenant, micros) VALUES (?1, ?2)
         ON CONFLICT (tenant) DO UPDATE SET micros = excluded.micros",
        params![tenant, after.micros()],
    )?;
    let entry_id = insert_entry(&tx, now_micros, tenant, "", EntryKind::TopUp, amount, 1, note)?;
    mark_top_up(&tx, tenant, entry_id, after, now_micros)?;
    tx.commit()?;
    Ok(after)
}

/// Records `entry_id` (a top-up or a donation) as the tenant's last credit:
/// the balance alerts count from it.
pub(super) fn mark_top_up(
    c: &Connection,
    tenant: &str,
    entry_id: u64,
    balance_after: Money,
    now_micros: i64,
) -> Result<(), LedgerError> {
    c.prepare_cached(
        "INSERT INTO last_top_ups (tenant, entry_id, balance_after_micros, at_micros) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant) DO UPDATE SET entry_id = excluded.entry_id,
           balance_after_micros = excluded.balance_after_micros, at_micros = excluded.at_micros",
    )?
    .execute(params![tenant, entry_id as i64, balance_after.micros(), now_micros])?;
    Ok(())
}

/// The tenant's last top-up, if it had one.
pub(super) fn last_top_up(c: &Connection, tenant: &str) -> Result<Option<TopUpMark>, LedgerError> {
    Ok(c.prepare_cached("SELECT entry_id, balance_after_micros, at_micros FROM last_top_ups WHERE tenant = ?1")?
        .query_row([tenant], |row| {
            Ok(TopUpMark {
                entry_id: row.get::<_, i64>(0)? as u64,
                balance_after: Money::from_micros(row.get(1)?),
                at_micros: row.get(2)?,
            })
        })
        .optional()?)
}

/// Ids examined per statement, and at most per call: whatever the filter,
/// one call holds the ledger thread for a bounded slice (a few ms).
const SCAN_IDS_PER_STATEMENT: i64 = 5_000;
const SCAN_IDS_PER_CALL: i64 = 50_000;

/// One page: entries after the cursor matching the filter, oldest first.
/// Ids are scanned in bounded windows through the primary key, so a filter
/// that matches nothing never makes one call read the whole table: the page
/// then comes back short (or empty) with a `next` cursor.
pub(super) fn page(c: &Connection, filter: &EntryFilter) -> Result<EntryPage, LedgerError> {
    let mut cursor: i64 = match filter.after.as_deref() {
        None => 0,
        Some(cursor) => cursor.parse().map_err(|_| LedgerError::Refused(format!("bad entries cursor {cursor:?}")))?,
    };
    let last_id: i64 = c.query_row("SELECT coalesce(max(id), 0) FROM entries", [], |row| row.get(0))?;
    let limit = filter.page_size();
    let mut entries = Vec::with_capacity(limit.min(256));
    let mut statement = c.prepare_cached(
        "SELECT id, at_micros, tenant, number, kind, amount_micros, count, reference FROM entries
         WHERE id > ?1 AND id <= ?2 AND (?3 IS NULL OR tenant = ?3) AND (?4 IS NULL OR at_micros >= ?4)
           AND (?5 IS NULL OR at_micros < ?5)
         ORDER BY id LIMIT ?6",
    )?;
    let stop = cursor.saturating_add(SCAN_IDS_PER_CALL);
    while entries.len() < limit && cursor < last_id && cursor < stop {
        let window_end = cursor.saturating_add(SCAN_IDS_PER_STATEMENT).min(last_id);
        let need = (limit - entries.len()) as i64;
        let rows = statement.query_map(
            params![cursor, window_end, filter.tenant, filter.since_micros, filter.until_micros, need],
            |row| {
                let kind: String = row.get(4)?;
                Ok(Entry {
                    id: row.get::<_, i64>(0)? as u64,
                    at_micros: row.get(1)?,
                    tenant: row.get(2)?,
                    number: row.get(3)?,
                    kind: EntryKind::from_label(&kind).unwrap_or(EntryKind::Reply),
                    amount: Money::from_micros(row.get(5)?),
                    count: row.get(6)?,
                    reference: row.get(7)?,
                })
            },
        )?;
        let before = entries.len();
        for row in rows {
            entries.push(row?);
        }
        cursor = if entries.len() - before == need as usize {
            entries.last().map_or(window_end, |e| e.id as i64)
        } else {
            window_end
        };
    }
    let next = (cursor < last_id).then(|| cursor.to_string());
    Ok(EntryPage { entries, next })
}
