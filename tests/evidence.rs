//! Evidence for a complaint (docs/evidence.md), end to end on real HTTP and
//! a real SQLite file: a flood shields a number whose tenant has an
//! `evidence.recipient`; once the judgement finds the flooders, the
//! incident's bundle is downloaded from the admin API, its `senders.csv.age`
//! opened with Debian's `age` CLI and the collective's identity (made with
//! `age-keygen`), and its manifest's hashes and Ed25519 signature checked.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use antirelou_domain::ManualClock;
use antirelou_evidence::bundle::sha256_hex;
use antirelou_evidence::{signature_verifies, Manifest};

use crate::support::*;

const SIGNING_KEY: &str = "q2V4KY7r8n0Qm3w5T1ZbJ6cXfL9dHs4pA0uGiEoRkMY=";
const PARIS_TOKEN_HEADER: &str = "Bearer paris-admin-token-0123456789";
/// Flooders write this many times each; `flood_messages` is 3.
const FLOOD_MESSAGES: usize = 4;
const FLOODERS: usize = 5;

/// The collective's key pair, made by `age-keygen`: the identity file and the public key.
fn age_keygen(dir: &Path) -> (std::path::PathBuf, String) {
    let identity = dir.join("collectif.key");
    let made = Command::new("age-keygen").arg("-o").arg(&identity).output().expect("age-keygen is installed");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let text = std::fs::read_to_string(&identity).unwrap();
    let public = text.lines().find_map(|l| l.strip_prefix("# public key: ")).expect("public key line").to_owned();
    (identity, public)
}

fn config(dir: &Path, recipient: Option<&str>) -> String {
    let evidence = recipient
        .map(|r| format!("evidence = {{ recipient = \"{r}\", retention = \"30d\", bodies_per_sender = 2 }}\n"))
        .unwrap_or_default();
    let tenants = two_tenants("").replacen("id = \"paris\"\n", &format!("id = \"paris\"\n{evidence}"), 1).replace(
        "shield = { trigger_per_minute = 100000, new_senders_per_minute = 100000, trigger_per_hour = 100000, new_senders_per_hour = 100000, hold = \"1h\", trickle_per_hour = 10, baseline_factor = 0, money_margin_percent = 100000 }",
        "shield = { trigger_per_minute = 1000, new_senders_per_minute = 1, hold = \"1h\", trickle_per_hour = 10, flood_messages = 3 }",
    );
    config_toml(dir, "operator_token = \"operator-token-0123456789\"", &tenants)
        .replace("[privacy]\n", &format!("[privacy]\nevidence_signing_key = \"{SIGNING_KEY}\"\n"))
}

fn flooder(i: usize) -> String {
    format!("+3369912{i:04}")
}

/// A genuine sender answered before the shield, one waiting for their
/// judgement, and five flooders writing four times each.
async fn flood(app: &TestApp) {
    let mut n = 0u64;
    let mut send = |from: String, body: String| {
        n += 1;
        let id = sid(n);
        async move { (from, body, id) }
    };
    let (from, body, id) = send("+33611000001".into(), "Bonjour, c'est Léa, on s'est vues hier".into()).await;
    let answered = app.post_sms(&Sms { body: &body, ..Sms::paris(&from, id) }).await;
    assert_eq!(answered.reply().as_deref(), Some(REPLY), "answered before the shield");
    let (from, body, id) = send("+33611000002".into(), "coucou".into()).await;
    app.post_sms(&Sms { body: &body, ..Sms::paris(&from, id) }).await;
    for round in 0..FLOOD_MESSAGES {
        for i in 0..FLOODERS {
            let (from, body, id) = send(flooder(i), format!("Zx{i}r{round} t'es qui toi ?")).await;
            let answer = app.post_sms(&Sms { body: &body, ..Sms::paris(&from, id) }).await;
            assert_eq!((answer.status, answer.reply()), (200, None), "no reply to a flooder");
        }
    }
}

