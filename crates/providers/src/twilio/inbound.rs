//! The Twilio webhook, strictly: verify `X-Twilio-Signature`, read every
//! field in Twilio's format, check the account, and produce an
//! [`InboundSms`].
//!
//! Why strict: Twilio's signature concatenates names and values with no
//! separator, so the field boundaries of a captured, validly signed webhook
//! can be moved (`From=+336…` + `FromCity=` re-split into
//! `From=+336…FromCity`) without breaking the signature. Every re-split
//! either breaks a format checked here (`MessageSid`, `To`, a required field
//! disappears) or leaves a sender that is not E.164, which the engine answers
//! `not_a_phone` (no reply, no charge).

use antirelou_domain::ProviderKind;

use super::signature::verify_signature;
use crate::form::WebhookForm;
use crate::inbound::{is_e164, InboundSms};
use crate::reject::InboundError;

/// The tenant's Twilio account, as needed to verify its webhooks.
#[derive(Clone, Copy)]
pub struct WebhookAuth<'a> {
    /// `AC…`: every webhook must carry this `AccountSid`.
    pub account_sid: &'a str,
    /// The auth token that signs `X-Twilio-Signature`.
    pub auth_token: &'a str,
}

/// Fields Twilio sends at most once in a messaging webhook: one of these
/// appearing twice is malformed. (Fields we do not know may repeat: the
/// signature covers them, and we never read them.)
pub const SINGLE_KEYS: [&str; 21] = [
    "MessageSid",
    "SmsSid",
    "SmsMessageSid",
    "AccountSid",
    "MessagingServiceSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "NumSegments",
    "SmsStatus",
    "ApiVersion",
    "FromCity",
    "FromState",
    "FromZip",
    "FromCountry",
    "ToCity",
    "ToState",
    "ToZip",
    "ToCountry",
    "OptOutType",
];

/// The number a webhook is for (its `To`, E.164 with `+`), read before any
/// verification to find the tenant whose secrets verify it.
pub fn routed_number(form: &WebhookForm) -> Result<&str, InboundError> {
    let to = form.get("To").ok_or(InboundError::Malformed("To"))?;
    if is_e164(to) {
        Ok(to)
    } else {
        Err(InboundError::Malformed("To"))
    }
}

/// Verifies and reads one Twilio messaging webhook.
///
/// `signed_url` is the URL Twilio requested, as configured in the Twilio
/// console (public scheme, host, path and query); `signature_header` the
/// `X-Twilio-Signature` header ("" when absent). In order: the signature
/// ([`InboundError::BadSignature`]), the fields ([`read`],
/// [`InboundError::Malformed`]), then the account
/// ([`InboundError::AccountMismatch`]).
pub fn inbound(
    form: &WebhookForm,
    signed_url: &str,
    signature_header: &str,
    auth: &WebhookAuth<'_>,
) -> Result<InboundSms, InboundError> {
    verify_signature(auth.auth_token, signed_url, form.pairs(), signature_header)
        .map_err(|_| InboundError::BadSignature)?;
    let (sms, account_sid) = read(form)?;
    if account_sid != auth.account_sid {
        return Err(InboundError::AccountMismatch);
    }
    Ok(sms)
}

/// Reads the fields strictly (no signature check), returning the SMS and
/// the `AccountSid`:
/// - no key of [`SINGLE_KEYS`] twice;
/// - `MessageSid` is `SM` or `MM` then 32 lowercase hex digits, and
///   `SmsSid` / `SmsMessageSid`, when present, are the same id;
/// - `AccountSid` and `From` are present and not empty (`From` is kept as
///   given: a short code or an alphanumeric sender is for the engine to
///   answer `not_a_phone`);
/// - `To` is E.164;
/// - an absent `Body` is the empty text.
pub fn read(form: &WebhookForm) -> Result<(InboundSms, &str), InboundError> {
    if let Some(key) = form.repeated_among(&SINGLE_KEYS) {
        return Err(InboundError::Malformed(key));
    }
    let message_sid = form.get("MessageSid").ok_or(InboundError::Malformed("MessageSid"))?;
    if !is_message_sid(message_sid) {
        return Err(InboundError::Malformed("MessageSid"));
    }
    for alias in ["SmsSid", "SmsMessageSid"] {
        if form.get(alias).is_some_and(|sid| sid != message_sid) {
            return Err(InboundError::Malformed(alias));
        }
    }
    let non_empty = |key: &'static str| form.get(key).filter(|v| !v.is_empty()).ok_or(InboundError::Malformed(key));
    let account_sid = non_empty("AccountSid")?;
    let from = non_empty("From")?;
    let to = routed_number(form)?;
    let sms = InboundSms {
        provider: ProviderKind::Twilio,
        message_id: message_sid.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        body: form.get("Body").unwrap_or_default().to_owned(),
    };
    Ok((sms, account_sid))
}

