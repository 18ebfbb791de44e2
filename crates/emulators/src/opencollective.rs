//! Open Collective's GraphQL API v2, the one query a donation read-back
//! makes: `POST /graphql/v2` (JSON `{"query", "variables"}`, header
//! `Personal-Token`) asking `transaction(transaction: { id })`. The types
//! come from Open Collective's published schema
//! (`data/opencollective-schema.graphql`): the stand-in answers only the
//! fields the query selects, and a field the `Transaction` interface does
//! not have is a GraphQL error, as the real server answers it. An unknown
//! transaction is the `NotFound` error of opencollective-api's
//! `TransactionQuery`; an unknown token is `401` (its `checkPersonalToken`).
//! Transactions are public on Open Collective: any valid token reads any.

use std::collections::BTreeMap;
use std::io;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{json, Map, Value};

use crate::server::{same_secret, Answer, EmulatedApi, Emulator, Journal, SeenRequest};

/// The published schema, the parts the stand-in serves.
pub const SCHEMA_EXCERPT: &str = include_str!("../data/opencollective-schema.graphql");

/// A transaction the emulator knows (one side of Open Collective's double entry).
#[derive(Clone, Debug, PartialEq)]
pub struct OcTransaction {
    pub legacy_id: i64,
    pub uuid: String,
    /// `CREDIT` or `DEBIT`.
    pub direction: String,
    /// `TransactionKind`: `CONTRIBUTION`, `EXPENSE`, ...
    pub kind: String,
    pub is_refund: bool,
    pub is_refunded: bool,
    /// Gross, in cents.
    pub amount_cents: i64,
    /// What remains once the host's and the processor's fees are taken, in cents.
    pub net_cents: i64,
    pub currency: String,
    pub from_slug: String,
    pub to_slug: String,
    /// The transaction this one refunds, or that refunded it.
    pub refund_transaction: Option<i64>,
}

impl OcTransaction {
    /// A contribution of `amount_cents` (net `net_cents`) from a backer to `collective`.
    pub fn contribution(legacy_id: i64, collective: &str, amount_cents: i64, net_cents: i64) -> OcTransaction {
        OcTransaction {
            legacy_id,
            uuid: uuid_of(legacy_id),
            direction: "CREDIT".to_owned(),
            kind: "CONTRIBUTION".to_owned(),
            is_refund: false,
            is_refunded: false,
            amount_cents,
            net_cents,
            currency: "EUR".to_owned(),
            from_slug: "a-backer".to_owned(),
            to_slug: collective.to_owned(),
            refund_transaction: None,
        }
    }

    /// The collective's side of the refund of `original` (a new transaction).
    pub fn refund_of(original: &OcTransaction, legacy_id: i64) -> OcTransaction {
        OcTransaction {
            legacy_id,
            uuid: uuid_of(legacy_id),
            direction: "DEBIT".to_owned(),
            is_refund: true,
            from_slug: original.to_slug.clone(),
            to_slug: original.from_slug.clone(),
            refund_transaction: Some(original.legacy_id),
            ..original.clone()
        }
    }

    fn to_json(&self) -> Value {
        let amount =
            |cents: i64| json!({"value": cents as f64 / 100.0, "currency": self.currency, "valueInCents": cents});
        json!({
            "id": format!("tx_{:08}", self.legacy_id), "legacyId": self.legacy_id, "publicId": format!("tx_{:08}", self.legacy_id),
            "uuid": self.uuid, "type": self.direction, "kind": self.kind,
            "isRefund": self.is_refund, "isRefunded": self.is_refunded,
            "amount": amount(self.amount_cents), "netAmount": amount(self.net_cents),
            "fromAccount": {"slug": self.from_slug}, "toAccount": {"slug": self.to_slug},
            "refundTransaction": self.refund_transaction.map(|id| json!({"legacyId": id})),
        })
    }
}

/// A stable uuid for a legacy id (what the webhook names).
pub fn uuid_of(legacy_id: i64) -> String {
    format!("0b4c2a8e-1d7a-4b5e-9c3f-{legacy_id:012x}")
}

/// A running Open Collective stand-in. Derefs to [`Emulator`].
pub struct OpenCollectiveEmulator {
    emulator: Emulator,
    state: Arc<State>,
}