async fn incidents(app: &TestApp) -> serde_json::Value {
    let url = format!("{}/v1/tenants/paris/incidents", app.admin_url);
    let response = app.client.get(url).header("Authorization", PARIS_TOKEN_HEADER).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().to_owned(), content)
        })
        .collect()
}

/// Runs until the judgement has found the flooders and their rows are sealed.
async fn judged(app: &TestApp, clock: &ManualClock, sealed: bool) -> serde_json::Value {
    // The arrivals' 10-minute slot is judged 10 minutes after it ends.
    clock.advance_seconds(21 * 60);
    let mut last = serde_json::Value::Null;
    let done = eventually(Duration::from_secs(20), || {
        // Counters are written every few seconds of the (stopped) clock.
        clock.advance_seconds(6);
        let app = &app;
        async move {
            let listed = incidents(app).await;
            let incident = &listed["incidents"][0];
            incident["flooders"] == FLOODERS && (!sealed || incident["sealed_files"] == 1)
        }
    })
    .await;
    if done {
        last = incidents(app).await;
    }
    assert!(done, "the flooders were judged: {}", incidents(app).await);
    last
}

async fn bundle(app: &TestApp, id: &serde_json::Value) -> BTreeMap<String, Vec<u8>> {
    let url = format!("{}/v1/tenants/paris/incidents/{id}/evidence", app.admin_url);
    let response = app.client.get(url).header("Authorization", PARIS_TOKEN_HEADER).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    unzip(&response.bytes().await.unwrap())
}

fn check_manifest(files: &BTreeMap<String, Vec<u8>>) -> Manifest {
    let manifest: Manifest = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let listed: Vec<&String> = manifest.files.keys().collect();
    let present: Vec<&String> = files.keys().filter(|n| !n.starts_with("manifest.json")).collect();
    assert_eq!(listed, present, "the manifest hashes every other file");
    for (name, hash) in &manifest.files {
        assert_eq!(&sha256_hex(&files[name]), hash, "{name}'s hash");
    }
    let public_key = manifest.public_key.clone().expect("signed");
    let signature = String::from_utf8(files["manifest.json.sig"].clone()).unwrap();
    assert!(signature_verifies(&public_key, &files["manifest.json"], &signature), "the signature verifies");
    let mut altered = files["manifest.json"].clone();
    altered[10] ^= 1;
    assert!(!signature_verifies(&public_key, &altered, &signature), "and fails on an altered manifest");
    manifest
}

