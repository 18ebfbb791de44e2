//! `[[tenants]]`: one collective, its provider account, its money and its numbers.

use antirelou_domain::{Money, PhoneNumber, SenderKey};

use crate::check::{index, Check};
use crate::donations::{check_tenant_donations, DonationSettings, DONATION_EXAMPLE};
use crate::node::Node;
use crate::number::NumberSettings;
use crate::provider::{ProviderSettings, PROVIDER_EXAMPLE};
use crate::read::{boolean, http_url, list, positive_money, text};
use crate::secret::{secret_text, token, Secret};
use crate::table::{with_check, Read};

section! {
    /// One tenant (a collective).
    #[derive(Clone, Debug)]
    pub struct TenantSettings in "[[tenants]]" {
        /// `[a-z0-9_-]{1,40}`, unique; used in metrics labels and admin URLs.
        id: String = required(tenant_id()),
        monthly_cap: Option<Money> = optional(positive_money),
        /// When true, replies are paid from the tenant's prepaid balance and stop at zero.
        prepaid: bool = or(false, boolean),
        /// Where shield entry/exit is POSTed as JSON. Chat webhook URLs embed
        /// a token, so it may also come from a secret.
        alert_webhook: Option<String> = optional(secret_text(http_url_text)),
        /// Blocked senders, hashed with `privacy.sender_key`; never kept in clear.
        blocklist: Vec<SenderKey> = or(Vec::new(), blocklist()),
        /// Bearer token of this tenant's admin API; `None` disables it.
        admin_token: Option<Secret> = optional(token()),
        /// The page where people give to the collective: low-balance alerts link to it.
        donation_url: Option<String> = optional(page_url),
        /// Platforms whose confirmed payments credit the prepaid balance.
        donations: Vec<DonationSettings> = tagged_list(DONATION_EXAMPLE),
        provider: ProviderSettings = tagged(PROVIDER_EXAMPLE),
        numbers: Vec<NumberSettings> = tables("at least one number is required (a [[tenants.numbers]] table)"),
    }
    check tenant_rules;
}

/// The rules across a tenant's keys.
fn tenant_rules(tenant: &TenantSettings, path: &str, check: &mut Check<'_>) {
    check_tenant_donations(path, tenant.prepaid, &tenant.donations, check);
}

/// Reader of `id`: the format, and unique across tenants.
fn tenant_id() -> impl Read<String> {
    with_check(|check: &mut Check<'_>, key: &str, node: Node| {
        let id = check.accept(key, id_format(node))?;
        // `key` is `tenants[i].id`; the first use is named by its tenant.
        let tenant = key.strip_suffix(".id").unwrap_or(key);
        if let Some(first) = check.first_use("tenant id", &id, tenant) {
            check.problem(key, format!("{id:?} is already the id of {first}"));
            return None;
        }
        Some(id)
    })
}

fn id_format(n: Node) -> Result<String, String> {
    let id = text(n)?;
    let valid = (1..=40).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(id)
    } else {
        Err(format!("expected 1 to 40 lowercase letters, digits, '-' or '_', got {id:?}"))
    }
}

fn http_url_text(text: String) -> Result<String, String> {
    http_url(&text)
}

fn page_url(n: Node) -> Result<String, String> {
    http_url(&text(n)?)
}

/// Reader of `blocklist`: E.164 numbers, hashed at once (the clear numbers
/// go no further), each refused one a problem at its index.
fn blocklist() -> impl Read<Vec<SenderKey>> {
    with_check(|check: &mut Check<'_>, key: &str, node: Node| {
        let items = check.accept(key, list(node))?;
        let hasher = check.hasher();
        let mut keys = Some(Vec::with_capacity(items.len()));
        for (i, item) in items.into_iter().enumerate() {
            let parsed = text(item).and_then(|text| PhoneNumber::parse(&text).map_err(|e| e.to_string()));
            match (check.accept(&index(key, i), parsed), keys.as_mut()) {
                (Some(number), Some(keys)) => keys.push(hasher.key(number.as_str())),
                (Some(_), None) => {}
                (None, _) => keys = None,
            }
        }
        keys
    })
}
