//! Finding 5: two stalled CSV downloads blocked every tenant's export: the
//! download slots were the deployment's, and a response nobody read never
//! timed out (another tenant got `503` for 80 s). Now each tenant has its
//! own slots, and an answer the client stops reading is cut after
//! `server.write_timeout_ms` (counted as
//! `antirelou_requests_timed_out_total{part="response"}`), which frees the
//! slot.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpSocket, TcpStream};

use super::common::{eventually, metric, scrape, Server};
use super::{deployment, Backend, LYON_TOKEN, PARIS_NUMBER, PARIS_TOKEN};

/// Paris's entries, written into the ledger file before the server starts:
/// a CSV of several megabytes, more than loopback's socket buffers hold.
const PARIS_ENTRIES: u64 = 60_000;

fn seed_paris_entries(dir: &std::path::Path) {
    let path = dir.join("ledger.sqlite3");
    drop(antirelou_ledger::SqliteLedger::open(&path).unwrap());
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute(
            &format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
                 INSERT INTO entries (at_micros, tenant, number, kind, amount_micros, count, reference)
                 SELECT 1795867200000000 + i, 'paris', '{PARIS_NUMBER}', 'reply', 80000, 1, 'SM' || i FROM n"
            ),
            [PARIS_ENTRIES],
        )
        .unwrap();
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn sign_in(server: &Server, token: &str) -> String {
    let cookie = |response: &reqwest::Response, name: &str| {
        response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
            c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
    };
    let form = http().get(format!("{}/console/login", server.url)).send().await.unwrap();
    let nonce = cookie(&form, "antirelou_signin").expect("a sign-in nonce");
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
    cookie(&answer, "antirelou_console").expect("a session")
}

/// A whole download: its status and how many lines it had.
async fn download(server: &Server, tenant: &str, session: &str) -> (u16, usize) {
    let answer = http()
        .get(format!("{}/console/tenants/{tenant}/entries.csv", server.url))
        .header("Cookie", format!("antirelou_console={session}; antirelou_lang=en"))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.text().await.map(|t| t.lines().count()).unwrap_or(0))
}

/// A download whose client asks and then reads nothing, with a tiny
/// receive buffer: the server's writes stall once the buffers are full.
async fn stalled_download(server: &Server, session: &str) -> TcpStream {
    let address: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4_096).unwrap();
    let mut stream = socket.connect(address).await.unwrap();
    let request = format!(
        "GET /console/tenants/paris/entries.csv HTTP/1.1\r\nHost: {address}\r\n\
         Cookie: antirelou_console={session}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn stalled_downloads_hold_only_their_own_tenant_and_are_cut_at_the_write_deadline() {
    let dir = tempfile::tempdir().unwrap();
    seed_paris_entries(dir.path());
    let config = deployment(dir.path(), Backend::Sqlite, "write_timeout_ms = 8000", "");
    let server = Server::start(dir.path(), &["--config", &config]);
    let paris = sign_in(&server, PARIS_TOKEN).await;
    let lyon = sign_in(&server, LYON_TOKEN).await;

    // Two of paris's downloads stall: paris's slots are taken...
    let _stalled = [stalled_download(&server, &paris).await, stalled_download(&server, &paris).await];
    let busy = || async { download(&server, "paris", &paris).await.0 == 503 };
    assert!(eventually(Duration::from_secs(20), busy).await, "paris's third download waits for a slot");
    // ...and lyon's download is not held back by them.
    assert_eq!(download(&server, "lyon", &lyon).await, (200, 1), "lyon's (empty) CSV, its header only");

    // The stalled readers are cut at the write deadline: paris downloads again, every entry.
    let whole = || async { download(&server, "paris", &paris).await == (200, PARIS_ENTRIES as usize + 1) };
    assert!(eventually(Duration::from_secs(60), whole).await, "the stalled downloads were cut");
    let text = scrape(&reqwest::Client::new(), &server.url).await;
    let cut = metric(&text, "antirelou_requests_timed_out_total", &[("part", "response")]);
    assert!(cut >= 2.0, "both stalled answers counted: {cut}");
}
