//! Answered calls settled at their real duration: the rest of the
//! reservation given back once, to every counter it was added to, whatever
//! replays the settlement.

use std::sync::Arc;

use antirelou_domain::Money;

use super::{all_entries, replied, request, request_at, NOON_MICROS};
use crate::calls::{CallSettlement, SettleVerdict, CALL_RETENTION_SECONDS};
use crate::model::{Caps, EntryFilter, EntryKind, ReplyRequest, SpendTotals, TotalsQuery};
use crate::reports::{number_field, spend_field};
use crate::{Ledger, LedgerError};

const PRICE_PER_MINUTE: Money = Money::from_micros(20_000);

/// An answered call of paris/+33612345678 reserving `reserved`, prepaid,
/// under caps it fits in, at `now_micros`.
fn call_at(call_id: &str, caller: &str, reserved: i64, now_micros: i64) -> ReplyRequest {
    let mut call = request_at("paris", "+33612345678", call_id, caller, now_micros);
    call.kind = EntryKind::Call;
    call.cost = Money::from_micros(reserved);
    call.prepaid = true;
    call.caps = Caps {
        number_daily: Some(Money::from_micros(1_000_000)),
        tenant_monthly: Some(Money::from_micros(10_000_000)),
        deployment_monthly: Some(Money::from_micros(100_000_000)),
    };
    call
}

fn settlement(call_id: &str, seconds: u32, now_micros: i64) -> CallSettlement {
    CallSettlement {
        tenant: "paris".into(),
        number: "+33612345678".into(),
        call_id: call_id.into(),
        seconds,
        price_per_minute: PRICE_PER_MINUTE,
        now_micros,
    }
}

async fn totals_of(ledger: &dyn Ledger, r: &ReplyRequest) -> SpendTotals {
    let query = TotalsQuery { tenant: r.tenant.to_string(), number: r.number.to_string(), periods: r.periods.clone() };
    ledger.totals(&query).await.unwrap()
}

/// The entries' spend adds up to the counters of the day (every entry here
/// is of one day, one number, one tenant), and the balance is what was
/// topped up minus it.
async fn assert_entries_add_up(ledger: &dyn Ledger, r: &ReplyRequest, topped_up: i64) {
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    let spent: i64 = entries.iter().map(crate::Entry::spend_micros).sum();
    let totals = totals_of(ledger, r).await;
    assert_eq!(
        (totals.number_day.micros(), totals.tenant_month.micros(), totals.deployment_month.micros()),
        (spent, spent, spent),
        "{entries:?}"
    );
    assert_eq!(totals.balance, Some(Money::from_micros(topped_up - spent)));
}

pub async fn a_call_settled_at_its_real_duration_gives_back_the_rest_of_its_reservation_once(ledger: &dyn Ledger) {
    ledger.top_up("paris", Money::from_micros(1_000_000), "gala", NOON_MICROS).await.unwrap();
    // max_seconds 90 at 0.02 a minute: 0.04 reserved; it lasted 14 s: 0.02.
    let call = call_at("CAcall1", "+33700000001", 40_000, NOON_MICROS);
    assert!(replied(&ledger.decide_reply(&call).await.unwrap()));
    assert_eq!(totals_of(ledger, &call).await.number_day, Money::from_micros(40_000));
    let later = NOON_MICROS + 20_000_000;
    let verdict = ledger.settle_call(&settlement("CAcall1", 14, later)).await.unwrap();
    let SettleVerdict::Settled { entry_id, reserved, cost, given_back, over_reservation } = verdict else {
        panic!("{verdict:?}");
    };
    assert_eq!((reserved, cost, given_back), (Money::from_micros(40_000), PRICE_PER_MINUTE, PRICE_PER_MINUTE));
    assert!(!over_reservation);
    let totals = totals_of(ledger, &call).await;
    assert_eq!(totals.number_day, PRICE_PER_MINUTE);
    assert_eq!(totals.tenant_month, PRICE_PER_MINUTE);
    assert_eq!(totals.deployment_month, PRICE_PER_MINUTE);
    assert_eq!(totals.balance, Some(Money::from_micros(980_000)));
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    let settled = entries.last().unwrap();
    assert_eq!(
        (settled.id, settled.kind, settled.amount, settled.reference.as_str(), settled.number.as_str()),
        (entry_id, EntryKind::CallSettled, PRICE_PER_MINUTE, "CAcall1", "+33612345678")
    );
    assert_eq!(settled.at_micros, later);
    // The day's report counters lose what was given back (the engine adds the reservation).
    let day = ledger.day_counts("paris", std::slice::from_ref(&call.periods.day)).await.unwrap();
    let spend = spend_field("call");
    let mut expected = vec![(number_field("+33612345678", &spend), -20_000), (spend, -20_000)];
    expected.sort();
    assert_eq!(day[0], expected);
    // Replayed, with the same or another duration: nothing more.
    for seconds in [14, 0, 90, 3_600] {
        let again = ledger.settle_call(&settlement("CAcall1", seconds, later + 1)).await.unwrap();
        assert_eq!(again, SettleVerdict::AlreadySettled, "{seconds} s");
    }
    assert_eq!(totals_of(ledger, &call).await, totals);
    assert_eq!(all_entries(ledger, &EntryFilter::default()).await.len(), 3);
    assert_entries_add_up(ledger, &call, 1_000_000).await;
}

