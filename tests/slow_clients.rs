//! Slow clients cannot hold the service: a request's head and body must
//! arrive within `server.request_timeout_ms`, one address holds at most
//! `server.max_connections_per_ip` connections, and beyond
//! `server.max_connections` connections wait their turn. Meanwhile a genuine
//! webhook is answered.
//!
//! The slow clients send a webhook head announcing a 1,000-byte body, then
//! one byte every [`DRIP`] (the attack of issue 8 at 1 byte/s, sped up).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::*;

const TIMEOUT_MS: u64 = 2_000;
const DRIP: Duration = Duration::from_millis(250);
/// A slow client gives up after this (only if the server never closes it).
const GIVE_UP: Duration = Duration::from_secs(30);
/// The attackers' address; genuine traffic comes from 127.0.0.1.
const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const GENUINE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

const SLOW_WEBHOOK_HEAD: &str = "POST /webhooks/twilio HTTP/1.1\r\nHost: sms.example.org\r\n\
     Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: slow\r\n\
     Content-Length: 1000\r\n\r\nTo=%2B33612345678&Body=";

/// How a slow connection ended.
#[derive(Debug)]
struct Ending {
    /// The status the server answered before closing, if any.
    status: Option<u16>,
    /// From the end of the head to the close.
    open_for: Duration,
    closed_at: Instant,
}

async fn connect_from(ip: IpAddr, port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(ip, 0)).unwrap();
    socket.connect(SocketAddr::new(GENUINE, port)).await.expect("the kernel queues the connection")
}

/// Writes `head`, then `drip_byte` every [`DRIP`] until the server closes
/// the connection; returns what it answered.
async fn drip(mut stream: TcpStream, head: &[u8], drip_byte: &[u8]) -> Ending {
    let started = Instant::now();
    let mut writing = stream.write_all(head).await.is_ok();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    let mut ticks = tokio::time::interval(DRIP);
    ticks.tick().await;
    loop {
        assert!(started.elapsed() < GIVE_UP, "a slow connection was still open after {GIVE_UP:?}");
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            },
            _ = ticks.tick(), if writing => writing = stream.write_all(drip_byte).await.is_ok(),
        }
    }
    let text = String::from_utf8_lossy(&received);
    let status = text.strip_prefix("HTTP/1.1 ").and_then(|rest| rest.get(..3)).and_then(|code| code.parse().ok());
    Ending { status, open_for: started.elapsed(), closed_at: Instant::now() }
}

async fn slow_webhook(ip: IpAddr, port: u16) -> Ending {
    drip(connect_from(ip, port).await, SLOW_WEBHOOK_HEAD.as_bytes(), b"a").await
}

/// A client that opens a fresh connection per request, so that the open
/// gauges count only what the test holds.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).timeout(GIVE_UP).build().unwrap()
}

async fn scrape(client: &reqwest::Client, app: &TestApp) -> Metrics {
    Metrics(client.get(format!("{}/metrics", app.metrics_url)).send().await.unwrap().text().await.unwrap())
}

fn deadline() -> Duration {
    Duration::from_millis(TIMEOUT_MS)
}

fn statuses(endings: &[Ending]) -> (usize, usize) {
    let answered_408 = endings.iter().filter(|e| e.status == Some(408)).count();
    let unanswered = endings.iter().filter(|e| e.status.is_none()).count();
    (answered_408, unanswered)
}

