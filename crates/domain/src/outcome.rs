//! The decision outcomes of SPEC §3, in rule order.

use std::fmt;

/// What happened to one inbound SMS. Each value is a label of
/// `antirelou_inbound_total{outcome=...}`. Only [`Outcome::Replied`] costs a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Paused,
    Blocked,
    Duplicate,
    CountryNotAllowed,
    RepeatSender,
    RateLimited,
    Shielded,
    BudgetExhausted,
    LedgerUnavailable,
    Overloaded,
    Replied,
}

impl Outcome {
    /// Every outcome, in the order of SPEC §3.
    pub const ALL: [Outcome; 11] = [
        Outcome::Paused,
        Outcome::Blocked,
        Outcome::Duplicate,
        Outcome::CountryNotAllowed,
        Outcome::RepeatSender,
        Outcome::RateLimited,
        Outcome::Shielded,
        Outcome::BudgetExhausted,
        Outcome::LedgerUnavailable,
        Outcome::Overloaded,
        Outcome::Replied,
    ];

    /// The metric label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Paused => "paused",
            Outcome::Blocked => "blocked",
            Outcome::Duplicate => "duplicate",
            Outcome::CountryNotAllowed => "country_not_allowed",
            Outcome::RepeatSender => "repeat_sender",
            Outcome::RateLimited => "rate_limited",
            Outcome::Shielded => "shielded",
            Outcome::BudgetExhausted => "budget_exhausted",
            Outcome::LedgerUnavailable => "ledger_unavailable",
            Outcome::Overloaded => "overloaded",
            Outcome::Replied => "replied",
        }
    }

    pub fn from_label(label: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == label)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for outcome in Outcome::ALL {
            assert!(seen.insert(outcome.as_str()));
            assert_eq!(Outcome::from_label(outcome.as_str()), Some(outcome));
        }
        assert_eq!(seen.len(), 11);
        assert_eq!(Outcome::from_label("nope"), None);
    }
}
