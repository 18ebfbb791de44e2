//! Finding 2: replays of one captured webhook started the shield (800
//! replays on one process; 200 over two replicas on Redis): traffic was
//! counted before the duplicate was recognised. Money was safe; the number
//! was taken down all the same.

use antirelou_ledger::redis_server::RedisServer;
use futures_util::stream::{self, StreamExt};

use super::common::{metric, post_sms, scrape, sid, Server};
use super::{client, deployment, Backend, PARIS, PARIS_NUMBER};

const CAPTURED_FROM: &str = "+33611223344";

/// Replays one signed webhook `count` times over `servers` (round robin, 16
/// at a time); answers how many of them carried the reply.
async fn replay(servers: &[&Server], count: usize) -> usize {
    let client = client();
    let captured = sid("captured", 0);
    let replies: Vec<bool> = stream::iter(0..count)
        .map(|i| {
            let (client, url, captured) = (client.clone(), servers[i % servers.len()].url.clone(), captured.clone());
            async move {
                let answer = post_sms(&client, &url, &PARIS, PARIS_NUMBER, CAPTURED_FROM, &captured).await.unwrap();
                assert_eq!(answer.status, 200);
                answer.reply.is_some()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    replies.into_iter().filter(|&r| r).count()
}

/// After the replays, on each server: the shield is off and a genuine new
/// sender is answered at once.
async fn shield_is_off_and_a_new_sender_is_answered(servers: &[&Server], replays: usize) {
    let client = client();
    let mut duplicates = 0.0;
    for server in servers {
        let text = scrape(&client, &server.url).await;
        assert_eq!(metric(&text, "antirelou_shield_active", &[("number", PARIS_NUMBER)]), 0.0, "no shield");
        duplicates += metric(&text, "antirelou_inbound_total", &[("number", PARIS_NUMBER), ("outcome", "duplicate")]);
    }
    assert_eq!(duplicates, (replays - 1) as f64, "every replay but the first is a duplicate");
    for (i, server) in servers.iter().enumerate() {
        let from = format!("+3362000000{i}");
        let answer = post_sms(&client, &server.url, &PARIS, PARIS_NUMBER, &from, &sid("genuine", i)).await.unwrap();
        assert!(answer.reply.is_some(), "a genuine new sender is answered inline, not deferred");
    }
}

#[tokio::test]
async fn eight_hundred_replays_of_one_webhook_never_start_the_shield() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), Backend::Sqlite, "", "");
    let server = Server::start(dir.path(), &["--config", &config]);
    assert!(replay(&[&server], 800).await >= 1, "the first is answered");
    shield_is_off_and_a_new_sender_is_answered(&[&server], 800).await;
}

#[tokio::test]
async fn replays_over_two_replicas_on_redis_never_start_the_shield() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let url = redis.url();
    let config = deployment(dir.path(), Backend::Redis { url: &url, prefix: "replays" }, "", "");
    let first = Server::start(dir.path(), &["--config", &config]);
    let second = Server::start(dir.path(), &["--config", &config]);
    replay(&[&first, &second], 400).await;
    shield_is_off_and_a_new_sender_is_answered(&[&first, &second], 400).await;
}