#[actix_web::test]
async fn slow_bodies_beyond_the_per_ip_limit_are_refused_and_the_rest_cut_at_the_deadline_while_a_webhook_is_answered()
{
    let config = format!("request_timeout_ms = {TIMEOUT_MS}\nmax_connections_per_ip = 8");
    let app = spawn_app(|dir| config_toml(dir, &config, &two_tenants(""))).await;
    let client = fresh_client();

    let attack = join_all((0..100).map(|_| slow_webhook(ATTACKER, app.port)));
    let genuine = async {
        let in_place = eventually(Duration::from_secs(10), || async {
            let m = scrape(&client, &app).await;
            m.value("antirelou_connections_refused_total", &[("listener", "main"), ("reason", "per_ip")]) >= 92.0
        })
        .await;
        assert!(in_place, "the attack never reached the server");
        let during = scrape(&client, &app).await;
        let sms = Sms::paris("+33611000010", sid(1));
        let form = sms.form();
        let signature = antirelou_providers::twilio::signature(sms.token, &app.signed_url(), &form);
        let response = client
            .post(app.webhook_url())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header(antirelou_providers::twilio::SIGNATURE_HEADER, signature)
            .body(antirelou_providers::twilio::encode_form(&form))
            .send()
            .await
            .expect("the genuine webhook is answered");
        let status = response.status().as_u16();
        let reply = antirelou_providers::twilio::twiml_reply_text(&response.text().await.unwrap());
        (during, status, reply)
    };
    let (endings, (during, status, reply)) = tokio::join!(attack, genuine);

    assert_eq!((status, reply.as_deref()), (200, Some(REPLY)), "the genuine webhook, during the attack");
    let held = during.value("antirelou_connections_open", &[("listener", "main")]);
    assert_eq!(held, 9.0, "the 8 admitted slow connections and the scrape itself");
    assert_eq!(statuses(&endings), (8, 92), "8 admitted and answered 408, 92 closed at once: {endings:?}");
    for ending in endings.iter().filter(|e| e.status == Some(408)) {
        assert!(ending.open_for >= deadline(), "answered before the deadline: {ending:?}");
        assert!(ending.open_for < 3 * deadline(), "answered long after the deadline: {ending:?}");
    }
    for ending in endings.iter().filter(|e| e.status.is_none()) {
        assert!(ending.open_for < deadline(), "a refused connection is closed at once: {ending:?}");
    }

    let settled = eventually(Duration::from_secs(10), || async {
        scrape(&client, &app).await.value("antirelou_connections_open", &[("listener", "main")]) == 1.0
    })
    .await;
    assert!(settled, "every slow connection closed (only the scrape is open)");
    let m = scrape(&client, &app).await;
    assert_eq!(m.value("antirelou_connections_refused_total", &[("listener", "main"), ("reason", "per_ip")]), 92.0);
    assert_eq!(m.rejected("timeout"), 8, "each slow webhook body is a rejection for timeout");
    assert_eq!(m.value("antirelou_requests_timed_out_total", &[("listener", "main"), ("part", "body")]), 8.0);
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "replied"), 1);
}

#[actix_web::test]
async fn slow_bodies_beyond_max_connections_wait_their_turn_and_a_webhook_is_still_answered() {
    let config = format!("request_timeout_ms = {TIMEOUT_MS}\nmax_connections = 8\nmax_connections_per_ip = 0");
    let app = spawn_app(|dir| config_toml(dir, &config, &two_tenants(""))).await;
    let client = fresh_client();
    // Each worker serves its share; with more cores than 8 it is one each.
    let max = scrape(&client, &app).await.value("antirelou_connections_max", &[]) as usize;
    assert!(max >= 8, "{max}");
    let slow = 3 * max;

    // Every slow connection is queued before the genuine webhook's.
    let streams = join_all((0..slow).map(|_| connect_from(ATTACKER, app.port))).await;
    let attack = join_all(streams.into_iter().map(|stream| drip(stream, SLOW_WEBHOOK_HEAD.as_bytes(), b"a")));
    let genuine = async {
        let answer = app.post_sms(&Sms::paris("+33611000011", sid(2))).await;
        (answer, Instant::now())
    };
    let (endings, (answer, answered_at)) = tokio::join!(attack, genuine);

    assert_eq!((answer.status, answer.reply().as_deref()), (200, Some(REPLY)), "the genuine webhook");
    assert_eq!(statuses(&endings), (slow, 0), "every slow connection answered 408 in its turn: {endings:?}");
    let cut_before = endings.iter().filter(|e| e.closed_at < answered_at).count();
    assert!(cut_before >= max, "the webhook waited for slow connections to be cut ({cut_before} before it)");
    for ending in &endings {
        assert!(ending.open_for >= deadline(), "answered before its deadline: {ending:?}");
    }
    let m = scrape(&client, &app).await;
    assert_eq!(m.rejected("timeout"), slow as u64);
    assert_eq!(m.value("antirelou_requests_timed_out_total", &[("listener", "main"), ("part", "body")]), slow as f64);
}

