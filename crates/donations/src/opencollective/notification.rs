//! Open Collective webhooks: `POST` of a JSON activity, unsigned —
//! `{"createdAt", "id", "type", "CollectiveId", "data": {...}}` (the
//! activity as `sanitizeActivityForWebhookPayload` of opencollective-api
//! leaves it). A `collective.transaction.created` activity carries
//! `data.transaction` (the transaction's public fields: `id`, `uuid`,
//! `type`, `kind`, `amount`, `isRefund`, ...); its `uuid` is the hint read
//! back. Other activities (new member, expense, update) name no payment.

use serde::Deserialize;

use crate::platform::Malformed;

/// The activity type of a new transaction.
pub const TRANSACTION_CREATED: &str = "collective.transaction.created";

#[derive(Deserialize)]
struct Activity {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    transaction: Option<TransactionRef>,
}

#[derive(Deserialize)]
struct TransactionRef {
    uuid: String,
}

/// The transaction a webhook names, as its `uuid` (what the GraphQL API's
/// `TransactionReferenceInput.id` looks up): one for a new transaction, none
/// for any other activity.
pub fn transaction_ids(body: &[u8]) -> Result<Vec<String>, Malformed> {
    let activity: Activity =
        serde_json::from_slice(body).map_err(|e| Malformed(format!("not an Open Collective activity: {e}")))?;
    if activity.kind != TRANSACTION_CREATED {
        return Ok(Vec::new());
    }
    let uuid = activity
        .data
        .and_then(|d| d.transaction)
        .map(|t| t.uuid)
        .ok_or_else(|| Malformed("a new transaction without data.transaction.uuid".to_owned()))?;
    if !is_uuid(&uuid) {
        return Err(Malformed("the transaction uuid is not a uuid".to_owned()));
    }
    Ok(vec![uuid.to_ascii_lowercase()])
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_transaction_names_its_uuid_and_other_activities_nothing() {
        let created = br#"{"createdAt":"2026-11-28T12:00:00.000Z","id":1,"type":"collective.transaction.created",
            "CollectiveId":281290,"data":{"transaction":{"id":53460,"uuid":"0B4C2A8E-1D7A-4B5E-9C3F-2A1B0C9D8E7F",
            "type":"CREDIT","kind":"CONTRIBUTION","amount":1000}}}"#;
        assert_eq!(transaction_ids(created).unwrap(), ["0b4c2a8e-1d7a-4b5e-9c3f-2a1b0c9d8e7f"]);
        let member = br#"{"type":"collective.member.created","data":{"order":{"id":183773,"totalAmount":100}}}"#;
        assert!(transaction_ids(member).unwrap().is_empty());
    }

    #[test]
    fn what_open_collective_never_sends_is_malformed() {
        for bad in [
            &b"[]"[..],
            br#"{"data":{}}"#,
            br#"{"type":"collective.transaction.created","data":{}}"#,
            br#"{"type":"collective.transaction.created","data":{"transaction":{"uuid":"x\"}"}}}"#,
            br#"{"type":"collective.transaction.created","data":{"transaction":{"uuid":"../../graphql"}}}"#,
        ] {
            assert!(transaction_ids(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
