//! HelloAsso's API v5 notifications: `POST` of JSON `{"eventType": ...,
//! "data": {...}}` to the association's notification URL, unsigned for an
//! association (HelloAsso signs only its partners' notifications). Event
//! types: `Payment` (`data` is the payment: its `id`), `Order` (`data` is the
//! order: its `payments[].id`), `Form` and `Organization` (no payment).
//!
//! Only the payment ids are read, and only as hints; everything else (the
//! amount, the state, the payer) is ignored here: serde skips the fields no
//! struct names, so a donor's name or email never becomes a value of ours.

use serde::Deserialize;

use crate::platform::{Malformed, MAX_PAYMENTS_PER_NOTIFICATION};

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "eventType")]
    event_type: String,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    payments: Option<Vec<PaymentRef>>,
}

#[derive(Deserialize)]
struct PaymentRef {
    id: u64,
}

/// The payment ids a notification names: the payment of a `Payment` event,
/// the payments of an `Order`; none for other events (forms, organisations,
/// and event types HelloAsso may add).
pub fn payment_ids(body: &[u8]) -> Result<Vec<String>, Malformed> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| Malformed(format!("not a HelloAsso notification: {e}")))?;
    let ids: Vec<u64> = match (notification.event_type.as_str(), notification.data) {
        ("Payment", Some(Data { id: Some(id), .. })) => vec![id],
        ("Payment", _) => return Err(Malformed("a Payment notification without data.id".to_owned())),
        ("Order", Some(Data { payments, .. })) => payments.unwrap_or_default().into_iter().map(|p| p.id).collect(),
        ("Order", None) => return Err(Malformed("an Order notification without data".to_owned())),
        _ => Vec::new(),
    };
    if ids.len() > MAX_PAYMENTS_PER_NOTIFICATION {
        return Err(Malformed(format!("{} payments in one notification", ids.len())));
    }
    let mut ids: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_and_order_events_name_their_payments_and_others_none() {
        let payment = br#"{"eventType":"Payment","data":{"id":7269832,"amount":1000,"state":"Authorized",
            "payer":{"firstName":"A","email":"a@example.org"}}}"#;
        assert_eq!(payment_ids(payment).unwrap(), ["7269832"]);
        let order = br#"{"eventType":"Order","data":{"id":1,"payments":[{"id":11},{"id":12}]}}"#;
        assert_eq!(payment_ids(order).unwrap(), ["11", "12"]);
        let order_without_payments = br#"{"eventType":"Order","data":{"id":1}}"#;
        assert!(payment_ids(order_without_payments).unwrap().is_empty());
        for other in [&br#"{"eventType":"Form","data":{"formSlug":"x"}}"#[..], br#"{"eventType":"Organization"}"#] {
            assert!(payment_ids(other).unwrap().is_empty());
        }
    }

    #[test]
    fn what_helloasso_never_sends_is_malformed() {
        let too_many: Vec<String> = (0..13).map(|i| format!("{{\"id\":{i}}}")).collect();
        let order = format!(r#"{{"eventType":"Order","data":{{"payments":[{}]}}}}"#, too_many.join(","));
        for bad in [
            &b"not json"[..],
            br#"{"data":{"id":1}}"#,
            br#"{"eventType":"Payment","data":{"id":"1; DROP"}}"#,
            br#"{"eventType":"Payment","data":{"id":-1}}"#,
            br#"{"eventType":"Payment","data":{}}"#,
            order.as_bytes(),
        ] {
            assert!(payment_ids(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
