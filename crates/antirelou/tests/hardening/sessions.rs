//! Finding 9: a console session cookie came back to life when its token was
//! rotated and rotated back, or its tenant removed and added again (`303`,
//! then `200` again). Now every caller has a session generation in the
//! ledger, aligned with the tokens in force by every replica at start and
//! after each reload: a session opened at another generation is over, on
//! every replica. Both ledgers; on Redis, two replicas.

use std::sync::Arc;
use std::time::Duration;

use antirelou_ledger::redis_server::RedisServer;
use antirelou_ledger::{Ledger, RedisLedger, SqliteLedger};

use super::common::{eventually, Server};
use super::{deployment, Backend, LYON_TOKEN, OPERATOR_TOKEN, PARIS_TOKEN};

const ROTATED_TOKEN: &str = "paris-rotated-Vb61xQe8Kd2w";

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in with `token`: the session cookie's value.
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

/// The status of the console's first page with `session`: 200 signed in, 303 to the sign-in.
async fn overview(server: &Server, session: &str) -> u16 {
    let answer = http()
        .get(format!("{}/console/", server.url))
        .header("Cookie", format!("antirelou_console={session}"))
        .send()
        .await
        .unwrap();
    answer.status().as_u16()
}

async fn reload(server: &Server) {
    let answer = http().post(format!("{}/v1/reload", server.url)).bearer_auth(OPERATOR_TOKEN).send().await.unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
}

/// Rewrites the file: paris's token, and lyon in or out.
fn rewrite(config: &str, original: &str, paris_token: &str, with_lyon: bool) {
    let mut text = original.replace(PARIS_TOKEN, paris_token);
    if !with_lyon {
        text = text.split("[[tenants]]\nid = \"lyon\"").next().unwrap().to_owned();
    }
    std::fs::write(config, text).unwrap();
}

/// Every replica reloads `config` as rewritten, and the ledger holds
/// `generation` for paris and lyon (every replica aligned).
async fn roll_out(servers: &[Server], ledger: &Arc<dyn Ledger>, generation: u64) {
    for server in servers {
        reload(server).await;
    }
    let aligned = || async {
        ledger.session_generation("t:paris").await.unwrap() == generation
            && ledger.session_generation("t:lyon").await.unwrap() == generation
    };
    assert!(eventually(Duration::from_secs(20), aligned).await, "generation {generation} recorded");
}

async fn an_old_token_back_or_a_tenant_back_does_not_bring_old_sessions_back(
    config: &str,
    servers: &[Server],
    ledger: Arc<dyn Ledger>,
) {
    let original = std::fs::read_to_string(config).unwrap();
    let first = &servers[0];
    let paris = sign_in(first, PARIS_TOKEN).await;
    let lyon = sign_in(first, LYON_TOKEN).await;
    for server in servers {
        assert_eq!((overview(server, &paris).await, overview(server, &lyon).await), (200, 200), "every replica");
    }

    // Paris's token rotated and lyon removed, everywhere...
    rewrite(config, &original, ROTATED_TOKEN, false);
    roll_out(servers, &ledger, 1).await;
    for server in servers {
        assert_eq!((overview(server, &paris).await, overview(server, &lyon).await), (303, 303));
    }
    // ...then the old token back and lyon added again with its old token.
    rewrite(config, &original, PARIS_TOKEN, true);
    roll_out(servers, &ledger, 2).await;
    for server in servers {
        assert_eq!(overview(server, &paris).await, 303, "paris's old session stays over");
        assert_eq!(overview(server, &lyon).await, 303, "lyon's old session stays over");
    }
    // A new sign-in works on every replica.
    let again = sign_in(first, PARIS_TOKEN).await;
    for server in servers {
        assert_eq!(overview(server, &again).await, 200);
    }
}

#[tokio::test]
async fn sessions_of_a_rotated_back_token_or_a_re_added_tenant_stay_over_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), Backend::Sqlite, "", "");
    let server = Server::start(dir.path(), &["--config", &config]);
    let ledger: Arc<dyn Ledger> = Arc::new(SqliteLedger::open(&dir.path().join("ledger.sqlite3")).unwrap());
    an_old_token_back_or_a_tenant_back_does_not_bring_old_sessions_back(&config, &[server], ledger).await;
}

#[tokio::test]
async fn sessions_of_a_rotated_back_token_or_a_re_added_tenant_stay_over_on_every_redis_replica() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let url = redis.url();
    let config = deployment(dir.path(), Backend::Redis { url: &url, prefix: "sessions" }, "", "");
    let servers =
        [Server::start(dir.path(), &["--config", &config]), Server::start(dir.path(), &["--config", &config])];
    let ledger: Arc<dyn Ledger> =
        Arc::new(RedisLedger::connect(&url, "sessions", Duration::from_secs(2), Duration::from_secs(2)).await.unwrap());
    an_old_token_back_or_a_tenant_back_does_not_bring_old_sessions_back(&config, &servers, ledger).await;
}