#[actix_web::test]
async fn a_kept_alive_connection_whose_next_head_stalls_is_cut_after_the_deadline() {
    let config = format!("request_timeout_ms = {TIMEOUT_MS}");
    let app = spawn_app(|dir| config_toml(dir, &config, &two_tenants(""))).await;
    let mut stream = connect_from(GENUINE, app.port).await;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut first = [0u8; 1024];
    let n = stream.read(&mut first).await.unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&first[..n]));

    // actix has no head timer after the first request: the deadline is ours.
    let ending = drip(stream, b"GET /heal", b"t").await;
    assert_eq!(ending.status, None, "cut, not answered");
    assert!(ending.open_for >= deadline(), "{ending:?}");
    assert!(ending.open_for < 3 * deadline(), "{ending:?}");
    let m = fresh_scrape(&app).await;
    assert_eq!(m.value("antirelou_requests_timed_out_total", &[("listener", "main"), ("part", "head")]), 1.0);
}

#[actix_web::test]
async fn an_unread_chunked_body_that_drips_is_cut_after_the_deadline() {
    let config = format!("request_timeout_ms = {TIMEOUT_MS}");
    let app = spawn_app(|dir| config_toml(dir, &config, &two_tenants(""))).await;
    let stream = connect_from(GENUINE, app.port).await;
    // No POST route: answered 404 without reading the body, which actix
    // would then drain for as long as it drips.
    let head = b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n";
    let ending = drip(stream, head, b"1\r\na\r\n").await;
    assert_eq!(ending.status, Some(404), "answered first");
    assert!(ending.open_for >= deadline(), "{ending:?}");
    assert!(ending.open_for < 3 * deadline(), "{ending:?}");
    let m = fresh_scrape(&app).await;
    assert_eq!(m.value("antirelou_requests_timed_out_total", &[("listener", "main"), ("part", "body")]), 1.0);
}

#[actix_web::test]
async fn a_first_head_that_drips_is_answered_408_and_counted() {
    let config = format!("request_timeout_ms = {TIMEOUT_MS}");
    let app = spawn_app(|dir| config_toml(dir, &config, &two_tenants(""))).await;
    let stream = connect_from(GENUINE, app.port).await;
    let ending = drip(stream, b"POST /webhooks/twilio HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a").await;
    assert_eq!(ending.status, Some(408), "{ending:?}");
    let m = fresh_scrape(&app).await;
    assert_eq!(m.value("antirelou_requests_timed_out_total", &[("listener", "main"), ("part", "head")]), 1.0);
    assert_eq!(m.rejected("timeout"), 0, "no webhook was read: nothing to reject");
}

async fn fresh_scrape(app: &TestApp) -> Metrics {
    scrape(&fresh_client(), app).await
}

#[actix_web::test]
async fn an_admin_json_body_that_drips_is_answered_408_like_a_webhook() {
    let config = format!("request_timeout_ms = {TIMEOUT_MS}");
    let app = spawn_app(|dir| config_toml(dir, &config, &two_tenants(""))).await;
    let stream = connect_from(GENUINE, app.port).await;
    let head = b"POST /v1/tenants/paris/top-up HTTP/1.1\r\nHost: x\r\n\
        Authorization: Bearer paris-admin-token-0123456789\r\nContent-Type: application/json\r\n\
        Content-Length: 100\r\n\r\n{\"amount\": \"";
    let ending = drip(stream, head, b"1").await;
    assert_eq!(ending.status, Some(408), "{ending:?}");
    assert!(ending.open_for >= deadline(), "{ending:?}");
    let m = fresh_scrape(&app).await;
    assert_eq!(m.value("antirelou_requests_timed_out_total", &[("listener", "main"), ("part", "body")]), 1.0);
    assert_eq!(m.rejected("timeout"), 0, "not a webhook");
}
