use super::super::voice_emulate::{answer_json, answer_pairs, call_uuid_from, conversation_uuid_from, event_json};
use super::*;
use crate::form::encode_form;

const OURS: &str = "+33939000001";
const CALLER: &str = "+33612345678";

fn query() -> String {
    encode_form(&answer_pairs(OURS, CALLER, &call_uuid_from(1), &conversation_uuid_from(1)))
}

#[test]
fn an_answer_query_becomes_an_inbound_call_and_its_payload_is_the_query_as_json() {
    let signed = read_answer("GET", None, query().as_bytes(), b"").expect("genuine");
    assert_eq!(
        (signed.value.call_id.as_str(), signed.value.from.as_str(), signed.value.to.as_str()),
        (call_uuid_from(1).as_str(), CALLER, OURS)
    );
    assert_eq!(signed.value.provider, ProviderKind::Vonage);
    let payload = String::from_utf8(signed.payload).unwrap();
    assert!(payload.starts_with(r#"{"to":"33939000001","from":"33612345678","endpoint_type":"phone""#), "{payload}");
}

#[test]
fn an_answer_json_body_is_read_alike_and_hashed_as_sent() {
    let body = answer_json(OURS, CALLER, &call_uuid_from(2), &conversation_uuid_from(2));
    let signed = read_answer("POST", Some("application/json; charset=utf-8"), b"", body.as_bytes()).expect("genuine");
    assert_eq!(signed.value.call_id, call_uuid_from(2));
    assert_eq!(signed.payload, body.as_bytes());
    assert_eq!(
        read_answer("POST", Some("application/x-www-form-urlencoded"), b"", body.as_bytes()).unwrap_err(),
        InboundError::Malformed("Content-Type")
    );
    let doubled = body.replacen('{', &format!("{{\"to\":\"{}\",", "33700000000"), 1);
    assert_eq!(
        read_answer("POST", Some("application/json"), b"", doubled.as_bytes()).unwrap_err(),
        InboundError::Malformed("JSON body")
    );
}

#[test]
fn every_answer_field_is_checked_by_name() {
    let with = |key: &str, value: &str| {
        let pairs: Vec<_> = answer_pairs(OURS, CALLER, &call_uuid_from(3), &conversation_uuid_from(3))
            .into_iter()
            .map(|(k, v)| if k == key { (k, value.to_owned()) } else { (k, v) })
            .collect();
        read_answer("GET", None, encode_form(&pairs).as_bytes(), b"").map(|signed| signed.value)
    };
    for (key, bad) in [
        ("to", "0612"),
        ("from", ""),
        ("uuid", "abc"),
        ("conversation_uuid", "CON-1"),
        ("conversation_uuid", &call_uuid_from(3)),
    ] {
        assert_eq!(with(key, bad), Err(InboundError::Malformed(key)), "{key}={bad}");
    }
    assert_eq!(with("from", "Unknown").unwrap().from, "Unknown", "the engine answers not_a_phone");
    assert_eq!(
        with("uuid", "63f61863-4a51-4f6b-86e1-46edebcf9356").unwrap().call_id,
        "63f61863-4a51-4f6b-86e1-46edebcf9356"
    );
    let doubled = format!("{}&from=33700000000", query());
    assert_eq!(read_answer("GET", None, doubled.as_bytes(), b""), Err(InboundError::Malformed("from")));
}

#[test]
fn a_completed_event_carries_its_duration_and_others_do_not() {
    let uuid = call_uuid_from(4);
    let conversation = conversation_uuid_from(4);
    let completed = event_json(&uuid, &conversation, "completed", OURS, CALLER, Some(17));
    let event = read_event(Some("application/json"), completed.as_bytes()).expect("genuine").value;
    assert_eq!(
        (event.uuid.as_str(), event.status, event.to.as_str(), event.duration_seconds),
        (uuid.as_str(), "completed", OURS, Some(17))
    );
    let answered = event_json(&uuid, &conversation, "answered", OURS, CALLER, None);
    assert_eq!(read_event(Some("application/json"), answered.as_bytes()).unwrap().value.duration_seconds, None);
    let novel = event_json(&uuid, &conversation, "teleported", OURS, CALLER, None);
    assert_eq!(read_event(Some("application/json"), novel.as_bytes()).unwrap().value.status, "other");
    let without = completed.replace(r#""duration":"17","#, "");
    assert_eq!(read_event(Some("application/json"), without.as_bytes()), Err(InboundError::Malformed("duration")));
    let negative = completed.replace(r#""duration":"17""#, r#""duration":"-1""#);
    assert_eq!(read_event(Some("application/json"), negative.as_bytes()), Err(InboundError::Malformed("duration")));
    let number = completed.replace(r#""duration":"17""#, r#""duration":17"#);
    assert_eq!(read_event(Some("application/json"), number.as_bytes()).unwrap().value.duration_seconds, Some(17));
}

#[test]
fn an_answer_talks_in_its_language_and_a_refusal_is_an_empty_ncco() {
    assert_eq!(
        ncco_talk("Non, c'est \"non\".", "fr-FR"),
        r#"[{"action":"talk","language":"fr-FR","text":"Non, c'est \"non\"."}]"#
    );
    assert_eq!(ncco_said_text(&ncco_talk("Non, c'est non.", "fr-FR")).as_deref(), Some("Non, c'est non."));
    assert_eq!(ncco_refuse(), "[]");
    assert_eq!(ncco_said_text(&ncco_refuse()), None);
}

#[test]
fn a_long_message_is_said_by_several_talks_of_at_most_1500_characters() {
    let long = "Bonjour ".repeat(400).trim_end().to_owned();
    let ncco: Vec<serde_json::Value> = serde_json::from_str(&ncco_talk(&long, "fr-FR")).unwrap();
    assert_eq!(ncco.len(), 3);
    assert!(ncco.iter().all(|a| a["text"].as_str().unwrap().chars().count() <= MAX_TALK_CHARACTERS));
    assert_eq!(ncco_said_text(&ncco_talk(&long, "fr-FR")).as_deref(), Some(long.as_str()));
}
