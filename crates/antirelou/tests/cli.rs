//! The `antirelou` binary as an operator uses it: exit codes, messages, the
//! README tour (serve the demo, send, metrics, graceful stop) and the ledger CLI.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::{Server, BIN};

fn antirelou(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).env_remove("RUST_LOG").output().unwrap()
}

fn examples_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Every `env = "NAME"` an example reads, set to a dummy secret of its own
/// (tokens and keys must all be different).
fn example_env(text: &str) -> Vec<(String, String)> {
    text.split("env = \"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(name, _)| name.to_owned()))
        .map(|name| (name.clone(), format!("a-dummy-secret-for-{name}")))
        .collect()
}

#[test]
fn check_config_accepts_every_shipped_example_and_prints_each_number() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let output = Command::new(BIN)
            .args(["check-config", "--config", path.to_str().unwrap()])
            .envs(example_env(&text))
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("configuration OK"), "{stdout}");
        for line in text.lines().filter(|l| l.trim_start().starts_with("number = ")) {
            let number = line.split('"').nth(1).unwrap();
            let row =
                stdout.lines().find(|l| l.contains(number)).unwrap_or_else(|| panic!("{number} missing:\n{stdout}"));
            assert!(row.contains("GSM-7") || row.contains("UCS-2"), "{row}");
            assert!(row.contains("EUR"), "{row}");
        }
    }
}

const VALID: &str = r#"
[server]
public_url = "https://sms.example.org"
[ledger]
path = "ledger.sqlite3"
[privacy]
sender_key = "a-sender-key-of-some-length-0123456789"
sealing_key = "a-sealing-key-of-some-length-0123456789"
[[tenants]]
id = "paris"
provider = { kind = "twilio", account_sid = "AC11111111111111111111111111111111", auth_token = "token-of-paris" }
[[tenants.numbers]]
number = "+33612345678"
reply = "Non, c'est non."
price_per_segment = "0.08"
daily_cap = "5.00"
"#;

