//! The OVHcloud poller on a shared Redis ledger: an incoming message read
//! by two replicas is paid once; a held lease is never taken; a released
//! one is taken over; a holder whose polls keep failing is not ready.

use std::time::Duration;

use antirelou_domain::{Outcome, SystemClock};
use antirelou_emulators::Fault;
use antirelou_ledger::EntryKind;
use antirelou_web::pollers::Handled;
use antirelou_web::AppState;

use super::*;
use crate::support::eventually;

#[actix_web::test]
async fn the_same_ovhcloud_incoming_read_by_two_replicas_is_paid_once() {
    let providers = Providers::start();
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(dir.path(), &providers, "");
    let replica = |ledger| AppState::start(&settings, ledger, Arc::new(SystemClock)).unwrap();
    let a = replica(redis_ledger(&redis, "double").await);
    let b = replica(redis_ledger(&redis, "double").await);
    let poller_a = a.ovh_poller(&settings, OVH_NUMBER).expect("an OVHcloud number");
    let poller_b = b.ovh_poller(&settings, OVH_NUMBER).expect("an OVHcloud number");

    // Both list the message before either deletes it (a crash between the
    // decision and the delete looks the same to the second one).
    let id = providers.ovh.push_incoming("+33611000001", "on se revoit ?");
    assert_eq!(poller_a.list().await.unwrap(), [id]);
    assert_eq!(poller_b.list().await.unwrap(), [id]);
    assert_eq!(poller_a.decide_incoming(id).await.unwrap(), Some(Outcome::Replied));
    assert_eq!(poller_b.decide_incoming(id).await.unwrap(), Some(Outcome::Duplicate), "the ledger knows the id");
    assert!(poller_b.delete(id).await.unwrap());
    assert!(!poller_a.delete(id).await.unwrap(), "a 404: the other poller deleted it");
    assert_eq!(poller_a.decide_incoming(id).await.unwrap(), None, "gone");

    // Both handle the next one at the same time.
    let id = providers.ovh.push_incoming("+33611000002", "salut");
    let (first, second) = futures_util::join!(poller_a.handle(id), poller_b.handle(id));
    let mut handled = [first.unwrap(), second.unwrap()];
    handled.sort_by_key(|h| format!("{h:?}"));
    assert!(
        matches!(
            handled,
            [Handled::Decided(Outcome::Duplicate), Handled::Decided(Outcome::Replied)]
                | [Handled::Decided(Outcome::Replied), Handled::Gone]
        ),
        "{handled:?}"
    );

    assert!(eventually(Duration::from_secs(10), || async { providers.ovh.accepted().len() == 2 }).await);
    assert_eq!(recipients(&providers.ovh.accepted()), ["+33611000001", "+33611000002"]);
    let entries = antirelou_ledger::conformance::all_entries(&**a.registry.ledger(), &Default::default()).await;
    assert_eq!(entries.iter().filter(|e| e.kind == EntryKind::Reply).count(), 2, "one payment per message");
    assert!(providers.ovh.incoming_ids().is_empty());
}

/// `antirelou_poller_lease_held` of the OVHcloud number on `app`.
async fn lease(app: &TestApp) -> f64 {
    app.metrics().await.value("antirelou_poller_lease_held", &[("number", OVH_NUMBER)])
}

#[actix_web::test]
async fn a_second_replica_never_polls_a_held_lease_and_takes_it_over_once_released() {
    let providers = Providers::start();
    let redis = RedisServer::start();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = replica(dir_a.path(), &providers, "", redis_ledger(&redis, "lease").await).await;
    let b = replica(dir_b.path(), &providers, "", redis_ledger(&redis, "lease").await).await;
    let one_holder = eventually(Duration::from_secs(10), || async { lease(&a).await + lease(&b).await == 1.0 }).await;
    assert!(one_holder);
    let (holder, other) = if lease(&a).await == 1.0 { (&a, &b) } else { (&b, &a) };

    for i in 0..3 {
        providers.ovh.push_incoming(&sender(i), "salut");
    }
    assert!(eventually(Duration::from_secs(15), || async { providers.ovh.deleted_ids().len() == 3 }).await);
    let polls = |m: &crate::support::Metrics| m.value("antirelou_poller_polls_total", &[("number", OVH_NUMBER)]);
    assert!(polls(&holder.metrics().await) >= 1.0);
    assert_eq!(polls(&other.metrics().await), 0.0, "the other replica never polled");
    assert_eq!(lease(other).await, 0.0);
    let ready = other.client.get(format!("{}/readyz", other.base_url)).send().await.unwrap();
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["pollers"]["numbers"][OVH_NUMBER]["lease_held"], false, "{body}");

    // A graceful stop releases the lease: the other replica takes over.
    holder.stop().await;
    assert!(eventually(Duration::from_secs(15), || async { lease(other).await == 1.0 }).await, "taken over");
    let id = providers.ovh.push_incoming(&sender(9), "salut");
    assert!(eventually(Duration::from_secs(15), || async { providers.ovh.deleted_ids().contains(&id) }).await);
    assert!(eventually(Duration::from_secs(10), || async { providers.ovh.accepted().len() == 4 }).await);
}

#[actix_web::test]
async fn a_lease_holder_whose_polls_keep_failing_is_not_ready_but_refused_credentials_only_alert() {
    let providers = Providers::start();
    for status in [401, 401, 401, 500, 500, 500] {
        providers.ovh.inject(Fault::Status(status));
    }
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let app = replica(dir.path(), &providers, "", redis_ledger(&redis, "ready").await).await;
    let readyz = || async {
        let response = app.client.get(format!("{}/readyz", app.base_url)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().await.unwrap())
    };

    // Refused credentials: no replica would do better, so the replica stays ready (the poller alerts).
    let seen = std::cell::Cell::new(None);
    let refused = eventually(Duration::from_secs(15), || async {
        let (status, body) = readyz().await;
        let refused = body["pollers"]["numbers"][OVH_NUMBER]["credentials_refused"] == true;
        seen.set(refused.then_some(status));
        refused
    })
    .await;
    assert!(refused && seen.get() == Some(200), "{:?}", seen.get());
    // Server errors: after three in a row, the lease holder is not ready.
    let failing = eventually(Duration::from_secs(20), || async {
        let (status, body) = readyz().await;
        status == 503 && body["pollers"]["failing"] == serde_json::json!([OVH_NUMBER])
    })
    .await;
    assert!(failing, "not ready while its poller keeps failing");
    assert_eq!(app.metrics().await.value("antirelou_poller_up", &[("number", OVH_NUMBER)]), 0.0);
    // The API answers again: ready again.
    let recovered = eventually(Duration::from_secs(20), || async {
        let (status, body) = readyz().await;
        status == 200 && body["pollers"]["numbers"][OVH_NUMBER]["failed_polls"] == 0
    })
    .await;
    assert!(recovered);
    let m = app.metrics().await;
    assert_eq!(m.value("antirelou_poller_up", &[("number", OVH_NUMBER)]), 1.0);
    assert_eq!(m.value("antirelou_poller_polls_total", &[("number", OVH_NUMBER), ("result", "error")]), 6.0);
}
