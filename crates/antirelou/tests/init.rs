//! `antirelou init`: with flags (`--non-interactive`) then `serve` answers a
//! signed webhook with nothing edited by hand; the secrets are files of
//! their own, mode 0600, absent from `antirelou.toml`; a second `init`
//! changes nothing without `--force`; bad flags are named. The questions
//! are answered in a real pseudo-terminal, wrong answers included.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use common::{Server, BIN};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "fedcba9876543210fedcba9876543210";

fn antirelou(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).env("RUST_LOG", "error").env_remove("LANG").output().unwrap()
}

fn init_flags(conf: &Path) -> Vec<String> {
    [
        "init",
        "--non-interactive",
        "--lang",
        "en",
        "--dir",
        conf.to_str().unwrap(),
        "--tenant",
        "nousaussi",
        "--provider",
        "twilio",
        "--account-sid",
        SID,
        "--auth-token",
        TOKEN,
        "--number",
        "09 39 12 34 56",
        "--public-url",
        "https://sms.example.org",
        "--daily-cap",
        "5,50",
        "--listen",
        "127.0.0.1:0",
        "--console-listen",
        "127.0.0.1:0",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// Every file under `dir` with its content and modification time.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime)> {
    let mut files = BTreeMap::new();
    for entry in walk(dir) {
        let meta = std::fs::metadata(&entry).unwrap();
        files.insert(entry.display().to_string(), (std::fs::read(&entry).unwrap(), meta.modified().unwrap()));
    }
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn init_with_flags_then_serve_answers_a_signed_webhook_and_a_second_init_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    let args = init_flags(&conf);
    let output = antirelou(dir.path(), &args.iter().map(String::as_str).collect::<Vec<_>>());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("https://sms.example.org/webhooks/twilio   (HTTP POST)"), "the URL to paste: {stdout}");
    assert!(stdout.contains("https://sms.example.org/console/"), "{stdout}");
    assert!(stdout.contains(&format!("Sign in with the token in {}", conf.join("secrets/admin_token").display())));

    // One file per secret, 0600 in a 0700 folder, none of them in antirelou.toml.
    let secrets = conf.join("secrets");
    assert_eq!(std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777, 0o700);
    let toml = std::fs::read_to_string(conf.join("antirelou.toml")).unwrap();
    let mut names: Vec<String> = Vec::new();
    for file in walk(&secrets) {
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "{}", file.display());
        let value = std::fs::read_to_string(&file).unwrap();
        assert!(value.len() >= 32, "{}: a long secret", file.display());
        assert!(!toml.contains(&value), "{} is in antirelou.toml", file.display());
        assert!(toml.contains(&format!("{{ file = \"{}\" }}", file.display())), "{}", file.display());
        names.push(file.file_name().unwrap().to_string_lossy().into_owned());
    }
    names.sort();
    assert_eq!(names, ["admin_token", "auth_token", "operator_token", "sealing_key", "sender_key"]);
    assert!(toml.contains("daily_cap = \"5.50\"") && toml.contains("number = \"+33939123456\""), "{toml}");

    // A second init without --force: exit non-zero, every file untouched.
    let before = snapshot(&conf);
    let again = antirelou(dir.path(), &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists: nothing was changed"));
    assert_eq!(snapshot(&conf), before);

    // serve the written file and text the number as Twilio would.
    let config = conf.join("antirelou.toml");
    let (mut server, lines) = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()], &[], 4);
    assert!(
        lines[1].starts_with("console and collectives' API (/console, /v1; no operator token) on http://127.0.0.1:")
    );
    let sent = antirelou(
        dir.path(),
        &[
            "send",
            "--config",
            config.to_str().unwrap(),
            "--url",
            &server.url,
            "--to",
            "+33939123456",
            "--from",
            "+33611223344",
            "on se voit ?",
        ],
    );
    let stdout = String::from_utf8_lossy(&sent.stdout);
    assert!(sent.status.success(), "{stdout}{}", String::from_utf8_lossy(&sent.stderr));
    assert!(stdout.contains("-> HTTP 200") && stdout.contains("Hello. You made the person"), "{stdout}");
    assert!(server.terminate(Duration::from_secs(20)).success());

    // --force rewrites the answers and keeps the generated keys and tokens.
    let keys: Vec<Vec<u8>> =
        ["sender_key", "sealing_key", "admin_token"].iter().map(|k| std::fs::read(secrets.join(k)).unwrap()).collect();
    let mut forced = args.clone();
    forced.extend(["--force", "--daily-cap", "7"].map(str::to_owned));
    forced.retain(|a| a != "5,50");
    let pos = forced.iter().position(|a| a == "--daily-cap").unwrap();
    forced.remove(pos);
    let output = antirelou(dir.path(), &forced.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(std::fs::read_to_string(&config).unwrap().contains("daily_cap = \"7.00\""));
    let kept: Vec<Vec<u8>> =
        ["sender_key", "sealing_key", "admin_token"].iter().map(|k| std::fs::read(secrets.join(k)).unwrap()).collect();
    assert_eq!(kept, keys, "a new sender_key would forget every sender");
}

