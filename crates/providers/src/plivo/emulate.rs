//! The webhooks Plivo would send for an inbound SMS, for `antirelou send
//! --provider plivo`, the simulator and tests: the form fields Plivo's
//! "handling incoming messages" reference lists, numbers without `+`, and the
//! `X-Plivo-Signature-V3` headers.

use super::signature::{signature_v3, WebhookMethod};
use crate::message_ids::mix;

/// The form Plivo would POST: `From`, `To`, `Type=sms`, `Text`,
/// `MessageUUID`, `Units=1`, `TotalRate`, `TotalAmount`, `MessageIntent`,
/// `PowerpackUUID` (empty when the number is in no Powerpack).
pub fn inbound_form(from: &str, to: &str, text: &str, message_uuid: &str) -> Vec<(String, String)> {
    [
        ("From", from.trim_start_matches('+')),
        ("To", to.trim_start_matches('+')),
        ("Type", "sms"),
        ("Text", text),
        ("MessageUUID", message_uuid),
        ("Units", "1"),
        ("TotalRate", "0"),
        ("TotalAmount", "0"),
        ("MessageIntent", ""),
        ("PowerpackUUID", ""),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// The (`X-Plivo-Signature-V3`, `X-Plivo-Signature-V3-Nonce`) headers for a
/// POST of `form` to `url`. An URL the SDK cannot sign (not ASCII) gets an
/// empty signature, which never verifies.
pub fn signed_headers(url: &str, form: &[(String, String)], nonce: &str, auth_token: &str) -> (String, String) {
    let signature = signature_v3(WebhookMethod::Post, url, form, nonce, auth_token).unwrap_or_default();
    (signature, nonce.to_owned())
}

/// A fresh-looking `MessageUUID` (lowercase UUID), distinct for distinct seeds.
pub fn message_uuid_from(seed: u128) -> String {
    let x = mix(seed);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        x >> 96,
        (x >> 80) & 0xffff,
        (x >> 64) & 0xffff,
        (x >> 48) & 0xffff,
        x & 0xffff_ffff_ffff
    )
}

/// A nonce like Plivo's: 20 decimal digits.
pub fn nonce_from(seed: u128) -> String {
    format!("{:020}", mix(!seed) % 100_000_000_000_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::super::inbound::is_uuid;
    use super::super::signature::verify_signature_v3;
    use super::*;

    #[test]
    fn the_form_has_plivos_fields_and_numbers_without_plus() {
        let form = inbound_form("+33612345678", "+33939000001", "hi", &message_uuid_from(1));
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "From",
                "To",
                "Type",
                "Text",
                "MessageUUID",
                "Units",
                "TotalRate",
                "TotalAmount",
                "MessageIntent",
                "PowerpackUUID"
            ]
        );
        assert_eq!((form[0].1.as_str(), form[1].1.as_str()), ("33612345678", "33939000001"));
    }

    #[test]
    fn signed_headers_verify_after_an_encode_and_parse_round_trip() {
        let url = "https://sms.example.org/webhooks/plivo";
        let form = inbound_form("33612345678", "33939000001", "a+b & c = d 😀", &message_uuid_from(2));
        let (signature, nonce) = signed_headers(url, &form, &nonce_from(2), "token");
        let received = crate::form::WebhookForm::parse(crate::form::encode_form(&form).as_bytes()).expect("parses");
        assert_eq!(
            verify_signature_v3(WebhookMethod::Post, url, received.pairs(), &nonce, "token", &signature),
            Ok(())
        );
    }

    #[test]
    fn ids_and_nonces_look_like_plivos_and_are_distinct() {
        assert!(is_uuid(&message_uuid_from(0)));
        let ids: std::collections::HashSet<String> = (0..10_000).map(message_uuid_from).collect();
        assert_eq!(ids.len(), 10_000);
        let nonce = nonce_from(5);
        assert_eq!(nonce.len(), 20);
        assert!(nonce.bytes().all(|b| b.is_ascii_digit()));
    }
}
