//! The SMS providers antirelou speaks to, as one vocabulary: the `kind` of a
//! tenant's `provider` table and the `provider` label of metrics.

use std::fmt;

/// Which provider delivers a tenant's SMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    /// Twilio Programmable Messaging (signed webhooks, TwiML replies).
    Twilio,
    /// Vonage SMS API (signed webhooks, GET or POST; replies through `/sms/json`).
    Vonage,
    /// Plivo (signed webhooks, Plivo XML replies).
    Plivo,
    /// OVHcloud SMS virtual numbers (polled; replies through jobs).
    Ovh,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] =
        [ProviderKind::Twilio, ProviderKind::Vonage, ProviderKind::Plivo, ProviderKind::Ovh];

    /// The configuration `kind` and the metric label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Twilio => "twilio",
            ProviderKind::Vonage => "vonage",
            ProviderKind::Plivo => "plivo",
            ProviderKind::Ovh => "ovh",
        }
    }

    pub fn from_label(label: &str) -> Option<ProviderKind> {
        ProviderKind::ALL.into_iter().find(|k| k.as_str() == label)
    }

    /// Whether inbound SMS arrive as webhooks (`true`) or are polled (`false`).
    pub const fn has_webhook(self) -> bool {
        !matches!(self, ProviderKind::Ovh)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_only_ovh_is_polled() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::from_label(kind.as_str()), Some(kind));
            assert_eq!(kind.has_webhook(), kind != ProviderKind::Ovh);
        }
        assert_eq!(ProviderKind::from_label("sinch"), None);
    }
}
