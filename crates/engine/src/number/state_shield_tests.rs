//! Shield mode through `NumberState`: a surge starts it, new senders are
//! deferred with what the judge needs, judgements end as an answer or a drop.

use super::*;

#[test]
fn a_surge_shields_the_number_and_ends_an_hour_after_it() {
    let mut h = Harness::new(policy());
    let mut entered = None;
    for i in 0..25 {
        let now = h.now();
        let seen = h.state.observe(&key(&format!("+336333333{i:02}")), &format!("SMsurge{i}"), now);
        if let ShieldTransition::Entered { until_seconds } = seen.shield {
            entered = Some((i, until_seconds, seen.last_minute.new_senders));
        }
    }
    let (at, until, new_senders) = entered.expect("shield entered");
    assert_eq!((at, new_senders), (20, 21), "entered on the 21st new sender in a minute");
    assert_eq!(until, NOON / SECOND + 3_600);
    assert_eq!(h.state.shield_until(NOON / SECOND), Some(until));
    h.clock.set_micros(until * SECOND);
    assert_eq!(h.state.evaluate_shield(until).0, ShieldTransition::Exited);
    assert_eq!(h.state.shield_until(until), None);
}

#[test]
fn in_shield_mode_a_new_sender_is_deferred_with_what_the_judge_needs() {
    let mut h = Harness::new(policy());
    surge(&mut h);
    let Step::Defer(request) = h.step_with_id("SMfirst", FR, "Tu vas payer sale feministe de merde", 0) else {
        panic!("expected a deferred reply")
    };
    assert_eq!((request.sender, request.first_message_id.as_str()), (key(FR), "SMfirst"));
    assert_eq!(request.first_micros, NOON);
    assert_eq!(request.slot, NOON / (600 * SECOND));
    assert_eq!(request.expires_micros, NOON + 45 * 60 * SECOND);
    assert!(request.fingerprint.is_some());
    let other = h.step("+33611111199", "bonjour");
    let Step::Defer(second) = other else { panic!("expected a deferred reply") };
    assert_eq!(second.fingerprint, None, "a short text says nothing");
    assert_eq!(second.block, request.block, "the same block of 100 numbers");
    assert_eq!(h.state.apply_enqueued(&request, Ok(Enqueued::New)).outcome, Outcome::Deferred);
    // The sender writes again: still deferred, counted for the judge, no ledger call.
    assert_eq!(outcome_of(&h.step(FR, "réponds")), Some(Outcome::Deferred));
    assert_eq!(outcome_of(&h.step(FR, "allo ?")), Some(Outcome::Deferred));
    assert_eq!(h.state.take_notes(), vec![(key(FR), 2)]);
    assert!(h.state.take_notes().is_empty());
    // A retry of the first message is a duplicate, as always.
    assert_eq!(outcome_of(&h.step_with_id("SMfirst", FR, "x", 0)), Some(Outcome::Duplicate));
}

#[test]
fn a_deferred_reply_the_ledger_refuses_is_shielded_or_fails_closed() {
    let mut h = Harness::new(policy());
    surge(&mut h);
    let Step::Defer(request) = h.step(FR, "salut") else { panic!("expected a deferred reply") };
    assert_eq!(h.state.apply_enqueued(&request, Ok(Enqueued::Full)).outcome, Outcome::Shielded);
    assert_eq!(h.state.apply_enqueued(&request, Err(LedgerUnavailable)).outcome, Outcome::LedgerUnavailable);
    assert!(matches!(h.step(FR, "salut"), Step::Defer(_)), "nothing was learnt: asked again");
}

