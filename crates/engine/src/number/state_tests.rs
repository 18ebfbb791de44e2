//! `NumberState` driven directly, on a `ManualClock`: every outcome, the
//! rule order as a table, and the boundaries of the caches it keeps.

use std::collections::HashSet;
use std::sync::Arc;

use antirelou_domain::shield::ShieldTransition;
use antirelou_domain::{Clock, DeferredResult, ManualClock, Money, Outcome, SenderHasher, SenderKey, SharedClock};
use antirelou_ledger::{BudgetScope, Enqueued, ReplyVerdict, SpendTotals};
use antirelou_settings::AllowedCountries;
use chrono::DateTime;

use super::*;

/// 2026-03-07 12:30:00 UTC: the middle of an hour and of a Paris day.
const NOON: i64 = 1_772_886_600_000_000;
const SECOND: i64 = 1_000_000;
const FR: &str = "+33611111111";
const BE: &str = "+32470123456";

fn key(number: &str) -> SenderKey {
    SenderHasher::new(b"state-tests").key(number)
}

fn policy() -> NumberPolicy {
    let mut p = crate::policy::tests::sample_policy();
    p.blocklist = Arc::new(HashSet::from([key("+33699999999")]));
    p
}

struct Harness {
    clock: Arc<ManualClock>,
    state: NumberState,
    next_id: u32,
}

impl Harness {
    fn new(policy: NumberPolicy) -> Harness {
        let clock = Arc::new(ManualClock::starting_at(DateTime::from_timestamp_micros(NOON).unwrap()));
        let shared: SharedClock = clock.clone();
        let hasher = SenderHasher::new(b"state-tests");
        Harness { state: NumberState::new(Arc::new(policy), shared, hasher, 100, 2), clock, next_id: 0 }
    }

    fn now(&self) -> i64 {
        self.clock.now_micros()
    }

    /// Observes and decides one message with a fresh id.
    fn step(&mut self, from: &str, body: &str) -> Step {
        self.next_id += 1;
        let id = format!("SM{:032x}", self.next_id);
        self.step_with_id(&id, from, body, 0)
    }

    fn step_with_id(&mut self, id: &str, from: &str, body: &str, ledger_calls: usize) -> Step {
        self.arrive(id, from, body, Channel::Sms, ledger_calls)
    }

    fn arrive(&mut self, id: &str, from: &str, body: &str, channel: Channel, ledger_calls: usize) -> Step {
        let now = self.now();
        let seen = self.state.observe(&key(from), id, now);
        let arrival = Arrival { message_id: id, sender: key(from), sender_phone: from, body, channel };
        self.state.decide(&arrival, now, seen.memory, ledger_calls)
    }
}

fn paid() -> ReplyVerdict {
    ReplyVerdict::Replied { entry_id: 1, totals: SpendTotals::default() }
}

fn outcome_of(step: &Step) -> Option<Outcome> {
    match step {
        Step::Decided(d) | Step::OptOut(d) => Some(d.outcome),
        Step::AskLedger(_) | Step::Defer(_) => None,
    }
}

/// Twenty-one new senders in a second: the number enters shield mode.
fn surge(h: &mut Harness) {
    let now = h.now();
    for i in 0..21 {
        h.state.observe(&key(&format!("+336333333{i:02}")), &format!("SMsurge{i}"), now);
    }
    assert!(h.state.shield_until(now / SECOND).is_some());
}

#[test]
fn a_new_sender_is_a_candidate_for_the_ledger_with_the_numbers_rules() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(request) = h.step(FR, "salut") else { panic!("expected a candidate") };
    assert_eq!(request.cost, Money::from_micros(80_000));
    assert_eq!(request.now_micros, NOON);
    assert_eq!(request.max_replies_per_minute, Some(3));
    assert_eq!(request.deferred, None);
    assert_eq!(request.periods.day, "2026-03-07");
    let applied = h.state.apply_verdict(&request, Ok(paid()));
    assert_eq!(applied.decision.outcome, Outcome::Replied);
    assert_eq!(applied.decision.reply.as_deref(), Some("Non, c'est non."));
    assert_eq!(applied.totals, Some(SpendTotals::default()));
}

