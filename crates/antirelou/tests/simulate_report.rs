//! `antirelou simulate`'s report, as a person reads it: a few sentences
//! first (who was answered, where the money went, when and why the others
//! were not), then the figures, each with its unit.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_antirelou");

/// A small flood whose daily cap runs out: the table and `report.json`.
fn run(args: &[&str]) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut all = vec!["simulate", "--no-progress"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let output = Command::new(BIN).args(&all).current_dir(dir.path()).env("RUST_LOG", "error").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    (String::from_utf8(output.stdout).unwrap(), report)
}

/// The paragraphs before the figures (between the two rules).
fn sentences(table: &str) -> Vec<String> {
    let rule = "-".repeat(72);
    let story = table.split(&rule).nth(1).expect("a story between two rules");
    story.split("\n\n").map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|p| !p.is_empty()).collect()
}

#[test]
fn the_report_says_who_was_answered_where_the_money_went_and_when_it_ran_out_before_the_figures() {
    let (table, report) = run(&[
        "--duration",
        "30m",
        "--messages",
        "2000",
        "--attackers",
        "50",
        "--genuine",
        "60",
        "--daily-cap",
        "2.40",
    ]);
    let story = sentences(&table);
    assert_eq!(story.len(), 3, "{table}");
    let answered = report["genuine_answered"].as_u64().unwrap();
    assert!(story[0].starts_with(&format!("{answered} of the 60 genuine senders got the reply (")), "{}", story[0]);
    assert!(
        story[1].starts_with(&format!(
            "antirelou paid EUR {} for {} replies: EUR {} (",
            report["spend"].as_str().unwrap(),
            report["replies"],
            report["genuine_spend"].as_str().unwrap()
        )),
        "{}",
        story[1]
    );
    assert!(story[1].contains(&format!("would have paid EUR {}", report["naive_spend"].as_str().unwrap())));

    // The cap ran out at a time of the ledger's timezone; the unanswered are
    // told apart by when they wrote, and every genuine sender is counted once.
    assert_eq!(report["story"]["money_ran_out_cap"], "daily");
    let at = report["story"]["money_ran_out_at"].as_str().unwrap();
    let paris = chrono::DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&chrono_tz::Europe::Paris);
    let when = format!("was spent at {} (Europe/Paris)", paris.format("%H:%M"));
    assert!(story[2].starts_with(&format!("The number's money for the day (EUR 2.40) {when}")), "{}", story[2]);
    let after = report["story"]["genuine_unanswered_after_money"].as_u64().unwrap();
    let before = report["story"]["genuine_unanswered_before_money"].as_u64().unwrap();
    assert_eq!(answered + after + before, 60);
    assert!(before > 0, "the shield held genuine senders back: {table}");
    assert!(story[2].contains(&format!("{before} other genuine senders wrote before then and got nothing")));
    assert_eq!(after, 0, "the money ran out with the last judgements, after the flood");
    let later = report["story"]["genuine_answered_later"].as_u64().unwrap();
    assert!(later > 0 && story[0].contains(&format!("{later} of them got it later")), "{}", story[0]);

    // Then the figures, each with its unit: messages are not senders.
    let figures = table.split(&"-".repeat(72)).nth(2).unwrap();
    let line = |label: &str| figures.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{label}"));
    assert!(line("messages ").contains(&format!("{} messages", report["messages"])), "{figures}");
    assert!(line("replies paid").contains(&format!("{} replies", report["replies"])), "{figures}");
    assert!(line("genuine answered").contains(&format!("{answered} of 60 senders")), "{figures}");
    let replied = report["outcomes"]["replied"].as_u64().unwrap();
    assert!(figures.contains("decisions (messages)"), "{figures}");
    assert!(line("  replied").ends_with(&format!(" {replied} message{}", if replied == 1 { "" } else { "s" })));
    assert!(figures.contains("judgements (senders)") && line("  sent").ends_with(" senders"), "{figures}");
}

#[test]
fn without_caps_the_report_says_no_cap_was_reached() {
    let (table, report) = run(&[
        "--messages",
        "500",
        "--attackers",
        "20",
        "--genuine",
        "20",
        "--daily-cap",
        "none",
        "--monthly-cap",
        "none",
    ]);
    let story = sentences(&table);
    assert_eq!(report["story"]["money_ran_out_at"], serde_json::Value::Null);
    let unanswered = 20 - report["genuine_answered"].as_u64().unwrap();
    let expected = match unanswered {
        0 => "Every genuine sender was answered; no cap was reached.".to_owned(),
        1 => "No cap was reached. 1 genuine sender got nothing".to_owned(),
        n => format!("No cap was reached. {n} genuine senders got nothing"),
    };
    assert!(story[2].starts_with(&expected), "{table}");
}