#[test]
fn check_config_warns_about_a_french_mobile_number_and_still_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mobile.toml");
    std::fs::write(&config, VALID).unwrap();
    let output = antirelou(dir.path(), &["check-config", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("configuration OK"));
    assert!(
        stderr.starts_with("warning: tenants[0].numbers[0].number: +33612345678 is a French mobile number"),
        "{stderr}"
    );
    assert!(stderr.contains("ARCEP decision 2022-1583") && stderr.contains("docs/providers.md"), "{stderr}");

    std::fs::write(&config, VALID.replace("+33612345678", "+33937000001")).unwrap();
    let output = antirelou(dir.path(), &["check-config", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "a technical-platform number gets no warning");
}

#[test]
fn check_config_accepts_a_redis_master_found_through_sentinel() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sentinel.toml");
    let sentinel = "[ledger]\nbackend = \"redis\"\nredis_sentinels = [\"10.0.0.1:26379\", \"10.0.0.2:26379\", \"10.0.0.3:26379\"]\n\
                    redis_master_name = \"antirelou\"\nredis_password = \"a-redis-password\"";
    std::fs::write(&config, VALID.replacen("[ledger]", sentinel, 1).replace("+33612345678", "+33937000001")).unwrap();
    let output = antirelou(dir.path(), &["check-config", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("a-redis-password") && !String::from_utf8_lossy(&output.stdout).contains("a-redis-password")
    );
}

#[test]
fn each_kind_of_bad_config_exits_2_and_names_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("price_per_segment = \"0.08\"", "price_per_segment = \"abc\"", "tenants[0].numbers[0].price_per_segment"),
        ("daily_cap = \"5.00\"", "daily_cap = \"-5\"", "tenants[0].numbers[0].daily_cap"),
        ("daily_cap = \"5.00\"", "daily_cap = \"0.0000001\"", "tenants[0].numbers[0].daily_cap"),
        ("daily_cap = \"5.00\"", "daily_cap = 5.5", "tenants[0].numbers[0].daily_cap"),
        ("number = \"+33612345678\"", "number = \"0612345678\"", "tenants[0].numbers[0].number"),
        ("reply = \"Non, c'est non.\"", "reply = \"\"", "tenants[0].numbers[0].reply"),
        (
            "daily_cap = \"5.00\"",
            "daily_cap = \"5.00\"\nreply_once_per = \"forever\"",
            "tenants[0].numbers[0].reply_once_per",
        ),
        ("[ledger]", "[ledger]\ntimezone = \"Mars/Olympus\"", "ledger.timezone"),
        ("[ledger]", "[ledger]\nbackend = \"redis\"", "ledger.redis_url"),
        (
            "[ledger]",
            "[ledger]\nbackend = \"redis\"\nredis_url = \"redis://r:6379\"\nredis_sentinels = [\"10.0.0.1:26379\"]",
            "ledger.redis_sentinels",
        ),
        (
            "[ledger]",
            "[ledger]\nbackend = \"redis\"\nredis_sentinels = [\"10.0.0.1:26379\"]",
            "ledger.redis_master_name",
        ),
        (
            "sender_key = \"a-sender-key-of-some-length-0123456789\"",
            "sender_key = { env = \"ANTIRELOU_TEST_UNSET_SECRET\" }",
            "privacy.sender_key",
        ),
        (
            "auth_token = \"token-of-paris\"",
            "auth_token = { file = \"/nonexistent/token\" }",
            "tenants[0].provider.auth_token",
        ),
        ("id = \"paris\"", "id = \"paris\"\nmontly_cap = \"10\"", "tenants[0].montly_cap"),
        ("public_url = \"https://sms.example.org\"", "public_url = \"sms.example.org\"", "server.public_url"),
    ];
    for (from, to, key) in cases {
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, VALID.replacen(from, to, 1)).unwrap();
        let output = antirelou(dir.path(), &["check-config", "--config", config.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{to}: {stderr}");
        assert!(stderr.contains(key), "{to}: expected {key} in:\n{stderr}");
    }
    // Several problems are all reported at once.
    let config = dir.path().join("many.toml");
    std::fs::write(
        &config,
        VALID.replace("\"0.08\"", "\"abc\"").replace("+33612345678", "nope").replace("Europe", "x"),
    )
    .unwrap();
    let output = antirelou(dir.path(), &["check-config", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("price_per_segment") && stderr.contains("numbers[0].number"), "{stderr}");
    // A missing file is a bad config too.
    let output = antirelou(dir.path(), &["check-config", "--config", "missing.toml"]);
    assert_eq!(output.status.code(), Some(2));
    // serve refuses the same way, before binding anything.
    let output = antirelou(dir.path(), &["serve", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn simulate_replays_a_traffic_file_and_a_malformed_line_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../simulator/traffic/sample.jsonl");
    let out = dir.path().join("out");
    let output = antirelou(
        dir.path(),
        &["simulate", "--traffic", sample.to_str().unwrap(), "--json", "--no-progress", "--out", out.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((report["scenario"].as_str(), report["messages"].as_u64()), (Some("sample"), Some(10)));
    assert_eq!((report["spend"].as_str(), report["genuine_answered"].as_u64()), (Some("0.64"), Some(3)));
    assert_eq!(report["invariants"]["violations"], serde_json::json!([]));
    assert!(out.join("report.json").exists() && out.join("spend.svg").exists());

    // --daily-cap applies to traffic files: two replies fit under 0.32. New
    // senders arrive faster than such a cap affords, so the shield's money
    // rule defers them after the first reply: one more is answered later and
    // the other two find no money left when they are judged.
    let capped = antirelou(
        dir.path(),
        &["simulate", "--traffic", sample.to_str().unwrap(), "--daily-cap", "0.32", "--json", "--no-progress"],
    );
    let report: serde_json::Value = serde_json::from_slice(&capped.stdout).unwrap();
    assert_eq!((report["spend"].as_str(), report["replies"].as_u64()), (Some("0.32"), Some(2)));
    assert_eq!(
        (report["outcomes"]["replied"].as_u64(), report["deferred_results"]["sent"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["deferred_results"]["dropped_budget"].as_u64(), Some(2));
    assert_eq!(report["invariants"]["violations"], serde_json::json!([]));

    let good = r#"{"at": "2026-03-07T17:00:00Z", "from": "+33611111111"}"#;
    for (bad, expected) in [
        (r#"{"at": "2026-03-07T25:00:00Z", "from": "+33611111111"}"#, "line 3: at: not an RFC 3339 time"),
        (r#"{"from": "+33611111111"}"#, "line 3: not a traffic line (column 24): missing field `at`"),
        (r#"{"at": "2026-03-07T17:00:00Z", "from": "+33611111111", "grup": "attack"}"#, "line 3: not a traffic line"),
        ("not json", "line 3: not a traffic line"),
    ] {
        let file = dir.path().join("bad.jsonl");
        std::fs::write(&file, format!("{good}\n\n{bad}\n{good}\n")).unwrap();
        let output = antirelou(dir.path(), &["simulate", "--traffic", file.to_str().unwrap(), "--no-progress"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains(expected), "{bad}: expected {expected:?} in {stderr:?}");
        assert!(output.stdout.is_empty(), "nothing is replayed from a bad file");
    }
    let output = antirelou(dir.path(), &["simulate", "--traffic", "missing.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read missing.jsonl"));
    // Generator knobs make no sense with a traffic file.
    let output = antirelou(dir.path(), &["simulate", "--traffic", sample.to_str().unwrap(), "--seed", "3"]);
    assert_eq!(output.status.code(), Some(2), "clap refuses conflicting flags");
}

#[test]
fn the_readme_tour_works_serve_the_demo_send_twice_read_metrics_stop_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let url = server.url.clone();
    let send = |from: &str| {
        let output = antirelou(
            dir.path(),
            &["send", "--url", &url, "--to", "+33612345678", "--from", from, "tu me donnes ton 06 ?"],
        );
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let first = send("+33611223344");
    assert!(first.contains("HTTP 200\ndecision: replied\n") && first.contains("Non, c'est non"), "{first}");
    let second = send("+33611223344");
    assert!(second.contains("\ndecision: repeat_sender\nno reply: this sender already got the reply"), "{second}");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let metrics =
        runtime.block_on(async { reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap() });
    assert!(
        metrics.contains(r#"antirelou_inbound_total{number="+33612345678",outcome="replied",tenant="demo"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"antirelou_inbound_total{number="+33612345678",outcome="repeat_sender",tenant="demo"} 1"#)
    );

    let status = server.terminate(Duration::from_secs(20));
    assert!(status.success(), "graceful exit: {status:?}");
    assert!(dir.path().join("data/ledger.sqlite3").exists(), "demo ledger under ./data");

    // The ledger CLI reads what the server recorded.
    let entries = antirelou(dir.path(), &["ledger", "entries", "--format", "csv"]);
    let csv = String::from_utf8(entries.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[1].contains(",demo,+33612345678,reply,0.08,EUR,1,SM"), "{csv}");
    // The demo is not prepaid: a top-up would pay for nothing, and is refused with how to change that.
    let top_up =
        antirelou(dir.path(), &["ledger", "top-up", "--tenant", "demo", "--amount", "12.50", "--note", "gala"]);
    let refusal = String::from_utf8_lossy(&top_up.stderr);
    assert!(!top_up.status.success(), "{refusal}");
    assert!(refusal.contains("tenant demo is not prepaid") && refusal.contains("set prepaid = true"), "{refusal}");
    let balances = String::from_utf8(antirelou(dir.path(), &["ledger", "balances"]).stdout).unwrap();
    assert!(balances.contains("demo: this month 0.08 EUR") && balances.contains("no prepaid balance"), "{balances}");
    let json = antirelou(dir.path(), &["ledger", "entries", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 1, "nothing credited");
    assert_eq!(parsed[0]["kind"], "reply");
    let unknown = antirelou(dir.path(), &["ledger", "top-up", "--tenant", "nobody", "--amount", "1"]);
    assert!(!unknown.status.success());
}

#[test]
fn serve_prints_each_listener_on_its_own_line_after_the_webhook_url() {
    let dir = tempfile::tempdir().unwrap();
    let env =
        [("ANTIRELOU__SERVER__ADMIN_LISTEN", "127.0.0.1:0"), ("ANTIRELOU__SERVER__METRICS_LISTEN", "127.0.0.1:0")];
    let (mut server, lines) = Server::start_with(dir.path(), &[], &env, 3);
    let url_after = |line: &str, prefix: &str| {
        let url = line.strip_prefix(prefix).unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"));
        assert!(url.starts_with("http://127.0.0.1:") && url[17..].parse::<u16>().is_ok(), "{line:?}");
        url.to_owned()
    };
    assert!(lines[0].starts_with(&format!("antirelou listening on {} (1 number, ", server.url)), "{lines:?}");
    let admin = url_after(&lines[1], "admin API (/v1, /console) on ");
    let metrics = url_after(&lines[2], "metrics (/metrics) on ");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let status = |url: String| {
        runtime.block_on(async move { reqwest::get(url).await.expect("the listener answers").status().as_u16() })
    };
    assert_eq!(status(format!("{metrics}/metrics")), 200);
    assert_eq!(status(format!("{}/metrics", server.url)), 404, "/metrics moved to its own listener");
    assert_eq!(status(format!("{admin}/v1/numbers")), 401, "the admin API asks for a token on its listener");
    assert_eq!(status(format!("{}/v1/numbers", server.url)), 404, "and is not on the webhook listener");
    for base in [&server.url, &admin, &metrics] {
        assert_eq!(status(format!("{base}/healthz")), 200, "{base}");
    }
    let stopped = server.terminate(Duration::from_secs(20));
    assert!(stopped.success(), "graceful exit: {stopped:?}");
}