pub async fn a_call_never_answered_gives_back_its_whole_reservation(ledger: &dyn Ledger) {
    ledger.top_up("paris", Money::from_micros(1_000_000), "gala", NOON_MICROS).await.unwrap();
    let call = call_at("CAbusy", "+33700000001", 20_000, NOON_MICROS);
    assert!(replied(&ledger.decide_reply(&call).await.unwrap()));
    let verdict = ledger.settle_call(&settlement("CAbusy", 0, NOON_MICROS + 1)).await.unwrap();
    assert!(matches!(verdict, SettleVerdict::Settled { given_back, cost, .. }
        if given_back == Money::from_micros(20_000) && cost == Money::ZERO));
    let totals = totals_of(ledger, &call).await;
    assert_eq!(
        (totals.number_day, totals.tenant_month, totals.deployment_month),
        (Money::ZERO, Money::ZERO, Money::ZERO)
    );
    assert_eq!(totals.balance, Some(Money::from_micros(1_000_000)));
    // The caller stays answered: settling gives money back, not the caller's one answer.
    let mut again = call.clone();
    again.message_id = "CAbusy2".into();
    assert!(!replied(&ledger.decide_reply(&again).await.unwrap()));
    assert_entries_add_up(ledger, &call, 1_000_000).await;
}

pub async fn a_duration_beyond_the_reservation_is_charged_the_reservation_and_flagged(ledger: &dyn Ledger) {
    ledger.top_up("paris", Money::from_micros(1_000_000), "gala", NOON_MICROS).await.unwrap();
    // max_seconds 30: 0.02 reserved; the provider reports 200 s (0.08).
    let call = call_at("CAlong", "+33700000001", 20_000, NOON_MICROS);
    assert!(replied(&ledger.decide_reply(&call).await.unwrap()));
    let verdict = ledger.settle_call(&settlement("CAlong", 200, NOON_MICROS + 1)).await.unwrap();
    assert!(matches!(verdict, SettleVerdict::Settled { given_back, cost, over_reservation: true, .. }
        if given_back == Money::ZERO && cost == Money::from_micros(20_000)));
    let totals = totals_of(ledger, &call).await;
    assert_eq!((totals.number_day, totals.balance), (Money::from_micros(20_000), Some(Money::from_micros(980_000))));
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    assert_eq!((entries[2].kind, entries[2].amount), (EntryKind::CallSettled, Money::ZERO));
    assert_eq!(
        ledger.settle_call(&settlement("CAlong", 14, NOON_MICROS + 2)).await.unwrap(),
        SettleVerdict::AlreadySettled
    );
    assert_entries_add_up(ledger, &call, 1_000_000).await;
}

