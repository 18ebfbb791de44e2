//! The platforms' clients against their stand-ins over real HTTP, and a
//! tenant's account end to end with a real SQLite ledger: what is credited,
//! what is not, how often the platform is asked.

use std::sync::Arc;

use antirelou_domain::{ManualClock, Money, SharedClock};
use antirelou_donations::helloasso::{HelloAsso, HelloAssoRules};
use antirelou_donations::opencollective::{OpenCollective, OpenCollectiveRules, TRANSACTION_QUERY};
use antirelou_donations::{Confirmation, DonationAccount, DonationResult, GuardLimits, Platform, ReadBackError};
use antirelou_emulators::opencollective::{interface_fields, uuid_of, SCHEMA_EXCERPT};
use antirelou_emulators::{
    start_helloasso, start_opencollective, Fault, HelloAssoClient, HelloAssoEmulator, HelloAssoPayment, OcTransaction,
};
use antirelou_ledger::{Donations, Ledger, SqliteLedger};
use antirelou_settings::Secret;

fn clock() -> Arc<ManualClock> {
    let clock = ManualClock::default();
    clock.set_micros(1_795_867_200_000_000);
    Arc::new(clock)
}

fn helloasso_stand_in() -> HelloAssoEmulator {
    let emulator = start_helloasso(vec![HelloAssoClient {
        client_id: "lyon-client".into(),
        client_secret: "lyon-secret".into(),
        organizations: vec!["collectif-lyon".into(), "amis-de-lyon".into()],
    }])
    .unwrap();
    emulator.put_payment(HelloAssoPayment::donation(11, "collectif-lyon", "don-sms", 2_000));
    emulator.put_payment(HelloAssoPayment::donation(12, "amis-de-lyon", "don-sms", 2_000));
    emulator.put_payment(HelloAssoPayment::donation(13, "collectif-paris", "don-sms", 2_000));
    emulator
}

fn helloasso(emulator: &HelloAssoEmulator, secret: &str, clock: &Arc<ManualClock>) -> HelloAsso {
    let rules = HelloAssoRules { organization_slug: "collectif-lyon".into(), form_slugs: Vec::new() };
    let clock: SharedClock = Arc::clone(clock) as SharedClock;
    HelloAsso::new(emulator.root_url(), "lyon-client", &Secret::new(secret), rules, clock).unwrap()
}

#[tokio::test]
async fn helloasso_confirms_what_its_api_says_and_keeps_its_token_until_it_expires() {
    let (emulator, clock) = (helloasso_stand_in(), clock());
    let client = helloasso(&emulator, "lyon-secret", &clock);
    let credit = Confirmation::Credit { payment_id: "11".into(), amount: Money::from_micros(20_000_000) };
    for _ in 0..5 {
        assert_eq!(client.confirm("11").await.unwrap(), credit);
    }
    assert_eq!(emulator.tokens_issued(), 1, "one token for five reads");
    assert_eq!(client.confirm("12").await.unwrap(), Confirmation::Refused(DonationResult::OtherAccount));
    assert_eq!(client.confirm("404").await.unwrap(), Confirmation::Refused(DonationResult::UnknownPayment));
    assert!(matches!(client.confirm("13").await, Err(ReadBackError::CredentialsRefused(_))), "403: not ours to read");
    // Thirty minutes later the token has expired: a new one.
    clock.advance_seconds(1_800);
    assert_eq!(client.confirm("11").await.unwrap(), credit);
    assert_eq!(emulator.tokens_issued(), 2);
    // Revoked early: the read is refused once, a new token asked, the read made again.
    emulator.revoke_tokens();
    assert_eq!(client.confirm("11").await.unwrap(), credit);
    assert_eq!(emulator.tokens_issued(), 3);
    emulator.set_state(11, "Refunded");
    assert_eq!(client.confirm("11").await.unwrap(), Confirmation::Refund { payment_id: "11".into() });
    emulator.inject(Fault::Status(502));
    assert!(matches!(client.confirm("11").await, Err(ReadBackError::Unavailable(_))));
}

#[tokio::test]
async fn refused_credentials_are_not_asked_again_for_ten_seconds() {
    let (emulator, clock) = (helloasso_stand_in(), clock());
    let client = helloasso(&emulator, "not-the-secret", &clock);
    for _ in 0..20 {
        assert!(matches!(client.confirm("11").await, Err(ReadBackError::CredentialsRefused(_))));
    }
    assert_eq!(emulator.request_count(), 1, "one token request, then the refusal is remembered");
    clock.advance_seconds(10);
    assert!(client.confirm("11").await.is_err());
    assert_eq!((emulator.request_count(), emulator.payment_reads()), (2, 0));
}

