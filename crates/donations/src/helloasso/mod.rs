//! HelloAsso (API v5): a notification names a payment; the payment is read
//! back with `GET {api_base}/v5/payments/{id}` and a bearer token of the
//! association's client ([`token`]), and credited only when its `state` is
//! `Authorized` and its `order.organizationSlug` is the tenant's (and, if the
//! tenant lists forms, its `order.formSlug` is one of them). The fields read
//! are those of `HelloAsso.Api.V5.Common.Models.Statistics.PaymentDetail` in
//! HelloAsso's published OpenAPI document; the payer is never read.
//!
//! What is credited is what the association receives: `amount` (cents)
//! less `amountTip`, the voluntary contribution the payer adds for HelloAsso
//! itself. A payment whose `state` is `Refunded` debits what it credited.
//!
//! - [`notification`]: the payment ids of a notification.
//! - [`token`]: the OAuth2 client-credentials token, kept until it expires.

pub mod notification;
pub mod token;

use antirelou_domain::{DonationSource, SharedClock};
use antirelou_settings::Secret;
use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::platform::{cents, exchange, http_client, Confirmation, Malformed, Platform, ReadBackError};
use crate::result::DonationResult;
use token::AccessTokens;

/// What the tenant accepts from HelloAsso.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloAssoRules {
    pub organization_slug: String,
    /// Empty: every form.
    pub form_slugs: Vec<String>,
}

/// The payment as read back: the fields of `PaymentDetail` we use.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Payment {
    pub id: u64,
    /// Cents, the tip included.
    pub amount: i64,
    #[serde(rename = "amountTip", default)]
    pub amount_tip: Option<i64>,
    /// `PaymentState`: `Authorized`, `Refunded`, `Pending`, ...
    pub state: String,
    #[serde(default)]
    pub order: Option<Order>,
}

/// `OrderLight`: where the payment was made.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Order {
    #[serde(rename = "organizationSlug", default)]
    pub organization_slug: Option<String>,
    #[serde(rename = "formSlug", default)]
    pub form_slug: Option<String>,
}

/// What a payment confirms for a tenant with `rules`.
pub fn judge(payment: &Payment, rules: &HelloAssoRules) -> Confirmation {
    let order = payment.order.as_ref();
    let organization = order.and_then(|o| o.organization_slug.as_deref()).unwrap_or_default();
    if !organization.eq_ignore_ascii_case(&rules.organization_slug) {
        return Confirmation::Refused(DonationResult::OtherAccount);
    }
    let form = order.and_then(|o| o.form_slug.as_deref()).unwrap_or_default();
    if !rules.form_slugs.is_empty() && !rules.form_slugs.iter().any(|listed| listed.eq_ignore_ascii_case(form)) {
        return Confirmation::Refused(DonationResult::FormNotListed);
    }
    let payment_id = payment.id.to_string();
    match payment.state.as_str() {
        "Authorized" => {
            let received = payment.amount.saturating_sub(payment.amount_tip.unwrap_or(0).max(0));
            match cents(received) {
                Some(amount) if received > 0 => Confirmation::Credit { payment_id, amount },
                _ => Confirmation::Refused(DonationResult::NotADonation),
            }
        }
        "Refunded" => Confirmation::Refund { payment_id },
        _ => Confirmation::Refused(DonationResult::NotAuthorized),
    }
}

/// A tenant's HelloAsso account: its rules, its client and its token.
pub struct HelloAsso {
    client: reqwest::Client,
    api_base: String,
    tokens: AccessTokens,
    rules: HelloAssoRules,
}

impl HelloAsso {
    /// `api_base` without trailing slash (`https://api.helloasso.com`).
    pub fn new(
        api_base: &str,
        client_id: &str,
        client_secret: &Secret,
        rules: HelloAssoRules,
        clock: SharedClock,
    ) -> Result<HelloAsso, url::ParseError> {
        let client = http_client();
        let token_url = url::Url::parse(&format!("{api_base}/oauth2/token"))?;
        let tokens = AccessTokens::new(client.clone(), token_url, client_id.to_owned(), client_secret.clone(), clock);
        Ok(HelloAsso { client, api_base: api_base.to_owned(), tokens, rules })
    }

    /// Reads the payment with `token`: `Ok(None)` when HelloAsso does not know it.
    async fn read(&self, payment_id: &str, token: &Secret) -> Result<Read, ReadBackError> {
        let url = format!("{}/v5/payments/{payment_id}", self.api_base);
        let request = self.client.get(url).bearer_auth(token.expose()).header("Accept", "application/json");
        let (status, body) = exchange(request).await?;
        match status {
            StatusCode::OK => serde_json::from_slice(&body)
                .map(Read::Payment)
                .map_err(|e| ReadBackError::Unavailable(format!("unreadable payment: {e}"))),
            StatusCode::NOT_FOUND => Ok(Read::Unknown),
            StatusCode::UNAUTHORIZED => Ok(Read::TokenRefused),
            // HelloAsso answers 403 both to a client without the
            // AccessTransactions privilege and for a payment of another
            // organisation: the two cannot be told apart, so nothing is
            // decided and HelloAsso is asked to retry.
            StatusCode::FORBIDDEN => Err(ReadBackError::CredentialsRefused("payment read answered 403".to_owned())),
            other => Err(ReadBackError::Unavailable(format!("payment read answered {other}"))),
        }
    }
}