#[test]
fn the_first_rule_that_fires_decides_in_the_documented_order() {
    // Each row: how to set the state up so that the named rule and every
    // later one would fire, and the outcome expected. Removing or
    // reordering a rule breaks a row.
    type Setup = fn(&mut Harness) -> (String, &'static str, &'static str);
    let answered = |h: &mut Harness, from: &str| {
        let Step::AskLedger(r) = h.step(from, "salut") else { panic!("candidate") };
        h.state.apply_verdict(&r, Ok(paid()));
    };
    let rows: Vec<(&str, Setup, Outcome)> = vec![
        (
            "paused before everything",
            |h| {
                h.state.set_paused(true);
                ("SMdup".into(), "+33699999999", "salut")
            },
            Outcome::Paused,
        ),
        (
            "blocked before a duplicate",
            |h| {
                h.step_with_id("SMdup", "+33699999999", "salut", 0);
                ("SMdup".into(), "+33699999999", "salut")
            },
            Outcome::Blocked,
        ),
        (
            "a duplicate before an opt-out",
            |h| {
                h.step_with_id("SMdup", FR, "STOP", 0);
                ("SMdup".into(), FR, "STOP")
            },
            Outcome::Duplicate,
        ),
        (
            "opted out before not a phone",
            |h| {
                h.step_with_id("SMa", "INFO", "STOP", 0);
                ("SMb".into(), "INFO", "salut")
            },
            Outcome::OptedOut,
        ),
        ("not a phone before a repeat sender", |_| ("SMx".into(), "36180", "salut"), Outcome::NotAPhone),
        (
            "a repeat sender before the country",
            |h| {
                let mut p = policy();
                p.allowed_countries = AllowedCountries::Any;
                h.state.set_policy(Arc::new(p));
                let Step::AskLedger(r) = h.step(BE, "salut") else { panic!("candidate") };
                h.state.apply_verdict(&r, Ok(paid()));
                h.state.set_policy(Arc::new(policy()));
                ("SMy".into(), BE, "salut")
            },
            Outcome::RepeatSender,
        ),
        (
            "the country before the rate limit",
            |h| {
                for i in 0..3 {
                    h.step(&format!("+3361111120{i}"), "salut");
                }
                ("SMz".into(), BE, "salut")
            },
            Outcome::CountryNotAllowed,
        ),
        (
            "the local rate limit before the ledger",
            |h| {
                for i in 0..3 {
                    h.step(&format!("+3361111120{i}"), "salut");
                }
                ("SMr".into(), FR, "salut")
            },
            Outcome::RateLimited,
        ),
    ];
    for (name, setup, expected) in rows {
        let mut h = Harness::new(policy());
        let (id, from, body) = setup(&mut h);
        let step = h.step_with_id(&id, from, body, 0);
        assert_eq!(outcome_of(&step), Some(expected), "{name}");
    }
    // And a repeat sender is caught locally, without the ledger.
    let mut h = Harness::new(policy());
    answered(&mut h, FR);
    assert_eq!(outcome_of(&h.step(FR, "re")), Some(Outcome::RepeatSender));
}

#[test]
fn stop_is_recorded_even_on_a_paused_number_and_then_always_answered_opted_out() {
    let mut h = Harness::new(policy());
    h.state.set_paused(true);
    let Step::OptOut(decision) = h.step(FR, " Arrêt ") else { panic!("an opt-out to record") };
    assert_eq!(decision.outcome, Outcome::Paused);
    h.state.set_paused(false);
    assert_eq!(outcome_of(&h.step(FR, "salut")), Some(Outcome::OptedOut));
    let Step::OptOut(decision) = h.step("+33622222222", "stop") else { panic!("an opt-out to record") };
    assert_eq!(decision.outcome, Outcome::OptedOut);
    assert_eq!(outcome_of(&h.step("+33622222222", "stop")), Some(Outcome::OptedOut));
}

