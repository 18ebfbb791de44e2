//! The requests Twilio would send, for `antirelou send`, the simulator and
//! tests: an inbound SMS form, its encoded body, and message ids.

use antirelou_domain::PhoneNumber;

pub use crate::form::encode_form;
use crate::message_ids::mix;

/// Build the form Twilio would POST for an inbound SMS, as (key, value)
/// pairs in Twilio's field order: ToCountry, ToState, SmsMessageSid,
/// NumMedia=0, ToCity, FromZip, SmsSid, FromState, SmsStatus=received,
/// FromCity, Body, FromCountry, To, ToZip, NumSegments=1, MessageSid,
/// AccountSid, From, ApiVersion=2010-04-01.
///
/// The countries come from the numbers (empty when unknown); state, city and
/// zip are empty, as Twilio sends them for most non-US numbers. Encode with
/// [`encode_form`] and sign with [`signature`](super::signature()).
pub fn inbound_form(account_sid: &str, message_sid: &str, from: &str, to: &str, body: &str) -> Vec<(String, String)> {
    let to_country = country_of(to);
    let from_country = country_of(from);
    [
        ("ToCountry", to_country.as_str()),
        ("ToState", ""),
        ("SmsMessageSid", message_sid),
        ("NumMedia", "0"),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", message_sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", body),
        ("FromCountry", from_country.as_str()),
        ("To", to),
        ("ToZip", ""),
        ("NumSegments", "1"),
        ("MessageSid", message_sid),
        ("AccountSid", account_sid),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// A fresh-looking MessageSid: "SM" + 32 lowercase hex chars derived from the
/// given u128 seed.
///
/// The seed is mixed by a bijection of `u128`, so consecutive seeds give
/// unrelated-looking ids and distinct seeds never collide.
pub fn message_sid_from(seed: u128) -> String {
    format!("SM{:032x}", mix(seed))
}

pub(crate) fn country_of(number: &str) -> String {
    PhoneNumber::parse(number).ok().and_then(|parsed| parsed.country().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::{signature, verify_signature, WebhookForm};
    use super::*;

    fn keys(pairs: &[(String, String)]) -> Vec<&str> {
        pairs.iter().map(|(key, _)| key.as_str()).collect()
    }

    #[test]
    fn inbound_form_has_twilio_fields_in_twilio_order() {
        let form = inbound_form("AC1", "SM1", "+33700000001", "+33612345678", "hi");
        assert_eq!(
            keys(&form),
            [
                "ToCountry",
                "ToState",
                "SmsMessageSid",
                "NumMedia",
                "ToCity",
                "FromZip",
                "SmsSid",
                "FromState",
                "SmsStatus",
                "FromCity",
                "Body",
                "FromCountry",
                "To",
                "ToZip",
                "NumSegments",
                "MessageSid",
                "AccountSid",
                "From",
                "ApiVersion",
            ]
        );
        let form = WebhookForm::from_pairs(form);
        assert_eq!(form.get("NumMedia"), Some("0"));
        assert_eq!(form.get("SmsStatus"), Some("received"));
        assert_eq!(form.get("ApiVersion"), Some("2010-04-01"));
    }

    #[test]
    fn countries_come_from_the_numbers() {
        let form = WebhookForm::from_pairs(inbound_form("AC1", "SM1", "+32470123456", "+33612345678", ""));
        assert_eq!(form.get("ToCountry"), Some("FR"));
        assert_eq!(form.get("FromCountry"), Some("BE"));
        let form = WebhookForm::from_pairs(inbound_form("AC1", "SM1", "not a number", "+33612345678", ""));
        assert_eq!(form.get("FromCountry"), Some(""));
    }

    #[test]
    fn encoded_inbound_form_parses_back_to_the_same_sms() {
        let body = "Salut & à+ bientôt = 100% 😀";
        let pairs = inbound_form("AC1", "SM1", "+33700000001", "+33612345678", body);
        let encoded = encode_form(&pairs);
        assert!(!encoded.contains(' '));
        let form = WebhookForm::parse(encoded.as_bytes()).expect("our own encoding parses");
        assert_eq!(form.pairs(), pairs.as_slice());
        let sms = form.to_inbound().expect("complete");
        assert_eq!(sms.body, body);
        assert_eq!(sms.from, "+33700000001");
        assert_eq!(sms.to, "+33612345678");
        assert_eq!(sms.message_sid, "SM1");
        assert_eq!(sms.account_sid, "AC1");
        assert_eq!(sms.num_segments, Some(1));
    }

    #[test]
    fn a_signed_emulated_request_verifies_after_the_round_trip() {
        let url = "https://sms.example.org/webhooks/twilio";
        let pairs = inbound_form("AC1", &message_sid_from(7), "+33700000001", "+33612345678", "a+b");
        let header = signature("token", url, &pairs);
        let received = WebhookForm::parse(encode_form(&pairs).as_bytes()).expect("parses");
        assert_eq!(verify_signature("token", url, received.pairs(), &header), Ok(()));
    }

    #[test]
    fn message_sid_is_sm_and_32_lowercase_hex_digits() {
        for seed in [0, 1, 42, u128::MAX] {
            let sid = message_sid_from(seed);
            assert_eq!(sid.len(), 34, "{sid}");
            assert!(sid.starts_with("SM"));
            assert!(sid[2..].bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{sid}");
        }
    }

    #[test]
    fn message_sid_is_deterministic_and_distinct_per_seed() {
        assert_eq!(message_sid_from(5), message_sid_from(5));
        let sids: std::collections::HashSet<String> = (0..10_000).map(message_sid_from).collect();
        assert_eq!(sids.len(), 10_000);
        // Consecutive seeds do not share a visible prefix.
        assert_ne!(message_sid_from(1)[..10], message_sid_from(2)[..10]);
    }
}