enum Read {
    Payment(Payment),
    Unknown,
    TokenRefused,
}

#[async_trait]
impl Platform for HelloAsso {
    fn source(&self) -> DonationSource {
        DonationSource::HelloAsso
    }

    fn payment_ids(&self, body: &[u8]) -> Result<Vec<String>, Malformed> {
        notification::payment_ids(body)
    }

    async fn confirm(&self, payment_id: &str) -> Result<Confirmation, ReadBackError> {
        let mut token = self.tokens.get().await?;
        let mut read = self.read(payment_id, &token).await?;
        if matches!(read, Read::TokenRefused) {
            // Revoked or expired early: one more try with a new token.
            self.tokens.refused(&token).await;
            token = self.tokens.get().await?;
            read = self.read(payment_id, &token).await?;
        }
        match read {
            Read::Payment(payment) if payment.id.to_string() == payment_id => Ok(judge(&payment, &self.rules)),
            Read::Payment(payment) => {
                Err(ReadBackError::Unavailable(format!("asked for payment {payment_id}, got {}", payment.id)))
            }
            Read::Unknown => Ok(Confirmation::Refused(DonationResult::UnknownPayment)),
            Read::TokenRefused => Err(ReadBackError::CredentialsRefused("a new token was refused too".to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use antirelou_domain::Money;

    use super::*;

    fn payment(state: &str, organization: &str, form: &str) -> Payment {
        Payment {
            id: 7269832,
            amount: 1_500,
            amount_tip: Some(500),
            state: state.to_owned(),
            order: Some(Order { organization_slug: Some(organization.to_owned()), form_slug: Some(form.to_owned()) }),
        }
    }

    fn rules(forms: &[&str]) -> HelloAssoRules {
        HelloAssoRules {
            organization_slug: "collectif-lyon".to_owned(),
            form_slugs: forms.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    #[test]
    fn an_authorized_payment_of_the_organisation_credits_its_amount_less_the_tip() {
        let credit = judge(&payment("Authorized", "collectif-lyon", "don"), &rules(&[]));
        assert_eq!(
            credit,
            Confirmation::Credit { payment_id: "7269832".into(), amount: Money::from_micros(10_000_000) }
        );
        let mut no_tip = payment("Authorized", "collectif-lyon", "don");
        no_tip.amount_tip = None;
        assert_eq!(
            judge(&no_tip, &rules(&["don"])),
            Confirmation::Credit { payment_id: "7269832".into(), amount: Money::from_micros(15_000_000) }
        );
    }

    #[test]
    fn other_organisations_forms_and_states_credit_nothing() {
        let refused = |p: &Payment, r: &HelloAssoRules| match judge(p, r) {
            Confirmation::Refused(result) => result,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused(&payment("Authorized", "collectif-paris", "don"), &rules(&[])),
            DonationResult::OtherAccount
        );
        let mut orphan = payment("Authorized", "collectif-lyon", "don");
        orphan.order = None;
        assert_eq!(refused(&orphan, &rules(&[])), DonationResult::OtherAccount);
        assert_eq!(
            refused(&payment("Authorized", "collectif-lyon", "adhesion"), &rules(&["don"])),
            DonationResult::FormNotListed
        );
        for state in ["Pending", "Refused", "Refunding", "AuthorizedPreprod", "Contested", "authorized"] {
            assert_eq!(
                refused(&payment(state, "collectif-lyon", "don"), &rules(&[])),
                DonationResult::NotAuthorized,
                "{state}"
            );
        }
        let mut all_tip = payment("Authorized", "collectif-lyon", "don");
        all_tip.amount_tip = Some(1_500);
        assert_eq!(refused(&all_tip, &rules(&[])), DonationResult::NotADonation);
    }

    #[test]
    fn a_refunded_payment_asks_for_its_refund() {
        assert_eq!(
            judge(&payment("Refunded", "collectif-lyon", "don"), &rules(&[])),
            Confirmation::Refund { payment_id: "7269832".into() }
        );
    }

    #[test]
    fn the_payment_detail_of_the_openapi_document_reads_without_the_payer() {
        let detail = br#"{"order":{"id":1,"date":"2026-11-28T09:19:40+00:00","formSlug":"don","formType":"Donation",
            "organizationName":"Collectif Lyon","organizationSlug":"collectif-lyon","organizationType":"Association",
            "organizationIsUnderColucheLaw":false},"payer":{"email":"x@example.org","firstName":"X","lastName":"Y"},
            "items":[{"shareAmount":1000,"shareItemAmount":1000,"id":1,"amount":1000,"type":"Donation","state":"Processed"}],
            "cashOutState":"Transfered","id":7269832,"amount":1000,"amountTip":0,"date":"2026-11-28T09:19:51+00:00",
            "paymentMeans":"Card","installmentNumber":1,"state":"Authorized","type":"Credit",
            "meta":{"createdAt":"2026-11-28T09:19:51+00:00","updatedAt":"2026-11-28T09:19:51+00:00"}}"#;
        let payment: Payment = serde_json::from_slice(detail).unwrap();
        assert_eq!((payment.id, payment.amount, payment.state.as_str()), (7269832, 1000, "Authorized"));
        assert_eq!(payment.order.unwrap().organization_slug.as_deref(), Some("collectif-lyon"));
    }
}