pub async fn a_settlement_of_an_unknown_call_changes_nothing_and_says_so(ledger: &dyn Ledger) {
    ledger.top_up("paris", Money::from_micros(1_000_000), "gala", NOON_MICROS).await.unwrap();
    let call = call_at("CAknown", "+33700000001", 40_000, NOON_MICROS);
    assert!(replied(&ledger.decide_reply(&call).await.unwrap()));
    // An SMS reply's message id is not a call.
    let sms = request("paris", "+33612345678", "SMreply", "+33700000002");
    assert!(replied(&ledger.decide_reply(&sms).await.unwrap()));
    let before = totals_of(ledger, &call).await;
    let mut other_tenant = settlement("CAknown", 0, NOON_MICROS + 1);
    other_tenant.tenant = "lyon".into();
    let mut other_number = settlement("CAknown", 0, NOON_MICROS + 1);
    other_number.number = "+33612345679".into();
    let expired = settlement("CAknown", 0, NOON_MICROS + (CALL_RETENTION_SECONDS + 1) * 1_000_000);
    for unknown in [
        settlement("CAnever", 0, NOON_MICROS + 1),
        settlement("SMreply", 0, NOON_MICROS + 1),
        other_tenant,
        other_number,
        expired,
    ] {
        assert_eq!(ledger.settle_call(&unknown).await.unwrap(), SettleVerdict::UnknownCall, "{unknown:?}");
    }
    let mut refused = settlement("", 0, NOON_MICROS + 1);
    assert!(matches!(ledger.settle_call(&refused).await, Err(LedgerError::Refused(_))));
    refused.call_id = "CAknown".into();
    refused.price_per_minute = Money::from_micros(-1);
    assert!(matches!(ledger.settle_call(&refused).await, Err(LedgerError::Refused(_))));
    assert_eq!(totals_of(ledger, &call).await, before);
    assert_eq!(all_entries(ledger, &EntryFilter::default()).await.len(), 3);
    // The known call still settles, once.
    let verdict = ledger.settle_call(&settlement("CAknown", 14, NOON_MICROS + 2)).await.unwrap();
    assert!(matches!(verdict, SettleVerdict::Settled { given_back, .. } if given_back == PRICE_PER_MINUTE));
}

pub async fn a_call_settled_the_next_day_gives_back_to_the_day_it_was_counted_in(ledger: &dyn Ledger) {
    ledger.top_up("paris", Money::from_micros(1_000_000), "gala", NOON_MICROS).await.unwrap();
    let evening = NOON_MICROS + 11 * 3_600 * 1_000_000 + 30 * 60 * 1_000_000; // 23:30 UTC, 00:30 in Paris
    let call = call_at("CAlate", "+33700000001", 40_000, NOON_MICROS);
    assert!(replied(&ledger.decide_reply(&call).await.unwrap()));
    let next_day_reply = request_at("paris", "+33612345678", "SMnext", "+33700000009", evening);
    assert_ne!(next_day_reply.periods.day, call.periods.day);
    assert!(replied(&ledger.decide_reply(&next_day_reply).await.unwrap()));
    ledger.settle_call(&settlement("CAlate", 0, evening + 1)).await.unwrap();
    assert_eq!(totals_of(ledger, &call).await.number_day, Money::ZERO);
    assert_eq!(totals_of(ledger, &next_day_reply).await.number_day, next_day_reply.cost);
    assert_eq!(totals_of(ledger, &call).await.balance, Some(Money::from_micros(1_000_000)));
}

/// 12 calls, each settled 10 times at once with durations in any order:
/// each settles once, and the entries add up to the counters.
pub async fn concurrent_settlements_settle_each_call_once(ledger: Arc<dyn Ledger>) {
    ledger.top_up("paris", Money::from_micros(1_000_000), "gala", NOON_MICROS).await.unwrap();
    let calls: Vec<ReplyRequest> =
        (0..12).map(|i| call_at(&format!("CA{i}"), &format!("+3370000{i:04}"), 40_000, NOON_MICROS)).collect();
    for call in &calls {
        assert!(replied(&ledger.decide_reply(call).await.unwrap()));
    }
    let mut tasks = Vec::new();
    for round in 0..10u32 {
        for i in 0..12 {
            let ledger = Arc::clone(&ledger);
            let s = settlement(&format!("CA{i}"), (round * 17 + i) % 130, NOON_MICROS + 1 + i64::from(round));
            tasks.push(tokio::spawn(async move { ledger.settle_call(&s).await }));
        }
    }
    let mut settled = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            SettleVerdict::Settled { .. } => settled += 1,
            SettleVerdict::AlreadySettled => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(settled, 12);
    let entries = all_entries(&*ledger, &EntryFilter::default()).await;
    assert_eq!(entries.iter().filter(|e| e.kind == EntryKind::CallSettled).count(), 12);
    assert_entries_add_up(&*ledger, &calls[0], 1_000_000).await;
}
