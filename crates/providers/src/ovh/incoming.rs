//! One SMS received on a virtual number (`sms.Incoming` in OVHcloud's API
//! schema: `id`, `sender`, `message`, `creationDatetime`, `credits`, `tag`),
//! how OVHcloud writes numbers, and the [`InboundSms`] the poller hands
//! to the engine.

use std::fmt;

use antirelou_domain::ProviderKind;
use serde::Deserialize;

use crate::inbound::InboundSms;
use crate::send_policy::ClientBuildError;

/// `GET /sms/{serviceName}/virtualNumbers/{number}/incoming/{id}`.
/// `Debug` hides the sender and the message.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OvhIncoming {
    pub id: u64,
    /// As OVHcloud writes it: `+33611223344`, `0033611223344`, or a short code / name.
    pub sender: String,
    pub message: String,
    /// ISO 8601 with offset, e.g. `2024-05-01T12:00:00+02:00`.
    #[serde(default)]
    pub creation_datetime: String,
    #[serde(default)]
    pub tag: Option<String>,
}

impl OvhIncoming {
    /// The normalised inbound SMS: the incoming id is the message id (the
    /// dedupe key, so a second poll of the same message is a duplicate),
    /// `to` is our virtual number in E.164.
    pub fn to_inbound(&self, our_number_e164: &str) -> InboundSms {
        InboundSms {
            provider: ProviderKind::Ovh,
            message_id: self.id.to_string(),
            from: sender_to_e164(&self.sender),
            to: our_number_e164.to_owned(),
            body: self.message.clone(),
        }
    }
}

impl fmt::Debug for OvhIncoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OvhIncoming")
            .field("id", &self.id)
            .field("sender", &"<hidden>")
            .field("message", &format_args!("<{} chars>", self.message.chars().count()))
            .field("creation_datetime", &self.creation_datetime)
            .finish()
    }
}

/// A sender as E.164 where OVHcloud wrote an international number:
/// `+33…` stays, `0033…` becomes `+33…`. Anything else (a national number,
/// a short code, an alphanumeric name) is kept as written: the engine
/// answers those `not_a_phone`.
pub fn sender_to_e164(sender: &str) -> String {
    let sender = sender.trim();
    match sender.strip_prefix("00") {
        Some(rest) if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) => format!("+{rest}"),
        _ => sender.to_owned(),
    }
}

/// Our number as OVHcloud writes it in API paths: `+33939000004` → `0033939000004`.
pub fn path_number(e164: &str) -> Result<String, ClientBuildError> {
    match e164.strip_prefix('+') {
        Some(digits) if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(format!("00{digits}"))
        }
        _ => Err(ClientBuildError::InvalidValue(format!("{e164:?} is not an E.164 number (+ and 6 to 15 digits)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_become_e164_when_they_are_international() {
        assert_eq!(sender_to_e164("+33611223344"), "+33611223344");
        assert_eq!(sender_to_e164("0033611223344"), "+33611223344");
        assert_eq!(sender_to_e164("0611223344"), "0611223344");
        assert_eq!(sender_to_e164("36111"), "36111");
        assert_eq!(sender_to_e164("OVH"), "OVH");
        assert_eq!(sender_to_e164("00"), "00");
    }

    #[test]
    fn our_number_is_written_with_00_in_paths() {
        assert_eq!(path_number("+33939000004").unwrap(), "0033939000004");
        assert!(path_number("0033939000004").is_err());
        assert!(path_number("+33 9 39").is_err());
    }

    #[test]
    fn an_incoming_as_the_api_answers_becomes_an_inbound_sms() {
        let incoming: OvhIncoming = serde_json::from_str(
            r#"{"id":4242,"sender":"+33611223344","message":"on se revoit ?","creationDatetime":"2024-05-01T12:00:00+02:00","credits":0,"tag":""}"#,
        )
        .unwrap();
        let inbound = incoming.to_inbound("+33939000004");
        assert_eq!(inbound.provider, ProviderKind::Ovh);
        assert_eq!(
            (inbound.message_id.as_str(), inbound.from.as_str(), inbound.to.as_str()),
            ("4242", "+33611223344", "+33939000004")
        );
        assert_eq!(inbound.body, "on se revoit ?");
        let shown = format!("{incoming:?}");
        assert!(!shown.contains("33611223344") && !shown.contains("revoit"), "{shown}");
    }
}
