//! `tenants[].provider`: the SMS provider account of a tenant, one variant
//! per [`ProviderKind`], picked by `kind`.

use antirelou_domain::ProviderKind;
use antirelou_providers::ovh::ENDPOINTS as OVH_ENDPOINTS;
use antirelou_providers::vonage::SignatureMethod;

use crate::check::one_of;
use crate::node::Node;
use crate::read::{base_url, duration_at_least, text};
use crate::secret::{secret, Secret};

/// A provider table in messages about a missing or misshapen one.
pub(crate) const PROVIDER_EXAMPLE: &str =
    "{ kind = \"twilio\", account_sid = \"AC...\", auth_token = { env = \"TWILIO_AUTH_TOKEN\" } }";

/// Default `api_base` of Twilio.
pub const TWILIO_API_BASE: &str = "https://api.twilio.com";
/// Default `api_base` of Vonage's SMS API.
pub const VONAGE_API_BASE: &str = "https://rest.nexmo.com";
/// Default `api_base` of Plivo.
pub const PLIVO_API_BASE: &str = "https://api.plivo.com";
/// Default OVHcloud `endpoint`: the European API, where French numbers live.
pub const DEFAULT_OVH_ENDPOINT: &str = "ovh-eu";
/// Default `signature_method` of Vonage: the dashboard's default ("MD5 hash").
pub const DEFAULT_VONAGE_SIGNATURE_METHOD: SignatureMethod = SignatureMethod::Md5Hash;
/// Default OVHcloud `poll_interval`: 5 seconds.
pub const DEFAULT_OVH_POLL_INTERVAL_SECONDS: u64 = 5;

tagged! {
    /// `provider = { kind = "...", ... }`.
    #[derive(Clone, Debug)]
    pub enum ProviderSettings by "kind" in "provider" {
        /// Twilio Programmable Messaging.
        Twilio(ProviderKind::Twilio.as_str()) in "kind = \"twilio\"" {
            /// `AC` followed by 32 hexadecimal digits.
            account_sid: String = required(twilio_account_sid),
            auth_token: Secret = required(secret()),
            /// The API root, no trailing slash. Default `https://api.twilio.com`.
            api_base: String = or(TWILIO_API_BASE.to_owned(), base_url),
        },
        /// Vonage SMS API.
        Vonage(ProviderKind::Vonage.as_str()) in "kind = \"vonage\"" {
            api_key: String = required(account_id),
            api_secret: Secret = required(secret()),
            /// Verifies the `sig` of inbound SMS webhooks and the JWT of voice webhooks.
            signature_secret: Secret = required(secret()),
            /// How Vonage signs webhooks. Default `md5hash`.
            signature_method: SignatureMethod = or(DEFAULT_VONAGE_SIGNATURE_METHOD, signature_method),
            /// The API root, no trailing slash. Default `https://rest.nexmo.com`.
            api_base: String = or(VONAGE_API_BASE.to_owned(), base_url),
        },
        /// Plivo.
        Plivo(ProviderKind::Plivo.as_str()) in "kind = \"plivo\"" {
            /// `MA` or `SA` followed by 18 uppercase letters or digits.
            auth_id: String = required(plivo_auth_id),
            auth_token: Secret = required(secret()),
            /// The API root, no trailing slash. Default `https://api.plivo.com`.
            api_base: String = or(PLIVO_API_BASE.to_owned(), base_url),
        },
        /// OVHcloud SMS virtual numbers (polled).
        Ovh(ProviderKind::Ovh.as_str()) in "kind = \"ovh\"" {
            /// One of `antirelou_providers::ovh::ENDPOINTS`. Default `ovh-eu`.
            endpoint: String = or(DEFAULT_OVH_ENDPOINT.to_owned(), ovh_endpoint),
            application_key: String = required(account_id),
            application_secret: Secret = required(secret()),
            consumer_key: Secret = required(secret()),
            /// The SMS account, such as `sms-ab12345-1`.
            service_name: String = required(ovh_service_name),
            /// How often each number's incoming messages are listed. Default 5, at least 1.
            poll_interval_seconds as "poll_interval": u64 = or(DEFAULT_OVH_POLL_INTERVAL_SECONDS, duration_at_least(1, "1s")),
            /// Overrides `endpoint` (tests against a local stand-in).
            api_base: Option<String> = optional(base_url),
        },
    }
}

impl ProviderSettings {
    /// The provider this account belongs to.
    pub fn kind(&self) -> ProviderKind {
        match self {
            ProviderSettings::Twilio { .. } => ProviderKind::Twilio,
            ProviderSettings::Vonage { .. } => ProviderKind::Vonage,
            ProviderSettings::Plivo { .. } => ProviderKind::Plivo,
            ProviderSettings::Ovh { .. } => ProviderKind::Ovh,
        }
    }

