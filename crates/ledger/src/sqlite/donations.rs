//! Donations of the SQLite ledger: one row per `(tenant, source, payment
//! id)`, kept for good (like the entries), each credit and refund one
//! IMMEDIATE transaction with its entry and the balance.

use antirelou_domain::Money;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::decide::read_balance;
use super::entries::{insert_entry, mark_top_up};
use super::SqliteLedger;
use crate::donations::{reference, CreditVerdict, Donation, DonationCredit, DonationRefund, Donations, RefundVerdict};
use crate::model::EntryKind;
use crate::{rules, LedgerError, LedgerEvent};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS donations (
    tenant TEXT NOT NULL, source TEXT NOT NULL, payment_id TEXT NOT NULL,
    amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
    credited_entry INTEGER, credited_at_micros INTEGER,
    refunded_entry INTEGER, refunded_at_micros INTEGER,
    PRIMARY KEY (tenant, source, payment_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS donations_by_credit ON donations (tenant, credited_entry);
";

/// What is recorded of a payment: whether it was refunded.
fn known(c: &Connection, tenant: &str, source: &str, payment_id: &str) -> Result<Option<Known>, LedgerError> {
    Ok(c.prepare_cached(
        "SELECT amount_micros, refunded_at_micros FROM donations
         WHERE tenant = ?1 AND source = ?2 AND payment_id = ?3",
    )?
    .query_row(params![tenant, source, payment_id], |row| {
        Ok(Known { amount: Money::from_micros(row.get(0)?), refunded: row.get::<_, Option<i64>>(1)?.is_some() })
    })
    .optional()?)
}

struct Known {
    amount: Money,
    refunded: bool,
}

pub(super) fn credit(connection: &mut Connection, d: &DonationCredit) -> Result<CreditVerdict, LedgerError> {
    crate::donations::check_credit(d)?;
    let source = d.source.as_str();
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match known(&tx, &d.tenant, source, &d.payment_id)? {
        Some(Known { refunded: true, .. }) => return Ok(CreditVerdict::AlreadyRefunded),
        Some(Known { refunded: false, .. }) => return Ok(CreditVerdict::AlreadyCredited),
        None => {}
    }
    let before = read_balance(&tx, &d.tenant)?.unwrap_or(Money::ZERO);
    let after = before.checked_add(d.amount).filter(|b| *b <= rules::MAX_BALANCE).ok_or_else(|| {
        LedgerError::Refused(format!("the balance would exceed {} (it is {before})", rules::MAX_BALANCE))
    })?;
    tx.execute(
        "INSERT INTO balances (tenant, micros) VALUES (?1, ?2)
         ON CONFLICT (tenant) DO UPDATE SET micros = excluded.micros",
        params![d.tenant, after.micros()],
    )?;
    let reference = reference(d.source, &d.payment_id);
    let entry_id = insert_entry(&tx, d.now_micros, &d.tenant, "", EntryKind::Donation, d.amount, 1, &reference)?;
    mark_top_up(&tx, &d.tenant, entry_id, after, d.now_micros)?;
    tx.prepare_cached(
        "INSERT INTO donations (tenant, source, payment_id, amount_micros, credited_entry, credited_at_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![d.tenant, source, d.payment_id, d.amount.micros(), entry_id as i64, d.now_micros])?;
    tx.commit()?;
    Ok(CreditVerdict::Credited { entry_id, balance: after })
}

pub(super) fn refund(connection: &mut Connection, r: &DonationRefund) -> Result<RefundVerdict, LedgerError> {
    crate::donations::check_payment_id(&r.payment_id)?;
    let source = r.source.as_str();
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let amount = match known(&tx, &r.tenant, source, &r.payment_id)? {
        Some(Known { refunded: true, .. }) => return Ok(RefundVerdict::AlreadyRefunded),
        Some(Known { amount, refunded: false }) => amount,
        None => {
            tx.prepare_cached(
                "INSERT INTO donations (tenant, source, payment_id, amount_micros, refunded_at_micros)
                 VALUES (?1, ?2, ?3, 0, ?4)",
            )?
            .execute(params![r.tenant, source, r.payment_id, r.now_micros])?;
            tx.commit()?;
            return Ok(RefundVerdict::NeverCredited);
        }
    };
    let before = read_balance(&tx, &r.tenant)?.unwrap_or(Money::ZERO);
    let after = before.saturating_sub(amount).max(Money::ZERO);
    tx.execute("UPDATE balances SET micros = ?2 WHERE tenant = ?1", params![r.tenant, after.micros()])?;
    let reference = reference(r.source, &r.payment_id);
    let entry_id = insert_entry(&tx, r.now_micros, &r.tenant, "", EntryKind::Refund, amount, 1, &reference)?;
    tx.prepare_cached(
        "UPDATE donations SET refunded_entry = ?4, refunded_at_micros = ?5
         WHERE tenant = ?1 AND source = ?2 AND payment_id = ?3",
    )?
    .execute(params![r.tenant, source, r.payment_id, entry_id as i64, r.now_micros])?;
    tx.commit()?;
    Ok(RefundVerdict::Debited { entry_id, amount, balance: after })
}

/// The tenant's credited donations, newest first (through the index).
pub(super) fn list(c: &Connection, tenant: &str, limit: usize) -> Result<Vec<Donation>, LedgerError> {
    let limit = limit.clamp(1, crate::donations::MAX_DONATIONS_PER_PAGE) as i64;
    let mut statement = c.prepare_cached(
        "SELECT source, payment_id, amount_micros, credited_at_micros, refunded_at_micros FROM donations
         WHERE tenant = ?1 AND credited_entry IS NOT NULL ORDER BY credited_entry DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![tenant, limit], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, Option<i64>>(4)?,
        ))
    })?;
    let mut donations = Vec::new();
    for row in rows {
        let (source, payment_id, amount, credited_at_micros, refunded_at_micros) = row?;
        let source = antirelou_domain::DonationSource::from_label(&source)
            .ok_or_else(|| LedgerError::Corrupt(format!("donation source {source:?}")))?;
        donations.push(Donation {
            source,
            payment_id,
            amount: Money::from_micros(amount),
            credited_at_micros,
            refunded_at_micros,
        });
    }
    Ok(donations)
}

#[async_trait]
impl Donations for SqliteLedger {
    async fn credit_donation(&self, credit: &DonationCredit) -> Result<CreditVerdict, LedgerError> {
        crate::donations::check_credit(credit)?;
        let credit = credit.clone();
        let tenant = credit.tenant.clone();
        let verdict = self.run(move |state| self::credit(&mut state.connection, &credit)).await?;
        if matches!(verdict, CreditVerdict::Credited { .. }) {
            let _ = self.inner.events.send(LedgerEvent::TopUp { tenant });
        }
        Ok(verdict)
    }

    async fn refund_donation(&self, refund: &DonationRefund) -> Result<RefundVerdict, LedgerError> {
        let refund = refund.clone();
        self.run(move |state| self::refund(&mut state.connection, &refund)).await
    }

    async fn donations(&self, tenant: &str, limit: usize) -> Result<Vec<Donation>, LedgerError> {
        let tenant = tenant.to_owned();
        self.run(move |state| list(&state.connection, &tenant, limit)).await
    }
}
