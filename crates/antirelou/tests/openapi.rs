//! The admin API against its own OpenAPI document: docs/admin-api.md's
//! endpoint table is the document's; schemathesis (PyPI, with the venv of
//! `ANTIRELOU_PYTHON`) finds no 5xx and no response outside the schema with
//! the operator's and each tenant's token; a tenant never reaches another
//! tenant's things (404 on every path of theirs).

mod common;

use std::path::Path;
use std::process::Command;

use common::{Server, BIN};

const OPERATOR: &str = "operator-token-0123456789";
const PARIS: &str = "paris-admin-token-0123456789";
const LYON: &str = "lyon-admin-token-0123456789";
const PARIS_NUMBER: &str = "+33612345678";
/// A closed port: the connection test answers at once, never a real provider.
const NO_PROVIDER: &str = "http://127.0.0.1:9";

fn write_config(dir: &Path) -> String {
    let path = dir.join("antirelou.toml");
    let text = format!(
        r#"
[server]
public_url = "https://sms.example.org"
operator_token = "{OPERATOR}"

[ledger]
backend = "embedded"
path = "{ledger}"

[privacy]
sender_key = "openapi-test-sender-key-0123456789"
sealing_key = "openapi-test-sealing-key-0123456789"

[[tenants]]
id = "paris"
admin_token = "{PARIS}"
monthly_cap = "50.00"
provider = {{ kind = "twilio", account_sid = "AC11111111111111111111111111111111", auth_token = "paris-auth-token", api_base = "{NO_PROVIDER}" }}

[[tenants.numbers]]
number = "{PARIS_NUMBER}"
reply = "Non, c'est non."
price_per_segment = "0.08"
daily_cap = "5.00"

[[tenants]]
id = "lyon"
admin_token = "{LYON}"
prepaid = true
provider = {{ kind = "twilio", account_sid = "AC22222222222222222222222222222222", auth_token = "lyon-auth-token", api_base = "{NO_PROVIDER}" }}

[[tenants.numbers]]
number = "+33612345671"
reply = "Non."
price_per_segment = "0.08"
"#,
        ledger = dir.join("ledger.sqlite3").display()
    );
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn the_admin_api_doc_lists_exactly_the_endpoints_of_the_openapi_document() {
    let output = Command::new(BIN).args(["openapi", "--markdown"]).output().unwrap();
    assert!(output.status.success());
    let table = String::from_utf8(output.stdout).unwrap();
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/admin-api.md")).unwrap();
    let start = doc.find("<!-- endpoints:start").expect("docs/admin-api.md has the endpoints block");
    let block = &doc[start..];
    let block = &block[block.find('\n').unwrap() + 1..block.find("<!-- endpoints:end -->").unwrap()];
    assert_eq!(block.trim(), table.trim(), "regenerate the table: antirelou openapi --markdown");
    let json = Command::new(BIN).arg("openapi").output().unwrap();
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[tokio::test]
async fn a_tenant_gets_404_on_every_path_of_another_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let server = Server::start(dir.path(), &["--config", &config]);
    let client = reqwest::Client::new();
    let document: serde_json::Value =
        client.get(format!("{}/v1/openapi.json", server.url)).send().await.unwrap().json().await.unwrap();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.contains("{tenant}") && !path.contains("{number}") {
            continue;
        }
        let concrete = path
            .replace("{tenant}", "paris")
            .replace("{number}", &PARIS_NUMBER.replace('+', "%2B"))
            .replace("{hash}", &"0".repeat(64))
            .replace("{action}", "pause");
        for method in item.as_object().unwrap().keys() {
            let body = match (method.as_str(), path.as_str()) {
                ("post", p) if p.ends_with("top-up") => serde_json::json!({ "amount": "1.00" }),
                ("post", p) if p.ends_with("blocklist") => serde_json::json!({ "number": "+33611111111" }),
                ("patch", _) => serde_json::json!({ "reply": "Lyon écrit ici" }),
                _ => serde_json::json!({}),
            };
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut request = client.request(method.clone(), format!("{}{concrete}", server.url)).bearer_auth(LYON);
            if method == reqwest::Method::POST || method == reqwest::Method::PATCH {
                request = request.json(&body);
            }
            let status = request.send().await.unwrap().status().as_u16();
            assert_eq!(status, 404, "{method} {concrete} with Lyon's token");
            checked += 1;
        }
    }
    assert!(checked >= 12, "every tenant path was tried ({checked})");
    let paris = client.get(format!("{}/v1/numbers", server.url)).bearer_auth(LYON).send().await.unwrap();
    let listed = paris.text().await.unwrap();
    assert!(!listed.contains(PARIS_NUMBER), "Lyon's list never shows Paris's number");
}

#[test]
fn schemathesis_finds_no_server_error_and_no_response_outside_the_schema_with_any_token() {
    let Ok(python) = std::env::var("ANTIRELOU_PYTHON") else {
        eprintln!("ANTIRELOU_PYTHON is not set: the schemathesis run is in tests/run-all.sh");
        return;
    };
    let schemathesis = Path::new(&python).with_file_name("schemathesis");
    assert!(schemathesis.exists(), "pip install -r tests/python/requirements.txt into {python}'s venv");
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let server = Server::start(dir.path(), &["--config", &config]);
    for token in [OPERATOR, PARIS, LYON] {
        let output = Command::new(&schemathesis)
            .args(["run", &format!("{}/v1/openapi.json", server.url), "--url", &server.url])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args([
                "--checks",
                "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance",
            ])
            .args(["--max-examples", "25", "--seed", "1", "--no-color"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "schemathesis with token {}…:\n{report}", &token[..5]);
    }
}