/// Starts an Open Collective stand-in accepting `tokens`; point `api_base`
/// at [`Emulator::root_url`].
pub fn start_opencollective(tokens: Vec<String>) -> io::Result<OpenCollectiveEmulator> {
    let fields = interface_fields(SCHEMA_EXCERPT, "interface Transaction ");
    if fields.is_empty() {
        return Err(io::Error::other("the schema excerpt has no Transaction interface"));
    }
    let state = Arc::new(State { tokens, fields, inner: Mutex::default() });
    let served = Arc::clone(&state);
    let emulator = Emulator::start("", move |_| Arc::new(OpenCollectiveApi { state: served }))?;
    Ok(OpenCollectiveEmulator { emulator, state })
}

impl OpenCollectiveEmulator {
    /// Adds or replaces a transaction.
    pub fn put_transaction(&self, transaction: OcTransaction) {
        self.state.lock().transactions.insert(transaction.uuid.clone(), transaction);
    }

    /// Marks `legacy_id` refunded by `refund` (and stores the refund).
    pub fn refund(&self, legacy_id: i64, refund_legacy_id: i64) -> OcTransaction {
        let mut inner = self.state.lock();
        let original = inner.transactions.values_mut().find(|t| t.legacy_id == legacy_id).map(|t| {
            t.is_refunded = true;
            t.refund_transaction = Some(refund_legacy_id);
            t.clone()
        });
        let original = original.unwrap_or_else(|| OcTransaction::contribution(legacy_id, "unknown", 0, 0));
        let refund = OcTransaction::refund_of(&original, refund_legacy_id);
        inner.transactions.insert(refund.uuid.clone(), refund.clone());
        refund
    }

    /// Transaction queries answered (any status).
    pub fn reads(&self) -> usize {
        self.state.lock().reads
    }
}

impl Deref for OpenCollectiveEmulator {
    type Target = Emulator;

    fn deref(&self) -> &Emulator {
        &self.emulator
    }
}

struct State {
    tokens: Vec<String>,
    /// The fields of the `Transaction` interface.
    fields: Vec<String>,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    transactions: BTreeMap<String, OcTransaction>,
    reads: usize,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A plain map: a panic while held cannot leave it inconsistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct OpenCollectiveApi {
    state: Arc<State>,
}

impl EmulatedApi for OpenCollectiveApi {
    fn answer(&self, request: &SeenRequest, _journal: &Journal) -> Answer {
        if request.method != "POST" || !matches!(request.path.as_str(), "/graphql/v2" | "/graphql") {
            return Answer::new(404, json!({"error": "Not found"}));
        }
        let token = request.header("personal-token").unwrap_or("");
        if !self.state.tokens.iter().any(|t| same_secret(t, token)) {
            return Answer::new(
                401,
                json!({"error": {"code": 401, "type": "unauthorized", "message": "Invalid Personal Token (Api Key)"}}),
            );
        }
        if request.media_type().as_deref() != Some("application/json") {
            return Answer::new(400, json!({"errors": [{"message": "Must provide query string."}]}));
        }
        let query = request.fields.get("query").and_then(Value::as_str).unwrap_or("");
        let id = request.fields.get("variables").and_then(|v| v.get("id")).and_then(Value::as_str);
        let Some(selection) = transaction_selection(query) else {
            return graphql_error(
                "The stand-in answers the transaction(transaction: { id }) query only",
                "BAD_USER_INPUT",
            );
        };
        if let Some(unknown) = selection.0.keys().find(|field| !self.state.fields.contains(field)) {
            return graphql_error(
                &format!("Cannot query field \"{unknown}\" on type \"Transaction\"."),
                "GRAPHQL_VALIDATION_FAILED",
            );
        }
        let mut inner = self.state.lock();
        inner.reads += 1;
        let Some(transaction) = id.and_then(|id| inner.transactions.get(id)) else {
            return Answer::new(
                200,
                json!({"errors": [{"message": "Transaction Not Found", "extensions": {"code": "NotFound"}}],
                       "data": {"transaction": null}}),
            );
        };
        Answer::new(200, json!({"data": {"transaction": select(&transaction.to_json(), &selection)}}))
    }

