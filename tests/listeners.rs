//! `server.admin_listen`, `server.metrics_listen` and `server.console_listen`:
//! each path is served by its own listener only (the console listener serves
//! the console and the collectives' API, never with the operator token),
//! health everywhere, and stopping stops them all.

use crate::support::*;

const PARIS_ADMIN: &str = "paris-admin-token-0123456789";
const SPLIT: &str = "admin_listen = \"127.0.0.1:0\"\nmetrics_listen = \"127.0.0.1:0\"";

async fn status(app: &TestApp, method: reqwest::Method, url: String) -> u16 {
    let request = app.client.request(method, url).bearer_auth(PARIS_ADMIN);
    request.send().await.expect("the listener answers").status().as_u16()
}

async fn get(app: &TestApp, url: String) -> u16 {
    status(app, reqwest::Method::GET, url).await
}

#[actix_web::test]
async fn with_admin_and_metrics_listeners_each_path_is_served_by_its_own_listener_only() {
    let app = spawn_app(|dir| config_toml(dir, SPLIT, &two_tenants(""))).await;
    let (main, admin, metrics) = (app.base_url.clone(), app.admin_url.clone(), app.metrics_url.clone());
    assert!(main != admin && admin != metrics && main != metrics, "three ports: {main} {admin} {metrics}");

    let answer = app.post_sms(&Sms::paris("+33611000001", sid(1))).await;
    assert_eq!((answer.status, answer.reply().as_deref()), (200, Some(REPLY)), "webhooks on server.listen");
    for other in [&admin, &metrics] {
        let status = status(&app, reqwest::Method::POST, format!("{other}/webhooks/twilio")).await;
        assert_eq!(status, 404, "no webhook on {other}");
    }

    assert_eq!(get(&app, format!("{admin}/v1/numbers")).await, 200);
    // Percent-encoded, the path is still the admin API's (the router decodes it).
    assert_eq!(get(&app, format!("{admin}/%76%31/numbers")).await, 200);
    for path in ["/v1/numbers", "/%76%31/numbers", "/v1", "/console", "/console/login"] {
        assert_eq!(get(&app, format!("{main}{path}")).await, 404, "{path} is not on server.listen");
        assert_eq!(get(&app, format!("{metrics}{path}")).await, 404, "{path} is not on server.metrics_listen");
    }

    assert_eq!(get(&app, format!("{metrics}/metrics")).await, 200);
    assert_eq!(get(&app, format!("{main}/metrics")).await, 404);
    assert_eq!(get(&app, format!("{admin}/metrics")).await, 404);

    for base in [&main, &admin, &metrics] {
        assert_eq!(get(&app, format!("{base}/healthz")).await, 200, "{base}/healthz");
        assert_eq!(get(&app, format!("{base}/readyz")).await, 200, "{base}/readyz");
    }

    let m = app.metrics().await;
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "replied"), 1);
    for listener in ["main", "admin", "metrics"] {
        let series = format!("antirelou_connections_open{{listener=\"{listener}\"}}");
        assert!(m.0.contains(&series), "{series} is exported");
    }
    let open_metrics = m.value("antirelou_connections_open", &[("listener", "metrics")]);
    assert!(open_metrics >= 1.0, "the scrape itself is open on the metrics listener: {open_metrics}");
}

#[actix_web::test]
async fn without_optional_listeners_the_main_listener_serves_everything() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    assert_eq!((app.admin_url.as_str(), app.metrics_url.as_str()), (app.base_url.as_str(), app.base_url.as_str()));
    assert_eq!(get(&app, format!("{}/v1/numbers", app.base_url)).await, 200);
    assert_eq!(get(&app, format!("{}/metrics", app.base_url)).await, 200);
    assert_eq!(app.post_sms(&Sms::paris("+33611000002", sid(2))).await.status, 200);
    let m = app.metrics().await;
    assert!(m.0.contains("antirelou_connections_open{listener=\"main\"}"));
    assert!(!m.0.contains("listener=\"admin\""), "no series for a listener that is not configured");
    assert!(m.value("antirelou_connections_max", &[]) >= 1.0);
}

