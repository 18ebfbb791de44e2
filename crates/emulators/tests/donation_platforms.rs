//! The donation platforms' stand-ins against their published references:
//! HelloAsso's answers validate against its OpenAPI document, Open
//! Collective's against its GraphQL schema; and what each refuses, sent by
//! hand over real HTTP.

use antirelou_emulators::helloasso::{payment_detail, OPENAPI_EXCERPT, PAYER_EMAIL};
use antirelou_emulators::opencollective::{interface_fields, uuid_of, SCHEMA_EXCERPT};
use antirelou_emulators::{
    start_helloasso, start_opencollective, Fault, HelloAssoClient, HelloAssoPayment, OcTransaction,
};
use serde_json::{json, Value};

/// The problems of `value` against the OpenAPI `schema` (`$ref`s resolved in
/// `document`): types, enums, unknown properties where
/// `additionalProperties` is false, nullability.
fn problems(value: &Value, schema: &Value, document: &Value, at: &str) -> Vec<String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        return problems(value, &document["components"]["schemas"][name], document, at);
    }
    if value.is_null() {
        let nullable = schema.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        return if nullable { Vec::new() } else { vec![format!("{at}: null but not nullable")] };
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        return if allowed.contains(value) { Vec::new() } else { vec![format!("{at}: {value} not in {allowed:?}")] };
    }
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or("object");
    match (kind, value) {
        ("object", Value::Object(members)) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
            let mut found = Vec::new();
            for (name, member) in members {
                match properties.and_then(|p| p.get(name)) {
                    Some(property) => found.extend(problems(member, property, document, &format!("{at}.{name}"))),
                    None if closed => found.push(format!("{at}.{name}: not a property of the schema")),
                    None => {}
                }
            }
            found
        }
        ("array", Value::Array(items)) => items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| problems(item, &schema["items"], document, &format!("{at}[{i}]")))
            .collect(),
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Vec::new(),
        ("string", Value::String(_)) | ("boolean", Value::Bool(_)) => Vec::new(),
        (kind, value) => vec![format!("{at}: expected {kind}, got {value}")],
    }
}

#[test]
fn the_helloasso_payment_answered_is_a_payment_detail_of_the_published_document() {
    let document: Value = serde_json::from_str(OPENAPI_EXCERPT).unwrap();
    let schema =
        &document["paths"]["/payments/{paymentId}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    for state in ["Authorized", "Refunded", "Pending"] {
        let mut payment = HelloAssoPayment::donation(7269832, "collectif-lyon", "don-sms", 1_500);
        payment.state = state.to_owned();
        payment.amount_tip = 300;
        let found = problems(&payment_detail(&payment), schema, &document, "PaymentDetail");
        assert!(found.is_empty(), "{state}: {found:#?}");
    }
    // The validator does refuse what the document does not describe.
    let mut wrong = payment_detail(&HelloAssoPayment::donation(1, "o", "f", 1));
    wrong["state"] = json!("Paid");
    wrong["donor"] = json!("x");
    assert_eq!(problems(&wrong, schema, &document, "p").len(), 2);
}

fn clients() -> Vec<HelloAssoClient> {
    vec![HelloAssoClient {
        client_id: "lyon-client".into(),
        client_secret: "lyon-secret".into(),
        organizations: vec!["collectif-lyon".into()],
    }]
}