#[tokio::test]
async fn open_collective_confirms_contributions_and_refunds_and_asks_only_schema_fields() {
    let emulator = start_opencollective(vec!["oc-token".into()]).unwrap();
    emulator.put_transaction(OcTransaction::contribution(53460, "collectif-lyon", 1_000, 856));
    emulator.put_transaction(OcTransaction::contribution(53461, "collectif-paris", 1_000, 856));
    let rules = OpenCollectiveRules { collective_slug: "collectif-lyon".into(), currency: "EUR".into() };
    let client = OpenCollective::new(emulator.root_url(), &Secret::new("oc-token"), rules.clone());
    assert_eq!(
        client.confirm(&uuid_of(53460)).await.unwrap(),
        Confirmation::Credit { payment_id: "53460".into(), amount: Money::from_micros(8_560_000) }
    );
    assert_eq!(client.confirm(&uuid_of(53461)).await.unwrap(), Confirmation::Refused(DonationResult::OtherAccount));
    assert_eq!(client.confirm(&uuid_of(9)).await.unwrap(), Confirmation::Refused(DonationResult::UnknownPayment));
    let refund = emulator.refund(53460, 60001);
    let expected = Confirmation::Refund { payment_id: "53460".into() };
    assert_eq!(client.confirm(&refund.uuid).await.unwrap(), expected, "the refund names the contribution");
    assert_eq!(client.confirm(&uuid_of(53460)).await.unwrap(), expected, "the contribution says it was refunded");
    let stranger = OpenCollective::new(emulator.root_url(), &Secret::new("stolen"), rules);
    assert!(matches!(stranger.confirm(&uuid_of(53460)).await, Err(ReadBackError::CredentialsRefused(_))));
    // Every field the query selects on a transaction is one the published schema has.
    let fields = interface_fields(SCHEMA_EXCERPT, "interface Transaction ");
    for asked in ["legacyId", "type", "kind", "isRefund", "isRefunded", "netAmount", "fromAccount", "toAccount"] {
        assert!(TRANSACTION_QUERY.contains(asked) && fields.iter().any(|f| f == asked), "{asked}");
    }
}

fn ledger() -> (tempfile::TempDir, Arc<SqliteLedger>) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = SqliteLedger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    (dir, Arc::new(ledger))
}

fn account(emulator: &HelloAssoEmulator, clock: &Arc<ManualClock>, limits: GuardLimits) -> DonationAccount {
    let platform = Box::new(helloasso(emulator, "lyon-secret", clock));
    DonationAccount::new("lyon", platform, limits, Arc::clone(clock) as SharedClock)
}

fn notification(id: u64) -> Vec<u8> {
    format!(r#"{{"eventType":"Payment","data":{{"id":{id},"amount":999999,"state":"Authorized"}}}}"#).into_bytes()
}

async fn balance(ledger: &SqliteLedger) -> Money {
    ledger.balances().await.unwrap().into_iter().find(|(t, _)| t == "lyon").map_or(Money::ZERO, |(_, b)| b)
}

#[tokio::test]
async fn a_notification_replayed_credits_once_and_a_refund_debits_what_was_credited() {
    let (emulator, clock) = (helloasso_stand_in(), clock());
    let (_dir, ledger) = ledger();
    let limits = GuardLimits { per_minute: 1_000, burst: 1_000, ..GuardLimits::default() };
    let account = account(&emulator, &clock, limits);
    let first = account.receive(&notification(11), &*ledger).await;
    assert_eq!(first.results, [DonationResult::Credited]);
    for _ in 0..20 {
        assert_eq!(account.receive(&notification(11), &*ledger).await.results, [DonationResult::Duplicate]);
    }
    assert_eq!(balance(&ledger).await, Money::from_micros(20_000_000), "the API's amount, not the notification's");
    emulator.set_state(11, "Refunded");
    assert_eq!(account.receive(&notification(11), &*ledger).await.results, [DonationResult::Refunded]);
    assert_eq!(account.receive(&notification(11), &*ledger).await.results, [DonationResult::Duplicate]);
    assert_eq!(balance(&ledger).await, Money::ZERO);
    let listed = ledger.donations("lyon", 10).await.unwrap();
    assert_eq!((listed.len(), listed[0].payment_id.as_str()), (1, "11"));
    assert!(listed[0].refunded_at_micros.is_some());
    let order = br#"{"eventType":"Order","data":{"id":5,"payments":[{"id":12},{"id":404}]}}"#;
    let results = account.receive(order, &*ledger).await.results;
    assert_eq!(results, [DonationResult::OtherAccount, DonationResult::UnknownPayment]);
    let form = br#"{"eventType":"Form","data":{"formSlug":"don-sms"}}"#;
    assert_eq!(account.receive(form, &*ledger).await.results, [DonationResult::Ignored]);
    let bad = account.receive(b"{\"eventType\":", &*ledger).await;
    assert!(bad.malformed() && !bad.retry_later());
}

#[tokio::test]
async fn a_flood_of_notifications_reads_back_within_the_limit_and_remembers_foreign_payments() {
    let (emulator, clock) = (helloasso_stand_in(), clock());
    let (_dir, ledger) = ledger();
    let limits = GuardLimits { per_minute: 6, burst: 3, ..GuardLimits::default() };
    let account = account(&emulator, &clock, limits);
    // The same foreign payment a thousand times: read once, then remembered.
    for _ in 0..1_000 {
        assert_eq!(account.receive(&notification(12), &*ledger).await.results, [DonationResult::OtherAccount]);
    }
    assert_eq!(emulator.payment_reads(), 1);
    // Made-up ids: two more reads fit the burst, then the limit answers.
    let mut limited = 0;
    for id in 1_000..1_100 {
        let received = account.receive(&notification(id), &*ledger).await;
        if received.results == [DonationResult::RateLimited] {
            assert!(received.retry_later(), "the platform retries a notification not read back");
            limited += 1;
        }
    }
    assert_eq!((emulator.payment_reads(), limited), (3, 98));
    // A genuine notification after the flood, once the limit has room again.
    clock.advance_seconds(10);
    assert_eq!(account.receive(&notification(11), &*ledger).await.results, [DonationResult::Credited]);
    assert_eq!(emulator.tokens_issued(), 1);
}
