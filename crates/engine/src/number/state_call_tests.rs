//! Calls through `NumberState`: the same rules as an SMS, the call's
//! reservation asked of the ledger, no STOP, no deferral.

use super::*;

const CALL_ID: &str = "CA0123456789abcdef0123456789abcdef";

fn call(h: &mut Harness, id: &str, from: &str) -> Step {
    h.arrive(id, from, "", Channel::Call, 0)
}

#[test]
fn a_new_caller_is_a_candidate_for_the_calls_reservation_and_is_told_the_voice_message() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(request) = call(&mut h, CALL_ID, FR) else { panic!("expected a candidate") };
    assert_eq!(request.kind, EntryKind::Call);
    assert_eq!(request.cost, Money::from_micros(20_000), "price_per_minute × ceil(30 s / 60)");
    assert_eq!(request.message_id, CALL_ID);
    let applied = h.state.apply_verdict(&request, Ok(paid()));
    assert_eq!(applied.decision.outcome, Outcome::Replied);
    assert_eq!(applied.decision.reply.as_deref(), Some("Bonjour. Non, c'est non."));
    // The same call again (a provider's retry) is answered alike, unpaid.
    let Step::Decided(again) = call(&mut h, CALL_ID, FR) else { panic!("decided locally") };
    assert_eq!(again.outcome, Outcome::Duplicate);
    assert_eq!(again.reply.as_deref(), Some("Bonjour. Non, c'est non."));
}

#[test]
fn an_answered_caller_is_a_repeat_sender_by_voice_and_by_sms() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(request) = call(&mut h, CALL_ID, FR) else { panic!("candidate") };
    h.state.apply_verdict(&request, Ok(paid()));
    assert_eq!(outcome_of(&call(&mut h, "CA2", FR)), Some(Outcome::RepeatSender));
    assert_eq!(outcome_of(&h.step(FR, "salut")), Some(Outcome::RepeatSender));
    // And a sender who got the SMS reply is not answered by voice.
    let Step::AskLedger(sms) = h.step(BE.replace("+32", "+33").as_str(), "salut") else { panic!("candidate") };
    h.state.apply_verdict(&sms, Ok(paid()));
    assert_eq!(outcome_of(&call(&mut h, "CA3", &BE.replace("+32", "+33"))), Some(Outcome::RepeatSender));
}

#[test]
fn a_call_is_never_a_stop_and_a_paused_number_or_blocked_caller_is_refused() {
    let mut h = Harness::new(policy());
    let stop = h.arrive("CAstop", FR, "STOP", Channel::Call, 0);
    assert!(matches!(stop, Step::AskLedger(_)), "a call's (empty) body is never read as STOP");
    assert_eq!(outcome_of(&call(&mut h, "CAblocked", "+33699999999")), Some(Outcome::Blocked));
    h.state.set_paused(true);
    assert_eq!(outcome_of(&call(&mut h, "CApaused", "+33622222222")), Some(Outcome::Paused));
}

#[test]
fn in_shield_mode_a_new_caller_is_shielded_not_deferred() {
    let mut h = Harness::new(policy());
    surge(&mut h);
    assert_eq!(outcome_of(&call(&mut h, "CAshield", FR)), Some(Outcome::Shielded));
    assert!(matches!(h.step("+33622222222", "salut"), Step::Defer(_)), "an SMS is still deferred");
}

#[test]
fn a_known_exhausted_budget_refuses_a_call_without_the_ledger() {
    let mut h = Harness::new(policy());
    let Step::AskLedger(request) = call(&mut h, CALL_ID, FR) else { panic!("candidate") };
    let exhausted = ReplyVerdict::BudgetExhausted {
        scope: BudgetScope::NumberDaily,
        until_micros: Some(NOON + 3_600 * SECOND),
        totals: SpendTotals::default(),
    };
    assert_eq!(h.state.apply_verdict(&request, Ok(exhausted)).decision.outcome, Outcome::BudgetExhausted);
    assert_eq!(outcome_of(&call(&mut h, "CAnext", "+33622222222")), Some(Outcome::BudgetExhausted));
}

#[test]
fn a_number_whose_voice_was_removed_answers_no_call() {
    let mut p = policy();
    p.voice = None;
    let mut h = Harness::new(p);
    let Step::Decided(decision) = call(&mut h, CALL_ID, FR) else { panic!("decided locally") };
    assert_eq!(decision.reply, None);
}
