//! What every provider's inbound path produces: one [`InboundSms`], the same
//! whatever the wire format, so the engine never sees a provider.

use std::fmt;

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
