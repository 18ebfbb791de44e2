//! Donations ([`Donations`]): a platform's payment, once its platform
//! confirmed it, credited to the tenant's prepaid balance **once per payment
//! id** whatever replays it, and its refund debited once.
//!
//! A donation is known by `(tenant, source, payment id)`; its ledger entries
//! (kinds `donation` and `refund`) carry the reference `source:payment id`
//! and nothing about the donor. A refund that arrives before its credit (a
//! payment refunded before we heard of it, or two replicas racing) is
//! recorded too, so that a later credit of the same payment is refused.

use antirelou_domain::{is_payment_id, DonationSource, Money};
use async_trait::async_trait;

use crate::{rules, LedgerError};

/// A confirmed payment to credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DonationCredit {
    pub tenant: String,
    pub source: DonationSource,
    /// The platform's payment id ([`is_payment_id`]).
    pub payment_id: String,
    /// What the tenant receives (positive, at most [`rules::MAX_TOP_UP`]).
    pub amount: Money,
    pub now_micros: i64,
}

/// A confirmed refund of a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DonationRefund {
    pub tenant: String,
    pub source: DonationSource,
    pub payment_id: String,
    pub now_micros: i64,
}

/// What [`Donations::credit_donation`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreditVerdict {
    /// Credited now: the entry and the balance after it.
    Credited { entry_id: u64, balance: Money },
    /// This payment was credited before: nothing written.
    AlreadyCredited,
    /// This payment was refunded before: nothing written.
    AlreadyRefunded,
}

/// What [`Donations::refund_donation`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundVerdict {
    /// The credited amount is debited now (the balance goes down to zero at
    /// most; the entry records the whole amount): the entry, the amount and
    /// the balance after it.
    Debited { entry_id: u64, amount: Money, balance: Money },
    /// This payment's refund was recorded before: nothing written.
    AlreadyRefunded,
    /// This payment was never credited: nothing is debited, and the payment
    /// is recorded as refunded so that it is never credited later.
    NeverCredited,
}

/// One credited donation, as the console lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Donation {
    pub source: DonationSource,
    pub payment_id: String,
    pub amount: Money,
    pub credited_at_micros: i64,
    /// When its refund was debited, if it was.
    pub refunded_at_micros: Option<i64>,
}

/// The most donations one call lists.
pub const MAX_DONATIONS_PER_PAGE: usize = 200;

/// The donation operations of a ledger; each is one atomic operation.
#[async_trait]
pub trait Donations: Send + Sync {
    /// Credits a confirmed payment once: the balance, a `donation` entry, the
    /// tenant's last top-up (the balance alerts start a new round) and the
    /// payment's record, or nothing when the payment is known. Refused
    /// (`LedgerError::Refused`, nothing written) when the amount or the id is
    /// not acceptable ([`check_credit`]) or the balance would pass
    /// [`rules::MAX_BALANCE`].
    async fn credit_donation(&self, credit: &DonationCredit) -> Result<CreditVerdict, LedgerError>;

    /// Debits a refunded payment once (see [`RefundVerdict`]).
    async fn refund_donation(&self, refund: &DonationRefund) -> Result<RefundVerdict, LedgerError>;

    /// The tenant's credited donations, newest first, at most `limit`
    /// (clamped to 1..=[`MAX_DONATIONS_PER_PAGE`]).
    async fn donations(&self, tenant: &str, limit: usize) -> Result<Vec<Donation>, LedgerError>;
}

/// The reference of a donation's entries: `helloasso:7269832`.
pub fn reference(source: DonationSource, payment_id: &str) -> String {
    format!("{}:{payment_id}", source.as_str())
}

/// The source and payment id of a donation entry's reference.
pub fn parse_reference(reference: &str) -> Option<(DonationSource, &str)> {
    let (source, id) = reference.split_once(':')?;
    Some((DonationSource::from_label(source)?, id))
}

/// Refuses a credit whose payment id is not a plain id or whose amount is
/// not positive or above [`rules::MAX_TOP_UP`].
pub fn check_credit(credit: &DonationCredit) -> Result<(), LedgerError> {
    check_payment_id(&credit.payment_id)?;
    if credit.amount <= Money::ZERO || credit.amount > rules::MAX_TOP_UP {
        return Err(LedgerError::Refused(format!(
            "a donation must be positive and at most {} (got {})",
            rules::MAX_TOP_UP,
            credit.amount
        )));
    }
    Ok(())
}

/// Refuses a payment id that [`is_payment_id`] does not accept.
pub fn check_payment_id(id: &str) -> Result<(), LedgerError> {
    if is_payment_id(id) {
        Ok(())
    } else {
        Err(LedgerError::Refused(format!("{id:?} is not a payment id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_the_source_and_the_payment() {
        assert_eq!(reference(DonationSource::HelloAsso, "7269832"), "helloasso:7269832");
        assert_eq!(parse_reference("opencollective:42"), Some((DonationSource::OpenCollective, "42")));
        assert_eq!(parse_reference("gala"), None);
        assert_eq!(parse_reference("paypal:1"), None);
    }
}
