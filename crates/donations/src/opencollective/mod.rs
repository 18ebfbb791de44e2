//! Open Collective (GraphQL API v2): a webhook names a transaction; it is
//! read back with `POST {api_base}/graphql/v2` (header `Personal-Token`,
//! the tenant's token) and the `transaction` query, with the fields of the
//! `Transaction` interface of Open Collective's published schema
//! (`schemaV2.graphql`). The payment id kept in the ledger is the
//! transaction's `legacyId` (from the answer, never from the webhook).
//!
//! - A contribution to the collective (`kind` `CONTRIBUTION`, `type`
//!   `CREDIT`, not a refund, `toAccount.slug` the tenant's collective, in the
//!   ledger's currency) credits its `netAmount` (fees of the fiscal host and
//!   the payment processor taken off: what reaches the collective), once.
//!   Refunded since (`isRefunded`), it debits instead.
//! - A refund (`isRefund`, `type` `DEBIT` of the collective) debits what its
//!   `refundTransaction` (the contribution it refunds) credited.
//! - Anything else (expenses, fees, another collective) credits nothing.
//!
//! [`notification`]: the transaction a webhook names.

pub mod notification;

use antirelou_domain::DonationSource;
use antirelou_settings::Secret;
use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::platform::{cents, exchange, http_client, Confirmation, Malformed, Platform, ReadBackError};
use crate::result::DonationResult;

/// The query sent for one transaction.
pub const TRANSACTION_QUERY: &str = "query DonationReadBack($id: String!) {
  transaction(transaction: { id: $id }) {
    legacyId
    type
    kind
    isRefund
    isRefunded
    netAmount(fetchHostFee: true, fetchPaymentProcessorFee: true, fetchTax: true) { valueInCents currency }
    fromAccount { slug }
    toAccount { slug }
    refundTransaction { legacyId }
  }
}";

/// What the tenant accepts from Open Collective.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenCollectiveRules {
    pub collective_slug: String,
    /// The ledger's currency (`EUR`): a contribution in another is not credited.
    pub currency: String,
}

/// The transaction as read back.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub legacy_id: i64,
    /// `CREDIT` or `DEBIT`.
    #[serde(rename = "type")]
    pub direction: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub is_refund: Option<bool>,
    #[serde(default)]
    pub is_refunded: Option<bool>,
    pub net_amount: Amount,
    #[serde(default)]
    pub from_account: Option<AccountRef>,
    #[serde(default)]
    pub to_account: Option<AccountRef>,
    #[serde(default)]
    pub refund_transaction: Option<TransactionRef>,
}

/// `Amount`: `valueInCents` is a Float in the schema.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    #[serde(default)]
    pub value_in_cents: Option<f64>,
    #[serde(default)]
    pub currency: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct AccountRef {
    pub slug: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRef {
    pub legacy_id: i64,
}

/// What a transaction confirms for a tenant with `rules`.
pub fn judge(t: &Transaction, rules: &OpenCollectiveRules) -> Confirmation {
    if t.kind.as_deref() != Some("CONTRIBUTION") {
        return Confirmation::Refused(DonationResult::NotADonation);
    }
    let ours = |account: &Option<AccountRef>| {
        account.as_ref().is_some_and(|a| a.slug.eq_ignore_ascii_case(&rules.collective_slug))
    };
    let is_refund = t.is_refund.unwrap_or(false);
    match (t.direction.as_str(), is_refund) {
        ("CREDIT", false) => {
            if !ours(&t.to_account) {
                return Confirmation::Refused(DonationResult::OtherAccount);
            }
            let payment_id = t.legacy_id.to_string();
            if t.is_refunded.unwrap_or(false) {
                return Confirmation::Refund { payment_id };
            }
            if !t.net_amount.currency.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&rules.currency)) {
                return Confirmation::Refused(DonationResult::WrongCurrency);
            }
            match t.net_amount.value_in_cents.and_then(whole_cents).and_then(|c| cents(c).filter(|_| c > 0)) {
                Some(amount) => Confirmation::Credit { payment_id, amount },
                None => Confirmation::Refused(DonationResult::NotADonation),
            }
        }
        // The collective gives a contribution back: the refund of the credit it names.
        ("DEBIT", true) if ours(&t.from_account) => match &t.refund_transaction {
            Some(original) => Confirmation::Refund { payment_id: original.legacy_id.to_string() },
            None => Confirmation::Refused(DonationResult::NotADonation),
        },
        ("DEBIT", true) => Confirmation::Refused(DonationResult::OtherAccount),
        _ => Confirmation::Refused(DonationResult::NotADonation),
    }
}