#[test]
fn init_with_bad_flags_names_each_of_them_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    let output = antirelou(
        dir.path(),
        &[
            "init",
            "--non-interactive",
            "--lang",
            "en",
            "--dir",
            conf.to_str().unwrap(),
            "--tenant",
            "Nous Aussi",
            "--provider",
            "twilio",
            "--auth-token",
            TOKEN,
            "--number",
            "12",
            "--public-url",
            "https://sms.example.org",
            "--daily-cap",
            "abc",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for expected in [
        "error: --account-sid is required with --non-interactive",
        "error: --tenant: 1 to 40 lowercase letters",
        "error: --number: this is not a phone number",
        "error: --daily-cap: this is not an amount",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
    assert!(!conf.exists(), "nothing written");

    // What only the settings know is named by its flag too.
    let output = antirelou(
        dir.path(),
        &[
            "init",
            "--non-interactive",
            "--dir",
            conf.to_str().unwrap(),
            "--tenant",
            "lyon",
            "--provider",
            "ovh",
            "--application-key",
            "abc",
            "--application-secret",
            "s",
            "--consumer-key",
            "c",
            "--service-name",
            "sms",
            "--number",
            "0939123456",
            "--public-url",
            "https://sms.example.org",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("error: --service-name: expected an OVHcloud SMS account"), "{stderr}");
}

/// The French reply `init` starts from.
const REPLY_FR: &str = "Bonjour. Vous avez mis mal à l'aise la personne qui vous a donné ce numéro. Elle ne souhaite \
                        pas poursuivre. Non, c'est non. Merci de la laisser tranquille.";

/// The status line under the reply: SMS, characters, cost at 0,08 € an SMS.
fn status(reply: &str) -> String {
    let count = antirelou_domain::segments::count(reply);
    let cost = antirelou_domain::Money::from_micros(80_000 * i64::from(count.segments));
    format!("{} SMS, {} caractères, {} € par réponse", count.segments, count.units, cost.to_string().replace('.', ","))
}

#[test]
fn init_asks_in_french_in_a_terminal_asks_again_after_a_wrong_answer_and_shows_the_reply_cost_as_it_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    let mut command = Command::new(BIN);
    command.args(["init", "--dir", conf.to_str().unwrap()]).env("LANG", "fr_FR.UTF-8").env("TERM", "xterm");
    let options = rexpect::reader::Options::new().timeout_ms(Some(30_000)).strip_ansi_escape_codes(true);
    let mut p = rexpect::session::spawn_with_options(command, options).unwrap();
    // rexpect reads the terminal byte by byte, each byte a char: look for
    // the UTF-8 bytes of the text the same way.
    let bytes = |text: &str| -> String { text.bytes().map(char::from).collect() };
    let step = |p: &mut rexpect::session::PtySession, expect: &str, send: &str| {
        p.exp_string(&bytes(expect)).unwrap_or_else(|e| panic!("waiting for {expect:?}: {e}"));
        p.send(send).unwrap();
        p.flush().unwrap();
    };
    step(&mut p, "Langue / Language", "\r");
    step(&mut p, "Nom court de votre collectif", "Mauvais Nom\r");
    step(&mut p, "de 1 à 40 lettres minuscules", "nousaussi\r");
    step(&mut p, "Votre opérateur SMS", "\x1b[B\r"); // OVHcloud, then down to Twilio
    step(&mut p, "Account SID", "AC12\r");
    step(&mut p, "32 hexadecimal digits", &format!("{SID}\r"));
    step(&mut p, "Auth token (caché)", &format!("{TOKEN}\r"));
    step(&mut p, "Le numéro qui répond", "06 11 22 33 44\r");
    step(&mut p, "ARCEP", "");
    step(&mut p, "Garder ce numéro quand même", "\r"); // no: asked again
    step(&mut p, "Le numéro qui répond", "09 39 12 34 56\r");
    step(&mut p, "+33939123456", "");
    step(&mut p, "Prix d'un SMS envoyé", "\r");
    // The reply: its cost at every key; one typographic apostrophe makes it three SMS.
    let plain = status(REPLY_FR);
    let curly = status(&format!("{REPLY_FR} ’"));
    assert!(plain.starts_with("1 SMS, 156 caractères, 0,08 €") && curly.starts_with("3 SMS, "), "{plain} / {curly}");
    step(&mut p, &plain, " ’");
    let why = "ces caractères font passer à 70 caractères par SMS : ’ (remplacez par ')";
    step(&mut p, &format!("{curly} — {why}"), "\x7f\x7f");
    step(&mut p, &plain, "\r");
    step(&mut p, "Au plus combien par jour", "abc\r");
    step(&mut p, "ce n'est pas un montant", "5,50\r");
    step(&mut p, "68 réponses par jour au plus", "");
    step(&mut p, "Au plus combien par mois", "\r");
    step(&mut p, "625 réponses par mois au plus", "");
    step(&mut p, "solde prépayé", "\r");
    step(&mut p, "L'adresse publique de votre serveur", "https://sms.exemple.fr\r");
    p.exp_string(&bytes("Configuration écrite")).unwrap();
    p.exp_string("https://sms.exemple.fr/webhooks/twilio").unwrap();
    p.exp_eof().unwrap();
    let status = p.process().wait().unwrap();
    assert!(matches!(status, rexpect::process::WaitStatus::Exited(_, 0)), "{status:?}");

    let toml = std::fs::read_to_string(conf.join("antirelou.toml")).unwrap();
    for expected in [
        "id = \"nousaussi\"",
        "number = \"+33939123456\"",
        "daily_cap = \"5.50\"",
        "monthly_cap = \"50.00\"",
        "reply = \"Bonjour. Vous avez mis mal",
        "# Au plus ce montant par jour pour ce numéro.",
    ] {
        assert!(toml.contains(expected), "{expected:?} in {toml}");
    }
    let check = antirelou(dir.path(), &["check-config", "--config", conf.join("antirelou.toml").to_str().unwrap()]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
}
