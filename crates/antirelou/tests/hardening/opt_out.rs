//! Finding 8: STOP written with a decomposed accent, in full width or with
//! an invisible character was not an opt-out.

use super::common::{metric, post_sms_body, scrape, sid, Server};
use super::{client, deployment, Backend, PARIS, PARIS_NUMBER};

#[tokio::test]
async fn stop_written_with_marks_full_width_or_invisible_characters_opts_the_sender_out() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), Backend::Sqlite, "", "");
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = client();
    let variants = ["ARRE\u{0301}T", "ＳＴＯＰ", "STOP\u{200B}", "\u{FEFF}Stop sms", "ｕｎｓｕｂｓｃｒｉｂｅ！"];
    for (i, text) in variants.iter().enumerate() {
        let from = format!("+3361100{i:04}");
        let answer = post_sms_body(&client, &server.url, &PARIS, PARIS_NUMBER, &from, &sid("stop", i), text).await;
        let answer = answer.unwrap();
        assert_eq!((answer.status, answer.reply), (200, None), "{text:?} is answered nothing");
        // Their next message is not answered either: they opted out.
        let next_sid = sid("after", i);
        let next = post_sms_body(&client, &server.url, &PARIS, PARIS_NUMBER, &from, &next_sid, "allo ?").await;
        assert_eq!(next.unwrap().reply, None, "{text:?} opted {from} out");
    }
    let text = scrape(&client, &server.url).await;
    let opted_out = metric(&text, "antirelou_inbound_total", &[("number", PARIS_NUMBER), ("outcome", "opted_out")]);
    assert_eq!(opted_out, 2.0 * variants.len() as f64, "each STOP and the message after it");
    assert_eq!(metric(&text, "antirelou_inbound_total", &[("outcome", "replied")]), 0.0);
}
