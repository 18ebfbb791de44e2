//! Finding 1: parts of long Vonage SMS were held whatever their size (3,600
//! signed parts of 60,000 characters took RSS from 24 MB to 244 MB, every
//! answer 200, no metric, and the memory was not returned after the hold).

use std::time::{Duration, Instant};

use antirelou_providers::form::encode_form;
use antirelou_providers::vonage::emulate::{message_id_from, signed_part_params, EmulatedSms};
use antirelou_providers::vonage::SignatureMethod;
use futures_util::stream::{self, StreamExt};

use super::common::{eventually, metric, scrape, Server};
use super::{client, deployment, Backend, LYON_NUMBER, VONAGE_KEY, VONAGE_SIGNATURE_SECRET};

/// Parts 2 to 10 of messages whose part 1 never comes, `text` each,
/// message `i` from its own sender; answers the statuses.
async fn send_parts(server: &Server, first: usize, count: usize, text: &str) -> Vec<u16> {
    let client = client();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    stream::iter(first..first + count)
        .map(|i| {
            let from = format!("+3361{:07}", i / 9);
            let id = message_id_from(i as u128);
            let sms = EmulatedSms {
                api_key: VONAGE_KEY,
                message_id: &id,
                from: &from,
                to: LYON_NUMBER,
                text,
                timestamp: now,
                nonce: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
            };
            let part = 2 + (i % 9) as u8;
            let query = encode_form(&signed_part_params(
                &sms,
                &format!("R{}", i / 9),
                10,
                part,
                SignatureMethod::Sha256,
                VONAGE_SIGNATURE_SECRET,
            ));
            let (client, url) = (client.clone(), format!("{}/webhooks/vonage", server.url));
            async move {
                let response = client
                    .post(url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(query)
                    .send()
                    .await
                    .unwrap();
                response.status().as_u16()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await
}

#[tokio::test]
async fn parts_are_bounded_by_what_a_phone_sends_counted_and_their_memory_returned_after_the_hold() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), Backend::Sqlite, "long_sms_hold = \"10s\"", "");
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = client();
    let rss_before = server.rss_kib();

    // 1,000 parts of 60,000 characters (60 MB of text): no phone sends such a part.
    let huge = "ab ".repeat(20_000);
    let statuses = send_parts(&server, 0, 1_000, &huge).await;
    assert!(statuses.iter().all(|&s| s == 400), "an oversized part is malformed: {:?}", &statuses[..5]);
    let rss_huge = server.rss_kib();

    // 3,000 parts of a full segment (153 characters): held up to the number's bound, the oldest evicted.
    let full = "é".repeat(153);
    let statuses = send_parts(&server, 10_000, 3_000, &full).await;
    assert!(statuses.iter().all(|&s| s == 200), "real-sized parts are acknowledged");
    let text = scrape(&client, &server.url).await;
    let held = metric(&text, "antirelou_long_sms_parts_held", &[]);
    let bytes = metric(&text, "antirelou_long_sms_part_bytes_held", &[]);
    let evicted = metric(&text, "antirelou_long_sms_parts_dropped_total", &[("reason", "evicted")]);
    // Whole messages (9 parts each) are evicted: between 991 and 1,000 stay.
    assert!((991.0..=1_000.0).contains(&held), "one number holds at most 1,000 parts: {held}");
    assert!(bytes <= 4.0 * 1024.0 * 1024.0, "{bytes} bytes held");
    assert_eq!(evicted + held, 3_000.0, "the oldest parts made room");
    let malformed =
        metric(&text, "antirelou_webhook_rejected_total", &[("provider", "vonage"), ("reason", "malformed")]);
    assert_eq!(malformed, 1_000.0, "the oversized parts are counted");
    let rss_held = server.rss_kib();

    // After the hold (10 s here), every part expired and the memory is given back.
    let held_at = Instant::now();
    let expired = eventually(Duration::from_secs(40), || {
        let (client, url) = (client.clone(), server.url.clone());
        async move {
            let held = held;
            let text = scrape(&client, &url).await;
            metric(&text, "antirelou_long_sms_parts_held", &[]) == 0.0
                && metric(&text, "antirelou_long_sms_parts_dropped_total", &[("reason", "expired")]) == held
        }
    })
    .await;
    assert!(expired, "the held parts expire at the end of the hold");
    let rss_after = server.rss_kib();
    eprintln!(
        "RSS: {rss_before} KiB at start, {rss_huge} KiB after 1,000 oversized parts, {rss_held} KiB holding \
         {held} parts, {rss_after} KiB {:?} later, after the hold",
        held_at.elapsed()
    );
    assert!(rss_huge < rss_before + 32 * 1024, "oversized parts are not held: {rss_before} -> {rss_huge} KiB");
    assert!(rss_after < rss_before + 32 * 1024, "memory after the hold: {rss_before} -> {rss_after} KiB");
}
