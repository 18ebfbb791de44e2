//! [`DonationResult`]: what became of one payment a notification named, as
//! one vocabulary: the `result` label of `antirelou_donations_total`, and
//! what the notification route answers.

use std::fmt;

/// What became of one payment named by a notification (or of a
/// notification that named none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DonationResult {
    /// Confirmed and credited now.
    Credited,
    /// A confirmed refund, debited now.
    Refunded,
    /// Credited (or its refund debited) before: a replay, nothing written.
    Duplicate,
    /// A confirmed refund of a payment never credited: nothing debited, and
    /// the payment will never be credited.
    RefundNotCredited,
    /// The platform says the payment is not (yet) paid: `Pending`,
    /// `Refused`, ... Nothing written; a later notification may credit it.
    NotAuthorized,
    /// The payment belongs to another organisation or collective.
    OtherAccount,
    /// The payment was made on a form the tenant does not list (`form_slugs`).
    FormNotListed,
    /// The platform does not know the payment.
    UnknownPayment,
    /// Not a contribution to the collective (an expense, a fee, ...).
    NotADonation,
    /// Paid in a currency other than the ledger's.
    WrongCurrency,
    /// A notification about something other than a payment (a form, an
    /// organisation, a new member): nothing to read back.
    Ignored,
    /// Not read back: the tenant's read-backs are over their limit. The
    /// platform is asked to retry later.
    RateLimited,
    /// The platform could not be asked (unreachable, an error, an answer we
    /// cannot read). The platform is asked to retry later.
    ApiUnavailable,
    /// The platform refuses the tenant's credentials. The platform is asked
    /// to retry later (once the credentials are fixed, a retry credits).
    CredentialsRefused,
    /// The ledger could not record it. The platform is asked to retry later.
    LedgerUnavailable,
    /// The notification is not one the platform sends (not its JSON, too
    /// many payments).
    Malformed,
}

impl DonationResult {
    pub const ALL: [DonationResult; 16] = [
        DonationResult::Credited,
        DonationResult::Refunded,
        DonationResult::Duplicate,
        DonationResult::RefundNotCredited,
        DonationResult::NotAuthorized,
        DonationResult::OtherAccount,
        DonationResult::FormNotListed,
        DonationResult::UnknownPayment,
        DonationResult::NotADonation,
        DonationResult::WrongCurrency,
        DonationResult::Ignored,
        DonationResult::RateLimited,
        DonationResult::ApiUnavailable,
        DonationResult::CredentialsRefused,
        DonationResult::LedgerUnavailable,
        DonationResult::Malformed,
    ];

    /// The `result` label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            DonationResult::Credited => "credited",
            DonationResult::Refunded => "refunded",
            DonationResult::Duplicate => "duplicate",
            DonationResult::RefundNotCredited => "refund_not_credited",
            DonationResult::NotAuthorized => "not_authorized",
            DonationResult::OtherAccount => "other_account",
            DonationResult::FormNotListed => "form_not_listed",
            DonationResult::UnknownPayment => "unknown_payment",
            DonationResult::NotADonation => "not_a_donation",
            DonationResult::WrongCurrency => "wrong_currency",
            DonationResult::Ignored => "ignored",
            DonationResult::RateLimited => "rate_limited",
            DonationResult::ApiUnavailable => "api_unavailable",
            DonationResult::CredentialsRefused => "credentials_refused",
            DonationResult::LedgerUnavailable => "ledger_unavailable",
            DonationResult::Malformed => "malformed",
        }
    }

    pub fn from_label(label: &str) -> Option<DonationResult> {
        DonationResult::ALL.into_iter().find(|r| r.as_str() == label)
    }

    /// Whether the payment is still undecided and the platform should send
    /// the notification again later (answered `503`); every other result
    /// is final (answered `200`, or `400` when malformed).
    pub const fn retry_later(self) -> bool {
        matches!(
            self,
            DonationResult::RateLimited
                | DonationResult::ApiUnavailable
                | DonationResult::CredentialsRefused
                | DonationResult::LedgerUnavailable
        )
    }

    /// Whether the same answer holds for the payment whenever it is asked
    /// again (its organisation, form, kind and currency never change), so it
    /// may be remembered instead of read back. `UnknownPayment` is not: ids
    /// are sequential, and remembering one asked for before it exists would
    /// lose the donation when it does.
    pub const fn is_lasting_refusal(self) -> bool {
        matches!(
            self,
            DonationResult::OtherAccount
                | DonationResult::FormNotListed
                | DonationResult::NotADonation
                | DonationResult::WrongCurrency
        )
    }
}

impl fmt::Display for DonationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_only_undecided_results_ask_for_a_retry() {
        for result in DonationResult::ALL {
            assert_eq!(DonationResult::from_label(result.as_str()), Some(result));
            assert!(!(result.retry_later() && result.is_lasting_refusal()), "{result}");
        }
        let retried: Vec<_> = DonationResult::ALL.into_iter().filter(|r| r.retry_later()).collect();
        assert_eq!(retried.len(), 4);
        assert!(!DonationResult::UnknownPayment.is_lasting_refusal());
        assert!(!DonationResult::NotAuthorized.is_lasting_refusal(), "a pending payment gets paid later");
    }
}
