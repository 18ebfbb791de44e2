//! Donations of the Redis ledger: `donate.lua` and `refund.lua` (one atomic
//! script each, so two replicas given the same payment credit it once), and
//! the tenant's list read newest first from its sorted set.

use ::redis::Value;
use antirelou_domain::{DonationSource, Money};
use async_trait::async_trait;

use super::{events, script, RedisLedger, ENTRIES_MAXLEN};
use crate::donations::{
    parse_reference, reference, CreditVerdict, Donation, DonationCredit, DonationRefund, Donations, RefundVerdict,
    MAX_DONATIONS_PER_PAGE,
};
use crate::{rules, LedgerError, LedgerEvent};

#[async_trait]
impl Donations for RedisLedger {
    async fn credit_donation(&self, d: &DonationCredit) -> Result<CreditVerdict, LedgerError> {
        crate::donations::check_credit(d)?;
        let ks = &self.inner.keys;
        let event = events::encode(&LedgerEvent::TopUp { tenant: d.tenant.clone() });
        let mut call = self.inner.scripts.donate.prepare_invoke();
        call.key(ks.balances())
            .key(ks.entry_ids())
            .key(ks.entries())
            .key(ks.last_top_ups())
            .key(ks.donations(&d.tenant))
            .key(ks.donation_index(&d.tenant))
            .arg(&d.tenant)
            .arg(reference(d.source, &d.payment_id))
            .arg(d.amount.micros().to_string())
            .arg(d.now_micros.to_string())
            .arg(ENTRIES_MAXLEN)
            .arg(ks.events())
            .arg(event)
            .arg(rules::MAX_BALANCE.micros().to_string());
        let reply: Vec<Value> = self.bounded(call.invoke_async(&mut self.connection())).await?;
        let int = |i: usize| reply.get(i).and_then(script::integer).ok_or_else(|| corrupt("donate", &reply));
        match int(0)? {
            0 => Ok(CreditVerdict::Credited {
                entry_id: u64::try_from(int(1)?).map_err(|_| corrupt("donate", &reply))?,
                balance: Money::from_micros(int(2)?),
            }),
            1 => Ok(CreditVerdict::AlreadyCredited),
            2 => Ok(CreditVerdict::AlreadyRefunded),
            3 => Err(LedgerError::Refused(format!(
                "the balance would exceed {} (it is {})",
                rules::MAX_BALANCE,
                Money::from_micros(int(1)?)
            ))),
            _ => Err(corrupt("donate", &reply)),
        }
    }

    async fn refund_donation(&self, r: &DonationRefund) -> Result<RefundVerdict, LedgerError> {
        crate::donations::check_payment_id(&r.payment_id)?;
        let ks = &self.inner.keys;
        let mut call = self.inner.scripts.refund.prepare_invoke();
        call.key(ks.balances())
            .key(ks.entry_ids())
            .key(ks.entries())
            .key(ks.donations(&r.tenant))
            .arg(&r.tenant)
            .arg(reference(r.source, &r.payment_id))
            .arg(r.now_micros.to_string())
            .arg(ENTRIES_MAXLEN);
        let reply: Vec<Value> = self.bounded(call.invoke_async(&mut self.connection())).await?;
        let int = |i: usize| reply.get(i).and_then(script::integer).ok_or_else(|| corrupt("refund", &reply));
        match int(0)? {
            0 => Ok(RefundVerdict::Debited {
                entry_id: u64::try_from(int(1)?).map_err(|_| corrupt("refund", &reply))?,
                amount: Money::from_micros(int(2)?),
                balance: Money::from_micros(int(3)?),
            }),
            1 => Ok(RefundVerdict::AlreadyRefunded),
            2 => Ok(RefundVerdict::NeverCredited),
            _ => Err(corrupt("refund", &reply)),
        }
    }

    async fn donations(&self, tenant: &str, limit: usize) -> Result<Vec<Donation>, LedgerError> {
        let limit = limit.clamp(1, MAX_DONATIONS_PER_PAGE);
        let ks = &self.inner.keys;
        let fields: Vec<String> = self
            .bounded(
                ::redis::cmd("ZREVRANGE")
                    .arg(ks.donation_index(tenant))
                    .arg(0)
                    .arg(limit - 1)
                    .query_async(&mut self.connection()),
            )
            .await?;
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        let records: Vec<Option<String>> = self
            .bounded(::redis::cmd("HMGET").arg(ks.donations(tenant)).arg(&fields).query_async(&mut self.connection()))
            .await?;
        fields
            .iter()
            .zip(records)
            .map(|(field, record)| {
                let record = record.ok_or_else(|| LedgerError::Corrupt(format!("donation {field:?} not recorded")))?;
                decode(field, &record).ok_or_else(|| LedgerError::Corrupt(format!("donation {field:?}: {record:?}")))
            })
            .collect()
    }
}

/// A donation from its field (`source:payment id`) and its record
/// (`amount:credit entry:credited at:refunded at`).
fn decode(field: &str, record: &str) -> Option<Donation> {
    let (source, payment_id): (DonationSource, &str) = parse_reference(field)?;
    let mut parts = record.split(':');
    let amount = parts.next()?.parse().ok()?;
    let _entry = parts.next()?;
    let credited_at_micros = parts.next()?.parse().ok()?;
    let refunded_at_micros = match parts.next()? {
        "" => None,
        at => Some(at.parse().ok()?),
    };
    Some(Donation {
        source,
        payment_id: payment_id.to_owned(),
        amount: Money::from_micros(amount),
        credited_at_micros,
        refunded_at_micros,
    })
}

fn corrupt(script: &str, reply: &[Value]) -> LedgerError {
    LedgerError::Corrupt(format!("unexpected {script} script reply {reply:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_decode_with_and_without_a_refund() {
        let credited = decode("helloasso:7269832", "10000000:12:1795867200000000:").unwrap();
        assert_eq!(
            (credited.source, credited.payment_id.as_str(), credited.amount),
            (DonationSource::HelloAsso, "7269832", Money::from_micros(10_000_000))
        );
        assert_eq!((credited.credited_at_micros, credited.refunded_at_micros), (1_795_867_200_000_000, None));
        let refunded = decode("opencollective:5", "2:3:4:5").unwrap();
        assert_eq!(refunded.refunded_at_micros, Some(5));
        assert_eq!(decode("paypal:5", "2:3:4:"), None);
        assert_eq!(decode("helloasso:5", "2:3"), None);
    }
}
