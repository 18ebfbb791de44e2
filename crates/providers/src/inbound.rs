//! What every provider's inbound path produces: one [`InboundSms`], the same
//! whatever the wire format, so the engine never sees a provider.

use std::fmt;

pub use antirelou_domain::is_e164;
use antirelou_domain::ProviderKind;

/// One verified inbound SMS, normalised.
///
/// `Debug` leaves out the sender and the body (personal data).
#[derive(Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub provider: ProviderKind,
    /// The provider's id of this message (Twilio `MessageSid`, Vonage
    /// `messageId`, Plivo `MessageUUID`, OVHcloud incoming id): the dedupe key.
    pub message_id: String,
    /// The sender as the provider gave it, with a leading `+` added when the
    /// provider writes E.164 without one. May be an alphanumeric sender or a
    /// short code (the engine answers those `not_a_phone`).
    pub from: String,
    /// Our number, E.164 with `+`.
    pub to: String,
    /// The text (reassembled when it came in several parts). Read in memory
    /// only: never stored, logged or sent anywhere.
    pub body: String,
}

impl fmt::Debug for InboundSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundSms")
            .field("provider", &self.provider)
            .field("message_id", &self.message_id)
            .field("to", &self.to)
            .field("from", &"<hidden>")
            .field("body", &format_args!("<{} chars>", self.body.chars().count()))
            .finish()
    }
}

/// One verified incoming call, normalised: the engine decides it like an
/// SMS, with the call id as its message id.
///
/// `Debug` leaves out the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundCall {
    pub provider: ProviderKind,
    /// The provider's id of this call (Twilio `CallSid`): the dedupe key,
    /// and the reference of its ledger entry.
    pub call_id: String,
    /// The caller as the provider gave it (`+` added as for an SMS sender).
    pub from: String,
    /// Our number, E.164 with `+`.
    pub to: String,
}

impl fmt::Debug for InboundCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundCall")
            .field("provider", &self.provider)
            .field("call_id", &self.call_id)
            .field("to", &self.to)
            .field("from", &"<hidden>")
            .finish()
    }
}

/// A sender as [`InboundSms::from`] holds it, from a provider that writes
/// E.164 without its `+` (Vonage `msisdn`, Plivo `From`): `+` is added when
/// the digits make an E.164 number; anything else (a short code, an
/// alphanumeric sender) is kept as given.
pub fn sender_with_plus(raw: &str) -> String {
    match our_number_with_plus(raw) {
        Some(e164) => e164,
        None => raw.to_owned(),
    }
}

/// Our number (E.164 with `+`) from a provider that may leave the `+` out,
/// or `None` when the text is not an E.164 number either way.
pub fn our_number_with_plus(raw: &str) -> Option<String> {
    if is_e164(raw) {
        return Some(raw.to_owned());
    }
    let with_plus = format!("+{raw}");
    is_e164(&with_plus).then_some(with_plus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_an_e164_number_gain_their_plus() {
        assert_eq!(sender_with_plus("33612345678"), "+33612345678");
        assert_eq!(sender_with_plus("+33612345678"), "+33612345678");
        assert_eq!(our_number_with_plus("14155552671").as_deref(), Some("+14155552671"));
    }

    #[test]
    fn short_codes_and_alphanumeric_senders_are_kept_as_given() {
        for raw in ["36180", "INFO", "", "+", "0612345678", "1234567890123456"] {
            assert_eq!(sender_with_plus(raw), raw);
            assert_eq!(our_number_with_plus(raw), None, "{raw}");
        }
    }

    #[test]
    fn debug_hides_the_sender_and_the_body() {
        let sms = InboundSms {
            provider: ProviderKind::Vonage,
            message_id: "0A01".into(),
            from: "+33700000001".into(),
            to: "+33939000001".into(),
            body: "Bonjour".into(),
        };
        let shown = format!("{sms:?}");
        assert!(shown.contains("0A01") && shown.contains("+33939000001"), "{shown}");
        assert!(!shown.contains("33700000001") && !shown.contains("Bonjour"), "{shown}");
    }
}
