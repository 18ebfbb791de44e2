//! The health of a number: one word for whether it works (`answering`,
//! `shielded`, `paused`, `out_of_money`, `failing`), since when, and the
//! reasons, each with a sentence that says what to do, in French and
//! English.
//!
//! - this file: the vocabularies ([`HealthState`], [`HealthCode`]) and
//!   [`assess`], the pure rule that makes a state from what the ledger
//!   holds (problems observed, pause, shield, money);
//! - `words.rs`: the sentences of each reason;
//! - `reporter.rs`: [`HealthReporter`], how the service's observations
//!   (webhooks refused or accepted, polls, sends, connection tests) reach
//!   the ledger, and the one alert of each failing episode;
//! - `connection.rs`: the connection test ([`HealthReporter::check_connection`])
//!   and the words of its answer ([`check_text`]).
//!
//! Problems are the ledger's ([`HealthStore`](antirelou_ledger::HealthStore)),
//! so every replica shows the same health and the same `since`.

mod connection;
mod reporter;
mod words;

use antirelou_domain::Money;
use antirelou_ledger::{BudgetScope, Caps, HealthRecord, SpendTotals};
use serde::Serialize;

pub use connection::{check_bound, check_text};
pub use reporter::{HealthReporter, INBOUND_GRACE_MICROS, REWRITE_EVERY};
pub use words::{failing_alert, reason_text, WordsContext};

/// Whether a number works, in one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Replies go out as usual.
    Answering,
    /// Answering, the shield on (new senders are judged first).
    Shielded,
    /// Paused by the collective: nobody is answered.
    Paused,
    /// A cap or the prepaid balance stops replies.
    OutOfMoney,
    /// Replies or incoming messages cannot work.
    Failing,
}

impl HealthState {
    pub const ALL: [HealthState; 5] = [
        HealthState::Answering,
        HealthState::Shielded,
        HealthState::Paused,
        HealthState::OutOfMoney,
        HealthState::Failing,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            HealthState::Answering => "answering",
            HealthState::Shielded => "shielded",
            HealthState::Paused => "paused",
            HealthState::OutOfMoney => "out_of_money",
            HealthState::Failing => "failing",
        }
    }
}

/// Why a number is in its state: the `code` of a reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthCode {
    /// The provider's webhooks are refused (signature or account): wrong
    /// `public_url`, token or account.
    InboundRejected,
    /// OVHcloud polls fail (API unreachable, wrong `api_base`, errors).
    PollFailing,
    /// The provider's send API refuses our sends or cannot be reached.
    SendFailing,
    /// The provider refuses our credentials.
    CredentialsRefused,
    /// Paused by the collective.
    Paused,
    /// The shield is on.
    ShieldOn,
    /// A cap is reached.
    CapReached,
    /// The prepaid balance is spent.
    BalanceEmpty,
}

impl HealthCode {
    pub const ALL: [HealthCode; 8] = [
        HealthCode::InboundRejected,
        HealthCode::PollFailing,
        HealthCode::SendFailing,
        HealthCode::CredentialsRefused,
        HealthCode::Paused,
        HealthCode::ShieldOn,
        HealthCode::CapReached,
        HealthCode::BalanceEmpty,
    ];

    /// The codes the service observes and the ledger keeps as problems
    /// (each makes the number `failing`).
    pub const PROBLEMS: [HealthCode; 4] =
        [HealthCode::InboundRejected, HealthCode::PollFailing, HealthCode::SendFailing, HealthCode::CredentialsRefused];

    pub const fn as_str(self) -> &'static str {
        match self {
            HealthCode::InboundRejected => "inbound_rejected",
            HealthCode::PollFailing => "poll_failing",
            HealthCode::SendFailing => "send_failing",
            HealthCode::CredentialsRefused => "credentials_refused",
            HealthCode::Paused => "paused",
            HealthCode::ShieldOn => "shield_on",
            HealthCode::CapReached => "cap_reached",
            HealthCode::BalanceEmpty => "balance_empty",
        }
    }

    pub fn from_label(label: &str) -> Option<HealthCode> {
        HealthCode::ALL.into_iter().find(|c| c.as_str() == label)
    }
}

/// One reason of a state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthReason {
    pub code: HealthCode,
    /// When the problem was first seen (observed problems) or the state began.
    pub since_micros: Option<i64>,
    /// The cap reached ([`HealthCode::CapReached`]).
    pub scope: Option<BudgetScope>,
    /// Until when the shield is on, Unix seconds ([`HealthCode::ShieldOn`]).
    pub until_seconds: Option<i64>,
}

impl HealthReason {
    fn new(code: HealthCode) -> HealthReason {
        HealthReason { code, since_micros: None, scope: None, until_seconds: None }
    }
}

/// What a number's state is made of, besides the problems observed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthInputs {
    pub paused: bool,
    /// The shared shield end (Unix seconds), if the shield is on.
    pub shield_until_seconds: Option<i64>,
    /// The first cap (or the balance) that leaves less than one reply, if any.
    pub out_of_money: Option<BudgetScope>,
}

/// A number's state and its reasons (its `since` is the caller's: the
/// failing episode's start, or what the ledger noted for the state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub state: HealthState,
    pub reasons: Vec<HealthReason>,
    /// When the failing episode began (`failing` only).
    pub failing_since_micros: Option<i64>,
}

/// A number's health as the API and the console show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberHealth {
    pub state: HealthState,
    pub since_micros: i64,
    pub reasons: Vec<HealthReason>,
}

