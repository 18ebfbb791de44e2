//! [`DonationAccounts`]: each tenant's accounts at the donation platforms
//! (built from its `donations` settings, swapped whole by a reload) and the
//! family `antirelou_donations_total{tenant,source,result}` that counts
//! what became of every payment a notification named.
//!
//! A leaf of `web`: the notification routes (`routes/webhooks/donations.rs`)
//! and the reload use it; a donation never reaches the engine, so it does
//! not go through the [intake](crate::intake).

use std::collections::HashMap;
use std::sync::Arc;

use antirelou_domain::{DonationSource, SharedClock};
use antirelou_donations::{DonationAccount, DonationResult, GuardLimits, Received};
use antirelou_settings::Settings;
use arc_swap::ArcSwap;
use prometheus::{IntCounterVec, Opts};

/// The metric family of donation notifications.
pub const DONATIONS_TOTAL: &str = "antirelou_donations_total";

type Accounts = HashMap<(String, DonationSource), Arc<DonationAccount>>;

/// Every tenant's donation accounts, and their counter.
pub struct DonationAccounts {
    accounts: ArcSwap<Accounts>,
    clock: SharedClock,
    counter: IntCounterVec,
}

impl DonationAccounts {
    /// The accounts of `settings`, their series registered in `prometheus`
    /// at 0 (one per tenant, platform and result).
    pub fn start(
        settings: &Settings,
        clock: SharedClock,
        prometheus: &prometheus::Registry,
    ) -> Result<DonationAccounts, prometheus::Error> {
        let counter = IntCounterVec::new(
            Opts::new(
                DONATIONS_TOTAL,
                "Payments named by donation notifications, by tenant, platform and what became of each.",
            ),
            &["tenant", "source", "result"],
        )?;
        prometheus.register(Box::new(counter.clone()))?;
        let accounts = DonationAccounts { accounts: ArcSwap::from_pointee(HashMap::new()), clock, counter };
        accounts.sync(settings);
        Ok(accounts)
    }

    /// The account of `tenant` at `source`, if the tenant configured one.
    pub fn account(&self, tenant: &str, source: DonationSource) -> Option<Arc<DonationAccount>> {
        self.accounts.load().get(&(tenant.to_owned(), source)).cloned()
    }

    /// Takes `settings`' accounts (a reload): every account is built again
    /// (a new token is asked at its next read-back), the series of accounts
    /// no longer configured are dropped, the new ones declared at 0.
    pub fn sync(&self, settings: &Settings) {
        let currency = &settings.ledger.currency;
        let mut accounts = Accounts::new();
        for tenant in &settings.tenants {
            for donation in &tenant.donations {
                let built = DonationAccount::from_settings(
                    &tenant.id,
                    donation,
                    currency,
                    GuardLimits::default(),
                    Arc::clone(&self.clock),
                );
                match built {
                    Ok(account) => {
                        accounts.insert((tenant.id.clone(), donation.source()), Arc::new(account));
                    }
                    // The settings checked `api_base`; a URL the HTTP client refuses still is not served.
                    Err(error) => tracing::error!(tenant = %tenant.id, source = %donation.source(), %error,
                        "donation account not started"),
                }
            }
        }
        let old = self.accounts.swap(Arc::new(accounts));
        let new = self.accounts.load();
        for (tenant, source) in old.keys().filter(|key| !new.contains_key(*key)) {
            for result in DonationResult::ALL {
                let _ = self.counter.remove_label_values(&[tenant, source.as_str(), result.as_str()]);
            }
        }
        for (tenant, source) in new.keys() {
            for result in DonationResult::ALL {
                self.counter.with_label_values(&[tenant, source.as_str(), result.as_str()]);
            }
        }
    }

    /// Counts what became of each payment of one notification.
    pub fn count(&self, account: &DonationAccount, received: &Received) {
        for result in &received.results {
            self.counter.with_label_values(&[account.tenant(), account.source().as_str(), result.as_str()]).inc();
        }
    }
}
