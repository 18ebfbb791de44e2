//! `call-flood`: the flood by telephone, decided through the Twilio voice
//! webhook of the real application. The caps hold, each caller is answered
//! at most once (one `call` entry each in the ledger), and the report sets
//! the spend against a naive answering machine that answers every call for
//! `max_seconds`.

mod support;

use std::collections::HashMap;

use antirelou_domain::Money;
use antirelou_engine::Channel;
use antirelou_simulator::in_process::{self, InProcessOptions};
use antirelou_simulator::{NumberSetup, Report, RunRecords, Scenario, ScenarioFile, ScenarioSpec, Traffic};
use support::{assert_invariants, money, small_flood};

/// 2,000 calls from 40 attacker numbers and 30 genuine callers over 20 minutes.
fn small_call_flood() -> ScenarioSpec {
    ScenarioSpec { name: "small-call-flood".to_owned(), channel: Channel::Call, ..small_flood() }
}

fn run(spec: &ScenarioSpec, seed: u64, setup: NumberSetup) -> (Traffic, RunRecords, Report) {
    let traffic = Scenario::generate(spec, seed).unwrap().traffic();
    let options = InProcessOptions { setup, ..InProcessOptions::default() };
    let records = in_process::run_blocking(&traffic, &options).unwrap();
    let report = Report::new(&traffic, &records);
    (traffic, records, report)
}

#[test]
fn a_call_flood_answers_each_caller_at_most_once_within_the_caps() {
    let (traffic, records, report) = run(&small_call_flood(), 7, NumberSetup::for_channel(Channel::Call));
    assert!(traffic.is_calls());
    assert!(traffic.bodies.iter().all(String::is_empty), "a call says nothing to the number");
    assert_invariants(&report);
    assert_eq!(report.channel, "call");
    assert_eq!(report.reply_cost, "0.02", "0.02 a started minute, 30 seconds at most");
    assert_eq!((report.attack_messages, report.attackers, report.genuine_senders), (2_000, 40, 30));
    assert_eq!(report.deferred_replies, 0, "a caller is never answered later");
    assert!(report.replies > 0, "someone was answered: {:?}", report.outcomes);
    assert!(
        report.outcomes["repeat_sender"] > 1_000,
        "the forum's numbers call again and again: {:?}",
        report.outcomes
    );
    assert_eq!(report.ledger_audit.as_ref().unwrap().reply_entries, report.replies, "one call entry per answer");

    // Each caller answered at most once: the answers per caller, as the run heard them.
    let mut answers: HashMap<u32, u32> = HashMap::new();
    for (message, record) in traffic.messages.iter().zip(&records.records) {
        if record.replied {
            *answers.entry(message.sender).or_default() += 1;
        }
    }
    assert_eq!(answers.values().sum::<u32>() as u64, report.replies);
    assert!(answers.values().all(|&n| n == 1), "a caller answered twice");

    // A naive answering machine answers all 2,000 + genuine calls at 0.02.
    assert_eq!(money(&report.naive_spend), report.messages as i64 * 20_000);
    assert!(report.spend_vs_naive < 0.1, "{}", report.spend_vs_naive);
    let table = report.table();
    for expected in ["calls answered", "answering machine", "genuine callers", "decisions (calls)"] {
        assert!(table.contains(expected), "{expected:?} in\n{table}");
    }
}

#[test]
fn the_daily_cap_stops_answering_calls() {
    // No shield (a shielded number answers no new caller): only the cap stops the answers. The
    // shield's money rule counts the day's money in SMS replies: at 0.02 a reply, five.
    let setup = NumberSetup {
        daily_cap: Some(Money::parse("0.10").unwrap()),
        price_per_segment: Money::parse("0.02").unwrap(),
        max_replies_per_minute: 1_000,
        shield: antirelou_domain::shield::ShieldPolicy {
            trigger_per_minute: 100_000,
            new_senders_per_minute: 100_000,
            trigger_per_hour: 100_000,
            new_senders_per_hour: 100_000,
            hold_seconds: 60,
            trickle_per_hour: 10,
            baseline_factor: 0,
            money_margin_percent: 1_000_000,
        },
        ..NumberSetup::for_channel(Channel::Call)
    };
    let (_, _, report) = run(&small_call_flood(), 3, setup);
    assert_invariants(&report);
    assert_eq!(report.spend, "0.10", "five calls of 0.02 fit under 0.10: {:?}", report.outcomes);
    assert_eq!(report.replies, 5);
    assert!(report.outcomes["budget_exhausted"] > 0, "{:?}", report.outcomes);
    assert_eq!(report.ledger_audit.as_ref().unwrap().max_number_daily_spend, "0.10");
}

#[test]
fn the_price_knob_of_a_call_scenario_is_the_price_of_a_minute() {
    let mut resolved = ScenarioFile::resolve("call-flood").unwrap();
    assert_eq!(resolved.spec.channel, Channel::Call);
    let knobs = antirelou_simulator::Knobs::parse(None, None, Some("0.05"), None, None).unwrap();
    knobs.apply(&mut resolved).unwrap();
    let voice = resolved.setup.voice.as_ref().expect("a call scenario's number answers calls");
    assert_eq!(voice.price_per_minute, Money::parse("0.05").unwrap());
    assert_eq!(resolved.setup.price_per_segment, NumberSetup::default().price_per_segment);
}
