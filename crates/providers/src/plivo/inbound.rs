//! The Plivo message webhook: a `POST` form to the application's
//! `message_url` with `From`, `To`, `Type`, `Text`, `MessageUUID` (numbers
//! in E.164 without `+`), signed with `X-Plivo-Signature-V3`, read into an
//! [`InboundSms`]. Plivo reassembles long messages itself (`Units` > 1) and
//! answers the sender with the Plivo XML the route returns
//! ([`reply_message`](super::reply_message)).
//!
//! Plivo's webhook carries no account id and no timestamp: the signature
//! under the tenant's auth token is the only proof of origin, and a replayed
//! capture is a duplicate `MessageUUID` for the engine.

use antirelou_domain::ProviderKind;

use super::signature::{verify_signature_v3, WebhookMethod};
use crate::form::WebhookForm;
use crate::inbound::{our_number_with_plus, sender_with_plus, InboundSms};
use crate::reject::InboundError;

/// The tenant's Plivo account, as needed to verify its webhooks.
#[derive(Clone, Copy)]
pub struct WebhookAuth<'a> {
    /// The auth token of the account (or sub-account) that owns the number.
    pub auth_token: &'a str,
}

/// The number a webhook is for (`To`, E.164 with `+` added), read before any
/// verification to find the tenant whose secrets verify it.
pub fn routed_number(form: &WebhookForm) -> Result<String, InboundError> {
    form.get("To").and_then(our_number_with_plus).ok_or(InboundError::Malformed("To"))
}

/// Verifies and reads one Plivo message webhook sent by `POST`.
///
/// `signed_url` is the `message_url` as configured in Plivo (public scheme,
/// host, path and query); `signature_header` and `nonce_header` the
/// `X-Plivo-Signature-V3` and `X-Plivo-Signature-V3-Nonce` headers ("" when
/// absent). The signature first ([`InboundError::BadSignature`]), then the
/// fields ([`read`], [`InboundError::Malformed`]).
pub fn inbound(
    form: &WebhookForm,
    signed_url: &str,
    signature_header: &str,
    nonce_header: &str,
    auth: &WebhookAuth<'_>,
) -> Result<InboundSms, InboundError> {
    verify_signature_v3(WebhookMethod::Post, signed_url, form.pairs(), nonce_header, auth.auth_token, signature_header)
        .map_err(|_| InboundError::BadSignature)?;
    read(form)
}