async fn token(client: &reqwest::Client, root: &str, secret: &str) -> reqwest::Response {
    let form = [("grant_type", "client_credentials"), ("client_id", "lyon-client"), ("client_secret", secret)];
    client.post(format!("{root}/oauth2/token")).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn helloasso_issues_tokens_to_its_clients_and_reads_their_organisations_payments_only() {
    let helloasso = start_helloasso(clients()).unwrap();
    helloasso.put_payment(HelloAssoPayment::donation(11, "collectif-lyon", "don", 1_000));
    helloasso.put_payment(HelloAssoPayment::donation(12, "collectif-paris", "don", 1_000));
    let (client, root) = (reqwest::Client::new(), helloasso.root_url().to_owned());
    assert_eq!(token(&client, &root, "wrong").await.status(), 401);
    let as_json =
        json!({"grant_type": "client_credentials", "client_id": "lyon-client", "client_secret": "lyon-secret"});
    let answer = client.post(format!("{root}/oauth2/token")).json(&as_json).send().await.unwrap();
    assert_eq!(answer.status(), 400, "the token endpoint takes a form");
    let granted: Value = token(&client, &root, "lyon-secret").await.json().await.unwrap();
    assert_eq!((granted["token_type"].as_str(), granted["expires_in"].as_i64()), (Some("bearer"), Some(1_800)));
    let bearer = granted["access_token"].as_str().unwrap().to_owned();
    let read = |id: u64, bearer: String| {
        let client = client.clone();
        let url = format!("{root}/v5/payments/{id}");
        async move { client.get(url).bearer_auth(bearer).send().await.unwrap() }
    };
    let mine = read(11, bearer.clone()).await;
    assert_eq!(mine.status(), 200);
    let detail: Value = mine.json().await.unwrap();
    assert_eq!((detail["id"].as_u64(), detail["payer"]["email"].as_str()), (Some(11), Some(PAYER_EMAIL)));
    assert_eq!(read(12, bearer.clone()).await.status(), 403, "another organisation's payment");
    assert_eq!(read(13, bearer.clone()).await.status(), 404);
    assert_eq!(read(11, "forged".into()).await.status(), 401);
    helloasso.revoke_tokens();
    assert_eq!(read(11, bearer).await.status(), 401, "revoked");
    helloasso.inject(Fault::Status(503));
    assert_eq!(token(&client, &root, "lyon-secret").await.status(), 503);
    assert_eq!(helloasso.tokens_issued(), 1);
    assert_eq!(helloasso.payment_reads(), 5);
}

#[tokio::test]
async fn open_collective_answers_the_fields_asked_and_refuses_unknown_ones_and_tokens() {
    let oc = start_opencollective(vec!["oc-token".into()]).unwrap();
    oc.put_transaction(OcTransaction::contribution(53460, "collectif-lyon", 1_000, 856));
    let client = reqwest::Client::new();
    let url = format!("{}/graphql/v2", oc.root_url());
    let ask = |token: &str, query: &str, id: String| {
        client.post(&url).header("Personal-Token", token).json(&json!({"query": query, "variables": {"id": id}})).send()
    };
    let query = "query($id: String!) { transaction(transaction: { id: $id }) { legacyId kind netAmount { valueInCents currency } } }";
    let answer: Value = ask("oc-token", query, uuid_of(53460)).await.unwrap().json().await.unwrap();
    assert_eq!(
        answer,
        json!({"data": {"transaction": {"legacyId": 53460, "kind": "CONTRIBUTION",
            "netAmount": {"valueInCents": 856, "currency": "EUR"}}}})
    );
    let unknown: Value = ask("oc-token", query, uuid_of(1)).await.unwrap().json().await.unwrap();
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "NotFound");
    let typo = query.replace("legacyId", "legacyID");
    let refused = ask("oc-token", &typo, uuid_of(53460)).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(ask("other", query, uuid_of(53460)).await.unwrap().status(), 401);
    assert_eq!(oc.reads(), 2, "only the well-formed, authenticated queries are reads");
    // What the stand-in answers is in the published schema.
    let fields = interface_fields(SCHEMA_EXCERPT, "interface Transaction ");
    let full = OcTransaction::contribution(1, "c", 1, 1);
    let refund = OcTransaction::refund_of(&full, 2);
    assert!(refund.is_refund && refund.direction == "DEBIT" && refund.refund_transaction == Some(1));
    assert!(["legacyId", "isRefund", "isRefunded", "fromAccount", "refundTransaction"]
        .iter()
        .all(|f| fields.iter().any(|known| known == f)));
}
