//! Donations: a payment credited once whatever replays it, its refund
//! debited once, a refund before its credit blocking the credit, the
//! tenant's list newest first.

use std::sync::Arc;

use antirelou_domain::{micros, DonationSource, Money};

use super::{all_entries, NOON_MICROS};
use crate::donations::{CreditVerdict, DonationCredit, DonationRefund, RefundVerdict};
use crate::model::{EntryFilter, EntryKind};
use crate::{rules, Ledger, LedgerError};

/// A HelloAsso payment of paris at [`NOON_MICROS`].
pub fn donation(payment_id: &str, micros: i64) -> DonationCredit {
    DonationCredit {
        tenant: "paris".to_owned(),
        source: DonationSource::HelloAsso,
        payment_id: payment_id.to_owned(),
        amount: Money::from_micros(micros),
        now_micros: NOON_MICROS,
    }
}

/// The refund of [`donation`]`(payment_id, _)`.
pub fn refund_of(payment_id: &str) -> DonationRefund {
    DonationRefund {
        tenant: "paris".to_owned(),
        source: DonationSource::HelloAsso,
        payment_id: payment_id.to_owned(),
        now_micros: micros::after_seconds(NOON_MICROS, 1),
    }
}

async fn balance(ledger: &dyn Ledger, tenant: &str) -> Option<Money> {
    ledger.balances().await.unwrap().into_iter().find(|(t, _)| t == tenant).map(|(_, b)| b)
}

pub async fn a_donation_is_credited_once_whatever_replays_it(ledger: &dyn Ledger) {
    let first = ledger.credit_donation(&donation("7269832", 10_000_000)).await.unwrap();
    let CreditVerdict::Credited { entry_id, balance: after } = first else { panic!("{first:?}") };
    assert_eq!(after, Money::from_micros(10_000_000));
    for _ in 0..5 {
        let replay = ledger.credit_donation(&donation("7269832", 10_000_000)).await.unwrap();
        assert_eq!(replay, CreditVerdict::AlreadyCredited);
    }
    // A replay claiming another amount changes nothing either.
    assert_eq!(ledger.credit_donation(&donation("7269832", 99_000_000)).await.unwrap(), CreditVerdict::AlreadyCredited);
    assert_eq!(balance(ledger, "paris").await, Some(Money::from_micros(10_000_000)));
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!((entry.id, entry.kind, entry.amount), (entry_id, EntryKind::Donation, Money::from_micros(10_000_000)));
    assert_eq!((entry.tenant.as_str(), entry.number.as_str()), ("paris", ""));
    assert_eq!(entry.reference, "helloasso:7269832");
    // The donation starts a new round of balance alerts, like a top-up.
    let mark = ledger.last_top_up("paris").await.unwrap().expect("a last credit");
    assert_eq!((mark.entry_id, mark.balance_after), (entry_id, Money::from_micros(10_000_000)));
}

pub async fn the_same_payment_id_of_another_source_or_tenant_is_another_donation(ledger: &dyn Ledger) {
    ledger.credit_donation(&donation("42", 1_000_000)).await.unwrap();
    let elsewhere = DonationCredit { source: DonationSource::OpenCollective, ..donation("42", 2_000_000) };
    assert!(matches!(ledger.credit_donation(&elsewhere).await.unwrap(), CreditVerdict::Credited { .. }));
    let lyon = DonationCredit { tenant: "lyon".to_owned(), ..donation("42", 4_000_000) };
    assert!(matches!(ledger.credit_donation(&lyon).await.unwrap(), CreditVerdict::Credited { .. }));
    assert_eq!(balance(ledger, "paris").await, Some(Money::from_micros(3_000_000)));
    assert_eq!(balance(ledger, "lyon").await, Some(Money::from_micros(4_000_000)));
}

pub async fn a_refund_debits_what_was_credited_once(ledger: &dyn Ledger) {
    ledger.credit_donation(&donation("1", 10_000_000)).await.unwrap();
    ledger.credit_donation(&donation("2", 3_000_000)).await.unwrap();
    let refunded = ledger.refund_donation(&refund_of("1")).await.unwrap();
    let RefundVerdict::Debited { entry_id, amount, balance: after } = refunded else { panic!("{refunded:?}") };
    assert_eq!((amount, after), (Money::from_micros(10_000_000), Money::from_micros(3_000_000)));
    for _ in 0..3 {
        assert_eq!(ledger.refund_donation(&refund_of("1")).await.unwrap(), RefundVerdict::AlreadyRefunded);
    }
    // Refunded, the payment is never credited again.
    assert_eq!(ledger.credit_donation(&donation("1", 10_000_000)).await.unwrap(), CreditVerdict::AlreadyRefunded);
    assert_eq!(balance(ledger, "paris").await, Some(Money::from_micros(3_000_000)));
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    let kinds: Vec<_> = entries.iter().map(|e| (e.kind, e.amount.micros(), e.reference.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (EntryKind::Donation, 10_000_000, "helloasso:1"),
            (EntryKind::Donation, 3_000_000, "helloasso:2"),
            (EntryKind::Refund, 10_000_000, "helloasso:1")
        ]
    );
    assert_eq!(entries[2].id, entry_id);
}

