//! The money operations of the SQLite ledger, each one IMMEDIATE
//! transaction: a decision (dedupe, opt-out, sender memory, pending
//! judgement, rate, slot allowance, caps,
//! balance, then debit + entry + memory, and an answered call's record for
//! its settlement) and inbound charges.

use antirelou_domain::micros;
use std::sync::atomic::{AtomicBool, Ordering};

use antirelou_domain::Money;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::entries::insert_entry;
use crate::model::{EntryKind, InboundBatch, InboundCharged, ReplyRequest, ReplyVerdict, SpendTotals};
use crate::{rules, LedgerError};

pub(super) fn decide(
    connection: &mut Connection,
    r: &ReplyRequest,
    abandoned: &AtomicBool,
) -> Result<ReplyVerdict, LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = r.now_micros;
    let earlier: Option<bool> = tx
        .prepare_cached("SELECT replied FROM messages WHERE number = ?1 AND message_id = ?2 AND expires_micros > ?3")?
        .query_row(params![&*r.number, r.message_id, now], |row| row.get(0))
        .optional()?;
    if let Some(replied) = earlier {
        return Ok(ReplyVerdict::Duplicate { replied });
    }
    let verdict = refusal(&tx, r)?;
    let replied = verdict.is_none();
    if let (Some(verdict), Some(_)) = (&verdict, r.deferred) {
        // A deferred reply that is refused may be tried again (next slot,
        // next minute): its message id is not recorded as decided.
        return Ok(verdict.clone());
    }
    // An expired row may still be there (sweeps run once a minute): replace it.
    tx.prepare_cached(
        "INSERT INTO messages (number, message_id, replied, expires_micros) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (number, message_id) DO UPDATE SET replied = excluded.replied, expires_micros = excluded.expires_micros",
    )?
    .execute(params![&*r.number, r.message_id, replied, micros::after_seconds(now, rules::MESSAGE_ID_TTL_SECONDS)])?;
    if let Some(verdict) = verdict {
        tx.commit()?;
        return Ok(verdict);
    }

    let now_seconds = micros::to_seconds(now);
    add_spend(&tx, &r.tenant, &r.number, &r.periods, r.cost)?;
    if r.max_replies_per_minute.is_some() {
        add_counter(&tx, &rules::rate(&r.number, now_seconds), 1, micros::after_seconds(now, 120))?;
    }
    if let Some(pacing) = r.deferred {
        add_counter(
            &tx,
            &rules::pace(&r.number, pacing.slot),
            1,
            micros::after_seconds(now, rules::PACE_RETENTION_SECONDS),
        )?;
        tx.prepare_cached("UPDATE deferred SET state = 'sending' WHERE number = ?1 AND sender = ?2")?
            .execute(params![&*r.number, &r.sender.as_bytes()[..]])?;
    }
    let mut balance_paid = Money::ZERO;
    if r.prepaid {
        let debited = tx
            .prepare_cached("UPDATE balances SET micros = micros - ?2 WHERE tenant = ?1")?
            .execute(params![&*r.tenant, r.cost.micros()])?;
        if debited == 1 {
            balance_paid = r.cost;
        }
    }
    let entry_id = insert_entry(&tx, now, &r.tenant, &r.number, r.kind, r.cost, 1, &r.message_id)?;
    if r.kind == EntryKind::Call {
        super::calls::record(&tx, r, balance_paid)?;
    }
    tx.prepare_cached(
        "INSERT INTO senders (number, sender, expires_micros) VALUES (?1, ?2, ?3)
         ON CONFLICT (number, sender) DO UPDATE SET expires_micros = excluded.expires_micros",
    )?
    .execute(params![
        &*r.number,
        &r.sender.as_bytes()[..],
        now.saturating_add(micros::from_seconds_u64(r.reply_once_per_seconds))
    ])?;
    let totals = read_totals(&tx, &r.tenant, &r.number, &r.periods)?;
    if abandoned.load(Ordering::SeqCst) {
        // Dropping `tx` rolls the debit back.
        return Err(LedgerError::Worker("the caller stopped waiting; decision rolled back".into()));
    }
    tx.commit()?;
    Ok(ReplyVerdict::Replied { entry_id, totals })
}

