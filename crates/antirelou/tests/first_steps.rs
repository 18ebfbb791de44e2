//! A person's first steps with the binary, as they would type them: a
//! second `serve` on a taken port and the `--listen` it suggests, the
//! commands `serve` prints (run as printed), the console URL of every
//! `serve`, and `ledger` commands that never create an empty ledger.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::{Server, BIN};

fn antirelou(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).env("RUST_LOG", "error").output().unwrap()
}

/// The arguments of a command line printed for a person (`antirelou a b "c d"`).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    for (i, part) in line.trim().split('"').enumerate() {
        if i % 2 == 1 {
            words.push(part.to_owned());
        } else {
            words.extend(part.split_whitespace().map(str::to_owned));
        }
    }
    words
}

#[test]
fn a_second_serve_on_a_taken_port_names_a_free_one_and_its_printed_send_command_reaches_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, lines) = Server::start_with(dir.path(), &[], &[], 3);
    assert_eq!(lines[1], format!("console: {}/console/", first.url), "{lines:?}");
    assert_eq!(lines[2], "sign in with the demo collective's token: antirelou-PUBLIC-demo-admin-token");
    let taken = first.url.trim_start_matches("http://").to_owned();

    let refused = antirelou(dir.path(), &["serve", "--listen", &taken]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    let expected = format!("error: cannot listen on {taken} (server.listen): the port is already taken");
    assert!(stderr.contains(&expected), "{stderr}");
    let suggested = stderr.split("antirelou serve --listen ").nth(1).unwrap().split_whitespace().next().unwrap();
    assert_ne!(suggested, taken);

    // The suggestion works, and the tour it prints points at it, not at the first server.
    let (mut second, lines) = Server::start_with(dir.path(), &["--listen", suggested], &[], 10);
    assert_eq!(second.url, format!("http://{suggested}"));
    assert!(lines.iter().any(|l| l.contains("stand-in of Twilio's API") && l.contains("never to Twilio")), "{lines:?}");
    let send = lines.iter().find(|l| l.trim_start().starts_with("antirelou send")).expect("a send hint");
    let args = words(send);
    assert_eq!(args[1..4], ["send", "--url", &second.url][..], "{send}");
    let output = antirelou(dir.path(), &args[1..].iter().map(String::as_str).collect::<Vec<_>>());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && stdout.contains(&format!("POST {}/webhooks/twilio", second.url)), "{stdout}");
    assert!(stdout.contains("Non, c'est non"), "{stdout}");

    for server in [&mut first, &mut second] {
        assert!(server.terminate(Duration::from_secs(20)).success());
    }
}

#[test]
fn serve_with_a_file_prints_the_console_and_how_each_collective_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("antirelou.toml");
    std::fs::write(
        &config,
        r#"
[server]
public_url = "https://sms.example.org"
[ledger]
path = "ledger.sqlite3"
[privacy]
sender_key = "a-sender-key-of-some-length-0123456789"
sealing_key = "a-sealing-key-of-some-length-0123456789"
[[tenants]]
id = "paris"
admin_token = "the-admin-token-of-paris"
provider = { kind = "twilio", account_sid = "AC11111111111111111111111111111111", auth_token = "token-of-paris" }
[[tenants.numbers]]
number = "+33937000001"
reply = "Non, c'est non."
price_per_segment = "0.08"
"#,
    )
    .unwrap();
    let (mut server, lines) = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()], &[], 4);
    assert_eq!(lines[1], format!("console: {}/console/", server.url));
    assert_eq!(lines[2], "console from outside, through your HTTPS proxy: https://sms.example.org/console/");
    assert_eq!(
        lines[3],
        format!("collective \"paris\": sign in with its admin_token (tenants[0].admin_token in {})", config.display())
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let login = format!("{}/console/login", server.url);
    let status = runtime.block_on(async { reqwest::get(login).await.unwrap().status().as_u16() });
    assert_eq!(status, 200, "the printed console answers");
    assert!(server.terminate(Duration::from_secs(20)).success());
}

#[test]
fn ledger_commands_never_create_a_ledger_and_name_the_path_they_looked_at() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["ledger", "balances"][..], &["ledger", "top-up", "--tenant", "demo", "--amount", "5"][..]] {
        let output = antirelou(dir.path(), args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        let expected = format!("error: no ledger at {}", dir.path().join("data/ledger.sqlite3").display());
        assert!(stderr.starts_with(&expected), "{stderr}");
        assert!(stderr.contains("--config"), "{stderr}");
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");

    let config = dir.path().join("mine.toml");
    let text = antirelou_settings::demo::demo_toml(&dir.path().join("elsewhere"))
        .replace(
            "antirelou-PUBLIC-demo-sender-key-known-to-everyone-never-use-it",
            "a-sender-key-of-some-length-0123456789",
        )
        .replace(
            "antirelou-PUBLIC-demo-sealing-key-known-to-everyone-never-use-it",
            "a-sealing-key-of-some-length-012345678",
        )
        .replace("antirelou-PUBLIC-demo-admin-token", "an-admin-token-of-this-test");
    std::fs::write(&config, text).unwrap();
    let output = antirelou(dir.path(), &["ledger", "entries", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let expected = format!(
        "error: no ledger at {} (ledger.path of {})",
        dir.path().join("elsewhere/ledger.sqlite3").display(),
        config.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(!dir.path().join("elsewhere").exists(), "nothing was created");
}

#[test]
fn a_top_up_takes_a_decimal_comma_or_point() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    assert!(server.terminate(Duration::from_secs(20)).success(), "the demo ledger exists once served");
    // The demo's ledger, under a configuration of its own where the tenant is prepaid.
    let config = dir.path().join("prepaid.toml");
    let text = antirelou_settings::demo::demo_toml(&dir.path().join("data"))
        .replace(
            "antirelou-PUBLIC-demo-sender-key-known-to-everyone-never-use-it",
            "a-sender-key-of-some-length-0123456789",
        )
        .replace(
            "antirelou-PUBLIC-demo-sealing-key-known-to-everyone-never-use-it",
            "a-sealing-key-of-some-length-012345678",
        )
        .replace("antirelou-PUBLIC-demo-admin-token", "an-admin-token-of-this-test")
        .replace("id = \"demo\"\n", "id = \"demo\"\nprepaid = true\n");
    std::fs::write(&config, text).unwrap();
    let config = config.to_str().unwrap();
    let top_up = |amount: &str| {
        antirelou(dir.path(), &["ledger", "top-up", "--config", config, "--tenant", "demo", "--amount", amount])
    };
    let comma = top_up("5,50");
    assert_eq!(String::from_utf8_lossy(&comma.stdout), "credited 5.50 EUR to demo: balance 5.50 EUR\n", "{comma:?}");
    let point = top_up("5.50");
    assert_eq!(String::from_utf8_lossy(&point.stdout), "credited 5.50 EUR to demo: balance 11.00 EUR\n");
    let both = top_up("1.000,50");
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("--amount \"1.000,50\""), "{both:?}");
}