#[test]
fn a_duplicate_repeats_the_first_answer() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step_with_id("SMone", FR, "salut", 0) else { panic!("candidate") };
    h.state.apply_verdict(&r, Ok(paid()));
    let Step::Decided(again) = h.step_with_id("SMone", FR, "salut", 0) else { panic!("local") };
    assert_eq!((again.outcome, again.reply.as_deref()), (Outcome::Duplicate, Some("Non, c'est non.")));
    h.step_with_id("SMtwo", BE, "salut", 0);
    let Step::Decided(again) = h.step_with_id("SMtwo", BE, "salut", 0) else { panic!("local") };
    assert_eq!((again.outcome, again.reply), (Outcome::Duplicate, None));
}

#[test]
fn too_many_pending_ledger_calls_is_overloaded() {
    let mut h = Harness::new(policy());
    assert_eq!(outcome_of(&h.step_with_id("SMa", FR, "x", 2)), Some(Outcome::Overloaded));
    assert!(matches!(h.step_with_id("SMb", "+33622222222", "x", 1), Step::AskLedger(_)));
}

#[test]
fn every_ledger_verdict_becomes_its_outcome_and_is_remembered() {
    let cases = [
        (paid(), Outcome::Replied),
        (ReplyVerdict::Duplicate { replied: false }, Outcome::Duplicate),
        (ReplyVerdict::OptedOut, Outcome::OptedOut),
        (ReplyVerdict::RepeatSender, Outcome::RepeatSender),
        (ReplyVerdict::RateLimited, Outcome::RateLimited),
        (ReplyVerdict::Shielded, Outcome::Shielded),
        (
            ReplyVerdict::BudgetExhausted {
                scope: BudgetScope::NumberDaily,
                until_micros: Some(NOON + 10 * SECOND),
                totals: SpendTotals::default(),
            },
            Outcome::BudgetExhausted,
        ),
    ];
    for (verdict, expected) in cases {
        let mut h = Harness::new(policy());
        let Step::AskLedger(r) = h.step_with_id("SMv", FR, "salut", 0) else { panic!("candidate") };
        assert_eq!(h.state.apply_verdict(&r, Ok(verdict)).decision.outcome, expected);
        // A retry of the same id is answered locally as the ledger answered.
        assert_eq!(outcome_of(&h.step_with_id("SMv", FR, "salut", 0)), Some(Outcome::Duplicate), "{expected}");
    }
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step(FR, "salut") else { panic!("candidate") };
    assert_eq!(h.state.apply_verdict(&r, Err(LedgerUnavailable)).decision.outcome, Outcome::LedgerUnavailable);
    // Nothing was learnt: the next message asks the ledger again.
    assert!(matches!(h.step(FR, "salut"), Step::AskLedger(_)));
}

#[test]
fn an_opt_out_or_answer_learnt_from_the_ledger_is_decided_locally_afterwards() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step(FR, "salut") else { panic!("candidate") };
    h.state.apply_verdict(&r, Ok(ReplyVerdict::OptedOut));
    assert_eq!(outcome_of(&h.step(FR, "salut")), Some(Outcome::OptedOut));
    let Step::AskLedger(r) = h.step("+33622222222", "salut") else { panic!("candidate") };
    h.state.apply_verdict(&r, Ok(ReplyVerdict::RepeatSender));
    assert_eq!(outcome_of(&h.step("+33622222222", "salut")), Some(Outcome::RepeatSender));
}

#[test]
fn a_known_exhausted_budget_refuses_locally_until_its_period_ends() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step(FR, "salut") else { panic!("candidate") };
    let until = NOON + 30 * SECOND;
    let verdict = ReplyVerdict::BudgetExhausted {
        scope: BudgetScope::NumberDaily,
        until_micros: Some(until),
        totals: SpendTotals::default(),
    };
    h.state.apply_verdict(&r, Ok(verdict));
    assert_eq!(h.state.budget_block(), Some(BudgetScope::NumberDaily));
    assert_eq!(outcome_of(&h.step("+33622222222", "salut")), Some(Outcome::BudgetExhausted));
    h.clock.set_micros(until - 1);
    assert_eq!(outcome_of(&h.step("+33633333333", "salut")), Some(Outcome::BudgetExhausted));
    h.clock.set_micros(until);
    assert!(matches!(h.step("+33644444444", "salut"), Step::AskLedger(_)));
    assert_eq!(h.state.budget_block(), None);
}

