//! Traffic files replayed in-process: exact figures on a small hand-written
//! file, and a generated scenario written as a file gives the same
//! economics as the scenario itself.

mod support;

use antirelou_simulator::in_process::{self, InProcessOptions};
use antirelou_simulator::{parse_traffic, read_traffic, write_traffic, Group, Report, Scenario};
use support::{assert_invariants, small_flood};

fn sample_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("traffic/sample.jsonl")
}

#[test]
fn the_sample_traffic_file_replays_with_exact_figures() {
    let traffic = read_traffic(&sample_path()).unwrap();
    assert_eq!(traffic.name, "sample");
    assert_eq!(traffic.messages.len(), 10, "the blank line holds no message");
    assert_eq!(traffic.messages[0].line, 10, "16:04:05Z (17:04:05+01:00) comes first");
    let records = in_process::run_blocking(&traffic, &InProcessOptions::default()).unwrap();
    let report = Report::new(&traffic, &records);
    assert_invariants(&report);

    assert_eq!((report.messages, report.distinct_senders, report.attackers, report.genuine_senders), (10, 8, 3, 4));
    assert_eq!((report.attack_messages, report.genuine_messages), (4, 5));
    let outcomes: Vec<(&str, u64)> = report.outcomes.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        outcomes,
        vec![("country_not_allowed", 1), ("not_a_phone", 2), ("opted_out", 1), ("repeat_sender", 2), ("replied", 4)]
    );
    assert_eq!((report.replies, report.attacker_replies, report.genuine_replies), (4, 1, 3));
    assert_eq!((report.spend.as_str(), report.attacker_spend.as_str()), ("0.64", "0.16"));
    assert_eq!((report.genuine_spend.as_str(), report.genuine_spend_share), ("0.48", 0.75));
    assert_eq!(report.naive_spend, "1.60");
    assert_eq!((report.genuine_answered, report.affordable_replies), (3, 4));
    let delay = report.genuine_reply_delay_seconds.expect("genuine senders were answered");
    assert_eq!((delay.p50, delay.p90, delay.max), (0.0, 0.0, 0.0), "answered inline, at once");
    assert_eq!(report.deferred_replies, 0);
    assert_eq!(report.start, "2026-03-07T16:04:05.120+00:00");
    assert_eq!(report.seed, None);
    let audit = report.ledger_audit.as_ref().unwrap();
    assert_eq!((audit.reply_entries, audit.max_number_daily_spend.as_str()), (4, "0.64"));

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["seed"], serde_json::Value::Null);
    assert_eq!(json["genuine_reply_delay_seconds"]["p90"], 0.0);
    assert!(report.table().contains("traffic file"), "{}", report.table());
}

#[test]
fn a_scenario_written_as_a_traffic_file_replays_with_the_same_economics() {
    let scenario = Scenario::generate(&small_flood(), 3).unwrap();
    let traffic = scenario.traffic();
    let mut file = Vec::new();
    write_traffic(&traffic, &mut file).unwrap();
    let from_file = parse_traffic(&file, "small-flood").unwrap();
    assert_eq!(from_file.messages.len(), traffic.messages.len());
    let sorted = |t: &antirelou_simulator::Traffic| {
        let mut senders: Vec<(String, Group)> = t.senders.iter().map(|s| (s.from.clone(), s.group)).collect();
        senders.sort();
        senders
    };
    assert_eq!(sorted(&from_file), sorted(&traffic), "the same senders (numbered in the order they first write)");
    assert_eq!(from_file.senders_of(Group::Attack), 40);

    let direct = Report::new(&traffic, &in_process::run_blocking(&traffic, &InProcessOptions::default()).unwrap());
    let replayed =
        Report::new(&from_file, &in_process::run_blocking(&from_file, &InProcessOptions::default()).unwrap());
    assert_invariants(&replayed);
    let strip = |mut v: serde_json::Value| {
        let map = v.as_object_mut().unwrap();
        map.remove("seed");
        // The file starts at its first message, the scenario at its declared start.
        for key in ["start", "duration_seconds"] {
            map.remove(key);
        }
        v
    };
    assert_eq!(strip(direct.economics()), strip(replayed.economics()));
    assert!(direct.replies > 0);
}