    /// The root of the provider's API, without trailing slash: `api_base`,
    /// or for OVHcloud the root of `endpoint` unless `api_base` overrides it.
    pub fn api_base(&self) -> &str {
        match self {
            ProviderSettings::Twilio { api_base, .. }
            | ProviderSettings::Vonage { api_base, .. }
            | ProviderSettings::Plivo { api_base, .. } => api_base,
            ProviderSettings::Ovh { api_base: Some(api_base), .. } => api_base,
            ProviderSettings::Ovh { endpoint, api_base: None, .. } => {
                // `endpoint` was checked against the same table when it was read.
                OVH_ENDPOINTS.iter().find(|(name, _)| name == endpoint).map_or(OVH_ENDPOINTS[0].1, |(_, url)| url)
            }
        }
    }
}

fn twilio_account_sid(n: Node) -> Result<String, String> {
    let sid = text(n)?.trim().to_owned();
    let valid = sid.len() == 34 && sid.starts_with("AC") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if valid {
        Ok(sid)
    } else {
        Err(format!("expected a Twilio account SID, \"AC\" and 32 hexadecimal digits, got {sid:?}"))
    }
}

/// A public account identifier (Vonage `api_key`, OVHcloud `application_key`):
/// 1 to 64 letters and digits.
fn account_id(n: Node) -> Result<String, String> {
    let id = text(n)?.trim().to_owned();
    if (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(format!("expected 1 to 64 letters and digits, got {id:?}"))
    }
}

fn plivo_auth_id(n: Node) -> Result<String, String> {
    let id = text(n)?.trim().to_owned();
    let valid = id.len() == 20
        && (id.starts_with("MA") || id.starts_with("SA"))
        && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if valid {
        Ok(id)
    } else {
        Err(format!("expected a Plivo auth ID, \"MA\" or \"SA\" and 18 uppercase letters or digits, got {id:?}"))
    }
}

fn signature_method(n: Node) -> Result<SignatureMethod, String> {
    let label = text(n)?;
    SignatureMethod::from_label(label.trim()).ok_or_else(|| {
        let labels: Vec<&str> = SignatureMethod::ALL.iter().map(|m| m.as_str()).collect();
        format!("expected {}, got {label:?}", one_of(&labels))
    })
}

fn ovh_endpoint(n: Node) -> Result<String, String> {
    let name = text(n)?;
    match OVH_ENDPOINTS.iter().find(|(known, _)| *known == name.trim()) {
        Some((known, _)) => Ok((*known).to_owned()),
        None => {
            let names: Vec<&str> = OVH_ENDPOINTS.iter().map(|(name, _)| *name).collect();
            Err(format!("expected {}, got {name:?}", one_of(&names)))
        }
    }
}

/// `sms-` then lowercase letters and digits, `-`, digits: `sms-ab12345-1`.
fn ovh_service_name(n: Node) -> Result<String, String> {
    let name = text(n)?.trim().to_owned();
    let valid = name.strip_prefix("sms-").and_then(|rest| rest.rsplit_once('-')).is_some_and(|(account, index)| {
        !account.is_empty()
            && account.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && !index.is_empty()
            && index.bytes().all(|b| b.is_ascii_digit())
    });
    if valid {
        Ok(name)
    } else {
        Err(format!("expected an OVHcloud SMS account such as \"sms-ab12345-1\", got {name:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Node {
        Node::Text(text.to_owned())
    }

    #[test]
    fn account_identifiers_have_their_providers_shapes() {
        assert!(twilio_account_sid(s("AC0123456789abcdef0123456789abcdef")).is_ok());
        assert!(twilio_account_sid(s("AC0123")).is_err());
        assert_eq!(plivo_auth_id(s("MANWVLYTK4ZWU1YTY4QA")), Ok("MANWVLYTK4ZWU1YTY4QA".into()));
        assert!(plivo_auth_id(s("SA2025RK4E639VJFZAMM")).is_ok());
        assert!(plivo_auth_id(s("XANWVLYTK4ZWU1YTY4QA")).unwrap_err().contains("Plivo auth ID"));
        assert_eq!(account_id(s(" a1b2c3d4 ")), Ok("a1b2c3d4".into()));
        assert!(account_id(s("a b")).is_err());
        assert_eq!(ovh_service_name(s("sms-ab12345-1")), Ok("sms-ab12345-1".into()));
        for bad in ["ab12345-1", "sms-AB12345-1", "sms-ab12345", "sms--1", "sms-ab12345-x"] {
            assert!(ovh_service_name(s(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn signature_methods_and_endpoints_come_from_the_providers_crate() {
        assert_eq!(signature_method(s("sha256")), Ok(SignatureMethod::Sha256));
        let error = signature_method(s("sha3")).unwrap_err();
        assert_eq!(error, "expected \"md5hash\", \"md5\", \"sha1\", \"sha256\" or \"sha512\", got \"sha3\"");
        assert_eq!(ovh_endpoint(s("ovh-ca")), Ok("ovh-ca".into()));
        assert!(ovh_endpoint(s("soyoustart-eu")).unwrap_err().contains("\"ovh-eu\", \"ovh-ca\" or \"ovh-us\""));
    }
}
