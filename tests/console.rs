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
    sign_in_at(&app.admin_url, token).await
}

/// [`sign_in`] on the listener at `base`.
pub(crate) async fn sign_in_at(base: &str, token: &str) -> Result<String, u16> {
    let http = client();
    let form = http.get(format!("{base}/console/login")).send().await.unwrap();
    let nonce = set_cookie(&form, "antirelou_signin").expect("a sign-in nonce cookie");
    let body = form.text().await.unwrap();
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let answer = http
        .post(format!("{base}/console/login"))
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
    assert!(session.starts_with("v2.t:paris."), "{session}");
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

#[actix_web::test]
async fn the_csv_download_streams_every_entry_of_the_tenant_and_none_of_another() {
    // 3,000 entries written into the ledger file before the server starts,
    // every third one lyon's: paris has 2,000, more than two ledger pages.
    let dir = tempfile::tempdir().unwrap();
    let row = format!(
        "1795867200000000 + i, CASE WHEN i % 3 = 0 THEN 'lyon' ELSE 'paris' END, \
         CASE WHEN i % 3 = 0 THEN '{LYON_NUMBER}' ELSE '{PARIS_NUMBER}' END, 'reply', 80000, 1, 'SM' || i"
    );
    seed_entries(dir.path(), 3_000, &row);
    let app = spawn_app_in_at(dir.path(), &config_toml(dir.path(), "", &two_tenants("")), midday_clock()).await;
    let session = sign_in(&app, PARIS_ADMIN).await.unwrap();
    let download = |tenant: &'static str| {
        let (url, cookie) =
            (format!("{}/console/tenants/{tenant}/entries.csv", app.admin_url), format!("antirelou_console={session}"));
        async move { client().get(url).header("Cookie", cookie).send().await.unwrap() }
    };
    let answer = download("paris").await;
    assert_eq!(answer.status().as_u16(), 200);
    assert!(answer.headers()["content-disposition"].to_str().unwrap().contains("antirelou-paris-entries.csv"));
    let csv = answer.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], antirelou_ledger::export::CSV_HEADER);
    assert_eq!(lines.len(), 1 + 2_000, "every entry of paris, once");
    assert!(lines[1].contains(",SM1") && lines[2_000].contains(",SM2999"), "oldest first, to the last");
    assert!(!csv.contains(LYON_NUMBER), "none of lyon's");
    let references: std::collections::HashSet<&str> =
        lines[1..].iter().map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(references.len(), 2_000, "no entry twice across pages");
    assert_eq!(download("lyon").await.status().as_u16(), 404, "another tenant's download is not found");
}

#[actix_web::test]
async fn a_signed_out_session_is_refused_on_every_replica_even_from_a_copied_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let toml = config_toml(dir.path(), "console_session_ttl = \"30m\"", &two_tenants(""));
    let (settings, ledger) = settings_and_ledger(&toml);
    let clock = Arc::new(ManualClock::starting_at(chrono::Utc::now()));
    let first = spawn_app_with_clock(dir.path(), settings.clone(), Arc::clone(&ledger), clock.clone()).await;
    let second = spawn_app_with_clock(dir.path(), settings, ledger, clock).await;
    let session = sign_in(&first, PARIS_ADMIN).await.unwrap();
    let copied = session.clone();
    assert_eq!(overview(&second, &copied).await, 200, "any replica accepts the session");
    let page = client()
        .get(format!("{}/console/", first.admin_url))
        .header("Cookie", format!("antirelou_console={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let out = |csrf: String| {
        let (url, cookie) = (format!("{}/console/logout", first.admin_url), format!("antirelou_console={session}"));
        async move { client().post(url).header("Cookie", cookie).form(&[("csrf", csrf)]).send().await.unwrap() }
    };
    assert_eq!(out("forged".into()).await.status().as_u16(), 403, "no sign-out without the form's token");
    assert_eq!(overview(&first, &copied).await, 200, "a refused sign-out ends nothing");
    let answer = out(csrf).await;
    assert_eq!(answer.status().as_u16(), 303);
    assert_eq!(set_cookie(&answer, "antirelou_console").as_deref(), Some(""), "the cookie is cleared");
    assert_eq!(overview(&first, &copied).await, 303, "the copied cookie is refused here");
    assert_eq!(overview(&second, &copied).await, 303, "and on the other replica");
    let again = sign_in(&second, PARIS_ADMIN).await.unwrap();
    assert_eq!(overview(&first, &again).await, 200, "a new session is not the old one");
}

