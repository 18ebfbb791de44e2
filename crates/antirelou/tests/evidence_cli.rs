//! `antirelou evidence list | export` on a ledger file holding an incident
//! and a sealed part: the list shows the incident, the export writes the
//! signed bundle whose senders file Debian's `age` opens with the
//! collective's identity.

mod common;

use std::io::{Cursor, Read};
use std::path::Path;
use std::process::{Command, Output};

use antirelou_evidence::{
    senders_csv, signature_verifies, EvidenceRecipient, IncidentActivity, IncidentCounts, IncidentOpening, KeptBecause,
    Manifest, SealedPart, SenderRow,
};
use antirelou_ledger::{EvidenceStore, SqliteLedger};
use common::BIN;

const SIGNING_KEY: &str = "q2V4KY7r8n0Qm3w5T1ZbJ6cXfL9dHs4pA0uGiEoRkMY=";

fn antirelou(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).env_remove("RUST_LOG").output().unwrap()
}

fn write_config(dir: &Path, recipient: &str) -> String {
    let path = dir.join("antirelou.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[server]
public_url = "https://sms.example.org"

[ledger]
backend = "embedded"
path = "{ledger}"

[privacy]
sender_key = "cli-evidence-sender-key-0123456789"
sealing_key = "cli-evidence-sealing-key-0123456789"
evidence_signing_key = "{SIGNING_KEY}"

[[tenants]]
id = "paris"
evidence = {{ recipient = "{recipient}" }}
provider = {{ kind = "twilio", account_sid = "AC11111111111111111111111111111111", auth_token = "cli-evidence-token" }}

[[tenants.numbers]]
number = "+33612345678"
reply = "Non, c'est non."
price_per_segment = "0.08"
"#,
            ledger = dir.join("ledger.sqlite3").display()
        ),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn evidence_list_shows_an_incident_and_export_writes_its_signed_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let identity = dir.path().join("collectif.key");
    assert!(Command::new("age-keygen").arg("-o").arg(&identity).output().unwrap().status.success());
    let key_text = std::fs::read_to_string(&identity).unwrap();
    let recipient = key_text.lines().find_map(|l| l.strip_prefix("# public key: ")).unwrap().to_owned();
    let config = write_config(dir.path(), &recipient);

    let now = chrono::Utc::now().timestamp_micros();
    let ledger = SqliteLedger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    let opening = IncidentOpening {
        tenant: "paris".into(),
        number: "+33612345678".into(),
        now_micros: now - 7_200_000_000,
        until_micros: now - 3_600_000_000,
    };
    let id = ledger.open_incident(&opening).await.unwrap();
    let counts = IncidentCounts { messages: 420, new_senders: 60, flooders: 12, ..Default::default() };
    let slot = antirelou_evidence::timeline_slot(opening.now_micros);
    ledger.add_incident_activity(&IncidentActivity { incident: id, slot, counts }).await.unwrap();
    let row = SenderRow {
        number: "+33699120001".into(),
        first_seen_micros: opening.now_micros,
        last_seen_micros: opening.now_micros + 60_000_000,
        messages: 35,
        bodies: vec!["t'es où".into()],
        reason: KeptBecause::Flooder,
    };
    let parsed: EvidenceRecipient = recipient.parse().unwrap();
    let sealed = parsed.seal(senders_csv(&[row], chrono_tz::Europe::Paris).as_bytes()).unwrap();
    let part = SealedPart {
        incident: id,
        tenant: "paris".into(),
        part: "replica/1".into(),
        sealed,
        senders: 1,
        written_micros: now,
        expires_micros: now + 86_400_000_000,
    };
    ledger.put_sealed_part(&part, now).await.unwrap();
    drop(ledger);

    let checked = antirelou(dir.path(), &["check-config", "--config", &config]);
    let public_key = antirelou_evidence::EvidenceSigner::from_base64_seed(SIGNING_KEY).unwrap().public_key_base64();
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains(&format!(
            "evidence kept for: paris; bundles are signed with the Ed25519 public key {public_key}"
        )),
        "check-config prints the key to publish"
    );
    let listed = antirelou(dir.path(), &["evidence", "list", "--tenant", "paris", "--config", &config]);
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    assert!(stdout.contains(&format!("incident {id} on +33612345678")), "{stdout}");
    assert!(stdout.contains("420 messages, 60 senders, 12 flooders"), "{stdout}");
    assert!(stdout.contains("1 encrypted senders file(s)"), "{stdout}");

    let zip_path = dir.path().join("incident.zip");
    let zip_arg = zip_path.to_str().unwrap();
    let id_arg = id.to_string();
    let export =
        ["evidence", "export", "--tenant", "paris", "--incident", &id_arg, "--output", zip_arg, "--config", &config];
    let exported = antirelou(dir.path(), &export);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let again = antirelou(dir.path(), &export);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("exists"), "never overwritten");

    let bytes = std::fs::read(&zip_path).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut content = Vec::new();
        archive.by_name(name).unwrap().read_to_end(&mut content).unwrap();
        content
    };
    let manifest_bytes = read("manifest.json");
    let signature = String::from_utf8(read("manifest.json.sig")).unwrap();
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).unwrap();
    assert!(signature_verifies(manifest.public_key.as_deref().unwrap(), &manifest_bytes, &signature));
    let sealed_path = dir.path().join("senders.csv.age");
    std::fs::write(&sealed_path, read("senders.csv.age")).unwrap();
    let opened = Command::new("age").arg("-d").arg("-i").arg(&identity).arg(&sealed_path).output().unwrap();
    assert!(opened.status.success());
    assert!(String::from_utf8_lossy(&opened.stdout).contains("+33699120001,"));

    let missing = antirelou(
        dir.path(),
        &["evidence", "export", "--tenant", "paris", "--incident", "999", "--output", "x.zip", "--config", &config],
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("paris has no incident 999"));
    let stranger = antirelou(dir.path(), &["evidence", "list", "--tenant", "lyon", "--config", &config]);
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("no tenant \"lyon\""));
}
