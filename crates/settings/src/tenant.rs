//! `[[tenants]]`: one collective, its provider account, its money and its numbers.

use std::collections::HashMap;

use antirelou_domain::{Money, PhoneNumber, SenderHasher, SenderKey};

use crate::check::{index, join, Check};
use crate::node::{self, Node};
use crate::number::{self, NumberSettings, SeenNumbers};
use crate::raw::{RawProvider, RawTenant};
use crate::secret::{self, Secret};
use crate::server::{http_url, MIN_TOKEN_BYTES};

/// One tenant (a collective).
#[derive(Clone, Debug)]
pub struct TenantSettings {
    /// `[a-z0-9_-]{1,40}`, unique; used in metrics labels and admin URLs.
    pub id: String,
    pub monthly_cap: Option<Money>,
    /// When true, replies are paid from the tenant's prepaid balance and stop at zero.
    pub prepaid: bool,
    /// Where shield entry/exit is POSTed as JSON.
    pub alert_webhook: Option<String>,
    /// Blocked senders, hashed with `privacy.sender_key`; never kept in clear.
    pub blocklist: Vec<SenderKey>,
    /// Bearer token of this tenant's admin API; `None` disables it.
    pub admin_token: Option<Secret>,
    pub provider: ProviderSettings,
    pub numbers: Vec<NumberSettings>,
}

/// `provider = { kind = "...", ... }`.
#[derive(Clone, Debug)]
pub enum ProviderSettings {
    Twilio {
        /// `AC` followed by 32 hexadecimal digits.
        account_sid: String,
        auth_token: Secret,
    },
}

impl ProviderSettings {
    /// The `kind` as written in the configuration (`twilio`).
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderSettings::Twilio { .. } => "twilio",
        }
    }
}

/// Ids and numbers seen so far, to refuse duplicates with the key of the first.
#[derive(Default)]
pub(crate) struct Seen {
    ids: HashMap<String, String>,
    numbers: SeenNumbers,
}

pub(crate) fn tenants(
    check: &mut Check<'_>,
    raw: Vec<RawTenant>,
    hasher: &SenderHasher,
) -> Option<Vec<TenantSettings>> {
    if raw.is_empty() {
        check.problem("tenants", "at least one tenant is required (a [[tenants]] table)");
        return None;
    }
    let mut seen = Seen::default();
    let mut all = Some(Vec::with_capacity(raw.len()));
    for (i, raw) in raw.into_iter().enumerate() {
        let tenant = tenant(check, &index("tenants", i), raw, hasher, &mut seen);
        match (tenant, all.as_mut()) {
            (Some(tenant), Some(all)) => all.push(tenant),
            _ => all = None,
        }
    }
    all
}

fn tenant(
    check: &mut Check<'_>,
    path: &str,
    raw: RawTenant,
    hasher: &SenderHasher,
    seen: &mut Seen,
) -> Option<TenantSettings> {
    check.unknown_keys(path, &raw.unknown, RawTenant::KEYS);
    let env = check.env();
    let id_key = join(path, "id");
    let id = check.required(&id_key, raw.id, tenant_id);
    if let Some(id) = &id {
        if let Some(first) = seen.ids.get(id) {
            check.problem(&id_key, format!("{id:?} is already the id of {first}"));
        } else {
            seen.ids.insert(id.clone(), path.to_owned());
        }
    }
    let monthly_cap = check.optional(&join(path, "monthly_cap"), raw.monthly_cap, node::positive_money);
    let prepaid = check.or(&join(path, "prepaid"), raw.prepaid, false, node::boolean);
    let alert_webhook = check.optional(&join(path, "alert_webhook"), raw.alert_webhook, |n| {
        // Chat webhook URLs embed a token, so they may also come from a secret.
        http_url(&secret::resolve(env, n)?)
    });
    let blocklist = blocklist(check, &join(path, "blocklist"), raw.blocklist, hasher);
    let admin_token = check
        .optional(&join(path, "admin_token"), raw.admin_token, |n| secret::resolve_strong(env, n, MIN_TOKEN_BYTES));
    let provider_key = join(path, "provider");
    let provider = match raw.provider {
        Some(raw) => provider(check, &provider_key, raw),
        None => {
            check.problem(provider_key, "required, e.g. { kind = \"twilio\", account_sid = \"AC...\", auth_token = { env = \"TWILIO_AUTH_TOKEN\" } }");
            None
        }
    };
    let numbers_key = join(path, "numbers");
    let mut numbers = Some(Vec::with_capacity(raw.numbers.len()));
    if raw.numbers.is_empty() {
        check.problem(&numbers_key, "at least one number is required (a [[tenants.numbers]] table)");
        numbers = None;
    }
    for (i, raw) in raw.numbers.into_iter().enumerate() {
        let number = number::number(check, &index(&numbers_key, i), raw, &mut seen.numbers);
        match (number, numbers.as_mut()) {
            (Some(number), Some(numbers)) => numbers.push(number),
            _ => numbers = None,
        }
    }
    Some(TenantSettings {
        id: id?,
        monthly_cap: monthly_cap?,
        prepaid: prepaid?,
        alert_webhook: alert_webhook?,
        blocklist: blocklist?,
        admin_token: admin_token?,
        provider: provider?,
        numbers: numbers?,
    })
}

fn tenant_id(n: Node) -> Result<String, String> {
    let id = node::text(n)?;
    let valid = (1..=40).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(id)
    } else {
        Err(format!("expected 1 to 40 lowercase letters, digits, '-' or '_', got {id:?}"))
    }
}

/// E.164 numbers, hashed at once: the clear numbers go no further.
fn blocklist(check: &mut Check<'_>, key: &str, node: Option<Node>, hasher: &SenderHasher) -> Option<Vec<SenderKey>> {
    let items = check.or(key, node, Vec::new(), node::list)?;
    let mut keys = Some(Vec::with_capacity(items.len()));
    for (i, item) in items.into_iter().enumerate() {
        let parsed = node::text(item).and_then(|text| PhoneNumber::parse(&text).map_err(|e| e.to_string()));
        match (parsed, keys.as_mut()) {
            (Ok(number), Some(keys)) => keys.push(hasher.key(number.as_str())),
            (Ok(_), None) => {}
            (Err(reason), _) => {
                check.problem(index(key, i), reason);
                keys = None;
            }
        }
    }
    keys
}

fn provider(check: &mut Check<'_>, path: &str, raw: RawProvider) -> Option<ProviderSettings> {
    check.unknown_keys(path, &raw.unknown, RawProvider::KEYS);
    let env = check.env();
    let kind = check.required(&join(path, "kind"), raw.kind, |n| {
        let kind = node::text(n)?;
        match kind.trim() {
            "twilio" => Ok(kind),
            _ => Err(format!("unknown provider {kind:?} (supported: \"twilio\")")),
        }
    });
    let account_sid = check.required(&join(path, "account_sid"), raw.account_sid, |n| {
        let sid = node::text(n)?.trim().to_owned();
        let valid = sid.len() == 34 && sid.starts_with("AC") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if valid {
            Ok(sid)
        } else {
            Err(format!("expected a Twilio account SID, \"AC\" and 32 hexadecimal digits, got {sid:?}"))
        }
    });
    let auth_token =
        check.required(&join(path, "auth_token"), raw.auth_token, |n| secret::resolve(env, n).map(Secret::new));
    kind?;
    Some(ProviderSettings::Twilio { account_sid: account_sid?, auth_token: auth_token? })
}
