//! [`DonationAccount`]: one tenant's account at one platform, and what
//! happens to a notification: its payment ids read (hints), each payment
//! read back within the [guard](crate::guard)'s bounds, what the platform
//! confirms credited or refunded once in the ledger, and a
//! [`DonationResult`] for each.

use std::sync::Arc;
use std::time::Duration;

use antirelou_domain::{DonationSource, SharedClock};
use antirelou_ledger::{CreditVerdict, DonationCredit, DonationRefund, Donations, LedgerError, RefundVerdict};
use antirelou_settings::DonationSettings;

use crate::guard::{GuardLimits, ReadBackGuard};
use crate::helloasso::{HelloAsso, HelloAssoRules};
use crate::opencollective::{OpenCollective, OpenCollectiveRules};
use crate::platform::{Confirmation, Platform};
use crate::result::DonationResult;

/// The read-backs of one notification end within this time; payments not
/// read back by then are left undecided (the platform retries).
pub const NOTIFICATION_DEADLINE: Duration = Duration::from_secs(20);

/// One tenant's account at one donation platform.
pub struct DonationAccount {
    tenant: String,
    platform: Box<dyn Platform>,
    guard: ReadBackGuard,
    clock: SharedClock,
}

/// What became of one notification: a result per payment it named, or a
/// single `ignored` (no payment) or `malformed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub results: Vec<DonationResult>,
}

impl Received {
    /// Whether the platform should send the notification again later.
    pub fn retry_later(&self) -> bool {
        self.results.iter().any(|r| r.retry_later())
    }

    pub fn malformed(&self) -> bool {
        self.results.contains(&DonationResult::Malformed)
    }
}

impl DonationAccount {
    /// The account of `tenant` at `settings`'s platform; `currency` is the
    /// ledger's.
    pub fn from_settings(
        tenant: &str,
        settings: &DonationSettings,
        currency: &str,
        limits: GuardLimits,
        clock: SharedClock,
    ) -> Result<DonationAccount, url::ParseError> {
        let platform: Box<dyn Platform> = match settings {
            DonationSettings::HelloAsso { organization_slug, client_id, client_secret, api_base, form_slugs } => {
                let rules =
                    HelloAssoRules { organization_slug: organization_slug.clone(), form_slugs: form_slugs.clone() };
                Box::new(HelloAsso::new(api_base, client_id, client_secret, rules, Arc::clone(&clock))?)
            }
            DonationSettings::OpenCollective { collective_slug, token, api_base } => {
                let rules =
                    OpenCollectiveRules { collective_slug: collective_slug.clone(), currency: currency.to_owned() };
                Box::new(OpenCollective::new(api_base, token, rules))
            }
        };
        Ok(DonationAccount::new(tenant, platform, limits, clock))
    }

    pub fn new(tenant: &str, platform: Box<dyn Platform>, limits: GuardLimits, clock: SharedClock) -> DonationAccount {
        let guard = ReadBackGuard::new(limits, Arc::clone(&clock));
        DonationAccount { tenant: tenant.to_owned(), platform, guard, clock }
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    pub fn source(&self) -> DonationSource {
        self.platform.source()
    }

    /// Handles one notification body: reads back each payment it names and
    /// credits or refunds what the platform confirms.
    pub async fn receive(&self, body: &[u8], ledger: &dyn Donations) -> Received {
        let ids = match self.platform.payment_ids(body) {
            Ok(ids) => ids,
            Err(malformed) => {
                tracing::info!(tenant = %self.tenant, source = %self.source(), %malformed, "donation notification refused");
                return Received { results: vec![DonationResult::Malformed] };
            }
        };
        if ids.is_empty() {
            return Received { results: vec![DonationResult::Ignored] };
        }
        let deadline = tokio::time::Instant::now() + NOTIFICATION_DEADLINE;
        let mut results = Vec::with_capacity(ids.len());
        for id in &ids {
            let result = match tokio::time::timeout_at(deadline, self.one(id, ledger)).await {
                Ok(result) => result,
                Err(_) => DonationResult::ApiUnavailable,
            };
            results.push(result);
        }
        Received { results }
    }

    /// One payment named by a notification.
    async fn one(&self, hint: &str, ledger: &dyn Donations) -> DonationResult {
        let (tenant, source) = (self.tenant.as_str(), self.source());
        if let Some(result) = self.guard.remembered(hint) {
            return result;
        }
        let Some(_permit) = self.guard.admit() else {
            tracing::debug!(tenant, %source, "donation read-back over its limit");
            return DonationResult::RateLimited;
        };
        let confirmation = match self.platform.confirm(hint).await {
            Ok(confirmation) => confirmation,
            Err(error) => {
                tracing::warn!(tenant, %source, payment = hint, %error, "donation not read back");
                return error.result();
            }
        };
        let now_micros = self.clock.now_micros();
        match confirmation {
            Confirmation::Refused(result) => {
                self.guard.remember(hint, result);
                tracing::info!(tenant, %source, payment = hint, %result, "donation not credited");
                result
            }
            Confirmation::Credit { payment_id, amount } => {
                let credit = DonationCredit {
                    tenant: tenant.to_owned(),
                    source,
                    payment_id: payment_id.clone(),
                    amount,
                    now_micros,
                };
                match ledger.credit_donation(&credit).await {
                    Ok(CreditVerdict::Credited { balance, .. }) => {
                        tracing::info!(tenant, %source, payment = %payment_id, %amount, %balance, "donation credited");
                        DonationResult::Credited
                    }
                    Ok(CreditVerdict::AlreadyCredited | CreditVerdict::AlreadyRefunded) => DonationResult::Duplicate,
                    Err(error) => ledger_failed(tenant, source, &payment_id, &error),
                }
            }
            Confirmation::Refund { payment_id } => {
                let refund =
                    DonationRefund { tenant: tenant.to_owned(), source, payment_id: payment_id.clone(), now_micros };
                match ledger.refund_donation(&refund).await {
                    Ok(RefundVerdict::Debited { amount, balance, .. }) => {
                        tracing::info!(tenant, %source, payment = %payment_id, %amount, %balance, "donation refunded");
                        DonationResult::Refunded
                    }
                    Ok(RefundVerdict::AlreadyRefunded) => DonationResult::Duplicate,
                    Ok(RefundVerdict::NeverCredited) => {
                        tracing::info!(tenant, %source, payment = %payment_id, "refund of a donation never credited");
                        DonationResult::RefundNotCredited
                    }
                    Err(error) => ledger_failed(tenant, source, &payment_id, &error),
                }
            }
        }
    }
}

fn ledger_failed(tenant: &str, source: DonationSource, payment_id: &str, error: &LedgerError) -> DonationResult {
    tracing::error!(tenant, %source, payment = payment_id, %error, "donation not recorded");
    DonationResult::LedgerUnavailable
}