#[actix_web::test]
async fn the_bundle_of_a_flood_opens_with_the_collectives_age_key_and_lists_only_flooders() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, recipient) = age_keygen(dir.path());
    let clock = midday_clock();
    let app = spawn_app_in_at(dir.path(), &config(dir.path(), Some(&recipient)), clock.clone()).await;
    flood(&app).await;
    let listed = judged(&app, &clock, true).await;
    let incident = &listed["incidents"][0];
    assert_eq!(incident["number"], PARIS_NUMBER);
    assert_eq!(incident["messages"], 1 + FLOODERS * FLOOD_MESSAGES, "every message after the shield came on");
    assert!(incident["ended_at"].is_null(), "the shield is still on");

    let files = bundle(&app, &incident["id"]).await;
    assert_eq!(
        files.keys().map(String::as_str).collect::<Vec<_>>(),
        ["manifest.json", "manifest.json.sig", "report.html", "senders.csv.age", "timeline.csv"]
    );
    let manifest = check_manifest(&files);
    assert_eq!(manifest.recipient.as_deref(), Some(recipient.as_str()));
    let report = String::from_utf8(files["report.html"].clone()).unwrap();
    assert!(report.contains("Incident n°") && report.contains("jugés comme inondant"), "a French report");
    let timeline = String::from_utf8(files["timeline.csv"].clone()).unwrap();
    assert!(timeline.starts_with("start,end,messages,new_senders,replies,flooders,spend,saved\r\n"), "{timeline}");

    // The collective opens the senders file with its identity and Debian's age.
    let sealed = dir.path().join("senders.csv.age");
    std::fs::write(&sealed, &files["senders.csv.age"]).unwrap();
    let opened = Command::new("age").arg("-d").arg("-i").arg(&identity).arg(&sealed).output().expect("age runs");
    assert!(opened.status.success(), "age -d: {}", String::from_utf8_lossy(&opened.stderr));
    let csv = String::from_utf8(opened.stdout).unwrap();
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("number,first_seen,last_seen,messages,bodies,reason"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), FLOODERS, "one row per flooder:\n{csv}");
    for i in 0..FLOODERS {
        let row = rows.iter().find(|r| r.starts_with(&format!("{},", flooder(i)))).expect("each flooder");
        assert!(
            row.contains(&format!(",{FLOOD_MESSAGES},\"Zx{i}r0 t'es qui toi ?\nZx{i}r1 t'es qui toi ?\",flooder")),
            "count and the first two bodies only (bodies_per_sender = 2): {row}"
        );
        assert!(!row.contains(&format!("Zx{i}r2")), "no third body: {row}");
    }
    for genuine in ["+33611000001", "+33611000002", "Léa", "coucou"] {
        assert!(!csv.contains(genuine), "a genuine sender is never kept: {genuine}");
    }
    // The console's page of the attack: figures, the download, how to file a
    // complaint and open the file; never a sender.
    let session = crate::console::sign_in(&app, "paris-admin-token-0123456789").await.expect("signed in");
    let page_url = format!("{}/console/tenants/paris/incidents/{}", app.admin_url, incident["id"]);
    let get = |url: String| app.client.get(url).header("Cookie", format!("antirelou_console={session}")).send();
    let page = get(page_url.clone()).await.unwrap().text().await.unwrap();
    for expected in
        ["Porter plainte", "commissariat", "gendarmerie", "pré-plainte en ligne", "age-keygen", "evidence.zip"]
    {
        assert!(page.contains(expected), "{expected:?} on the attack's page:\n{page}");
    }
    for secret in [flooder(0).as_str(), "Zx0r0", "+33611000001"] {
        assert!(!page.contains(secret), "no sender on the page: {secret}");
    }
    let list = get(format!("{}/console/tenants/paris/incidents", app.admin_url)).await.unwrap().text().await.unwrap();
    assert!(list.contains(&page_url[app.admin_url.len()..]), "the list links the attack");
    let download = get(format!("{page_url}/evidence.zip")).await.unwrap();
    assert_eq!(download.headers()["content-type"], "application/zip");
    assert!(unzip(&download.bytes().await.unwrap()).contains_key("senders.csv.age"));

    // Nobody else opens it: another identity fails.
    let (other, _) = age_keygen(&dir.path().join("other").tap_mkdir());
    let refused = Command::new("age").arg("-d").arg("-i").arg(&other).arg(&sealed).output().unwrap();
    assert!(!refused.status.success(), "another key does not open it");
}

#[actix_web::test]
async fn without_a_recipient_an_incident_is_counted_and_no_sender_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let clock = midday_clock();
    let app = spawn_app_in_at(dir.path(), &config(dir.path(), None), clock.clone()).await;
    flood(&app).await;
    let listed = judged(&app, &clock, false).await;
    let incident = &listed["incidents"][0];
    assert_eq!(incident["sealed_files"], 0);
    let files = bundle(&app, &incident["id"]).await;
    assert_eq!(
        files.keys().map(String::as_str).collect::<Vec<_>>(),
        ["manifest.json", "manifest.json.sig", "report.html", "timeline.csv"]
    );
    let manifest = check_manifest(&files);
    assert_eq!(manifest.recipient, None);
    let report = String::from_utf8(files["report.html"].clone()).unwrap();
    assert!(report.contains("Aucun expéditeur n'a été conservé"));
    let lyon = app
        .client
        .get(format!("{}/v1/tenants/paris/incidents/{}/evidence", app.admin_url, incident["id"]))
        .header("Authorization", "Bearer lyon-admin-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(lyon.status(), 404, "another tenant's incident does not exist for Lyon");
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}