#[actix_web::test]
async fn a_number_page_shows_today_s_decisions_by_outcome_in_words() {
    let clock = midday_clock();
    let (app, _dir) = app_on(Arc::clone(&clock)).await;
    for i in 0..3 {
        app.post_sms(&Sms::paris(&format!("+3370000001{i}"), sid(i))).await;
    }
    app.post_sms(&Sms::paris("+33700000010", sid(9))).await;
    let session = sign_in(&app, PARIS_ADMIN).await.unwrap();
    let page = |session: String| {
        let url = format!("{}/console/numbers/{PARIS_NUMBER}", app.admin_url);
        async move {
            let answer = client().get(url).header("Cookie", format!("antirelou_console={session}")).send().await;
            answer.unwrap().text().await.unwrap()
        }
    };
    assert!(page(session.clone()).await.contains("Rien pour l'instant"), "nothing written to the ledger yet");
    assert!(app.registry.write_day_counts().await);
    let shown = page(session).await;
    let today = shown.split("id=\"today\"").nth(1).expect("a table of today's decisions");
    assert!(today.contains("<td>réponse envoyée</td><td data-label=\"Nombre\">3</td>"), "{today}");
    assert!(today.contains("<td>déjà répondu</td><td data-label=\"Nombre\">1</td>"), "{today}");
    assert!(!today.contains("budget épuisé"), "only what happened is listed");
    assert!(!shown.contains("+337000000"), "no sender on the page");
}

#[actix_web::test]
async fn a_number_page_and_the_api_show_the_calls_of_today_and_what_a_caller_hears() {
    const SAY: &str = "Bonjour. Vous avez mis mal a l'aise une personne. Non, c'est non.";
    let dir = tempfile::tempdir().unwrap();
    let voice =
        format!("voice = {{ say = \"{SAY}\", language = \"fr-FR\", price_per_minute = \"0.02\", max_seconds = 30 }}");
    let toml = config_toml(dir.path(), "", &two_tenants(&voice));
    let (settings, ledger) = settings_and_ledger(&toml);
    let app = spawn_app_with_clock(dir.path(), settings, ledger, midday_clock()).await;
    // Two callers: the first calls twice (answered, then refused), the second once.
    for (n, from) in [(1u128, "+33700000021"), (2, "+33700000021"), (3, "+33700000022")] {
        let form = antirelou_providers::twilio::voice_form(
            PARIS_SID,
            &antirelou_providers::twilio::call_sid_from(n),
            from,
            PARIS_NUMBER,
        );
        let url = format!("{}/webhooks/twilio/voice", app.settings.server.public_url);
        let answer = app
            .client
            .post(format!("{}/webhooks/twilio/voice", app.base_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header(
                antirelou_providers::twilio::SIGNATURE_HEADER,
                antirelou_providers::twilio::signature(PARIS_TOKEN, &url, &form),
            )
            .body(antirelou_providers::twilio::encode_form(&form))
            .send()
            .await
            .unwrap();
        let decided = answer.headers().get("x-antirelou-decision").map(|v| v.to_str().unwrap().to_owned());
        let expected = if n == 2 { "repeat_sender" } else { "replied" };
        assert_eq!(decided.as_deref(), Some(expected), "the answer says the decision");
    }
    assert!(app.registry.write_day_counts().await);

    let session = sign_in(&app, PARIS_ADMIN).await.unwrap();
    let page = |lang: &'static str| {
        let url = format!("{}/console/numbers/{PARIS_NUMBER}", app.admin_url);
        let cookie = format!("antirelou_console={session}; antirelou_lang={lang}");
        async move { client().get(url).header("Cookie", cookie).send().await.unwrap().text().await.unwrap() }
    };
    let french = page("fr").await;
    let calls = french.split("id=\"calls\"").nth(1).expect("a calls section");
    assert!(calls.contains(SAY), "the message a caller hears");
    assert!(calls.contains("environ 7\u{a0}s"), "{calls}");
    assert!(calls.contains("0,02\u{a0}€"), "{calls}");
    assert!(calls.contains("2\u{a0}appels répondus, 1\u{a0}appel refusé sans frais."), "{calls}");
    assert!(!french.contains("+337000000"), "no caller on the page");
    let english = page("en").await;
    let calls = english.split("id=\"calls\"").nth(1).expect("a calls section");
    assert!(calls.contains("about 7\u{a0}s") && calls.contains("€0.02"), "{calls}");
    assert!(calls.contains("2\u{a0}calls answered, 1\u{a0}call refused at no cost."), "{calls}");

    let detail: serde_json::Value = app
        .client
        .get(format!("{}/v1/numbers/{PARIS_NUMBER}", app.base_url))
        .bearer_auth(PARIS_ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["voice"],
        serde_json::json!({"say": SAY, "language": "fr-FR", "price_per_minute": "0.02", "max_seconds": 30,
            "spoken_seconds": 7, "cost_per_call": "0.02"})
    );
    assert_eq!(detail["today"]["calls"]["replied"], 2);
    assert_eq!(detail["today"]["calls"]["repeat_sender"], 1);
    assert_eq!(detail["today"]["calls"]["no_voice"], 0);
    assert_eq!(detail["today"]["decisions"]["replied"], 0, "calls are not messages");
    assert_eq!(detail["today"]["spend"]["call"], "0.04");
}
