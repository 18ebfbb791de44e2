//! Calls of the SQLite ledger: the record of each answered call (written by
//! the decision that paid it, in the same transaction), and its settlement
//! at its real duration, one IMMEDIATE transaction (the record marked
//! settled, the counters and the balance given back, the entry), so two
//! settlements of one call write once.

use antirelou_domain::{micros, Money};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::entries::insert_entry;
use super::SqliteLedger;
use crate::calls::{check_settlement, CallSettlement, Calls, SettleVerdict, CALL_RETENTION_SECONDS};
use crate::model::{EntryKind, ReplyRequest};
use crate::reports::{number_field, spend_field};
use crate::{rules, LedgerError, LedgerEvent};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS calls (
    number TEXT NOT NULL, call_id TEXT NOT NULL, tenant TEXT NOT NULL,
    reserved_micros INTEGER NOT NULL CHECK (reserved_micros >= 0),
    balance_paid_micros INTEGER NOT NULL CHECK (balance_paid_micros >= 0),
    day TEXT NOT NULL, month TEXT NOT NULL, at_micros INTEGER NOT NULL,
    settled_entry INTEGER, settled_seconds INTEGER, expires_micros INTEGER NOT NULL,
    PRIMARY KEY (number, call_id)) WITHOUT ROWID;
";

/// Records the answered call `r` paid (its reservation `r.cost`, and what
/// the prepaid balance paid of it) for its settlement.
pub(super) fn record(c: &Connection, r: &ReplyRequest, balance_paid: Money) -> Result<(), LedgerError> {
    c.prepare_cached(
        "INSERT INTO calls (number, call_id, tenant, reserved_micros, balance_paid_micros, day, month, at_micros,
                            expires_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (number, call_id) DO NOTHING",
    )?
    .execute(params![
        &*r.number,
        r.message_id,
        &*r.tenant,
        r.cost.micros(),
        balance_paid.micros(),
        r.periods.day,
        r.periods.month,
        r.now_micros,
        micros::after_seconds(r.now_micros, CALL_RETENTION_SECONDS),
    ])?;
    Ok(())
}

struct Recorded {
    tenant: String,
    reserved: Money,
    balance_paid: Money,
    day: String,
    month: String,
    settled: bool,
}

fn settle(connection: &mut Connection, s: &CallSettlement) -> Result<SettleVerdict, LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let recorded = tx
        .prepare_cached(
            "SELECT tenant, reserved_micros, balance_paid_micros, day, month, settled_entry IS NOT NULL FROM calls
             WHERE number = ?1 AND call_id = ?2 AND expires_micros > ?3",
        )?
        .query_row(params![s.number, s.call_id, s.now_micros], |row| {
            Ok(Recorded {
                tenant: row.get(0)?,
                reserved: Money::from_micros(row.get(1)?),
                balance_paid: Money::from_micros(row.get(2)?),
                day: row.get(3)?,
                month: row.get(4)?,
                settled: row.get(5)?,
            })
        })
        .optional()?;
    let Some(call) = recorded.filter(|call| call.tenant == s.tenant) else {
        return Ok(SettleVerdict::UnknownCall);
    };
    if call.settled {
        return Ok(SettleVerdict::AlreadySettled);
    }
    let (cost, over_reservation) = s.cost(call.reserved);
    let given_back = call.reserved.saturating_sub(cost);
    if given_back > Money::ZERO {
        let back = given_back.micros();
        for key in [
            rules::number_day(&s.number, &call.day),
            rules::tenant_month(&s.tenant, &call.month),
            rules::deployment_month(&call.month),
        ] {
            tx.prepare_cached("UPDATE counters SET value = max(0, value - ?2) WHERE key = ?1")?
                .execute(params![key, back])?;
        }
        let to_balance = given_back.min(call.balance_paid);
        if to_balance > Money::ZERO {
            tx.prepare_cached("UPDATE balances SET micros = micros + ?2 WHERE tenant = ?1")?
                .execute(params![s.tenant, to_balance.micros()])?;
        }
        let field = spend_field(EntryKind::Call.as_str());
        for field in [number_field(&s.number, &field), field] {
            tx.prepare_cached(
                "INSERT INTO day_counts (tenant, day, field, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant, day, field) DO UPDATE SET value = value + excluded.value",
            )?
            .execute(params![s.tenant, call.day, field, -back])?;
        }
    }
    let entry_id =
        insert_entry(&tx, s.now_micros, &s.tenant, &s.number, EntryKind::CallSettled, given_back, 1, &s.call_id)?;
    tx.prepare_cached("UPDATE calls SET settled_entry = ?3, settled_seconds = ?4 WHERE number = ?1 AND call_id = ?2")?
        .execute(params![s.number, s.call_id, entry_id as i64, s.seconds])?;
    tx.commit()?;
    Ok(SettleVerdict::Settled { entry_id, reserved: call.reserved, cost, given_back, over_reservation })
}

#[async_trait]
impl Calls for SqliteLedger {
    async fn settle_call(&self, settlement: &CallSettlement) -> Result<SettleVerdict, LedgerError> {
        check_settlement(settlement)?;
        let settlement = settlement.clone();
        let tenant = settlement.tenant.clone();
        let verdict = self.run(move |state| settle(&mut state.connection, &settlement)).await?;
        if matches!(verdict, SettleVerdict::Settled { given_back, .. } if given_back > Money::ZERO) {
            let _ = self.inner.events.send(LedgerEvent::TopUp { tenant });
        }
        Ok(verdict)
    }
}
