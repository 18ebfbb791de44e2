//! Shared by the simulator's integration tests.

#![allow(dead_code)]

use antirelou_domain::Money;
use antirelou_simulator::{AttackSenders, Report, ScenarioSpec};

/// 2,000 attack messages from 40 attackers and 30 genuine senders over 20 minutes.
pub fn small_flood() -> ScenarioSpec {
    ScenarioSpec {
        name: "small-flood".to_owned(),
        duration_seconds: 20 * 60,
        attack_messages: 2_000,
        attackers: AttackSenders::Numbers(40),
        genuine_senders: 30,
        ..ScenarioSpec::flood_2017()
    }
}

pub fn money(text: &str) -> i64 {
    Money::parse(text).unwrap().micros()
}

/// What must hold whatever the clock: the report's own invariant checks
/// (against the ledger's entries in-process) found nothing, at most one
/// reply per distinct sender, spend exactly replies × cost, never above a
/// cap, every message decided once.
pub fn assert_invariants(report: &Report) {
    assert!(report.violations.is_empty(), "invariants broken: {:#?}", report.violations);
    assert!(report.invariants.violations.is_empty());
    let expected_checks = if report.mode == "in-process" { 7 } else { 3 };
    assert_eq!(report.invariants.checked.len(), expected_checks, "{:?}", report.invariants.checked);
    assert!(
        report.replies <= report.distinct_senders,
        "{} replies for {} senders",
        report.replies,
        report.distinct_senders
    );
    let cost = money(&report.reply_cost);
    assert_eq!(money(&report.spend), report.replies as i64 * cost, "spend == replies x cost");
    assert_eq!(money(&report.attacker_spend), report.attacker_replies as i64 * cost);
    assert_eq!(money(&report.genuine_spend), report.genuine_replies as i64 * cost);
    assert_eq!(money(&report.naive_spend), report.messages as i64 * cost, "the naive responder pays every message");
    for cap in [&report.daily_cap, &report.monthly_cap].into_iter().flatten() {
        assert!(money(&report.spend) <= money(cap), "spend {} above cap {cap}", report.spend);
    }
    assert_eq!(
        report.outcomes.values().sum::<u64>(),
        report.messages,
        "outcomes sum to messages: {:?}",
        report.outcomes
    );
    assert_eq!(report.outcomes.get("replied").copied().unwrap_or(0) + report.deferred_replies, report.replies);
    if let Some(audit) = &report.ledger_audit {
        assert_eq!(audit.reply_entries, report.replies, "one ledger entry per reply");
        assert_eq!(audit.reply_spend, report.spend, "the ledger's reply entries sum to the spend");
    }
    assert_eq!(report.errors, 0);
    assert!(report.genuine_answered <= report.genuine_senders);
    let peak = report.curve.iter().map(|p| p.antirelou_micros).max().unwrap_or(0);
    assert_eq!(peak, money(&report.spend), "the curve ends at the spend");
}