#[actix_web::test]
async fn stopping_closes_every_listener_and_still_flushes_the_ledger() {
    let mut app = spawn_app(|dir| config_toml(dir, SPLIT, &two_tenants("inbound_price = \"0.01\""))).await;
    let answer = app.post_sms(&Sms::paris("+33611000003", sid(3))).await;
    assert_eq!(answer.reply().as_deref(), Some(REPLY));
    let ports: Vec<String> = [&app.base_url, &app.admin_url, &app.metrics_url]
        .iter()
        .map(|url| url.trim_start_matches("http://").to_owned())
        .collect();

    app.stop_and_wait().await.expect("a clean stop");

    for address in &ports {
        assert!(tokio::net::TcpStream::connect(address).await.is_err(), "{address} still accepts connections");
    }
    // The inbound charge is batched (per second): the flush at stop writes
    // it if the batch timer has not yet.
    let entries = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    let inbound: Vec<_> = entries.iter().filter(|e| e.kind == antirelou_ledger::EntryKind::Inbound).collect();
    assert_eq!(inbound.len(), 1, "{entries:?}");
    assert_eq!(inbound[0].amount.micros(), 10_000);
}

const OPERATOR: &str = "the-operator-token-0123456789";

#[actix_web::test]
async fn the_console_listener_serves_the_collectives_and_refuses_the_operator_token() {
    let server =
        format!("admin_listen = \"127.0.0.1:0\"\nconsole_listen = \"127.0.0.1:0\"\noperator_token = \"{OPERATOR}\"");
    let app = spawn_app(|dir| config_toml(dir, &server, &two_tenants(""))).await;
    let (console, admin) = (app.console_url.clone(), app.admin_url.clone());
    assert!(console != admin && console != app.base_url, "its own port: {console}");
    let with = |token: &'static str, url: String| {
        let request = app.client.get(url).bearer_auth(token);
        async move { request.send().await.expect("the listener answers").status().as_u16() }
    };

    assert_eq!(with(PARIS_ADMIN, format!("{console}/v1/numbers")).await, 200, "a collective's token works");
    assert_eq!(with(OPERATOR, format!("{console}/v1/numbers")).await, 401, "the operator's does not");
    assert_eq!(with(OPERATOR, format!("{console}/%76%31/numbers")).await, 401);
    let reload = app.client.post(format!("{console}/v1/reload")).bearer_auth(OPERATOR).send().await.unwrap();
    assert_eq!(reload.status().as_u16(), 401, "no operator route from the public side");
    assert_eq!(with(OPERATOR, format!("{admin}/v1/numbers")).await, 200, "the operator keeps the admin listener");
    for path in ["/webhooks/twilio", "/metrics", "/"] {
        assert_eq!(with(PARIS_ADMIN, format!("{console}{path}")).await, 404, "{path} is not on the console listener");
    }
    assert_eq!(with(PARIS_ADMIN, format!("{console}/healthz")).await, 200);

    // The console: a collective signs in; the operator's token is a wrong
    // token there, and an operator's session from the admin listener opens nothing.
    let session = crate::console::sign_in_at(&console, PARIS_ADMIN).await.expect("a collective signs in");
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = |session: String| {
        let request =
            no_redirect.get(format!("{console}/console/")).header("Cookie", format!("antirelou_console={session}"));
        async move { request.send().await.unwrap() }
    };
    assert_eq!(page(session).await.status().as_u16(), 200);
    assert_eq!(crate::console::sign_in_at(&console, OPERATOR).await, Err(401));
    let operator =
        crate::console::sign_in_at(&admin, OPERATOR).await.expect("the operator signs in on the admin listener");
    let refused = page(operator).await;
    assert_eq!(refused.status().as_u16(), 303, "sent to the sign-in page");
    assert_eq!(refused.headers()["location"], "/console/login");
}
