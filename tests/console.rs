//! The console's sessions and sign-in limit over real HTTP, on a manual
//! clock (the pages themselves are driven in a real browser by
//! tests/deploy/test_console.py).

use std::sync::Arc;

use antirelou_domain::ManualClock;

use crate::support::*;

const PARIS_ADMIN: &str = "paris-admin-token-0123456789";

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of cookie `name` set by `response`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
}

/// Signs in with `token` and returns the session cookie's value (or the status).
pub(crate) async fn sign_in(app: &TestApp, token: &str) -> Result<String, u16> {
    let http = client();
    let form = http.get(format!("{}/console/login", app.admin_url)).send().await.unwrap();
    let nonce = set_cookie(&form, "antirelou_signin").expect("a sign-in nonce cookie");
    let body = form.text().await.unwrap();
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let answer = http
        .post(format!("{}/console/login", app.admin_url))
        .header("Cookie", format!("antirelou_signin={nonce}"))
        .form(&[("token", token), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    match set_cookie(&answer, "antirelou_console") {
        Some(session) if answer.status() == 303 => Ok(session),
        _ => Err(answer.status().as_u16()),
    }
}

/// The status of the overview with `session` as the cookie.
async fn overview(app: &TestApp, session: &str) -> u16 {
    let answer = client()
        .get(format!("{}/console/", app.admin_url))
        .header("Cookie", format!("antirelou_console={session}"))
        .send()
        .await
        .unwrap();
    answer.status().as_u16()
}

async fn app_on(clock: Arc<ManualClock>) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let toml = config_toml(dir.path(), "console_session_ttl = \"30m\"", &two_tenants(""));
    let (settings, ledger) = settings_and_ledger(&toml);
    (spawn_app_with_clock(dir.path(), settings, ledger, clock).await, dir)
}

#[actix_web::test]
async fn a_session_ends_at_its_ttl_and_a_tampered_cookie_is_refused() {
    let clock = Arc::new(ManualClock::starting_at(chrono::Utc::now()));
    let (app, _dir) = app_on(Arc::clone(&clock)).await;
    let session = sign_in(&app, PARIS_ADMIN).await.unwrap();
    assert!(!session.contains(PARIS_ADMIN), "the token is not in the cookie");
    assert!(session.starts_with("v1.t:paris."), "{session}");
    assert_eq!(overview(&app, &session).await, 200);
    let as_lyon = session.replacen("t:paris", "t:lyon", 1);
    assert_eq!(overview(&app, &as_lyon).await, 303, "a forged tenant is refused");
    let (payload, _) = session.rsplit_once('.').unwrap();
    assert_eq!(overview(&app, &format!("{payload}.AAAA")).await, 303, "a forged MAC is refused");
    clock.advance_seconds(29 * 60);
    assert_eq!(overview(&app, &session).await, 200);
    clock.advance_seconds(60);
    assert_eq!(overview(&app, &session).await, 303, "30 minutes later the session is over");
}

#[actix_web::test]
async fn a_wrong_token_is_refused_and_sign_ins_are_limited_per_address() {
    let clock = Arc::new(ManualClock::starting_at(chrono::Utc::now()));
    let (app, _dir) = app_on(Arc::clone(&clock)).await;
    for _ in 0..antirelou_web::console::SIGNIN_ATTEMPTS_PER_MINUTE - 1 {
        assert_eq!(sign_in(&app, "not-a-token-of-anyone-here").await, Err(401));
    }
    assert!(sign_in(&app, PARIS_ADMIN).await.is_ok(), "the tenth attempt of the minute is still allowed");
    assert_eq!(sign_in(&app, PARIS_ADMIN).await, Err(429), "the eleventh is not, even with the right token");
    let m = app.metrics().await;
    assert_eq!(m.value("antirelou_console_signins_total", &[("result", "refused")]), 9.0);
    assert_eq!(m.value("antirelou_console_signins_total", &[("result", "ok")]), 1.0);
    assert_eq!(m.value("antirelou_console_signins_total", &[("result", "limited")]), 1.0);
    clock.advance_seconds(60);
    assert!(sign_in(&app, PARIS_ADMIN).await.is_ok(), "a minute later one may try again");
}