/// `^(SM|MM)[0-9a-f]{32}$`: the only message ids Twilio issues.
pub fn is_message_sid(text: &str) -> bool {
    let Some(hex) = text.strip_prefix("SM").or_else(|| text.strip_prefix("MM")) else {
        return false;
    };
    hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::super::{inbound_form, message_sid_from, signature};
    use super::*;

    const URL: &str = "https://sms.example.org/webhooks/twilio";
    const TOKEN: &str = "paris-auth-token";
    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
    const AUTH: WebhookAuth<'static> = WebhookAuth { account_sid: ACCOUNT, auth_token: TOKEN };

    fn signed(pairs: &[(String, String)]) -> (WebhookForm, String) {
        (WebhookForm::from_pairs(pairs.to_vec()), signature(TOKEN, URL, pairs))
    }

    fn genuine() -> Vec<(String, String)> {
        inbound_form(ACCOUNT, &message_sid_from(1), "+33612345678", "+33939000001", "Salut")
    }

    /// Replaces `(key, value)` by the given pairs, in place.
    fn replace(pairs: &[(String, String)], key: &str, by: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in pairs {
            if k == key {
                out.extend(by.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
            } else {
                out.push((k.clone(), v.clone()));
            }
        }
        out
    }

    fn without(pairs: &[(String, String)], key: &str) -> Vec<(String, String)> {
        pairs.iter().filter(|(k, _)| k != key).cloned().collect()
    }

    #[test]
    fn a_signed_twilio_webhook_becomes_an_inbound_sms() {
        let (form, header) = signed(&genuine());
        let sms = inbound(&form, URL, &header, &AUTH).expect("genuine webhook");
        assert_eq!(sms.provider, ProviderKind::Twilio);
        assert_eq!(sms.message_id, message_sid_from(1));
        assert_eq!((sms.from.as_str(), sms.to.as_str(), sms.body.as_str()), ("+33612345678", "+33939000001", "Salut"));
    }

    #[test]
    fn a_bad_or_missing_signature_is_refused_before_anything_else() {
        let (form, header) = signed(&genuine());
        assert_eq!(inbound(&form, URL, "", &AUTH), Err(InboundError::BadSignature));
        let other = WebhookAuth { auth_token: "other", ..AUTH };
        assert_eq!(inbound(&form, URL, &header, &other), Err(InboundError::BadSignature));
        let malformed = WebhookForm::from_pairs(without(&genuine(), "MessageSid"));
        assert_eq!(inbound(&malformed, URL, &header, &AUTH), Err(InboundError::BadSignature));
    }

    #[test]
    fn a_webhook_of_another_account_is_an_account_mismatch() {
        let (form, header) = signed(&genuine());
        let lyon = WebhookAuth { account_sid: "AC99999999999999999999999999999999", ..AUTH };
        assert_eq!(inbound(&form, URL, &header, &lyon), Err(InboundError::AccountMismatch));
    }

    #[test]
    fn message_sids_must_be_sm_or_mm_and_32_lowercase_hex_digits() {
        assert!(is_message_sid(&message_sid_from(9)));
        assert!(is_message_sid("MM0123456789abcdef0123456789abcdef"));
        for bad in [
            "SM1",
            "SM0123456789ABCDEF0123456789ABCDEF",
            "MG0123456789abcdef0123456789abcdef",
            "SM0123456789abcdef0123456789abcdef0",
            "SM0123456789abcdef0123456789abcdeg",
            "",
        ] {
            assert!(!is_message_sid(bad), "{bad}");
            let pairs = replace(&genuine(), "MessageSid", &[("MessageSid", bad)]);
            let (form, header) = signed(&pairs);
            assert_eq!(inbound(&form, URL, &header, &AUTH), Err(InboundError::Malformed("MessageSid")), "{bad}");
        }
    }

    #[test]
    fn sms_sid_aliases_must_name_the_same_message() {
        let pairs = replace(&genuine(), "SmsSid", &[("SmsSid", &message_sid_from(2))]);
        let (form, header) = signed(&pairs);
        assert_eq!(inbound(&form, URL, &header, &AUTH), Err(InboundError::Malformed("SmsSid")));
    }

    #[test]
    fn to_must_be_e164_and_from_is_kept_as_given() {
        let pairs = replace(&genuine(), "To", &[("To", "33939000001")]);
        let (form, header) = signed(&pairs);
        assert_eq!(inbound(&form, URL, &header, &AUTH), Err(InboundError::Malformed("To")));
        for sender in ["INFO", "36180", "+", "+1234567890123456789012345678901234567890"] {
            let pairs = replace(&genuine(), "From", &[("From", sender)]);
            let (form, header) = signed(&pairs);
            let sms = inbound(&form, URL, &header, &AUTH).expect("a sender that is not a phone is the engine's call");
            assert_eq!(sms.from, sender);
            assert!(!is_e164(&sms.from));
        }
    }

    #[test]
    fn a_key_twilio_sends_once_appearing_twice_is_malformed() {
        // The SDKs sign a pair sent twice once, so this still verifies.
        let mut pairs = genuine();
        pairs.push(("From".to_owned(), "+33612345678".to_owned()));
        let (form, _) = signed(&genuine());
        let header = signature(TOKEN, URL, form.pairs());
        let doubled = WebhookForm::from_pairs(pairs);
        assert_eq!(super::super::verify_signature(TOKEN, URL, doubled.pairs(), &header), Ok(()));
        assert_eq!(inbound(&doubled, URL, &header, &AUTH), Err(InboundError::Malformed("From")));
        // Unknown keys may repeat.
        let mut extra = genuine();
        extra.push(("MediaUrl0".to_owned(), "a".to_owned()));
        extra.push(("MediaUrl0".to_owned(), "b".to_owned()));
        let (form, header) = signed(&extra);
        assert!(inbound(&form, URL, &header, &AUTH).is_ok());
    }

    #[test]
    fn a_re_split_captured_webhook_still_verifies_but_never_yields_a_new_payable_sender() {
        let (form, header) = signed(&genuine());
        let original = inbound(&form, URL, &header, &AUTH).expect("genuine");

        // From gains "FromCity" (empty value): same signed bytes, new sender text.
        let from_city = replace(&without(&genuine(), "FromCity"), "From", &[("From", "+33612345678FromCity")]);
        let form = WebhookForm::from_pairs(from_city);
        assert_eq!(super::super::verify_signature(TOKEN, URL, form.pairs(), &header), Ok(()), "the attack is real");
        let sms = inbound(&form, URL, &header, &AUTH).expect("verifies and reads");
        assert!(!is_e164(&sms.from), "the engine answers not_a_phone: no reply, no charge");
        assert_eq!(sms.message_id, original.message_id, "and it is a duplicate anyway");

        // MessageSid gains "NumMedia0": a fresh id would dodge dedupe, but it is not a Twilio id.
        let sid = message_sid_from(1);
        let sid_media =
            replace(&without(&genuine(), "NumMedia"), "MessageSid", &[("MessageSid", &format!("{sid}NumMedia0"))]);
        let form = WebhookForm::from_pairs(sid_media);
        assert_eq!(super::super::verify_signature(TOKEN, URL, form.pairs(), &header), Ok(()));
        assert_eq!(inbound(&form, URL, &header, &AUTH), Err(InboundError::Malformed("MessageSid")));

        // To gains "ToCity": not E.164.
        let to_city = replace(&without(&genuine(), "ToCity"), "To", &[("To", "+33939000001ToCity")]);
        let form = WebhookForm::from_pairs(to_city);
        assert_eq!(super::super::verify_signature(TOKEN, URL, form.pairs(), &header), Ok(()));
        assert_eq!(inbound(&form, URL, &header, &AUTH), Err(InboundError::Malformed("To")));

        // The boundary moved inside From's own name: From disappears.
        let split_name = replace(&genuine(), "From", &[("Fro", "m+33612345678")]);
        let form = WebhookForm::from_pairs(split_name);
        assert_eq!(super::super::verify_signature(TOKEN, URL, form.pairs(), &header), Ok(()));
        assert_eq!(inbound(&form, URL, &header, &AUTH), Err(InboundError::Malformed("From")));
    }

    #[test]
    fn routed_number_is_the_e164_to_field() {
        let form = WebhookForm::from_pairs(genuine());
        assert_eq!(routed_number(&form), Ok("+33939000001"));
        assert_eq!(routed_number(&WebhookForm::default()), Err(InboundError::Malformed("To")));
    }
}
