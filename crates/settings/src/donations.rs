//! `tenants[].donations`: the donation platforms whose payments credit the
//! tenant's prepaid balance, one entry per platform, picked by `kind`; and
//! the rules that hold across a tenant's keys (prepaid, one entry of each
//! kind, an organisation or collective belongs to one tenant only).

use antirelou_domain::DonationSource;

use crate::check::{index, join, Check};
use crate::node::Node;
use crate::read::{base_url, list, text};
use crate::secret::{secret, Secret};

/// A donation entry in messages about a misshapen one.
pub(crate) const DONATION_EXAMPLE: &str = "{ kind = \"helloasso\", organization_slug = \"collectif-lyon\", \
     client_id = \"...\", client_secret = { env = \"HA_SECRET\" } }";

/// Default `api_base` of HelloAsso.
pub const HELLOASSO_API_BASE: &str = "https://api.helloasso.com";
/// Default `api_base` of Open Collective.
pub const OPENCOLLECTIVE_API_BASE: &str = "https://api.opencollective.com";

/// The most forms a HelloAsso entry may list.
const MAX_FORM_SLUGS: usize = 50;

tagged! {
    /// `donations = [{ kind = "...", ... }]`.
    #[derive(Clone, Debug)]
    pub enum DonationSettings by "kind" in "donations" {
        /// HelloAsso (API v5), with the association's API client.
        HelloAsso(DonationSource::HelloAsso.as_str()) in "kind = \"helloasso\"" {
            /// The association's slug, as in its HelloAsso address.
            organization_slug: String = required(slug),
            client_id: String = required(client_id),
            client_secret: Secret = required(secret()),
            /// The API root, no trailing slash. Default `https://api.helloasso.com`.
            api_base: String = or(HELLOASSO_API_BASE.to_owned(), base_url),
            /// Only payments made on these forms credit the balance; empty: every form.
            form_slugs: Vec<String> = or(Vec::new(), form_slugs),
        },
        /// Open Collective (GraphQL API v2), with a personal token.
        OpenCollective(DonationSource::OpenCollective.as_str()) in "kind = \"opencollective\"" {
            /// The collective's slug, as in its Open Collective address.
            collective_slug: String = required(slug),
            /// A personal token of an administrator of the collective.
            token: Secret = required(secret()),
            /// The API root, no trailing slash. Default `https://api.opencollective.com`.
            api_base: String = or(OPENCOLLECTIVE_API_BASE.to_owned(), base_url),
        },
    }
}

impl DonationSettings {
    /// The platform of this entry.
    pub fn source(&self) -> DonationSource {
        match self {
            DonationSettings::HelloAsso { .. } => DonationSource::HelloAsso,
            DonationSettings::OpenCollective { .. } => DonationSource::OpenCollective,
        }
    }

    /// The organisation (HelloAsso) or collective (Open Collective) whose
    /// payments this entry credits.
    pub fn account_slug(&self) -> &str {
        match self {
            DonationSettings::HelloAsso { organization_slug, .. } => organization_slug,
            DonationSettings::OpenCollective { collective_slug, .. } => collective_slug,
        }
    }

    /// The root of the platform's API, without trailing slash.
    pub fn api_base(&self) -> &str {
        match self {
            DonationSettings::HelloAsso { api_base, .. } | DonationSettings::OpenCollective { api_base, .. } => {
                api_base
            }
        }
    }
}