/// The first rule (after dedupe) that refuses the reply, if any.
fn refusal(tx: &Connection, r: &ReplyRequest) -> Result<Option<ReplyVerdict>, LedgerError> {
    let now = r.now_micros;
    let opted_out: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM opt_outs WHERE number = ?1 AND sender = ?2 AND expires_micros > ?3")?
        .query_row(params![&*r.number, &r.sender.as_bytes()[..], now], |row| row.get(0))
        .optional()?;
    if opted_out.is_some() {
        return Ok(Some(ReplyVerdict::OptedOut));
    }
    let remembered: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM senders WHERE number = ?1 AND sender = ?2 AND expires_micros > ?3")?
        .query_row(params![&*r.number, &r.sender.as_bytes()[..], now], |row| row.get(0))
        .optional()?;
    if remembered.is_some() {
        return Ok(Some(ReplyVerdict::RepeatSender));
    }
    if r.deferred.is_some() {
        let pending: Option<i64> = tx
            .prepare_cached(
                "SELECT 1 FROM deferred WHERE number = ?1 AND sender = ?2 AND state = 'pending' AND judge_by_micros > ?3",
            )?
            .query_row(params![&*r.number, &r.sender.as_bytes()[..], now], |row| row.get(0))
            .optional()?;
        if pending.is_none() {
            return Ok(Some(ReplyVerdict::NotPending));
        }
    }
    let now_seconds = micros::to_seconds(now);
    if let Some(max) = r.max_replies_per_minute {
        if read_counter(tx, &rules::rate(&r.number, now_seconds))?.micros() >= i64::from(max) {
            return Ok(Some(ReplyVerdict::RateLimited));
        }
    }
    if let Some(pacing) = r.deferred {
        if read_counter(tx, &rules::pace(&r.number, pacing.slot))?.micros() >= i64::from(pacing.slot_replies) {
            return Ok(Some(ReplyVerdict::Shielded));
        }
    }
    let totals = read_totals(tx, &r.tenant, &r.number, &r.periods)?;
    Ok(rules::budget_refusal(r, &totals))
}

pub(super) fn read_totals(
    c: &Connection,
    tenant: &str,
    number: &str,
    periods: &antirelou_domain::Periods,
) -> Result<SpendTotals, LedgerError> {
    Ok(SpendTotals {
        number_day: read_counter(c, &rules::number_day(number, &periods.day))?,
        tenant_month: read_counter(c, &rules::tenant_month(tenant, &periods.month))?,
        deployment_month: read_counter(c, &rules::deployment_month(&periods.month))?,
        balance: read_balance(c, tenant)?,
    })
}

/// Charges the ids of `b` never charged before: one entry for all of them.
pub(super) fn record_inbound(connection: &mut Connection, b: &InboundBatch) -> Result<InboundCharged, LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let expires = micros::after_seconds(b.now_micros, rules::MESSAGE_ID_TTL_SECONDS);
    let mut fresh: u32 = 0;
    {
        // A row changes (counts) when new, or when only an expired, unswept copy was there.
        let mut insert = tx.prepare_cached(
            "INSERT INTO inbound_ids (number, message_id, expires_micros) VALUES (?1, ?2, ?3)
             ON CONFLICT (number, message_id) DO UPDATE SET expires_micros = excluded.expires_micros
             WHERE inbound_ids.expires_micros <= ?4",
        )?;
        for id in &b.message_ids {
            fresh += insert.execute(params![&*b.number, id, expires, b.now_micros])? as u32;
        }
    }
    let amount =
        b.unit_price.checked_mul(fresh).ok_or_else(|| LedgerError::Refused("inbound charge overflows".into()))?;
    if fresh > 0 && amount > Money::ZERO {
        add_spend(&tx, &b.tenant, &b.number, &b.periods, amount)?;
        if b.prepaid {
            tx.prepare_cached("UPDATE balances SET micros = max(0, micros - ?2) WHERE tenant = ?1")?
                .execute(params![&*b.tenant, amount.micros()])?;
        }
        insert_entry(&tx, b.now_micros, &b.tenant, &b.number, EntryKind::Inbound, amount, fresh, "")?;
    }
    tx.commit()?;
    Ok(InboundCharged { messages: fresh, amount })
}

/// Adds `amount` to the number's day and the tenant's and deployment's month.
fn add_spend(
    tx: &Connection,
    tenant: &str,
    number: &str,
    periods: &antirelou_domain::Periods,
    amount: Money,
) -> Result<(), LedgerError> {
    let keep = micros::from_seconds(rules::PERIOD_RETENTION_SECONDS);
    let day_expires = periods.day_ends_micros.saturating_add(keep);
    let month_expires = periods.month_ends_micros.saturating_add(keep);
    add_counter(tx, &rules::number_day(number, &periods.day), amount.micros(), day_expires)?;
    add_counter(tx, &rules::tenant_month(tenant, &periods.month), amount.micros(), month_expires)?;
    add_counter(tx, &rules::deployment_month(&periods.month), amount.micros(), month_expires)
}

pub(super) fn read_counter(c: &Connection, key: &str) -> Result<Money, LedgerError> {
    let value: Option<i64> =
        c.prepare_cached("SELECT value FROM counters WHERE key = ?1")?.query_row([key], |row| row.get(0)).optional()?;
    Ok(Money::from_micros(value.unwrap_or(0)))
}

pub(super) fn add_counter(c: &Connection, key: &str, delta: i64, expires_micros: i64) -> Result<(), LedgerError> {
    c.prepare_cached(
        "INSERT INTO counters (key, value, expires_micros) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = value + excluded.value,
             expires_micros = max(expires_micros, excluded.expires_micros)",
    )?
    .execute(params![key, delta, expires_micros])?;
    Ok(())
}

pub(super) fn read_balance(c: &Connection, tenant: &str) -> Result<Option<Money>, LedgerError> {
    let micros: Option<i64> = c
        .prepare_cached("SELECT micros FROM balances WHERE tenant = ?1")?
        .query_row([tenant], |row| row.get(0))
        .optional()?;
    Ok(micros.map(Money::from_micros))
}