/// A whole, representable number of cents (`valueInCents` is a Float).
fn whole_cents(value: f64) -> Option<i64> {
    (value.is_finite() && value.fract() == 0.0 && value.abs() < 9.0e15).then_some(value as i64)
}

/// A tenant's Open Collective account: its rules, its client and its token.
pub struct OpenCollective {
    client: reqwest::Client,
    graphql_url: String,
    token: Secret,
    rules: OpenCollectiveRules,
}

impl OpenCollective {
    /// `api_base` without trailing slash (`https://api.opencollective.com`).
    pub fn new(api_base: &str, token: &Secret, rules: OpenCollectiveRules) -> OpenCollective {
        OpenCollective {
            client: http_client(),
            graphql_url: format!("{api_base}/graphql/v2"),
            token: token.clone(),
            rules,
        }
    }
}

#[derive(Deserialize)]
struct GraphqlAnswer {
    #[serde(default)]
    data: Option<GraphqlData>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct GraphqlData {
    #[serde(default)]
    transaction: Option<Transaction>,
}

#[derive(Deserialize)]
struct GraphqlError {
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(Deserialize)]
struct ErrorExtensions {
    #[serde(default)]
    code: Option<String>,
}

#[async_trait]
impl Platform for OpenCollective {
    fn source(&self) -> DonationSource {
        DonationSource::OpenCollective
    }

    fn payment_ids(&self, body: &[u8]) -> Result<Vec<String>, Malformed> {
        notification::transaction_ids(body)
    }

    async fn confirm(&self, transaction_id: &str) -> Result<Confirmation, ReadBackError> {
        let query = serde_json::json!({ "query": TRANSACTION_QUERY, "variables": { "id": transaction_id } });
        let request = self
            .client
            .post(&self.graphql_url)
            .header("Personal-Token", self.token.expose())
            .header("Accept", "application/json")
            .json(&query);
        let (status, body) = exchange(request).await?;
        match status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(ReadBackError::CredentialsRefused(format!("transaction read answered {status}")))
            }
            other => return Err(ReadBackError::Unavailable(format!("transaction read answered {other}"))),
        }
        let answer: GraphqlAnswer = serde_json::from_slice(&body)
            .map_err(|e| ReadBackError::Unavailable(format!("unreadable GraphQL answer: {e}")))?;
        if let Some(error) = answer.errors.first() {
            let code = error.extensions.as_ref().and_then(|e| e.code.as_deref()).unwrap_or("");
            return match code {
                "NotFound" => Ok(Confirmation::Refused(DonationResult::UnknownPayment)),
                "Unauthorized" | "Forbidden" | "InvalidToken" => {
                    Err(ReadBackError::CredentialsRefused(format!("GraphQL error {code}")))
                }
                _ => Err(ReadBackError::Unavailable(format!("GraphQL error {code:?}"))),
            };
        }
        match answer.data.and_then(|d| d.transaction) {
            Some(transaction) => Ok(judge(&transaction, &self.rules)),
            None => Ok(Confirmation::Refused(DonationResult::UnknownPayment)),
        }
    }
}

#[cfg(test)]
mod tests {
    use antirelou_domain::Money;