/// Reads the fields strictly (no signature check):
/// - no parameter twice (Plivo never repeats one);
/// - `MessageUUID`: a UUID (8-4-4-4-12 hex digits);
/// - `From`: the sender, `+` added when its digits are E.164 (anything
///   else is kept as given for the engine to answer `not_a_phone`);
/// - `To`: E.164 once `+` is added;
/// - `Type`: `sms` (the default when absent) with a `Text`, or `mms` whose
///   `Body` (if any) is the text.
pub fn read(form: &WebhookForm) -> Result<InboundSms, InboundError> {
    if form.any_repeated().is_some() {
        return Err(InboundError::Malformed("repeated parameter"));
    }
    let message_id = form.get("MessageUUID").filter(|id| is_uuid(id)).ok_or(InboundError::Malformed("MessageUUID"))?;
    let from = form.get("From").filter(|from| !from.is_empty()).ok_or(InboundError::Malformed("From"))?;
    let to = routed_number(form)?;
    let body = match form.get("Type").unwrap_or("sms") {
        "sms" => form.get("Text").ok_or(InboundError::Malformed("Text"))?,
        "mms" => form.get("Body").unwrap_or_default(),
        _ => return Err(InboundError::Malformed("Type")),
    };
    Ok(InboundSms {
        provider: ProviderKind::Plivo,
        message_id: message_id.to_owned(),
        from: sender_with_plus(from),
        to,
        body: body.to_owned(),
    })
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits in either case.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, len)| group.len() == len)
        && groups.iter().all(|group| group.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::super::emulate::{inbound_form, signed_headers};
    use super::*;

    const URL: &str = "https://sms.example.org/webhooks/plivo";
    const TOKEN: &str = "plivo-auth-token";
    const UUID: &str = "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36";
    const AUTH: WebhookAuth<'static> = WebhookAuth { auth_token: TOKEN };

    fn genuine() -> Vec<(String, String)> {
        inbound_form("+33612345678", "+33939000001", "Salut & merci", UUID)
    }

    fn check(pairs: Vec<(String, String)>) -> Result<InboundSms, InboundError> {
        let (signature, nonce) = signed_headers(URL, &pairs, "31627761595286130198", TOKEN);
        inbound(&WebhookForm::from_pairs(pairs), URL, &signature, &nonce, &AUTH)
    }

    fn with(key: &str, value: &str) -> Vec<(String, String)> {
        let mut pairs = genuine();
        pairs.retain(|(k, _)| k != key);
        pairs.push((key.to_owned(), value.to_owned()));
        pairs
    }

    #[test]
    fn a_signed_plivo_webhook_becomes_an_inbound_sms() {
        let sms = check(genuine()).expect("genuine");
        assert_eq!(sms.provider, ProviderKind::Plivo);
        assert_eq!(sms.message_id, UUID);
        assert_eq!(
            (sms.from.as_str(), sms.to.as_str(), sms.body.as_str()),
            ("+33612345678", "+33939000001", "Salut & merci")
        );
    }

    #[test]
    fn a_bad_or_missing_signature_is_refused() {
        let pairs = genuine();
        let (signature, nonce) = signed_headers(URL, &pairs, "1", TOKEN);
        let form = WebhookForm::from_pairs(pairs);
        assert_eq!(inbound(&form, URL, "", &nonce, &AUTH), Err(InboundError::BadSignature));
        assert_eq!(inbound(&form, URL, &signature, "", &AUTH), Err(InboundError::BadSignature));
        assert_eq!(inbound(&form, URL, &signature, "2", &AUTH), Err(InboundError::BadSignature));
        assert_eq!(
            inbound(&form, "https://sms.example.org/webhooks/plivo2", &signature, &nonce, &AUTH),
            Err(InboundError::BadSignature)
        );
        assert_eq!(
            inbound(&form, URL, &signature, &nonce, &WebhookAuth { auth_token: "x" }),
            Err(InboundError::BadSignature)
        );
        let tampered = WebhookForm::from_pairs(with("Text", "autre"));
        assert_eq!(inbound(&tampered, URL, &signature, &nonce, &AUTH), Err(InboundError::BadSignature));
    }

    #[test]
    fn every_field_is_checked_by_name() {
        for (key, bad) in [
            ("MessageUUID", "abc"),
            ("MessageUUID", "3e82ae9d2c784d85b1a46eae7dbafb36"),
            ("From", ""),
            ("To", "0612"),
            ("Type", "whatsapp"),
        ] {
            assert_eq!(check(with(key, bad)), Err(InboundError::Malformed(key)), "{key}={bad}");
        }
        let mut no_text = genuine();
        no_text.retain(|(k, _)| k != "Text");
        assert_eq!(check(no_text), Err(InboundError::Malformed("Text")));
        let mut doubled = genuine();
        doubled.push(("From".to_owned(), "33700000001".to_owned()));
        assert_eq!(check(doubled), Err(InboundError::Malformed("repeated parameter")));
    }

    #[test]
    fn senders_that_are_not_phones_are_kept_and_mms_bodies_read() {
        assert_eq!(check(with("From", "36180")).map(|sms| sms.from), Ok("36180".to_owned()));
        let mut mms = with("Type", "mms");
        mms.push(("Body".to_owned(), "photo".to_owned()));
        assert_eq!(check(mms).map(|sms| sms.body), Ok("photo".to_owned()));
    }

    #[test]
    fn uuids_are_five_groups_of_hex_digits() {
        assert!(is_uuid(UUID));
        assert!(is_uuid(&UUID.to_uppercase()));
        for bad in [
            "",
            "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb3",
            "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb3g",
            "3e82ae9d-2c78-4d85-b1a46-eae7dbafb36",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }

    #[test]
    fn routed_number_adds_the_plus() {
        assert_eq!(routed_number(&WebhookForm::from_pairs(genuine())).as_deref(), Ok("+33939000001"));
        assert_eq!(routed_number(&WebhookForm::default()), Err(InboundError::Malformed("To")));
    }
}