pub async fn a_refund_of_money_already_spent_takes_the_balance_to_zero_not_below(ledger: &dyn Ledger) {
    ledger.credit_donation(&donation("1", 10_000_000)).await.unwrap();
    let mut reply = super::request("paris", "+33612345678", "SM1", "+33700000001");
    reply.prepaid = true;
    reply.cost = Money::from_micros(4_000_000);
    assert!(super::replied(&ledger.decide_reply(&reply).await.unwrap()));
    let refunded = ledger.refund_donation(&refund_of("1")).await.unwrap();
    assert_eq!(
        refunded,
        RefundVerdict::Debited {
            entry_id: all_entries(ledger, &EntryFilter::default()).await[2].id,
            amount: Money::from_micros(10_000_000),
            balance: Money::ZERO
        }
    );
    assert_eq!(balance(ledger, "paris").await, Some(Money::ZERO));
}

pub async fn a_refund_before_its_credit_blocks_the_credit(ledger: &dyn Ledger) {
    assert_eq!(ledger.refund_donation(&refund_of("9")).await.unwrap(), RefundVerdict::NeverCredited);
    assert_eq!(ledger.refund_donation(&refund_of("9")).await.unwrap(), RefundVerdict::AlreadyRefunded);
    assert_eq!(ledger.credit_donation(&donation("9", 5_000_000)).await.unwrap(), CreditVerdict::AlreadyRefunded);
    assert_eq!(balance(ledger, "paris").await, None);
    assert!(all_entries(ledger, &EntryFilter::default()).await.is_empty());
    assert!(ledger.donations("paris", 10).await.unwrap().is_empty(), "nothing was credited");
}

pub async fn bad_donations_are_refused_and_change_nothing(ledger: &dyn Ledger) {
    let too_much = rules::MAX_TOP_UP.micros() + 1;
    for bad in [donation("1", 0), donation("1", -5), donation("1", too_much), donation("1:2", 5), donation("", 5)] {
        let refused = ledger.credit_donation(&bad).await;
        assert!(matches!(refused, Err(LedgerError::Refused(_))), "{bad:?}: {refused:?}");
    }
    let refused = ledger.refund_donation(&refund_of("a b")).await;
    assert!(matches!(refused, Err(LedgerError::Refused(_))), "{refused:?}");
    // A balance may not overflow through donations either.
    let almost_full = rules::MAX_BALANCE.saturating_sub(Money::from_micros(10));
    let mut balance = Money::ZERO;
    while balance < almost_full {
        let step = rules::MAX_TOP_UP.min(almost_full.saturating_sub(balance));
        balance = ledger.top_up("paris", step, "big", NOON_MICROS).await.unwrap();
    }
    let top_ups = all_entries(ledger, &EntryFilter::default()).await.len();
    let refused = ledger.credit_donation(&donation("7", 11)).await;
    assert!(matches!(refused, Err(LedgerError::Refused(_))), "{refused:?}");
    assert_eq!(all_entries(ledger, &EntryFilter::default()).await.len(), top_ups, "only the top-ups");
    // Refused, the payment is not recorded: a smaller one that fits is credited.
    let fits = ledger.credit_donation(&donation("7", 10)).await.unwrap();
    assert!(matches!(fits, CreditVerdict::Credited { balance, .. } if balance == rules::MAX_BALANCE), "{fits:?}");
}

pub async fn donations_are_listed_newest_first_per_tenant(ledger: &dyn Ledger) {
    for i in 0..5 {
        let mut credit = donation(&format!("{i}"), 1_000_000 * (i + 1));
        credit.now_micros = NOON_MICROS + i;
        ledger.credit_donation(&credit).await.unwrap();
    }
    let lyon = DonationCredit { tenant: "lyon".to_owned(), ..donation("100", 1) };
    ledger.credit_donation(&lyon).await.unwrap();
    ledger.refund_donation(&refund_of("3")).await.unwrap();
    ledger.refund_donation(&refund_of("77")).await.unwrap();
    let listed = ledger.donations("paris", 3).await.unwrap();
    let shown: Vec<_> = listed.iter().map(|d| (d.payment_id.as_str(), d.amount.micros())).collect();
    assert_eq!(shown, [("4", 5_000_000), ("3", 4_000_000), ("2", 3_000_000)]);
    assert_eq!(listed[0].source, DonationSource::HelloAsso);
    assert_eq!((listed[0].credited_at_micros, listed[0].refunded_at_micros), (NOON_MICROS + 4, None));
    assert_eq!(listed[1].refunded_at_micros, Some(refund_of("3").now_micros));
    assert_eq!(ledger.donations("paris", 1_000).await.unwrap().len(), 5, "the never-credited 77 is not listed");
    assert_eq!(ledger.donations("lyon", 10).await.unwrap().len(), 1);
    assert!(ledger.donations("nantes", 10).await.unwrap().is_empty());
}

/// Many replicas handed the same notifications at once: each payment is
/// credited exactly once, and its refund debited exactly once.
pub async fn concurrent_notifications_never_credit_twice(ledger: Arc<dyn Ledger>) {
    let mut tasks = Vec::new();
    for i in 0..120 {
        let ledger = Arc::clone(&ledger);
        let credit = donation(&format!("{}", i % 6), 1_000_000);
        tasks.push(tokio::spawn(async move { ledger.credit_donation(&credit).await }));
    }
    let mut credited = 0;
    for task in tasks {
        if matches!(task.await.unwrap().unwrap(), CreditVerdict::Credited { .. }) {
            credited += 1;
        }
    }
    assert_eq!(credited, 6);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let ledger = Arc::clone(&ledger);
        tasks.push(tokio::spawn(async move { ledger.refund_donation(&refund_of("0")).await }));
    }
    let mut debited = 0;
    for task in tasks {
        if matches!(task.await.unwrap().unwrap(), RefundVerdict::Debited { .. }) {
            debited += 1;
        }
    }
    assert_eq!(debited, 1);
    assert_eq!(balance(&*ledger, "paris").await, Some(Money::from_micros(5_000_000)));
}