    use super::*;

    fn rules() -> OpenCollectiveRules {
        OpenCollectiveRules { collective_slug: "collectif-lyon".to_owned(), currency: "EUR".to_owned() }
    }

    fn contribution() -> Transaction {
        Transaction {
            legacy_id: 53460,
            direction: "CREDIT".into(),
            kind: Some("CONTRIBUTION".into()),
            is_refund: Some(false),
            is_refunded: Some(false),
            net_amount: Amount { value_in_cents: Some(856.0), currency: Some("EUR".into()) },
            from_account: Some(AccountRef { slug: "a-backer".into() }),
            to_account: Some(AccountRef { slug: "collectif-lyon".into() }),
            refund_transaction: None,
        }
    }

    #[test]
    fn a_contribution_to_the_collective_credits_its_net_amount() {
        assert_eq!(
            judge(&contribution(), &rules()),
            Confirmation::Credit { payment_id: "53460".into(), amount: Money::from_micros(8_560_000) }
        );
    }

    #[test]
    fn refunds_debit_the_contribution_they_name() {
        let mut refunded = contribution();
        refunded.is_refunded = Some(true);
        assert_eq!(judge(&refunded, &rules()), Confirmation::Refund { payment_id: "53460".into() });
        let refund = Transaction {
            legacy_id: 60001,
            direction: "DEBIT".into(),
            is_refund: Some(true),
            from_account: Some(AccountRef { slug: "collectif-lyon".into() }),
            to_account: Some(AccountRef { slug: "a-backer".into() }),
            refund_transaction: Some(TransactionRef { legacy_id: 53460 }),
            ..contribution()
        };
        assert_eq!(judge(&refund, &rules()), Confirmation::Refund { payment_id: "53460".into() });
        let elsewhere = Transaction { from_account: Some(AccountRef { slug: "other".into() }), ..refund };
        assert_eq!(judge(&elsewhere, &rules()), Confirmation::Refused(DonationResult::OtherAccount));
    }

    #[test]
    fn what_is_not_a_contribution_to_the_collective_credits_nothing() {
        let refused = |t: Transaction| match judge(&t, &rules()) {
            Confirmation::Refused(result) => result,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused(Transaction { kind: Some("EXPENSE".into()), ..contribution() }),
            DonationResult::NotADonation
        );
        assert_eq!(refused(Transaction { kind: None, ..contribution() }), DonationResult::NotADonation);
        assert_eq!(refused(Transaction { direction: "DEBIT".into(), ..contribution() }), DonationResult::NotADonation);
        let other = Transaction { to_account: Some(AccountRef { slug: "collectif-paris".into() }), ..contribution() };
        assert_eq!(refused(other), DonationResult::OtherAccount);
        let dollars = Amount { value_in_cents: Some(1000.0), currency: Some("USD".into()) };
        assert_eq!(refused(Transaction { net_amount: dollars, ..contribution() }), DonationResult::WrongCurrency);
        for cents in [0.0, -5.0, 10.5, f64::NAN] {
            let amount = Amount { value_in_cents: Some(cents), currency: Some("EUR".into()) };
            assert_eq!(refused(Transaction { net_amount: amount, ..contribution() }), DonationResult::NotADonation);
        }
    }

    #[test]
    fn the_schema_field_names_read_from_an_answer() {
        let answer = br#"{"data":{"transaction":{"legacyId":53460,"type":"CREDIT","kind":"CONTRIBUTION",
            "isRefund":false,"isRefunded":false,"netAmount":{"valueInCents":856,"currency":"EUR"},
            "fromAccount":{"slug":"a-backer"},"toAccount":{"slug":"collectif-lyon"},"refundTransaction":null}}}"#;
        let answer: GraphqlAnswer = serde_json::from_slice(answer).unwrap();
        assert_eq!(answer.data.unwrap().transaction.unwrap(), contribution());
    }
}
