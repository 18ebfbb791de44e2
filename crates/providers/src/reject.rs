//! Why a webhook is refused: [`RejectReason`], the one vocabulary of the
//! `reason` label of `antirelou_webhook_rejected_total`, and
//! [`InboundError`], what every provider's `inbound(...)` returns on refusal.

use std::fmt;

use crate::form::FormError;

/// Why a webhook was refused before any decision (the `reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// The signature is missing or does not match the request.
    BadSignature,
    /// Validly signed, but for another account than the number's tenant.
    AccountMismatch,
    /// No tenant serves the number the webhook is for (the web layer decides).
    UnknownNumber,
    /// A field is missing, repeated, or not in the provider's format.
    Malformed,
    /// The body is over the webhook limit (the web layer decides).
    TooLarge,
    /// The signed timestamp is too far from now (a replayed capture).
    StaleTimestamp,
    /// The body did not arrive within the request deadline (a slow client;
    /// the web layer decides).
    Timeout,
}

impl RejectReason {
    pub const ALL: [RejectReason; 7] = [
        RejectReason::BadSignature,
        RejectReason::AccountMismatch,
        RejectReason::UnknownNumber,
        RejectReason::Malformed,
        RejectReason::TooLarge,
        RejectReason::StaleTimestamp,
        RejectReason::Timeout,
    ];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectReason::BadSignature => "bad_signature",
            RejectReason::AccountMismatch => "account_mismatch",
            RejectReason::UnknownNumber => "unknown_number",
            RejectReason::Malformed => "malformed",
            RejectReason::TooLarge => "too_large",
            RejectReason::StaleTimestamp => "stale_timestamp",
            RejectReason::Timeout => "timeout",
        }
    }

    pub fn from_label(label: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|reason| reason.as_str() == label)
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a provider's `inbound(...)` refused a webhook. Never carries a
/// sender, a body or a secret: only field names and fixed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// Signature header or parameter missing, or not matching.
    #[error("webhook signature is missing or does not match")]
    BadSignature,
    /// Signed for an account that is not the tenant's (Twilio `AccountSid`, Vonage `api-key`).
    #[error("webhook is for another account than the number's tenant")]
    AccountMismatch,
    /// The named field is missing, repeated, or not in the provider's format.
    #[error("malformed webhook: {0}")]
    Malformed(&'static str),
    /// The signed timestamp is further than the allowed skew from now.
    #[error("webhook timestamp is too far from now")]
    StaleTimestamp,
}

impl InboundError {
    /// The `reason` label this refusal is counted under.
    pub const fn reason(self) -> RejectReason {
        match self {
            InboundError::BadSignature => RejectReason::BadSignature,
            InboundError::AccountMismatch => RejectReason::AccountMismatch,
            InboundError::Malformed(_) => RejectReason::Malformed,
            InboundError::StaleTimestamp => RejectReason::StaleTimestamp,
        }
    }
}

impl From<FormError> for InboundError {
    fn from(error: FormError) -> InboundError {
        match error {
            FormError::NotUtf8 => InboundError::Malformed("not UTF-8 after percent-decoding"),
            FormError::Missing(field) => InboundError::Malformed(field),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_are_the_documented_seven() {
        let labels: Vec<&str> = RejectReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            labels,
            [
                "bad_signature",
                "account_mismatch",
                "unknown_number",
                "malformed",
                "too_large",
                "stale_timestamp",
                "timeout"
            ]
        );
        for reason in RejectReason::ALL {
            assert_eq!(RejectReason::from_label(reason.as_str()), Some(reason));
            assert_eq!(reason.to_string(), reason.as_str());
        }
        assert_eq!(RejectReason::from_label("unknown"), None);
    }

    #[test]
    fn every_inbound_error_maps_to_its_reason() {
        assert_eq!(InboundError::BadSignature.reason(), RejectReason::BadSignature);
        assert_eq!(InboundError::AccountMismatch.reason(), RejectReason::AccountMismatch);
        assert_eq!(InboundError::Malformed("To").reason(), RejectReason::Malformed);
        assert_eq!(InboundError::StaleTimestamp.reason(), RejectReason::StaleTimestamp);
    }

    #[test]
    fn form_errors_are_malformed_and_name_the_field() {
        assert_eq!(InboundError::from(FormError::Missing("From")), InboundError::Malformed("From"));
        assert_eq!(InboundError::from(FormError::NotUtf8).reason(), RejectReason::Malformed);
        assert_eq!(InboundError::Malformed("From").to_string(), "malformed webhook: From");
    }
}
