//! The donation platforms whose payments credit a tenant's prepaid balance,
//! as one vocabulary: the `kind` of a tenant's `donations` entry, the
//! `source` label of metrics, and the prefix of a donation's ledger reference.

use std::fmt;

/// Where a donation was paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DonationSource {
    /// HelloAsso, the French associations' platform (API v5).
    HelloAsso,
    /// Open Collective (GraphQL API v2).
    OpenCollective,
}

impl DonationSource {
    pub const ALL: [DonationSource; 2] = [DonationSource::HelloAsso, DonationSource::OpenCollective];

    /// The configuration `kind`, the metric label value and the route segment.
    pub const fn as_str(self) -> &'static str {
        match self {
            DonationSource::HelloAsso => "helloasso",
            DonationSource::OpenCollective => "opencollective",
        }
    }

    /// The platform's name as people write it.
    pub const fn display_name(self) -> &'static str {
        match self {
            DonationSource::HelloAsso => "HelloAsso",
            DonationSource::OpenCollective => "Open Collective",
        }
    }

    pub fn from_label(label: &str) -> Option<DonationSource> {
        DonationSource::ALL.into_iter().find(|s| s.as_str() == label)
    }
}

impl fmt::Display for DonationSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest payment id a platform may give (ours are digits: HelloAsso's
/// and Open Collective's ids are 32-bit integers).
pub const MAX_PAYMENT_ID_BYTES: usize = 32;

/// Whether `id` can be a platform's payment id: 1 to
/// [`MAX_PAYMENT_ID_BYTES`] ASCII letters, digits, `-` or `_`. Anything else
/// never reaches a ledger key, a label or a URL.
pub fn is_payment_id(id: &str) -> bool {
    (1..=MAX_PAYMENT_ID_BYTES).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for source in DonationSource::ALL {
            assert_eq!(DonationSource::from_label(source.as_str()), Some(source));
        }
        assert_eq!(DonationSource::from_label("paypal"), None);
        assert_eq!(DonationSource::OpenCollective.display_name(), "Open Collective");
    }

    #[test]
    fn payment_ids_are_short_plain_words() {
        for good in ["7269832", "tx_a1b2", "a-b"] {
            assert!(is_payment_id(good), "{good}");
        }
        for bad in ["", "1:2", "12 34", "../1", "é", &"9".repeat(33)] {
            assert!(!is_payment_id(bad), "{bad}");
        }
        assert!(is_payment_id(&"9".repeat(32)));
    }
}