    fn error_answer(&self, status: u16) -> Answer {
        Answer::new(status, json!({"errors": [{"message": "injected"}]}))
    }
}

fn graphql_error(message: &str, code: &str) -> Answer {
    Answer::new(400, json!({"errors": [{"message": message, "extensions": {"code": code}}]}))
}

/// A selection set: each field and its own selection (empty for a leaf).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Selection(BTreeMap<String, Selection>);

/// The fields selected on `transaction(...)`, or `None` when the query is
/// not that one.
fn transaction_selection(query: &str) -> Option<Selection> {
    let at = query.find("transaction(")?;
    let rest = &query[at..];
    let open = rest.find(')')?;
    let body = rest[open + 1..].trim_start().strip_prefix('{')?;
    let (selection, _) = parse_selection(body)?;
    Some(selection)
}

/// Parses fields up to the closing `}`; returns them and what follows.
fn parse_selection(mut text: &str) -> Option<(Selection, &str)> {
    let mut fields = BTreeMap::new();
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix('}') {
            return Some((Selection(fields), rest));
        }
        let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
        if end == 0 {
            return None;
        }
        let name = text[..end].to_owned();
        text = text[end..].trim_start();
        if let Some(args) = text.strip_prefix('(') {
            text = &args[args.find(')')? + 1..];
            text = text.trim_start();
        }
        let sub = match text.strip_prefix('{') {
            Some(inner) => {
                let (sub, rest) = parse_selection(inner)?;
                text = rest;
                sub
            }
            None => Selection::default(),
        };
        fields.insert(name, sub);
    }
}

/// `value` reduced to the fields of `selection` (missing ones are `null`).
fn select(value: &Value, selection: &Selection) -> Value {
    let mut out = Map::new();
    for (field, sub) in &selection.0 {
        let found = value.get(field).cloned().unwrap_or(Value::Null);
        let kept = match &found {
            Value::Object(_) if !sub.0.is_empty() => select(&found, sub),
            _ => found,
        };
        out.insert(field.clone(), kept);
    }
    Value::Object(out)
}

/// The field names of a type block of `schema` (the block starting with `header`).
pub fn interface_fields(schema: &str, header: &str) -> Vec<String> {
    let Some(start) = schema.find(header) else { return Vec::new() };
    let mut fields = Vec::new();
    let mut in_doc = false;
    let mut depth_args = 0;
    for line in schema[start..].lines().skip(1) {
        let trimmed = line.trim();
        if trimmed == "}" && depth_args == 0 {
            break;
        }
        if trimmed.starts_with("\"\"\"") {
            if !(trimmed.len() > 3 && trimmed.ends_with("\"\"\"")) {
                in_doc = !in_doc;
            }
            continue;
        }
        if in_doc || trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if depth_args == 0 && line.starts_with("  ") && !line.starts_with("   ") {
            let end = trimmed.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(trimmed.len());
            fields.push(trimmed[..end].to_owned());
        }
        depth_args += trimmed.matches('(').count();
        depth_args -= trimmed.matches(')').count().min(depth_args);
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_excerpt_lists_the_transaction_fields() {
        let fields = interface_fields(SCHEMA_EXCERPT, "interface Transaction ");
        for field in
            ["legacyId", "type", "kind", "isRefund", "isRefunded", "netAmount", "toAccount", "refundTransaction"]
        {
            assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
        }
        assert!(!fields.iter().any(|f| f == "dynamic" || f == "fetchHostFee"), "arguments are not fields: {fields:?}");
    }

    #[test]
    fn a_selection_keeps_the_fields_asked_and_their_subfields() {
        let query = "query X($id: String!) { transaction(transaction: { id: $id }) { legacyId netAmount(fetchHostFee: true) { valueInCents } toAccount { slug } } }";
        let selection = transaction_selection(query).unwrap();
        let answer = select(&OcTransaction::contribution(7, "c", 1000, 900).to_json(), &selection);
        assert_eq!(answer, json!({"legacyId": 7, "netAmount": {"valueInCents": 900}, "toAccount": {"slug": "c"}}));
    }
}
