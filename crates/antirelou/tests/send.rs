//! `antirelou send --provider vonage|plivo|ovh` against a running `serve`
//! whose providers' APIs are local stand-ins: each webhook is signed as
//! that provider would (an OVHcloud message is handed to the number through
//! the operator's API, as its poller would), and the decision and what the
//! sender receives are printed.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use antirelou_emulators::{start_ovh, start_vonage, OvhAccount, VonageAccount};
use common::{Server, BIN};

const VONAGE_NUMBER: &str = "+33939000002";
const PLIVO_NUMBER: &str = "+33939000003";
const OVH_NUMBER: &str = "+33939000004";
const REPLY: &str = "Non, c'est non. Laissez-la tranquille.";

fn antirelou(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).env_remove("RUST_LOG").output().unwrap()
}

fn write_config(dir: &Path, vonage_api: &str, ovh_api: &str) -> String {
    let number = |n: &str| {
        format!(
            "[[tenants.numbers]]\nnumber = \"{n}\"\nreply = \"{REPLY}\"\nprice_per_segment = \"0.08\"\nallowed_countries = [\"FR\"]\n"
        )
    };
    let text = format!(
        r#"
[server]
public_url = "https://sms.example.org"
operator_token = "send-test-operator-token-0123456789"

[ledger]
backend = "embedded"
path = "ledger.sqlite3"

[privacy]
sender_key = "send-test-sender-key-0123456789abcdef"
sealing_key = "send-test-sealing-key-0123456789abcdef"

[[tenants]]
id = "lille"
provider = {{ kind = "vonage", api_key = "vonagekey1", api_secret = "vonage-api-secret-for-send", signature_secret = "vonage-signature-secret-for-send", signature_method = "sha512", api_base = "{vonage_api}" }}
{lille}

[[tenants]]
id = "lyon"
provider = {{ kind = "plivo", auth_id = "MANWVLYTK4ZWU1YTY4QA", auth_token = "plivo-auth-token-for-send" }}
{lyon}

[[tenants]]
id = "marseille"
provider = {{ kind = "ovh", application_key = "ovhappkey1", application_secret = "ovh-application-secret-for-send", consumer_key = "ovh-consumer-key-for-send", service_name = "sms-ab12345-1", api_base = "{ovh_api}" }}
{marseille}
"#,
        lille = number(VONAGE_NUMBER),
        lyon = number(PLIVO_NUMBER),
        marseille = number(OVH_NUMBER),
    );
    let path = dir.join("antirelou.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn send_signs_as_vonage_and_plivo_hands_ovhcloud_messages_to_the_number_and_prints_each_decision() {
    let vonage =
        start_vonage(VonageAccount { api_key: "vonagekey1".into(), api_secret: "vonage-api-secret-for-send".into() })
            .unwrap();
    let ovh = start_ovh(OvhAccount {
        application_key: "ovhappkey1".into(),
        application_secret: "ovh-application-secret-for-send".into(),
        consumer_key: "ovh-consumer-key-for-send".into(),
        service_name: "sms-ab12345-1".into(),
        number: "0033939000004".into(),
        clock_skew_secs: 0,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), vonage.api_base(), ovh.api_base());
    let server = Server::start(dir.path(), &["--config", &config]);
    let send = |args: &[&str]| {
        let mut all = vec!["send", "--config", &config, "--url", &server.url];
        all.extend_from_slice(args);
        antirelou(dir.path(), &all)
    };
    let stdout = |output: &Output| String::from_utf8_lossy(&output.stdout).into_owned();

    let first = send(&["--provider", "vonage", "--to", VONAGE_NUMBER, "--from", "+33611223344", "on se revoit ?"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let text = stdout(&first);
    assert!(text.starts_with("GET ") && text.contains("/webhooks/vonage (messageId "), "{text}");
    let expected = format!(
        "-> HTTP 200\ndecision: replied\nthe sender receives this reply now (1 segment, GSM-7), sent through the \
         provider's API:\n{REPLY}\n"
    );
    assert!(text.ends_with(&expected), "{text}");
    let sent = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        vonage.accepted().len() == 1
    });
    assert!(sent, "the reply went through Vonage's API");
    assert_eq!(vonage.accepted()[0].to, "33611223344");
    let again = send(&["--provider", "vonage", "--to", VONAGE_NUMBER, "--from", "+33611223344", "réponds !"]);
    assert!(
        stdout(&again).ends_with(
            "decision: repeat_sender\nno reply: this sender already got the reply, and gets at most one every 30 days\n"
        ),
        "{}",
        stdout(&again)
    );

    let plivo = send(&["--to", PLIVO_NUMBER, "--from", "+33611223344", "on se revoit ?"]);
    let text = stdout(&plivo);
    assert!(plivo.status.success() && text.contains("(MessageUUID ") && text.contains("-> HTTP 200"), "{text}");
    assert!(
        text.contains(&format!("decision: replied\nthe sender receives this reply now (1 segment, GSM-7):\n{REPLY}")),
        "{text}"
    );

    // OVHcloud: handed to the number as the poller would; the reply leaves through OVHcloud's API.
    let polled = send(&["--to", OVH_NUMBER, "--from", "+33611223344", "on se revoit ?"]);
    let text = stdout(&polled);
    assert!(polled.status.success(), "{text}{}", String::from_utf8_lossy(&polled.stderr));
    assert!(text.starts_with(&format!("POST {}/v1/numbers/{OVH_NUMBER}/inbound (message id ", server.url)), "{text}");
    let expected = format!(
        "-> HTTP 200\ndecision: replied\nthe sender receives this reply now (1 segment, GSM-7), sent through the \
         provider's API:\n{REPLY}\n"
    );
    assert!(text.ends_with(&expected), "{text}");
    let sent = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        ovh.accepted().len() == 1
    });
    assert!(sent, "the reply went through OVHcloud's API");
    let again = send(&["--provider", "ovh", "--to", OVH_NUMBER, "--from", "+33611223344", "réponds !"]);
    assert!(stdout(&again).contains("\ndecision: repeat_sender\n"), "{}", stdout(&again));
    assert_eq!(ovh.accepted().len(), 1, "one reply per sender");

    // Without the operator's token in the configuration, send says what it needs.
    let bare = dir.path().join("no-operator.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace("operator_token = ", "# operator_token = ");
    std::fs::write(&bare, text).unwrap();
    let refused = antirelou(
        dir.path(),
        &[
            "send",
            "--config",
            bare.to_str().unwrap(),
            "--url",
            &server.url,
            "--to",
            OVH_NUMBER,
            "--from",
            "+33622334455",
            "x",
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("needs server.operator_token"));

    let mismatch = send(&["--provider", "plivo", "--to", VONAGE_NUMBER, "--from", "+33611223344", "x"]);
    assert_eq!(mismatch.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mismatch.stderr).contains("whose provider is vonage, not plivo"));
}