#[test]
fn a_balance_exhaustion_is_rechecked_after_ten_seconds_or_a_top_up() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step(FR, "salut") else { panic!("candidate") };
    let verdict = ReplyVerdict::BudgetExhausted {
        scope: BudgetScope::Balance,
        until_micros: None,
        totals: SpendTotals::default(),
    };
    h.state.apply_verdict(&r, Ok(verdict));
    // Ten seconds, spelled here: a changed constant must fail this test.
    h.clock.set_micros(NOON + 10 * SECOND - 1);
    assert_eq!(outcome_of(&h.step("+33622222222", "salut")), Some(Outcome::BudgetExhausted));
    h.state.lift_balance_block();
    assert!(matches!(h.step("+33633333333", "salut"), Step::AskLedger(_)));
}

#[test]
fn a_balance_exhaustion_is_asked_again_after_ten_seconds_without_a_top_up() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step(FR, "salut") else { panic!("candidate") };
    let verdict = ReplyVerdict::BudgetExhausted {
        scope: BudgetScope::Balance,
        until_micros: None,
        totals: SpendTotals::default(),
    };
    h.state.apply_verdict(&r, Ok(verdict));
    h.clock.set_micros(NOON + 10 * SECOND);
    assert!(matches!(h.step("+33622222222", "salut"), Step::AskLedger(_)));
}

/// A number whose daily cap is known exhausted until an hour from now.
fn exhausted_for_the_day() -> Harness {
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step(FR, "salut") else { panic!("candidate") };
    let verdict = ReplyVerdict::BudgetExhausted {
        scope: BudgetScope::NumberDaily,
        until_micros: Some(NOON + 3_600 * SECOND),
        totals: SpendTotals::default(),
    };
    h.state.apply_verdict(&r, Ok(verdict));
    h
}

#[test]
fn a_raised_cap_or_a_new_price_lifts_a_known_exhaustion_and_other_changes_do_not() {
    // Raising the daily cap at runtime: the next sender is asked of the
    // ledger at once, not refused until midnight.
    let mut h = exhausted_for_the_day();
    let mut raised = policy();
    raised.caps.number_daily = Some(raised.caps.number_daily.unwrap_or_default().saturating_add(Money::from_micros(1)));
    h.state.set_policy(Arc::new(raised));
    assert!(matches!(h.step("+33622222222", "salut"), Step::AskLedger(_)));

    // A cheaper reply may fit under the same cap.
    let mut h = exhausted_for_the_day();
    let mut cheaper = policy();
    cheaper.reply_cost = Money::from_micros(cheaper.reply_cost.micros() - 1);
    h.state.set_policy(Arc::new(cheaper));
    assert!(matches!(h.step("+33622222222", "salut"), Step::AskLedger(_)));

    // A new reply text changes no budget: still refused locally.
    let mut h = exhausted_for_the_day();
    let mut reworded = policy();
    reworded.reply = Arc::from("Autre texte.");
    h.state.set_policy(Arc::new(reworded));
    assert_eq!(outcome_of(&h.step("+33622222222", "salut")), Some(Outcome::BudgetExhausted));
}

#[test]
fn the_local_rate_limit_allows_its_quota_per_minute() {
    let mut h = Harness::new(policy());
    let asked = (0..5).filter(|i| matches!(h.step(&format!("+336222222{i:02}"), "x"), Step::AskLedger(_))).count();
    assert_eq!(asked, 3);
    h.clock.advance_seconds(20);
    assert!(matches!(h.step("+33622222299", "x"), Step::AskLedger(_)), "GCRA refills one per 20 s");
}

#[path = "state_shield_tests.rs"]
mod shield;

#[path = "state_call_tests.rs"]
mod calls;
