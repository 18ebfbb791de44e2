//! `antirelou send --call` against a running `serve`: a Twilio voice webhook
//! signed as Twilio signs it; the decision is the one the server answers in
//! `X-Antirelou-Decision` (its `/metrics` is out of reach here, on a port
//! of its own), then what the caller hears, or why the call is rejected.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Server, BIN};

const NUMBER: &str = "+33939000001";
const MUTE: &str = "+33939000005";
const SAY: &str = "Bonjour. Vous avez mis mal a l'aise une personne. Non, c'est non.";

fn antirelou(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).env_remove("RUST_LOG").output().unwrap()
}

fn write_config(dir: &Path) -> String {
    let text = format!(
        r#"
[server]
public_url = "https://sms.example.org"
metrics_listen = "127.0.0.1:0"

[ledger]
backend = "embedded"
path = "ledger.sqlite3"

[privacy]
sender_key = "send-call-sender-key-0123456789abcdef"
sealing_key = "send-call-sealing-key-0123456789abcdef"

[[tenants]]
id = "paris"
provider = {{ kind = "twilio", account_sid = "AC0123456789abcdef0123456789abcdef", auth_token = "paris-auth-token-for-send" }}

[[tenants.numbers]]
number = "{NUMBER}"
reply = "Non, c'est non."
price_per_segment = "0.08"
voice = {{ say = "{SAY}", language = "fr-FR", price_per_minute = "0.02", max_seconds = 30 }}

[[tenants.numbers]]
number = "{MUTE}"
reply = "Non, c'est non."
price_per_segment = "0.08"
"#
    );
    let path = dir.join("antirelou.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn send_call_prints_the_servers_decision_and_what_the_caller_hears() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let server = Server::start(dir.path(), &["--config", &config]);
    let send = |args: &[&str]| {
        let mut all = vec!["send", "--config", &config, "--url", &server.url];
        all.extend_from_slice(args);
        antirelou(dir.path(), &all)
    };
    let stdout = |output: &Output| String::from_utf8_lossy(&output.stdout).into_owned();

    let first = send(&["--call", "--to", NUMBER, "--from", "+33611223344"]);
    let text = stdout(&first);
    assert!(first.status.success(), "{text}{}", String::from_utf8_lossy(&first.stderr));
    assert!(text.starts_with(&format!("POST {}/webhooks/twilio/voice (CallSid CA", server.url)), "{text}");
    let expected = format!(
        "-> HTTP 200\ndecision: replied\nthe caller hears this message (about 7 s, hung up after 30 s at most, \
         0.02 reserved per answered call), then the call ends:\n{SAY}\n"
    );
    assert!(text.ends_with(&expected), "{text}");

    let again = send(&["--call", "--to", NUMBER, "--from", "+33611223344"]);
    assert!(
        stdout(&again).ends_with(
            "decision: repeat_sender\nthe call is rejected as busy, unanswered (the provider does not bill it): this \
             caller already got an answer (a reply or an answered call), and gets at most one every 30 days\n"
        ),
        "{}",
        stdout(&again)
    );
    // One answer per sender, whichever channel asks first: a text now gets none.
    let text_after = send(&["--to", NUMBER, "--from", "+33611223344", "allo ?"]);
    assert!(stdout(&text_after).contains("\ndecision: repeat_sender\n"), "{}", stdout(&text_after));

    let mute = send(&["--call", "--to", MUTE, "--from", "+33622334455"]);
    assert!(
        stdout(&mute).ends_with(
            "decision: no_voice\nthe call is rejected as busy, unanswered (the provider does not bill it): the \
             number has no voice, it answers no call\n"
        ),
        "{}",
        stdout(&mute)
    );

    let with_text = send(&["--call", "--to", NUMBER, "--from", "+33611223344", "hello"]);
    assert_eq!(with_text.status.code(), Some(2), "a call has no text");
}