#[test]
fn a_judgement_ends_as_an_answer_or_a_drop_for_the_rest_of_the_shield() {
    let mut h = Harness::new(policy());
    surge(&mut h);
    for (sender, result, next) in [
        ("+33622222201", Some(DeferredResult::Sent), Outcome::RepeatSender),
        ("+33622222202", Some(DeferredResult::SendFailed), Outcome::RepeatSender),
        ("+33622222203", Some(DeferredResult::DroppedFlooding), Outcome::Shielded),
        ("+33622222204", Some(DeferredResult::DroppedBudget), Outcome::Shielded),
    ] {
        let Step::Defer(request) = h.step(sender, "salut") else { panic!("expected a deferred reply") };
        h.state.apply_enqueued(&request, Ok(Enqueued::New));
        h.state.judged(&key(sender), result, h.now());
        assert_eq!(outcome_of(&h.step(sender, "encore")), Some(next), "{sender} {result:?}");
    }
    // An expired (or superseded) judgement leaves the sender new again.
    let Step::Defer(request) = h.step("+33622222205", "salut") else { panic!("expected a deferred reply") };
    h.state.apply_enqueued(&request, Ok(Enqueued::New));
    h.state.judged(&key("+33622222205"), None, h.now());
    assert!(matches!(h.step("+33622222205", "salut"), Step::Defer(_)));
}

#[test]
fn in_shield_mode_a_known_exhausted_budget_is_not_deferred() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step(FR, "salut") else { panic!("candidate") };
    let until = NOON + 3_600 * SECOND;
    let verdict = ReplyVerdict::BudgetExhausted {
        scope: BudgetScope::NumberDaily,
        until_micros: Some(until),
        totals: SpendTotals::default(),
    };
    h.state.apply_verdict(&r, Ok(verdict));
    surge(&mut h);
    assert_eq!(outcome_of(&h.step("+33622222222", "salut")), Some(Outcome::BudgetExhausted));
}

#[test]
fn a_judgement_pending_after_the_shield_ends_keeps_the_sender_deferred() {
    let mut h = Harness::new(policy());
    // A shield of 100 seconds, adopted from another replica.
    assert!(h.state.adopt_shield(NOON / SECOND + 100, NOON / SECOND));
    let Step::Defer(request) = h.step(FR, "salut") else { panic!("expected a deferred reply") };
    h.state.apply_enqueued(&request, Ok(Enqueued::New));
    let after = NOON + 101 * SECOND;
    h.clock.set_micros(after);
    assert_eq!(h.state.shield_until(after / SECOND), None);
    // Not answered inline while a judgement may still answer them...
    assert_eq!(outcome_of(&h.step(FR, "re")), Some(Outcome::Deferred));
    // ...but once it has run out, the ordinary rules apply again.
    h.clock.set_micros(request.expires_micros.max(after));
    assert!(matches!(h.step(FR, "re"), Step::AskLedger(_)));
}

#[test]
fn a_new_policy_keeps_the_caches_and_rebuilds_only_what_changed() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(r) = h.step(FR, "salut") else { panic!("candidate") };
    h.state.apply_verdict(&r, Ok(paid()));
    let mut faster = policy();
    faster.max_replies_per_minute = 100;
    faster.reply = Arc::from("Autre texte.");
    h.state.set_policy(Arc::new(faster));
    assert_eq!(outcome_of(&h.step(FR, "re")), Some(Outcome::RepeatSender));
    let asked = (0..10).filter(|i| matches!(h.step(&format!("+336777777{i:02}"), "x"), Step::AskLedger(_))).count();
    assert_eq!(asked, 10);
    assert_eq!(h.state.cached_senders(), 11);
}

#[test]
fn replays_of_one_message_id_never_make_a_surge() {
    let mut h = Harness::new(policy());
    let now = h.now();
    let mut last = None;
    for _ in 0..800 {
        let seen = h.state.observe(&key(FR), "SMcaptured", now);
        assert_eq!(seen.shield, ShieldTransition::Unchanged);
        last = Some(seen.last_minute);
    }
    let last = last.expect("observed");
    assert_eq!((last.inbound, last.new_senders), (1, 1), "the first arrival alone is counted");
    assert_eq!(h.state.shield_until(now / SECOND), None);
}
