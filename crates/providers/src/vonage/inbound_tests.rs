//! Reading Vonage's inbound webhooks: query, form and JSON, parts of long SMS, refusals.

use super::super::emulate::{signed_params, EmulatedSms};
use super::super::signature::signature;
use super::*;

const SECRET: &str = "vonage-signature-secret";
const NOW: i64 = 1_760_000_000;

fn auth(method: SignatureMethod) -> WebhookAuth<'static> {
    WebhookAuth { api_key: "abcd1234", signature_secret: SECRET, signature_method: method }
}

fn sms() -> EmulatedSms<'static> {
    EmulatedSms {
        api_key: "abcd1234",
        message_id: "0A0000000123ABCD1",
        from: "+33612345678",
        to: "+33939000001",
        text: "Salut, ça va ?",
        timestamp: NOW,
        nonce: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    }
}

fn resign(pairs: &mut Vec<(String, String)>, method: SignatureMethod) {
    pairs.retain(|(k, _)| k != "sig");
    let sig = signature(method, SECRET, pairs);
    pairs.push(("sig".to_owned(), sig));
}

fn set(pairs: &mut [(String, String)], key: &str, value: &str) {
    for (k, v) in pairs.iter_mut() {
        if k == key {
            *v = value.to_owned();
        }
    }
}

#[test]
fn a_signed_webhook_reads_as_a_whole_sms_with_plus_signs_added() {
    for method in SignatureMethod::ALL {
        let form = WebhookForm::from_pairs(signed_params(&sms(), method, SECRET));
        let VonageInbound::Whole(sms) = inbound(&form, &auth(method), NOW).expect("genuine") else {
            panic!("a single SMS is whole");
        };
        assert_eq!(sms.provider, ProviderKind::Vonage);
        assert_eq!(sms.message_id, "0A0000000123ABCD1");
        assert_eq!((sms.from.as_str(), sms.to.as_str()), ("+33612345678", "+33939000001"));
        assert_eq!(sms.body, "Salut, ça va ?");
    }
}

#[test]
fn signature_failures_come_first() {
    let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
    let wrong_method = auth(SignatureMethod::Sha512);
    assert_eq!(inbound(&WebhookForm::from_pairs(pairs.clone()), &wrong_method, NOW), Err(InboundError::BadSignature));
    set(&mut pairs, "text", "changed");
    let form = WebhookForm::from_pairs(pairs.clone());
    assert_eq!(inbound(&form, &auth(SignatureMethod::Sha256), NOW), Err(InboundError::BadSignature));
    pairs.retain(|(k, _)| k != "sig");
    let form = WebhookForm::from_pairs(pairs);
    assert_eq!(inbound(&form, &auth(SignatureMethod::Sha256), NOW), Err(InboundError::BadSignature));
}

#[test]
fn a_timestamp_more_than_five_minutes_away_is_stale() {
    let form = WebhookForm::from_pairs(signed_params(&sms(), SignatureMethod::Sha1, SECRET));
    let auth = auth(SignatureMethod::Sha1);
    assert!(inbound(&form, &auth, NOW + 300).is_ok());
    assert!(inbound(&form, &auth, NOW - 300).is_ok());
    assert_eq!(inbound(&form, &auth, NOW + 301), Err(InboundError::StaleTimestamp));
    assert_eq!(inbound(&form, &auth, NOW - 301), Err(InboundError::StaleTimestamp));
}

#[test]
fn a_missing_or_odd_timestamp_is_malformed() {
    for odd in ["", "-5", "1e9", " 1760000000", "99999999999999999999"] {
        let mut pairs = signed_params(&sms(), SignatureMethod::Md5Hash, SECRET);
        set(&mut pairs, "timestamp", odd);
        resign(&mut pairs, SignatureMethod::Md5Hash);
        let form = WebhookForm::from_pairs(pairs);
        assert_eq!(inbound(&form, &auth(SignatureMethod::Md5Hash), NOW), Err(InboundError::Malformed("timestamp")));
    }
}

#[test]
fn another_accounts_api_key_is_an_account_mismatch() {
    let form = WebhookForm::from_pairs(signed_params(&sms(), SignatureMethod::Md5, SECRET));
    let other = WebhookAuth { api_key: "zzzz9999", ..auth(SignatureMethod::Md5) };
    assert_eq!(inbound(&form, &other, NOW), Err(InboundError::AccountMismatch));
}

#[test]
fn every_required_field_is_checked_by_name() {
    for (key, bad, reason) in [
        ("messageId", "", "messageId"),
        ("messageId", "0A 01", "messageId"),
        ("msisdn", "", "msisdn"),
        ("to", "0612", "to"),
        ("type", "wap", "type"),
        ("api-key", "", "api-key"),
        ("concat", "yes", "concat"),
    ] {
        let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
        if !pairs.iter().any(|(k, _)| k == key) {
            pairs.push((key.to_owned(), bad.to_owned()));
        }
        set(&mut pairs, key, bad);
        resign(&mut pairs, SignatureMethod::Sha256);
        let form = WebhookForm::from_pairs(pairs);
        assert_eq!(inbound(&form, &auth(SignatureMethod::Sha256), NOW), Err(InboundError::Malformed(reason)), "{key}");
    }
}

#[test]
fn a_repeated_parameter_is_malformed() {
    let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
    pairs.insert(0, ("msisdn".to_owned(), "33700000009".to_owned()));
    resign(&mut pairs, SignatureMethod::Sha256);
    let form = WebhookForm::from_pairs(pairs);
    assert_eq!(inbound(&form, &auth(SignatureMethod::Sha256), NOW), Err(InboundError::Malformed("repeated parameter")));
}

