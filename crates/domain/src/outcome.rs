//! The decision outcomes, in the order the rules are applied (docs/behaviour.md,
//! "The decision"): the first rule that fires decides.

use std::fmt;

/// What happened to one inbound SMS. Each value is a label of
/// `antirelou_inbound_total{outcome=...}`. Only [`Outcome::Replied`] costs a
/// reply at once; a [`Outcome::Deferred`] sender may be answered (and
/// charged) later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The number is paused by its collective.
    Paused,
    /// The sender is on the tenant's block list.
    Blocked,
    /// The provider message id was decided before: answered as then.
    Duplicate,
    /// The sender texted STOP (or ARRET, UNSUBSCRIBE...), now or before.
    OptedOut,
    /// The sender is not a phone number (alphanumeric sender, short code).
    NotAPhone,
    /// The sender already got a reply within `reply_once_per`.
    RepeatSender,
    /// The sender's country is not in `allowed_countries`.
    CountryNotAllowed,
    /// Shield mode (or a judgement still pending): the sender's reply is judged later.
    Deferred,
    /// Shield mode: the sender will not be answered (a judgement dropped them, or the queue is full).
    Shielded,
    /// A cap or the prepaid balance would be crossed.
    BudgetExhausted,
    /// The number's reply rate is over `max_replies_per_minute`.
    RateLimited,
    /// The number's mailbox was full, or the decision timed out.
    Overloaded,
    /// The ledger did not answer: no reply (fail closed).
    LedgerUnavailable,
    /// Replied and paid for.
    Replied,
}

impl Outcome {
    /// How many outcomes there are (the size of per-outcome counter arrays).
    pub const COUNT: usize = 14;

    /// Every outcome, in the order the rules are applied.
    pub const ALL: [Outcome; Outcome::COUNT] = [
        Outcome::Paused,
        Outcome::Blocked,
        Outcome::Duplicate,
        Outcome::OptedOut,
        Outcome::NotAPhone,
        Outcome::RepeatSender,
        Outcome::CountryNotAllowed,
        Outcome::Deferred,
        Outcome::Shielded,
        Outcome::BudgetExhausted,
        Outcome::RateLimited,
        Outcome::Overloaded,
        Outcome::LedgerUnavailable,
        Outcome::Replied,
    ];

    /// The metric label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Paused => "paused",
            Outcome::Blocked => "blocked",
            Outcome::Duplicate => "duplicate",
            Outcome::OptedOut => "opted_out",
            Outcome::NotAPhone => "not_a_phone",
            Outcome::CountryNotAllowed => "country_not_allowed",
            Outcome::RepeatSender => "repeat_sender",
            Outcome::RateLimited => "rate_limited",
            Outcome::Deferred => "deferred",
            Outcome::Shielded => "shielded",
            Outcome::BudgetExhausted => "budget_exhausted",
            Outcome::LedgerUnavailable => "ledger_unavailable",
            Outcome::Overloaded => "overloaded",
            Outcome::Replied => "replied",
        }
    }

    /// The position of this outcome in [`Outcome::ALL`] (counter arrays are indexed by it).
    pub const fn index(self) -> usize {
        self as usize
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

/// How a deferred judgement ended: the `result` label of
/// `antirelou_deferred_total{tenant,number,result}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeferredResult {
    /// Judged genuine and affordable: the reply was sent through the provider's send API.
    Sent,
    /// Judged a flooder (volume, copy-pasted campaign text, block of sequential numbers).
    DroppedFlooding,
    /// Judged genuine, but no money was released for it before `shield.defer_for` ran out.
    DroppedBudget,
    /// Not judged before its sealed number had to be deleted (e.g. no replica ran the judge).
    Expired,
    /// Paid, but the provider refused the send or its answer was ambiguous (never retried).
    SendFailed,
}

impl DeferredResult {
    pub const ALL: [DeferredResult; 5] = [
        DeferredResult::Sent,
        DeferredResult::DroppedFlooding,
        DeferredResult::DroppedBudget,
        DeferredResult::Expired,
        DeferredResult::SendFailed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DeferredResult::Sent => "sent",
            DeferredResult::DroppedFlooding => "dropped_flooding",
            DeferredResult::DroppedBudget => "dropped_budget",
            DeferredResult::Expired => "expired",
            DeferredResult::SendFailed => "send_failed",
        }
    }

    pub const fn index(self) -> usize {
        self as usize
    }

    pub fn from_label(label: &str) -> Option<DeferredResult> {
        DeferredResult::ALL.into_iter().find(|r| r.as_str() == label)
    }
}

impl fmt::Display for DeferredResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_are_distinct_and_indexed_in_order() {
        let mut seen = std::collections::HashSet::new();
        for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
            assert!(seen.insert(outcome.as_str()));
            assert_eq!(Outcome::from_label(outcome.as_str()), Some(outcome));
            assert_eq!(outcome.index(), i);
        }
        assert_eq!(seen.len(), Outcome::COUNT);
        assert_eq!(Outcome::from_label("nope"), None);
        for (i, result) in DeferredResult::ALL.into_iter().enumerate() {
            assert_eq!(DeferredResult::from_label(result.as_str()), Some(result));
            assert_eq!(result.index(), i);
        }
    }
}
