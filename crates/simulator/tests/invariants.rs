//! Each invariant check of the report fails on a doctored run: a second
//! send to an answered sender, a second ledger entry, an entry nobody can
//! account for, a reply to a number that never wrote, a cap crossed, more
//! replies than senders. The run itself is real (the sample traffic file,
//! in-process); only its records are changed afterwards.

use antirelou_domain::Money;
use antirelou_ledger::{Entry, EntryKind};
use antirelou_simulator::in_process::{self, InProcessOptions};
use antirelou_simulator::invariants::Invariant;
use antirelou_simulator::{read_traffic, RecordedSend, Report, RunRecords, Traffic};

fn sound_run() -> (Traffic, RunRecords) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("traffic/sample.jsonl");
    let traffic = read_traffic(&path).unwrap();
    let run = in_process::run_blocking(&traffic, &InProcessOptions::default()).unwrap();
    (traffic, run)
}

fn broken(report: &Report) -> Vec<Invariant> {
    let mut names: Vec<Invariant> = report.violations.iter().map(|v| v.invariant).collect();
    names.dedup();
    names
}

/// The reply entry paid for the first inline reply, and its sender's number.
fn first_reply(traffic: &Traffic, run: &RunRecords) -> (Entry, String) {
    let entries = run.entries.as_ref().unwrap();
    let entry = entries.iter().find(|e| e.kind == EntryKind::Reply).unwrap().clone();
    let index = (0..traffic.messages.len()).find(|&i| traffic.message_sid(i) == entry.reference).unwrap();
    (entry, traffic.sender_of(&traffic.messages[index]).from.clone())
}

fn send_to(to: &str, at_micros: i64) -> RecordedSend {
    RecordedSend {
        at_micros,
        from: "+33644556677".into(),
        to: to.into(),
        text: "Non.".into(),
        provider_message_id: "SMdoctored0000000000000000000000a".into(),
    }
}

#[test]
fn the_real_run_is_sound() {
    let (traffic, run) = sound_run();
    let report = Report::new(&traffic, &run);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert_eq!(report.invariants.checked.len(), Invariant::ALL.len());
}

#[test]
fn a_second_reply_sent_to_an_answered_sender_fails_the_report() {
    let (traffic, mut run) = sound_run();
    let (entry, sender) = first_reply(&traffic, &run);
    run.sends.push(send_to(&sender, entry.at_micros + 600_000_000));
    let report = Report::new(&traffic, &run);
    let names = broken(&report);
    assert!(names.contains(&Invariant::OneReplyPerSender), "{:#?}", report.violations);
    let message = report.violations.iter().find(|v| v.invariant == Invariant::OneReplyPerSender).unwrap().to_string();
    assert!(message.starts_with("one_reply_per_sender: sender #"), "{message}");
    assert!(message.contains("got a second reply") && message.contains("send #0"), "{message}");
    assert!(!message.contains(&sender), "a violation never shows the sender's number: {message}");
    // Sent without a ledger entry, and the report now counts more than the ledger paid.
    assert!(names.contains(&Invariant::EveryReplyHasOneEntry));
    assert!(names.contains(&Invariant::SpendIsSumOfReplyEntries));
    assert_eq!(report.invariants.violations.len(), report.violations.len());
}

#[test]
fn a_second_reply_after_reply_once_per_is_no_second_reply() {
    let (traffic, mut run) = sound_run();
    let (entry, sender) = first_reply(&traffic, &run);
    let after = i64::try_from(run.reply_once_per_seconds).unwrap() * 1_000_000;
    run.sends.push(send_to(&sender, entry.at_micros + after));
    let names = broken(&Report::new(&traffic, &run));
    assert!(!names.contains(&Invariant::OneReplyPerSender), "{names:?}");
    assert!(names.contains(&Invariant::EveryReplyHasOneEntry), "still paid for by nobody: {names:?}");
}

