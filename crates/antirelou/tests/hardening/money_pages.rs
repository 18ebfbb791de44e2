//! Findings 6 and 7: a top-up above the maximum balance answered 503
//! "ledger unavailable" (and logged an ERROR), the console's money page
//! answered 503 to a forged `?after=` cursor, and console notices showed
//! text from the URL (`?credited=`, `?problem=`): a phishing line inside a
//! trusted page. Now: 400 with a sentence, and notices chosen by a code,
//! their figures read from the ledger.

use antirelou_ledger::redis_server::RedisServer;
use serde_json::{json, Value};

use super::common::Server;
use super::{deployment, Backend, LYON_TOKEN, PARIS_NUMBER, PARIS_TOKEN};

const PHISHING: &str = "Your account is suspended, call 0899 00 00 00";

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
}

/// Signs in to the console with `token`: the session cookie and its CSRF token.
async fn sign_in(server: &Server, token: &str) -> String {
    let form = http().get(format!("{}/console/login", server.url)).send().await.unwrap();
    let nonce = set_cookie(&form, "antirelou_signin").expect("a sign-in nonce");
    let body = form.text().await.unwrap();
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let answer = http()
        .post(format!("{}/console/login", server.url))
        .header("Cookie", format!("antirelou_signin={nonce}"))
        .form(&[("token", token), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "signed in");
    set_cookie(&answer, "antirelou_console").expect("a session")
}

async fn page(server: &Server, session: &str, path: &str) -> (u16, String) {
    let answer = http()
        .get(format!("{}{path}", server.url))
        .header("Cookie", format!("antirelou_console={session}; antirelou_lang=en"))
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// The deployment at `config` with tenant paris prepaid (lyon is not).
fn paris_prepaid(config: &str) -> &str {
    let text = std::fs::read_to_string(config).unwrap();
    std::fs::write(config, text.replacen("id = \"paris\"\n", "id = \"paris\"\nprepaid = true\n", 1)).unwrap();
    config
}

async fn top_up(server: &Server, amount: &str) -> (u16, Value) {
    top_up_as(server, "paris", PARIS_TOKEN, amount).await
}

async fn top_up_as(server: &Server, tenant: &str, token: &str, amount: &str) -> (u16, Value) {
    let answer = http()
        .post(format!("{}/v1/tenants/{tenant}/top-up", server.url))
        .bearer_auth(token)
        .json(&json!({ "amount": amount, "note": "fundraiser" }))
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap_or(Value::Null))
}

/// Lyon is not prepaid: its replies are not paid from a balance, so the API
/// refuses a top-up with a sentence saying what prepaid means and how to turn
/// it on, and the console shows that sentence instead of a balance and a form.
async fn a_top_up_of_a_tenant_that_is_not_prepaid_is_refused_with_how_to_turn_it_on(server: &Server) {
    let (status, body) = top_up_as(server, "lyon", LYON_TOKEN, "20.00").await;
    assert_eq!(status, 409, "{body}");
    let sentence = body["error"].as_str().unwrap_or_default();
    assert!(sentence.contains("not prepaid") && sentence.contains("set prepaid = true"), "{body}");
    let session = sign_in(server, LYON_TOKEN).await;
    let (status, page_text) = page(server, &session, "/console/tenants/lyon/money").await;
    assert_eq!(status, 200);
    assert!(page_text.contains("Your collective is not prepaid"), "{page_text}");
    assert!(!page_text.contains("action=\"/console/tenants/lyon/top-up\""), "no top-up form");
    // The form posted anyway credits nothing.
    let csrf = page_text.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
    let answer = http()
        .post(format!("{}/console/tenants/lyon/top-up", server.url))
        .header("Cookie", format!("antirelou_console={session}; antirelou_lang=en"))
        .form(&[("csrf", csrf), ("amount", "20.00")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let (_, page_text) = page(server, &session, "/console/tenants/lyon/money").await;
    assert!(!page_text.contains("20.00"), "nothing credited");
}

async fn overflow_and_bad_cursors_are_400_and_notices_come_from_a_fixed_list(server: &Server) {
    // Nine top-ups of a billion fit under the maximum balance (2^53 - 1 micros); the tenth does not.
    for _ in 0..9 {
        assert_eq!(top_up(server, "1000000000").await.0, 200);
    }
    let (status, body) = top_up(server, "1000000000").await;
    assert_eq!(status, 400, "an overflow is the caller's mistake: {body}");
    assert!(body["error"].as_str().unwrap_or_default().contains("balance would exceed"), "{body}");
    let (status, body) = top_up(server, "1000000001").await;
    assert_eq!((status, body["error"].as_str().is_some()), (400, true), "above the largest top-up: {body}");

    let session = sign_in(server, PARIS_TOKEN).await;
    let (status, body) = page(server, &session, "/console/tenants/paris/money?after=forged-cursor").await;
    assert_eq!(status, 400, "a forged cursor is refused with a sentence");
    assert!(body.contains("This page of the list does not exist"), "{body}");

    // A notice is chosen by its code; the balance it shows is the ledger's; URL text is never shown.
    let forged = format!("?done=credited&credited=999999.00+EUR.+{0}&problem={0}", PHISHING.replace(' ', "+"));
    let (status, body) = page(server, &session, &format!("/console/tenants/paris/money{forged}")).await;
    assert_eq!(status, 200);
    assert!(!body.contains("suspended") && !body.contains("999999"), "no text from the URL");
    assert!(body.contains("Credited. New balance:"), "the notice of the code");
    assert!(body.contains("9000000000.00") || body.contains("9,000,000,000"), "the ledger's balance");
    let number = PARIS_NUMBER.replace('+', "%2B");
    for path in [
        format!("/console/numbers/{number}?problem={}", PHISHING.replace(' ', "+")),
        format!("/console/tenants/paris/blocklist?problem={}", PHISHING.replace(' ', "+")),
    ] {
        let (status, body) = page(server, &session, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains("suspended"), "{path} shows no text from the URL");
    }
}

#[tokio::test]
async fn overflow_and_bad_cursors_are_400_and_notices_never_quote_the_url_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), Backend::Sqlite, "", "");
    let server = Server::start(dir.path(), &["--config", paris_prepaid(&config)]);
    overflow_and_bad_cursors_are_400_and_notices_come_from_a_fixed_list(&server).await;
    a_top_up_of_a_tenant_that_is_not_prepaid_is_refused_with_how_to_turn_it_on(&server).await;
}

#[tokio::test]
async fn overflow_and_bad_cursors_are_400_and_notices_never_quote_the_url_on_redis() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let url = redis.url();
    let config = deployment(dir.path(), Backend::Redis { url: &url, prefix: "money" }, "", "");
    let server = Server::start(dir.path(), &["--config", paris_prepaid(&config)]);
    overflow_and_bad_cursors_are_400_and_notices_come_from_a_fixed_list(&server).await;
    a_top_up_of_a_tenant_that_is_not_prepaid_is_refused_with_how_to_turn_it_on(&server).await;
}
