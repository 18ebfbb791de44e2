//! The webhooks Vonage would send for an inbound SMS, for `antirelou send
//! --provider vonage`, the simulator and tests: the parameters in Vonage's
//! order (as its inbound-SMS reference lists them), signed with `sig`, as a
//! query string / form body ([`encode_form`](crate::form::encode_form)) or
//! a JSON object ([`to_json`]).

use antirelou_domain::segments::{self, Encoding};

use super::signature::{signature, SIGNATURE_PARAM};
use super::SignatureMethod;
use crate::message_ids::mix;

/// One inbound SMS to emulate. Numbers may be given with or without `+`
/// (Vonage writes them without).
#[derive(Clone, Copy, Debug)]
pub struct EmulatedSms<'a> {
    /// The receiving account's `api-key`.
    pub api_key: &'a str,
    pub message_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub text: &'a str,
    /// Unix seconds: `timestamp`, and `message-timestamp` in UTC.
    pub timestamp: i64,
    pub nonce: &'a str,
}

/// The unsigned parameters, in Vonage's order: `msisdn`, `to`, `messageId`,
/// `text`, `type` (`unicode` when the text is not GSM-7), `keyword` (the
/// first word, upper-cased), `api-key`, `message-timestamp`, `timestamp`, `nonce`.
pub fn inbound_params(sms: &EmulatedSms<'_>) -> Vec<(String, String)> {
    let kind = match segments::count(sms.text).encoding {
        Encoding::Gsm7 => "text",
        Encoding::Ucs2 => "unicode",
    };
    let keyword = sms.text.split_whitespace().next().unwrap_or_default().to_uppercase();
    let message_timestamp = chrono::DateTime::from_timestamp(sms.timestamp, 0)
        .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default();
    [
        ("msisdn", sms.from.trim_start_matches('+')),
        ("to", sms.to.trim_start_matches('+')),
        ("messageId", sms.message_id),
        ("text", sms.text),
        ("type", kind),
        ("keyword", keyword.as_str()),
        ("api-key", sms.api_key),
        ("message-timestamp", message_timestamp.as_str()),
        ("timestamp", sms.timestamp.to_string().as_str()),
        ("nonce", sms.nonce),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// [`inbound_params`] then `sig`, as Vonage signs them with `method` and `secret`.
pub fn signed_params(sms: &EmulatedSms<'_>, method: SignatureMethod, secret: &str) -> Vec<(String, String)> {
    sign(inbound_params(sms), method, secret)
}

/// One part of a long SMS: [`inbound_params`] plus `concat=true`,
/// `concat-ref`, `concat-total`, `concat-part`, then `sig`. Each part has
/// its own `message_id` and `text`.
pub fn signed_part_params(
    sms: &EmulatedSms<'_>,
    reference: &str,
    total: u8,
    part: u8,
    method: SignatureMethod,
    secret: &str,
) -> Vec<(String, String)> {
    let mut params = inbound_params(sms);
    for (key, value) in [
        ("concat", "true".to_owned()),
        ("concat-ref", reference.to_owned()),
        ("concat-total", total.to_string()),
        ("concat-part", part.to_string()),
    ] {
        params.push((key.to_owned(), value));
    }
    sign(params, method, secret)
}

/// The parameters as the JSON object Vonage posts (every value a string,
/// in the order given).
pub fn to_json(params: &[(String, String)]) -> String {
    let members: Vec<String> = params
        .iter()
        .map(|(key, value)| {
            format!("{}:{}", serde_json::Value::from(key.as_str()), serde_json::Value::from(value.as_str()))
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

/// A Vonage-looking `messageId`: 16 uppercase hex digits, distinct for
/// distinct seeds below 2^64.
pub fn message_id_from(seed: u128) -> String {
    format!("{:016X}", mix64(seed as u64 ^ (seed >> 64) as u64))
}

/// A Vonage-looking `nonce` (a UUID).
pub fn nonce_from(seed: u128) -> String {
    let x = mix(!seed);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        x >> 96,
        (x >> 80) & 0xffff,
        (x >> 64) & 0xffff,
        (x >> 48) & 0xffff,
        x & 0xffff_ffff_ffff
    )
}

fn sign(mut params: Vec<(String, String)>, method: SignatureMethod, secret: &str) -> Vec<(String, String)> {
    let sig = signature(method, secret, &params);
    params.push((SIGNATURE_PARAM.to_owned(), sig));
    params
}

/// The 64-bit finaliser of SplitMix64: xorshift and multiply-by-odd
/// rounds, each invertible, so a bijection of `u64`.
fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::super::signature::verify_signature;
    use super::*;
    use crate::form::WebhookForm;

    fn sms(text: &str) -> EmulatedSms<'_> {
        EmulatedSms {
            api_key: "abcd1234",
            message_id: "0A0000000123ABCD1",
            from: "+33612345678",
            to: "33939000001",
            text,
            timestamp: 1_385_047_698,
            nonce: "n",
        }
    }

    fn keys(params: &[(String, String)]) -> Vec<&str> {
        params.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn params_follow_vonages_order_and_formats() {
        let params = inbound_params(&sms("hello world"));
        assert_eq!(
            keys(&params),
            [
                "msisdn",
                "to",
                "messageId",
                "text",
                "type",
                "keyword",
                "api-key",
                "message-timestamp",
                "timestamp",
                "nonce"
            ]
        );
        let form = WebhookForm::from_pairs(params);
        assert_eq!(form.get("msisdn"), Some("33612345678"));
        assert_eq!(form.get("to"), Some("33939000001"));
        assert_eq!(form.get("type"), Some("text"));
        assert_eq!(form.get("keyword"), Some("HELLO"));
        assert_eq!(form.get("message-timestamp"), Some("2013-11-21 15:28:18"));
        assert_eq!(form.get("timestamp"), Some("1385047698"));
    }

    #[test]
    fn texts_outside_gsm7_are_unicode() {
        let form = WebhookForm::from_pairs(inbound_params(&sms("ça va 😀")));
        assert_eq!(form.get("type"), Some("unicode"));
    }

    #[test]
    fn signed_params_and_parts_verify() {
        for method in SignatureMethod::ALL {
            let whole = signed_params(&sms("a&b=c"), method, "s");
            assert_eq!(keys(&whole).last(), Some(&"sig"));
            assert_eq!(verify_signature(method, "s", &whole), Ok(()));
            let part = signed_part_params(&sms("part"), "171", 2, 1, method, "s");
            let form = WebhookForm::from_pairs(part.clone());
            assert_eq!((form.get("concat"), form.get("concat-part")), (Some("true"), Some("1")));
            assert_eq!(verify_signature(method, "s", &part), Ok(()));
        }
    }

    #[test]
    fn json_holds_every_value_as_a_string() {
        let json = to_json(&inbound_params(&sms("x")));
        assert!(json.contains(r#""timestamp":"1385047698""#), "{json}");
    }

    #[test]
    fn ids_look_like_vonages_and_are_distinct() {
        let id = message_id_from(1);
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)), "{id}");
        let ids: std::collections::HashSet<String> = (0..10_000).map(message_id_from).collect();
        assert_eq!(ids.len(), 10_000);
        assert_eq!(nonce_from(3).len(), 36);
        assert_ne!(nonce_from(3), nonce_from(4));
    }
}
