//! The in-process driver on a small flood: the report is right, exact and
//! reproducible for a seed, with either ledger.

mod support;

use antirelou_domain::Money;
use antirelou_simulator::in_process::{self, InProcessOptions, LedgerChoice};
use antirelou_simulator::{write_outputs, NumberSetup, Report, Scenario};
use support::{assert_invariants, money, small_flood};

fn run(seed: u64, options: &InProcessOptions) -> Report {
    let traffic = Scenario::generate(&small_flood(), seed).unwrap().traffic();
    let records = in_process::run_blocking(&traffic, options).unwrap();
    Report::new(&traffic, &records)
}

#[test]
fn the_small_flood_report_is_correct_and_reproducible() {
    let options = InProcessOptions::default();
    let first = run(42, &options);
    assert_invariants(&first);
    assert_eq!((first.messages, first.attack_messages, first.attackers), (2_000 + first.genuine_messages, 2_000, 40));
    assert_eq!(first.genuine_senders, 30);
    assert_eq!(first.mode, "in-process");
    assert!(first.replies > 0, "someone was answered");
    assert!(first.outcomes.get("repeat_sender").copied().unwrap_or(0) > 1_000, "{:?}", first.outcomes);
    // Shielded new senders are judged later: replies sent through the
    // recorder count as replies, with their ledger entries (the invariants hold).
    assert!(first.deferred_replies > 0, "{:?} {:?}", first.outcomes, first.deferred_results);
    assert_eq!(first.deferred_results.get("sent").copied(), Some(first.deferred_replies));
    let delay = first.genuine_reply_delay_seconds.expect("genuine senders were answered");
    assert!(delay.max > 60.0, "a deferred reply comes minutes after the first message: {delay:?}");

    let second = run(42, &options);
    assert_eq!(first.economics(), second.economics(), "same seed, same economics");
    let other = run(43, &options);
    assert_ne!(first.economics(), other.economics());
}

#[test]
fn caps_stop_the_spend_and_budget_exhausted_is_counted() {
    let setup = NumberSetup {
        daily_cap: Some(Money::parse("1.00").unwrap()),
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
        ..NumberSetup::default()
    };
    let report = run(5, &InProcessOptions { setup, ..InProcessOptions::default() });
    assert_invariants(&report);
    assert_eq!(report.spend, "0.96", "six replies of 0.16 fit under 1.00");
    assert!(report.outcomes["budget_exhausted"] > 0, "{:?}", report.outcomes);
}

#[test]
fn report_json_has_every_spec_field_and_the_svg_is_valid_xml() {
    let report = run(1, &InProcessOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let (json_path, svg_path) = write_outputs(&report, dir.path()).unwrap();

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();
    for key in [
        "scenario",
        "seed",
        "messages",
        "replies",
        "spend",
        "naive_spend",
        "attacker_spend",
        "genuine_spend",
        "genuine_senders",
        "genuine_answered",
        "outcomes",
        "throughput_per_second",
        "latency_ms",
        "currency",
        "deferred_replies",
        "genuine_reply_delay_seconds",
        "affordable_replies",
        "genuine_spend_share",
        "ledger_audit",
        "invariants",
    ] {
        assert!(json.get(key).is_some(), "report.json lacks {key}");
    }
    for key in ["spend", "naive_spend", "attacker_spend", "genuine_spend"] {
        let text = json[key].as_str().unwrap_or_else(|| panic!("{key} is a decimal string"));
        Money::parse(text).unwrap();
    }
    for key in ["p50", "p99", "max"] {
        assert!(json["latency_ms"][key].as_f64().is_some(), "latency_ms.{key}");
    }
    assert_eq!(json["scenario"], "small-flood");
    assert_eq!(json["seed"], 1);
    assert!(json["outcomes"].as_object().unwrap().contains_key("replied"));

    let svg = std::fs::read_to_string(svg_path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&svg);
    let mut texts = String::new();
    let mut elements = 0;
    loop {
        match reader.read_event().expect("spend.svg is valid XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Text(t) => texts.push_str(&String::from_utf8_lossy(&t)),
            quick_xml::events::Event::Start(_) | quick_xml::events::Event::Empty(_) => elements += 1,
            _ => {}
        }
    }
    assert!(elements > 20);
    for expected in ["naive responder", "antirelou", "number daily cap", "tenant monthly cap", &report.naive_spend] {
        assert!(texts.contains(expected), "the chart shows {expected:?}");
    }
    assert!(svg.contains("<polyline"), "the spend curves are drawn");
}

#[test]
fn the_redis_ledger_gives_the_same_economics_as_sqlite() {
    let redis = antirelou_ledger::redis_server::RedisServer::start();
    let sqlite = run(9, &InProcessOptions::default());
    let on_redis =
        run(9, &InProcessOptions { ledger: LedgerChoice::Redis(redis.url()), ..InProcessOptions::default() });
    assert_eq!(on_redis.ledger, "redis");
    assert_invariants(&on_redis);
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("ledger");
        v
    };
    assert_eq!(strip(sqlite.economics()), strip(on_redis.economics()));
    assert!(money(&on_redis.spend) > 0);
}
