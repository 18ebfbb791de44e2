//! The voice webhooks Vonage would send, for the simulator and tests: the
//! answer request of an incoming call (a query, or a JSON body), a call
//! event, and the `Authorization` header that signs either.

use super::jwt;
use crate::message_ids::mix;

/// The application id written in emulated tokens.
pub const APPLICATION_ID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

/// The answer request's parameters, in the order of Vonage's answer
/// webhook reference (numbers without `+`, as Vonage writes them).
pub fn answer_pairs(to: &str, from: &str, uuid: &str, conversation_uuid: &str) -> Vec<(String, String)> {
    [
        ("to", to.trim_start_matches('+')),
        ("from", from.trim_start_matches('+')),
        ("endpoint_type", "phone"),
        ("conversation_uuid", conversation_uuid),
        ("uuid", uuid),
        ("region_url", "https://api-eu-3.vonage.com"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// The answer request as a `POST` JSON body (with the empty `custom_data`
/// object Vonage adds).
pub fn answer_json(to: &str, from: &str, uuid: &str, conversation_uuid: &str) -> String {
    let mut object = serde_json::Map::new();
    for (key, value) in answer_pairs(to, from, uuid, conversation_uuid) {
        object.insert(key, value.into());
    }
    object.insert("custom_data".to_owned(), serde_json::json!({}));
    serde_json::Value::Object(object).to_string()
}

/// One call event as Vonage posts it to the event URL; `duration` (seconds,
/// as text) and the price fields only with `completed`.
pub fn event_json(
    uuid: &str,
    conversation_uuid: &str,
    status: &str,
    to: &str,
    from: &str,
    duration: Option<u32>,
) -> String {
    let mut event = serde_json::json!({
        "headers": {},
        "from": from.trim_start_matches('+'),
        "to": to.trim_start_matches('+'),
        "uuid": uuid,
        "conversation_uuid": conversation_uuid,
        "status": status,
        "direction": "inbound",
        "timestamp": "2026-12-07T12:00:00.000Z",
    });
    if let Some(seconds) = duration {
        event["duration"] = seconds.to_string().into();
        event["start_time"] = "2026-12-07T11:59:30.000Z".into();
        event["end_time"] = "2026-12-07T12:00:00.000Z".into();
        event["rate"] = "0.00450000".into();
        event["price"] = "0.00015000".into();
        event["network"] = "20801".into();
    }
    event.to_string()
}

/// `Bearer <JWT>` as Vonage signs a request whose `payload_hash` covers `payload`.
pub fn authorization(secret: &str, iat: i64, api_key: &str, payload: &[u8]) -> String {
    let jti = format!("{:032x}", mix(iat as u128 ^ (payload.len() as u128) << 64));
    format!("Bearer {}", jwt::sign(secret, iat, &jti, api_key, APPLICATION_ID, payload))
}

/// A fresh-looking call `uuid`: 32 lowercase hex digits from `seed`.
pub fn call_uuid_from(seed: u128) -> String {
    format!("{:032x}", mix(seed))
}

/// A fresh-looking `conversation_uuid`: `CON-` then a UUID from `seed`.
pub fn conversation_uuid_from(seed: u128) -> String {
    let hex = format!("{:032x}", mix(!seed));
    format!("CON-{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
