//! Each number's health ([`HealthStore`](crate::HealthStore)): problems and
//! failing episodes kept with the instant they began, the same for every caller.

use super::NOON_MICROS;
use crate::health::HealthSignal;
use crate::Ledger;

const MINUTE: i64 = 60_000_000;

fn signal(code: &str, ok: bool, at_micros: i64, grace_micros: i64) -> HealthSignal {
    HealthSignal { number: "+33939000004".into(), code: code.into(), ok, at_micros, grace_micros }
}

pub async fn a_failing_episode_keeps_its_first_instant_until_every_problem_is_over(ledger: &dyn Ledger) {
    let number = "+33939000004";
    assert_eq!(ledger.health(number).await.unwrap(), Default::default(), "nothing observed yet");
    let first = ledger.observe_health(&signal("poll_failing", false, NOON_MICROS, 0)).await.unwrap();
    assert_eq!(first.problems, vec![("poll_failing".to_owned(), NOON_MICROS)]);
    assert_eq!(first.failing_since, Some(NOON_MICROS));
    let again = ledger.observe_health(&signal("poll_failing", false, NOON_MICROS + MINUTE, 0)).await.unwrap();
    assert_eq!(again.problems, first.problems, "a problem keeps its first instant");
    let both = ledger.observe_health(&signal("credentials_refused", false, NOON_MICROS + 2 * MINUTE, 0)).await.unwrap();
    assert_eq!(both.problems.len(), 2);
    assert_eq!(both.failing_since, Some(NOON_MICROS), "one episode while any problem stands");
    let one_left = ledger.observe_health(&signal("poll_failing", true, NOON_MICROS + 3 * MINUTE, 0)).await.unwrap();
    assert_eq!(one_left.problems, vec![("credentials_refused".to_owned(), NOON_MICROS + 2 * MINUTE)]);
    assert_eq!(one_left.failing_since, Some(NOON_MICROS), "the episode goes on");
    let over = ledger.observe_health(&signal("credentials_refused", true, NOON_MICROS + 4 * MINUTE, 0)).await.unwrap();
    assert!(over.problems.is_empty());
    assert_eq!(over.failing_since, None, "no problem left: the episode is over");
    let next = ledger.observe_health(&signal("send_failing", false, NOON_MICROS + 5 * MINUTE, 0)).await.unwrap();
    assert_eq!(next.failing_since, Some(NOON_MICROS + 5 * MINUTE), "a new episode");
    assert_eq!(ledger.health(number).await.unwrap(), next, "what is read is what was written");
    assert_eq!(ledger.health("+33939000005").await.unwrap(), Default::default(), "another number's is its own");
}

pub async fn a_failure_soon_after_the_same_link_worked_is_excused(ledger: &dyn Ledger) {
    let grace = 60 * MINUTE;
    ledger.observe_health(&signal("inbound_rejected", true, NOON_MICROS, grace)).await.unwrap();
    let excused = ledger.observe_health(&signal("inbound_rejected", false, NOON_MICROS + MINUTE, grace)).await.unwrap();
    assert!(excused.problems.is_empty(), "a webhook was accepted a minute ago");
    assert_eq!(excused.fine, vec![("inbound_rejected".to_owned(), NOON_MICROS)]);
    let other = ledger.observe_health(&signal("send_failing", false, NOON_MICROS + MINUTE, grace)).await.unwrap();
    assert!(other.has("send_failing"), "the grace is per code");
    let late = ledger.observe_health(&signal("inbound_rejected", false, NOON_MICROS + grace, grace)).await.unwrap();
    assert!(late.has("inbound_rejected"), "an hour without an accepted webhook");
    assert_eq!(late.failing_since, Some(NOON_MICROS + MINUTE), "the episode began with the first problem");
    assert!(ledger.observe_health(&signal("Not A Code", false, NOON_MICROS, 0)).await.is_err());
}

pub async fn a_noted_state_keeps_its_since_until_it_changes(ledger: &dyn Ledger) {
    let number = "+33939000004";
    assert_eq!(ledger.note_health_state(number, "answering", NOON_MICROS).await.unwrap(), NOON_MICROS);
    assert_eq!(ledger.note_health_state(number, "answering", NOON_MICROS + MINUTE).await.unwrap(), NOON_MICROS);
    assert_eq!(
        ledger.note_health_state(number, "shielded", NOON_MICROS + 2 * MINUTE).await.unwrap(),
        NOON_MICROS + 2 * MINUTE
    );
    assert_eq!(
        ledger.note_health_state(number, "answering", NOON_MICROS + 3 * MINUTE).await.unwrap(),
        NOON_MICROS + 3 * MINUTE
    );
    let record = ledger.health(number).await.unwrap();
    assert_eq!(record.state, Some(("answering".to_owned(), NOON_MICROS + 3 * MINUTE)), "one state at a time");
    assert_eq!(ledger.note_health_state("+33939000005", "paused", NOON_MICROS).await.unwrap(), NOON_MICROS);
}
