//! Finding 4: bearer tokens could be guessed at full speed on `/v1` (1,000
//! wrong tokens in 1.3 s, all `401`), and `check-config` accepted
//! `admin_token = "aaaaaaaaaaaaaaaaaaaaaaaa"`. Now wrong tokens are limited
//! per client address and per token prefix, on the API and the console's
//! sign-in alike (`429`, the token not even checked), counted in
//! `antirelou_token_refusals_total`; a repetitive token is refused like a
//! repetitive key. Each client address here is one of loopback's
//! (127.0.0.2, 127.0.0.3, …), a distinct address to the server.

use std::net::IpAddr;
use std::process::Command;

use super::common::{metric, scrape, Server, BIN};
use super::{deployment, Backend, LYON_TOKEN, PARIS_TOKEN};

/// A client whose connections come from `address`.
fn from(address: &str) -> reqwest::Client {
    let address: IpAddr = address.parse().unwrap();
    reqwest::Client::builder()
        .local_address(address)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn numbers(client: &reqwest::Client, server: &Server, token: &str) -> reqwest::Response {
    client.get(format!("{}/v1/numbers", server.url)).bearer_auth(token).send().await.unwrap()
}

async fn sign_in_status(client: &reqwest::Client, server: &Server, token: &str) -> u16 {
    let form = client.get(format!("{}/console/login", server.url)).send().await.unwrap();
    let nonce = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("antirelou_signin=").map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
        .expect("a sign-in nonce");
    let body = form.text().await.unwrap();
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let answer = client
        .post(format!("{}/console/login", server.url))
        .header("Cookie", format!("antirelou_signin={nonce}"))
        .form(&[("token", token), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    answer.status().as_u16()
}

#[tokio::test]
async fn wrong_bearer_tokens_are_limited_per_address_and_per_prefix_on_the_api_and_the_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), Backend::Sqlite, "", "");
    let server = Server::start(dir.path(), &["--config", &config]);

    // One address guessing: ten wrong tokens answered 401, then 429 for
    // anything, the right token included (a guess learns nothing).
    let guesser = from("127.0.0.2");
    for i in 0..10 {
        let answer = numbers(&guesser, &server, &format!("guess-{i:04}-Xb7q2Lm9")).await;
        assert_eq!(answer.status(), 401, "wrong token {i}");
    }
    let limited = numbers(&guesser, &server, &format!("guess-{:04}-Xb7q2Lm9", 10)).await;
    assert_eq!(limited.status(), 429, "the eleventh wrong token from one address");
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=6).contains(&retry_after), "Retry-After: {retry_after}");
    assert_eq!(numbers(&guesser, &server, PARIS_TOKEN).await.status(), 429, "not even the right token is checked");
    assert_eq!(sign_in_status(&guesser, &server, PARIS_TOKEN).await, 429, "the console's sign-in shares the count");

    // Another address is not held back by the guesser.
    let volunteer = from("127.0.0.3");
    assert_eq!(numbers(&volunteer, &server, PARIS_TOKEN).await.status(), 200);

    // Many addresses trying variations of one token's beginning: its
    // prefix is limited, wherever the next attempt comes from; other
    // tokens are not.
    let prefix: String = PARIS_TOKEN.chars().take(6).collect();
    for i in 0..10 {
        let client = from(&format!("127.0.1.{}", i + 1));
        let answer = client
            .get(format!("{}/v1/numbers", server.url))
            .bearer_auth(format!("{prefix}variation-{i:03}-Pz4"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401, "variation {i}, from its own address");
    }
    let fresh = from("127.0.2.1");
    assert_eq!(numbers(&fresh, &server, PARIS_TOKEN).await.status(), 429, "the prefix is limited");
    assert_eq!(numbers(&fresh, &server, LYON_TOKEN).await.status(), 200, "another token's prefix is not");

    let text = scrape(&reqwest::Client::new(), &server.url).await;
    let series = |surface: &str, reason: &str| {
        metric(&text, "antirelou_token_refusals_total", &[("surface", surface), ("reason", reason)])
    };
    assert_eq!(series("api", "unknown"), 20.0, "{text}");
    assert_eq!(series("api", "limited"), 3.0);
    assert_eq!(series("console", "limited"), 1.0);
    assert_eq!(series("console", "unknown"), 0.0);
}

#[test]
fn check_config_refuses_a_repetitive_admin_token_and_operator_token() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), Backend::Sqlite, "", "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(PARIS_TOKEN, "aaaaaaaaaaaaaaaaaaaaaaaa")
        .replace(super::OPERATOR_TOKEN, "abcdabcdabcdabcdabcd");
    std::fs::write(&config, text).unwrap();
    let output = Command::new(BIN).args(["check-config", "--config", &config]).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(report.contains("tenants[0].admin_token") && report.contains("only 1 distinct characters"), "{report}");
    assert!(report.contains("server.operator_token") && report.contains("only 4 distinct characters"), "{report}");
    assert!(!report.contains("aaaaaaaa") && !report.contains("abcdabcd"), "a token is never printed: {report}");
}