/// The first budget that leaves less than one reply (`reply_cost`): a cap
/// in the order of [`BudgetScope::ALL`], then the prepaid balance (of a
/// `prepaid` tenant); `None` while a reply can be paid.
pub fn out_of_money(caps: &Caps, totals: &SpendTotals, prepaid: bool, reply_cost: Money) -> Option<BudgetScope> {
    let spent = |scope| match scope {
        BudgetScope::NumberDaily => totals.number_day,
        BudgetScope::TenantMonthly => totals.tenant_month,
        BudgetScope::DeploymentMonthly => totals.deployment_month,
        BudgetScope::Balance => Money::ZERO,
    };
    let cap_reached = BudgetScope::ALL
        .into_iter()
        .find(|scope| caps.get(*scope).is_some_and(|cap| cap.saturating_sub(spent(*scope)) < reply_cost));
    cap_reached
        .or_else(|| (prepaid && totals.balance.unwrap_or(Money::ZERO) < reply_cost).then_some(BudgetScope::Balance))
}

/// The state of a number from its record and inputs. The first that
/// applies wins: failing (any problem the ledger holds), paused, out of
/// money, shielded, answering. A number is never anything but `failing`
/// while a problem stands.
pub fn assess(record: &HealthRecord, inputs: &HealthInputs) -> Assessment {
    let problems: Vec<HealthReason> = HealthCode::PROBLEMS
        .into_iter()
        .filter_map(|code| {
            let (_, since) = record.problems.iter().find(|(c, _)| c == code.as_str())?;
            Some(HealthReason { since_micros: Some(*since), ..HealthReason::new(code) })
        })
        .collect();
    if !problems.is_empty() {
        let since = record.failing_since.or_else(|| problems.iter().filter_map(|p| p.since_micros).min());
        return Assessment { state: HealthState::Failing, reasons: problems, failing_since_micros: since };
    }
    let (state, reasons) = if inputs.paused {
        (HealthState::Paused, vec![HealthReason::new(HealthCode::Paused)])
    } else if let Some(scope) = inputs.out_of_money {
        let code = if scope == BudgetScope::Balance { HealthCode::BalanceEmpty } else { HealthCode::CapReached };
        (HealthState::OutOfMoney, vec![HealthReason { scope: Some(scope), ..HealthReason::new(code) }])
    } else if let Some(until) = inputs.shield_until_seconds {
        (
            HealthState::Shielded,
            vec![HealthReason { until_seconds: Some(until), ..HealthReason::new(HealthCode::ShieldOn) }],
        )
    } else {
        (HealthState::Answering, Vec::new())
    };
    Assessment { state, reasons, failing_since_micros: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(problems: &[(&str, i64)], failing_since: Option<i64>) -> HealthRecord {
        HealthRecord {
            problems: problems.iter().map(|(c, s)| ((*c).to_owned(), *s)).collect(),
            failing_since,
            ..HealthRecord::default()
        }
    }

    #[test]
    fn a_standing_problem_makes_the_number_failing_whatever_else_holds() {
        let inputs =
            HealthInputs { paused: true, shield_until_seconds: Some(10), out_of_money: Some(BudgetScope::NumberDaily) };
        let found = assess(&record(&[("poll_failing", 7), ("credentials_refused", 9)], Some(5)), &inputs);
        assert_eq!(found.state, HealthState::Failing);
        assert_eq!(found.failing_since_micros, Some(5));
        let codes: Vec<_> = found.reasons.iter().map(|r| r.code).collect();
        assert_eq!(codes, [HealthCode::PollFailing, HealthCode::CredentialsRefused]);
        assert_eq!(found.reasons[0].since_micros, Some(7));
    }

    #[test]
    fn without_problems_pause_comes_before_money_and_money_before_the_shield() {
        let empty = HealthRecord::default();
        let mut inputs =
            HealthInputs { paused: true, shield_until_seconds: Some(10), out_of_money: Some(BudgetScope::Balance) };
        assert_eq!(assess(&empty, &inputs).state, HealthState::Paused);
        inputs.paused = false;
        let money = assess(&empty, &inputs);
        assert_eq!((money.state, money.reasons[0].code), (HealthState::OutOfMoney, HealthCode::BalanceEmpty));
        inputs.out_of_money = None;
        let shielded = assess(&empty, &inputs);
        assert_eq!((shielded.state, shielded.reasons[0].until_seconds), (HealthState::Shielded, Some(10)));
        inputs.shield_until_seconds = None;
        assert_eq!(
            assess(&empty, &inputs),
            Assessment { state: HealthState::Answering, reasons: vec![], failing_since_micros: None }
        );
    }

    #[test]
    fn money_runs_out_when_less_than_one_reply_is_left() {
        let cost = Money::from_micros(80_000);
        let caps = Caps { number_daily: Some(Money::from_micros(400_000)), ..Caps::default() };
        let mut totals = SpendTotals {
            number_day: Money::from_micros(320_000),
            balance: Some(Money::from_micros(80_000)),
            ..SpendTotals::default()
        };
        assert_eq!(out_of_money(&caps, &totals, true, cost), None, "one reply is left of each");
        totals.number_day = Money::from_micros(320_001);
        assert_eq!(out_of_money(&caps, &totals, true, cost), Some(BudgetScope::NumberDaily));
        totals.number_day = Money::ZERO;
        totals.balance = Some(Money::from_micros(79_999));
        assert_eq!(out_of_money(&caps, &totals, true, cost), Some(BudgetScope::Balance));
        assert_eq!(out_of_money(&caps, &totals, false, cost), None, "a balance counts only for a prepaid tenant");
    }

    #[test]
    fn a_code_the_ledger_holds_but_this_version_does_not_know_is_ignored() {
        let found = assess(&record(&[("from_the_future", 1)], Some(1)), &HealthInputs::default());
        assert_eq!(found.state, HealthState::Answering);
    }
}