/// The rules across a tenant's keys: donations need `prepaid`, one entry
/// per platform, and an organisation or collective credits one tenant only
/// (a payment must never be credited to two collectives).
pub(crate) fn check_tenant_donations(
    tenant_path: &str,
    prepaid: bool,
    donations: &[DonationSettings],
    check: &mut Check<'_>,
) {
    let key = join(tenant_path, "donations");
    if !donations.is_empty() && !prepaid {
        check.problem(
            &key,
            "donations credit the prepaid balance, and this tenant is not prepaid: set prepaid = true on it \
             (replies are then paid from the balance and stop when it is empty)",
        );
    }
    for (i, donation) in donations.iter().enumerate() {
        let path = index(&key, i);
        if let Some(j) = donations[..i].iter().position(|earlier| earlier.source() == donation.source()) {
            check.problem(
                join(&path, "kind"),
                format!("{} is already {}: one entry per platform", donation.source(), index(&key, j)),
            );
            continue;
        }
        let group = match donation.source() {
            DonationSource::HelloAsso => "helloasso organization",
            DonationSource::OpenCollective => "opencollective collective",
        };
        let slug_key = match donation {
            DonationSettings::HelloAsso { .. } => join(&path, "organization_slug"),
            DonationSettings::OpenCollective { .. } => join(&path, "collective_slug"),
        };
        if let Some(first) = check.first_use(group, donation.account_slug(), &slug_key) {
            check.problem(
                &slug_key,
                format!("{:?} is already {first}: its payments would credit two tenants", donation.account_slug()),
            );
        }
    }
}

/// HelloAsso pays in euros only: a deployment keeping its ledger in another
/// currency cannot take HelloAsso donations.
pub(crate) fn check_currency(tenant_path: &str, currency: &str, donations: &[DonationSettings], check: &mut Check<'_>) {
    for (i, donation) in donations.iter().enumerate() {
        if donation.source() == DonationSource::HelloAsso && currency != "EUR" {
            check.problem(
                join(&index(&join(tenant_path, "donations"), i), "kind"),
                format!("HelloAsso pays in euros and the ledger counts in {currency}: set ledger.currency = \"EUR\""),
            );
        }
    }
}

/// A slug as the platforms write them: 1 to 100 lowercase letters, digits and `-`.
fn slug(n: Node) -> Result<String, String> {
    let slug = text(n)?.trim().to_owned();
    let valid = (1..=100).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(slug)
    } else {
        Err(format!("expected a slug (lowercase letters, digits and '-', as in the page's address), got {slug:?}"))
    }
}

/// A public client identifier: 1 to 100 letters, digits, `-` or `_`.
fn client_id(n: Node) -> Result<String, String> {
    let id = text(n)?.trim().to_owned();
    if (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        Ok(id)
    } else {
        Err(format!("expected the API client id (letters and digits), got {id:?}"))
    }
}

/// A list of form slugs (at most [`MAX_FORM_SLUGS`]).
fn form_slugs(n: Node) -> Result<Vec<String>, String> {
    let items = list(n)?;
    if items.len() > MAX_FORM_SLUGS {
        return Err(format!("at most {MAX_FORM_SLUGS} forms, got {}", items.len()));
    }
    items.into_iter().enumerate().map(|(i, item)| slug(item).map_err(|e| format!("[{i}]: {e}"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Node {
        Node::Text(text.to_owned())
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(slug(s(" collectif-lyon ")), Ok("collectif-lyon".to_owned()));
        for bad in ["", "Collectif", "a b", "a/b", "é"] {
            assert!(slug(s(bad)).is_err(), "{bad}");
        }
        assert_eq!(client_id(s("9fdc22226bf24ff99b875f4a7c503715")), Ok("9fdc22226bf24ff99b875f4a7c503715".into()));
        assert!(client_id(s("a:b")).is_err());
    }

    #[test]
    fn form_lists_are_bounded_and_each_form_is_a_slug() {
        let forms = Node::List(vec![s("don-sms"), s("cagnotte-2026")]);
        assert_eq!(form_slugs(forms), Ok(vec!["don-sms".to_owned(), "cagnotte-2026".to_owned()]));
        assert!(form_slugs(Node::List(vec![s("ok"), s("Not Ok")])).unwrap_err().starts_with("[1]: "));
        assert!(form_slugs(Node::List(vec![s("a"); 51])).unwrap_err().contains("at most 50"));
    }
}
