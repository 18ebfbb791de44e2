//! [`TwilioInbound`]: an inbound SMS as Twilio's form describes it, read
//! leniently (any non-empty ids). The webhook route uses the strict
//! [`inbound`](super::inbound()) instead, which verifies, checks every field
//! and produces the provider-neutral [`InboundSms`](crate::InboundSms).

use std::fmt;

use crate::form::{FormError, WebhookForm};

/// One inbound SMS as Twilio describes it.
///
/// `Debug` leaves out the sender and the body (personal data).
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioInbound {
    pub message_sid: String,
    pub account_sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub num_segments: Option<u32>,
}

impl TwilioInbound {
    /// Reads the inbound SMS: `MessageSid` (or the older `SmsSid`),
    /// `AccountSid`, `From` and `To` are required and must not be empty;
    /// an absent `Body` is the empty text; `NumSegments` is kept only when it
    /// is a number. No format check: see [`inbound`](super::inbound()).
    pub fn read(form: &WebhookForm) -> Result<TwilioInbound, FormError> {
        let non_empty = |key: &str| form.get(key).filter(|value| !value.is_empty());
        let required = |key: &'static str| non_empty(key).ok_or(FormError::Missing(key));
        let message_sid =
            non_empty("MessageSid").or_else(|| non_empty("SmsSid")).ok_or(FormError::Missing("MessageSid"))?;
        Ok(TwilioInbound {
            message_sid: message_sid.to_owned(),
            account_sid: required("AccountSid")?.to_owned(),
            from: required("From")?.to_owned(),
            to: required("To")?.to_owned(),
            body: form.get("Body").unwrap_or_default().to_owned(),
            num_segments: form.get("NumSegments").and_then(|n| n.parse().ok()),
        })
    }
}

impl WebhookForm {
    /// The lenient Twilio reading of this form: [`TwilioInbound::read`].
    pub fn to_inbound(&self) -> Result<TwilioInbound, FormError> {
        TwilioInbound::read(self)
    }
}

impl fmt::Debug for TwilioInbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioInbound")
            .field("message_sid", &self.message_sid)
            .field("account_sid", &self.account_sid)
            .field("to", &self.to)
            .field("body_chars", &self.body.chars().count())
            .field("num_segments", &self.num_segments)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> WebhookForm {
        WebhookForm::parse(body.as_bytes()).expect("form parses")
    }

    const TWILIO_BODY: &str = "ToCountry=FR&SmsMessageSid=SM0123&NumMedia=0&SmsSid=SM0123\
        &Body=Bonjour+%C3%A0+vous+%26+merci&To=%2B33612345678&NumSegments=1\
        &MessageSid=SM0123&AccountSid=AC42&From=%2B33700000001&ApiVersion=2010-04-01";

    #[test]
    fn a_real_twilio_form_reads_as_an_inbound_sms() {
        let sms = form(TWILIO_BODY).to_inbound().expect("complete form");
        assert_eq!(
            sms,
            TwilioInbound {
                message_sid: "SM0123".into(),
                account_sid: "AC42".into(),
                from: "+33700000001".into(),
                to: "+33612345678".into(),
                body: "Bonjour à vous & merci".into(),
                num_segments: Some(1),
            }
        );
    }

    #[test]
    fn missing_from_is_reported_by_name() {
        let error = form("MessageSid=SM1&AccountSid=AC1&To=%2B331").to_inbound();
        assert_eq!(error, Err(FormError::Missing("From")));
        assert_eq!(FormError::Missing("From").to_string(), "required form field From is missing or empty");
    }

    #[test]
    fn empty_required_field_counts_as_missing() {
        let error = form("MessageSid=SM1&AccountSid=&From=%2B1&To=%2B2").to_inbound();
        assert_eq!(error, Err(FormError::Missing("AccountSid")));
    }

    #[test]
    fn sms_sid_stands_in_for_a_missing_message_sid() {
        let sms = form("SmsSid=SM9&AccountSid=AC1&From=%2B1&To=%2B2").to_inbound().expect("SmsSid is enough");
        assert_eq!(sms.message_sid, "SM9");
        let error = form("AccountSid=AC1&From=%2B1&To=%2B2").to_inbound();
        assert_eq!(error, Err(FormError::Missing("MessageSid")));
    }

    #[test]
    fn absent_body_is_empty_text_and_odd_num_segments_is_none() {
        let sms = form("MessageSid=SM1&AccountSid=AC1&From=%2B1&To=%2B2&NumSegments=x")
            .to_inbound()
            .expect("Body is optional");
        assert_eq!(sms.body, "");
        assert_eq!(sms.num_segments, None);
    }

    #[test]
    fn debug_output_never_shows_sender_or_body() {
        let form = form(TWILIO_BODY);
        let sms = form.to_inbound().expect("complete form");
        for shown in [format!("{form:?}"), format!("{sms:?}")] {
            assert!(!shown.contains("33700000001"), "{shown}");
            assert!(!shown.contains("Bonjour"), "{shown}");
        }
    }
}