#[test]
fn a_second_ledger_entry_for_one_sender_fails_the_report() {
    let (traffic, mut run) = sound_run();
    let (mut entry, _) = first_reply(&traffic, &run);
    let entries = run.entries.as_mut().unwrap();
    entry.id = 1_000;
    entry.at_micros += 1_000_000;
    entries.push(entry);
    let report = Report::new(&traffic, &run);
    let names = broken(&report);
    assert!(names.contains(&Invariant::OneReplyEntryPerSender), "{:#?}", report.violations);
    assert!(names.contains(&Invariant::SpendIsSumOfReplyEntries));
    assert!(names.contains(&Invariant::EveryReplyHasOneEntry), "2 entries for 1 reply");
    assert!(!names.contains(&Invariant::OneReplyPerSender), "only one reply was delivered");
}

#[test]
fn a_reply_entry_for_no_message_of_the_run_fails_the_report() {
    let (traffic, mut run) = sound_run();
    let (mut entry, _) = first_reply(&traffic, &run);
    entry.id = 1_001;
    entry.reference = "SM00000000000000000000000000000000".into();
    run.entries.as_mut().unwrap().push(entry);
    let report = Report::new(&traffic, &run);
    let message = report.violations.iter().find(|v| v.invariant == Invariant::EveryReplyHasOneEntry).unwrap();
    assert!(message.detail.contains("references neither a message nor a send"), "{message}");
}

#[test]
fn a_send_to_a_number_that_never_wrote_fails_the_report() {
    let (traffic, mut run) = sound_run();
    run.sends.push(send_to("+33699999999", traffic.start_micros()));
    let names = broken(&Report::new(&traffic, &run));
    assert!(names.contains(&Invariant::RepliesGoToSenders), "{names:?}");
}

#[test]
fn a_reply_that_takes_the_day_above_its_cap_fails_the_report() {
    let (traffic, mut run) = sound_run();
    // Four replies of 0.16 were paid: a cap of 0.60 was crossed by the fourth.
    run.daily_cap = Some(Money::parse("0.60").unwrap());
    let report = Report::new(&traffic, &run);
    let crossed: Vec<_> = report.violations.iter().filter(|v| v.invariant == Invariant::RepliesWithinCaps).collect();
    assert_eq!(crossed.len(), 1, "{crossed:#?}");
    assert!(
        crossed[0].detail.contains("number daily spend of 2026-03-07 to 0.64, above its cap 0.60"),
        "{}",
        crossed[0]
    );
    run.daily_cap = Some(Money::parse("0.64").unwrap());
    assert!(Report::new(&traffic, &run).violations.is_empty(), "the cap itself may be reached");
    run.monthly_cap = Some(Money::parse("0.48").unwrap());
    let monthly = Report::new(&traffic, &run);
    assert_eq!(broken(&monthly), vec![Invariant::RepliesWithinCaps]);
    assert!(monthly.violations.iter().all(|v| v.detail.contains("tenant monthly spend of 2026-03")));
}

#[test]
fn more_replies_than_senders_fails_the_report() {
    let (traffic, mut run) = sound_run();
    for record in &mut run.records {
        record.replied = true;
        record.cost_micros = run.reply_cost.micros();
    }
    let names = broken(&Report::new(&traffic, &run));
    assert!(names.contains(&Invariant::RepliesAtMostSenders), "{names:?}");
    assert!(names.contains(&Invariant::OneReplyPerSender), "{names:?}");
}

#[test]
fn without_the_ledger_only_what_was_delivered_is_checked() {
    let (traffic, mut run) = sound_run();
    run.entries = None;
    let report = Report::new(&traffic, &run);
    assert!(report.violations.is_empty());
    assert_eq!(
        report.invariants.checked,
        vec!["replies_at_most_senders", "replies_go_to_senders", "one_reply_per_sender"]
    );
    assert!(report.ledger_audit.is_none());
}
