//! The HTTP driver against a real server on port 0 (real time, so only what
//! must hold whatever the clock is asserted).

mod support;

use std::sync::Arc;

use antirelou_domain::SystemClock;
use antirelou_ledger::{Ledger, SqliteLedger};
use antirelou_simulator::http::{self, HttpOptions, Pace, TargetSelection};
use antirelou_simulator::in_process::{self, InProcessOptions};
use antirelou_simulator::{NumberSetup, Report, Scenario};
use antirelou_web::Application;
use support::{assert_invariants, small_flood};

#[actix_web::test]
async fn a_flood_over_http_keeps_every_money_invariant() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_path = dir.path().join("ledger.sqlite3");
    let settings = NumberSetup::default().settings(&ledger_path).unwrap();
    let ledger: Arc<dyn Ledger> = Arc::new(SqliteLedger::open(&ledger_path).unwrap());
    let app = Application::build(&settings, ledger, Arc::new(SystemClock)).unwrap();
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());

    let traffic = Scenario::generate(&small_flood(), 11).unwrap().traffic();
    let mut options = HttpOptions::from_settings(&settings, &base_url, &TargetSelection::First).unwrap();
    options.concurrency = 8;
    options.pace = Pace::AsFastAsPossible;
    let records = http::run(&traffic, &options).await.unwrap();
    let report = Report::new(&traffic, &records);
    handle.stop(true).await;

    assert_eq!(report.mode, "http");
    assert_invariants(&report);
    assert!(report.replies > 0);
    assert!(report.throughput_per_second > 0.0 && report.latency_ms.max >= report.latency_ms.p50);

    // The same seed in-process: the same messages, so the same naive bill
    // and bounds (outcomes differ: real time compresses the windows).
    let in_process = std::thread::spawn(move || {
        let records = in_process::run_blocking(&traffic, &InProcessOptions::default()).unwrap();
        Report::new(&traffic, &records)
    })
    .join()
    .unwrap();
    assert_eq!(in_process.naive_spend, report.naive_spend);
    assert_eq!((in_process.messages, in_process.distinct_senders), (report.messages, report.distinct_senders));
}

#[actix_web::test]
async fn an_unknown_number_is_refused_before_any_request() {
    let settings = NumberSetup::default().settings(std::path::Path::new("unused.sqlite3")).unwrap();
    let selection = TargetSelection::Number("+33600000000".to_owned());
    assert!(HttpOptions::from_settings(&settings, "http://127.0.0.1:1", &selection).is_err());
}