#[test]
fn short_codes_and_alphanumeric_senders_are_kept_for_the_engine() {
    for sender in ["36180", "INFO"] {
        let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
        set(&mut pairs, "msisdn", sender);
        resign(&mut pairs, SignatureMethod::Sha256);
        let form = WebhookForm::from_pairs(pairs);
        let Ok(VonageInbound::Whole(sms)) = inbound(&form, &auth(SignatureMethod::Sha256), NOW) else {
            panic!("kept");
        };
        assert_eq!(sms.from, sender);
    }
}

#[test]
fn binary_messages_read_as_an_empty_text() {
    let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
    set(&mut pairs, "type", "binary");
    pairs.retain(|(k, _)| k != "text");
    resign(&mut pairs, SignatureMethod::Sha256);
    let Ok(VonageInbound::Whole(sms)) = inbound(&WebhookForm::from_pairs(pairs), &auth(SignatureMethod::Sha256), NOW)
    else {
        panic!("binary is a message");
    };
    assert_eq!(sms.body, "");
}

#[test]
fn concat_fields_make_a_part_and_a_total_of_one_is_whole() {
    let part_fields = |total: &str, part: &str| {
        let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
        for (k, v) in [("concat", "true"), ("concat-ref", "171"), ("concat-total", total), ("concat-part", part)] {
            pairs.push((k.to_owned(), v.to_owned()));
        }
        resign(&mut pairs, SignatureMethod::Sha256);
        inbound(&WebhookForm::from_pairs(pairs), &auth(SignatureMethod::Sha256), NOW)
    };
    let Ok(VonageInbound::Part(part)) = part_fields("3", "2") else { panic!("a part") };
    assert_eq!((part.reference.as_str(), part.total, part.part), ("171", 3, 2));
    assert!(matches!(part_fields("1", "1"), Ok(VonageInbound::Whole(_))));
    assert_eq!(part_fields("0", "1"), Err(InboundError::Malformed("concat-total")));
    assert_eq!(part_fields("256", "1"), Err(InboundError::Malformed("concat-total")));
    assert_eq!(part_fields("3", "4"), Err(InboundError::Malformed("concat-part")));
    assert_eq!(part_fields("3", "0"), Err(InboundError::Malformed("concat-part")));
}

#[test]
fn a_part_longer_than_one_segment_is_malformed() {
    let part_with = |text: &str| {
        let mut pairs = signed_params(&EmulatedSms { text, ..sms() }, SignatureMethod::Sha256, SECRET);
        for (k, v) in [("concat", "true"), ("concat-ref", "171"), ("concat-total", "3"), ("concat-part", "2")] {
            pairs.push((k.to_owned(), v.to_owned()));
        }
        resign(&mut pairs, SignatureMethod::Sha256);
        inbound(&WebhookForm::from_pairs(pairs), &auth(SignatureMethod::Sha256), NOW)
    };
    assert!(matches!(part_with(&"é".repeat(153)), Ok(VonageInbound::Part(_))), "a full GSM-7 part");
    assert!(matches!(part_with(&"€".repeat(67)), Ok(VonageInbound::Part(_))), "a full UCS-2 part");
    assert_eq!(part_with(&"a".repeat(161)), Err(InboundError::Malformed("text")));
    assert_eq!(part_with(&"€".repeat(161)), Err(InboundError::Malformed("text")), "bytes");
    assert_eq!(part_with(&"😀".repeat(121)), Err(InboundError::Malformed("text")), "484 bytes");
}

#[test]
fn get_query_post_form_and_post_json_read_the_same_parameters() {
    let pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
    let query = crate::form::encode_form(&pairs);
    let json = super::super::emulate::to_json(&pairs);
    let from_get = parse_request("GET", None, query.as_bytes(), b"").expect("query");
    let from_form =
        parse_request("POST", Some("application/x-www-form-urlencoded"), b"", query.as_bytes()).expect("form");
    let from_json = parse_request("POST", Some("application/json; charset=utf-8"), b"", json.as_bytes()).expect("json");
    for form in [from_get, from_form, from_json] {
        assert_eq!(form.pairs(), pairs.as_slice());
        assert!(inbound(&form, &auth(SignatureMethod::Sha256), NOW).is_ok());
    }
}

#[test]
fn json_bodies_must_be_flat_objects_of_strings_or_numbers() {
    let form = parse_json(br#"{"timestamp": 1760000000, "a": "b", "a": "c"}"#).expect("flat");
    assert_eq!(form.get("timestamp"), Some("1760000000"));
    assert_eq!(form.any_repeated(), Some("a"));
    for bad in [&br#"{"a": {"b": "c"}}"#[..], br#"{"a": true}"#, br#"{"a": null}"#, br#"["a"]"#, b"{", b""] {
        assert_eq!(parse_json(bad), Err(InboundError::Malformed("JSON body")), "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn routed_number_adds_the_plus() {
    let form = WebhookForm::from_pairs(signed_params(&sms(), SignatureMethod::Sha256, SECRET));
    assert_eq!(routed_number(&form).as_deref(), Ok("+33939000001"));
    assert_eq!(routed_number(&WebhookForm::default()), Err(InboundError::Malformed("to")));
}

#[test]
fn debug_of_a_part_hides_the_sender_and_text() {
    let part = ConcatPart {
        reference: "7".into(),
        total: 2,
        part: 1,
        sms: InboundSms {
            provider: ProviderKind::Vonage,
            message_id: "1".into(),
            from: "+33612345678".into(),
            to: "+33939000001".into(),
            body: "secret text".into(),
        },
    };
    let shown = format!("{part:?}");
    assert!(shown.contains("1/2"), "{shown}");
    assert!(!shown.contains("33612345678") && !shown.contains("secret text"), "{shown}");
}
