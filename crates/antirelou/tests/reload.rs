//! `kill -HUP` on a running `antirelou serve`: the file is read again and
//! applied; an invalid one is refused and the running configuration stays.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{eventually, metric, post_sms, scrape, sid, Account, Server};

const NUMBER: &str = "+33612345678";
const ADDED: &str = "+33612345679";
const SID: &str = "AC11111111111111111111111111111111";
const TOKEN: &str = "reload-test-auth-token";
const PUBLIC_URL: &str = "https://sms.example.org";
const ACCOUNT: Account<'static> = Account { sid: SID, token: TOKEN, public_url: PUBLIC_URL };

/// An embedded-ledger config whose numbers answer with `reply`; `price` is
/// written as is (an invalid one makes an invalid file).
fn write_config(dir: &Path, numbers: &[&str], reply: &str, price: &str) -> String {
    let path = dir.join("antirelou.toml");
    let numbers: String = numbers
        .iter()
        .map(|n| {
            format!("[[tenants.numbers]]\nnumber = \"{n}\"\nreply = \"{reply}\"\nprice_per_segment = \"{price}\"\n\n")
        })
        .collect();
    let text = format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"

[ledger]
backend = "embedded"
path = "{ledger}"

[privacy]
sender_key = "reload-test-sender-key-0123456789"
sealing_key = "reload-test-sealing-key-0123456789"

[[tenants]]
id = "paris"
provider = {{ kind = "twilio", account_sid = "{SID}", auth_token = "{TOKEN}" }}

{numbers}"#,
        ledger = dir.join("ledger.sqlite3").display()
    );
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn hang_up(server: &Server) {
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
}

async fn reloads(client: &reqwest::Client, url: &str, result: &str) -> f64 {
    metric(&scrape(client, url).await, "antirelou_config_reloads_total", &[("result", result)])
}

#[tokio::test]
async fn sighup_applies_a_valid_file_and_keeps_serving_through_an_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[NUMBER], "Non, c'est non.", "0.08");
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = reqwest::Client::new();
    let url = server.url.clone();
    let unknown = post_sms(&client, &url, &ACCOUNT, ADDED, "+33700000001", &sid("hup", 0)).await.unwrap();
    assert_eq!(unknown.status, 404, "not served yet");

    write_config(dir.path(), &[NUMBER, ADDED], "Nouveau: non, c'est non.", "0.08");
    hang_up(&server);
    let applied = || async { reloads(&client, &url, "applied").await == 1.0 };
    assert!(eventually(Duration::from_secs(10), applied).await, "SIGHUP reloads");
    let added = post_sms(&client, &url, &ACCOUNT, ADDED, "+33700000001", &sid("hup", 1)).await.unwrap();
    assert_eq!(added.reply.as_deref(), Some("Nouveau: non, c'est non."), "the added number answers");

    write_config(dir.path(), &[NUMBER], "Autre texte.", "-1");
    hang_up(&server);
    let refused = || async { reloads(&client, &url, "refused").await == 1.0 };
    assert!(eventually(Duration::from_secs(10), refused).await, "an invalid file is refused");
    let still = post_sms(&client, &url, &ACCOUNT, ADDED, "+33700000002", &sid("hup", 2)).await.unwrap();
    assert_eq!(still.reply.as_deref(), Some("Nouveau: non, c'est non."), "the running configuration stays");
}
