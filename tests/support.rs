//! `spawn_app` and friends: a real server per test, its own ledger file and
//! Prometheus registry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use antirelou_domain::{ManualClock, SharedClock, SystemClock};
use antirelou_engine::NumberRegistry;
use antirelou_ledger::{Ledger, SqliteLedger};
use antirelou_providers::twilio;
use antirelou_settings::Settings;
pub use antirelou_test_support::eventually;
use antirelou_test_support::metric_value;
use antirelou_web::Application;

pub const PARIS_SID: &str = "AC11111111111111111111111111111111";
pub const PARIS_TOKEN: &str = "paris-auth-token-for-tests";
pub const LYON_SID: &str = "AC22222222222222222222222222222222";
pub const LYON_TOKEN: &str = "lyon-auth-token-for-tests";
pub const PARIS_NUMBER: &str = "+33612345678";
pub const LYON_NUMBER: &str = "+33612345671";
/// 134 GSM-7 characters: one segment, 0.08 per reply.
pub const REPLY: &str = "Bonjour. Vous avez mis mal a l'aise la personne qui vous a donne ce numero. Non, c'est non. Merci de la laisser tranquille.";
pub const COST_MICROS: i64 = 80_000;

/// The `[server]`, `[ledger]` and `[privacy]` sections for a test in `dir`,
/// followed by `tenants` (TOML with `[[tenants]]` tables).
pub fn config_toml(dir: &Path, server_extra: &str, tenants: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "https://sms.example.org"
{server_extra}

[ledger]
backend = "embedded"
path = "{ledger}"
timezone = "Europe/Paris"

[privacy]
sender_key = "integration-test-sender-key-0123456789"
sealing_key = "integration-test-sealing-key-0123456789"

{tenants}
"#,
        ledger = dir.join("ledger.sqlite3").display()
    )
}

/// Paris (one number, the given extra keys) and Lyon (one number).
pub fn two_tenants(paris_number_extra: &str) -> String {
    format!(
        r#"
[[tenants]]
id = "paris"
admin_token = "paris-admin-token-0123456789"
provider = {{ kind = "twilio", account_sid = "{PARIS_SID}", auth_token = "{PARIS_TOKEN}" }}

[[tenants.numbers]]
number = "{PARIS_NUMBER}"
reply = "{REPLY}"
price_per_segment = "0.08"
allowed_countries = ["FR", "BE"]
max_replies_per_minute = 100000
shield = {{ trigger_per_minute = 100000, new_senders_per_minute = 100000, trigger_per_hour = 100000, new_senders_per_hour = 100000, hold = "1h", trickle_per_hour = 10, baseline_factor = 0, money_margin_percent = 100000 }}
{paris_number_extra}

[[tenants]]
id = "lyon"
admin_token = "lyon-admin-token-0123456789"
provider = {{ kind = "twilio", account_sid = "{LYON_SID}", auth_token = "{LYON_TOKEN}" }}

[[tenants.numbers]]
number = "{LYON_NUMBER}"
reply = "{REPLY}"
price_per_segment = "0.08"
"#
    )
}

pub struct TestApp {
    /// `server.listen`: webhooks, health, and what the others do not take.
    pub base_url: String,
    /// The admin API's base URL: `server.admin_listen` when set, else `base_url`.
    pub admin_url: String,
    /// `/metrics`'s base URL: `server.metrics_listen` when set, else `base_url`.
    pub metrics_url: String,
    /// `server.console_listen` (the public side: no operator token) when set, else `admin_url`.
    pub console_url: String,
    pub port: u16,
    pub dir: PathBuf,
    pub registry: NumberRegistry,
    pub ledger: Arc<dyn Ledger>,
    pub handle: ServerHandle,
    pub client: reqwest::Client,
    pub settings: Settings,
    /// Resolves when `run_until_stopped` has returned (the ledger flushed).
    stopped: Option<tokio::sync::oneshot::Receiver<std::io::Result<()>>>,
    _tempdir: Option<tempfile::TempDir>,
}

/// Validated settings and their embedded ledger.
pub fn settings_and_ledger(toml: &str) -> (Settings, Arc<dyn Ledger>) {
    let settings = Settings::from_toml_str_with_env(toml, std::iter::empty::<(String, String)>())
        .unwrap_or_else(|e| panic!("test configuration is invalid:\n{e}"));
    let ledger: Arc<dyn Ledger> = match &settings.ledger.backend {
        antirelou_settings::LedgerBackend::Embedded { path } => Arc::new(SqliteLedger::open(path).unwrap()),
        antirelou_settings::LedgerBackend::Redis { .. } => panic!("use spawn_app_with_ledger for redis"),
    };
    (settings, ledger)
}

pub async fn spawn_app_with_ledger(dir: &Path, settings: Settings, ledger: Arc<dyn Ledger>) -> TestApp {
    spawn_app_with_clock(dir, settings, ledger, Arc::new(SystemClock)).await
}

pub async fn spawn_app_with_clock(
    dir: &Path,
    settings: Settings,
    ledger: Arc<dyn Ledger>,
    clock: antirelou_domain::SharedClock,
) -> TestApp {
    spawn_app_with_hooks(dir, settings, ledger, clock, antirelou_web::AppHooks::default()).await
}

/// Like [`spawn_app_with_clock`], with application hooks (a configuration
/// source for reloads, ...).
pub async fn spawn_app_with_hooks(
    dir: &Path,
    settings: Settings,
    ledger: Arc<dyn Ledger>,
    clock: antirelou_domain::SharedClock,
    hooks: antirelou_web::AppHooks,
) -> TestApp {
    let app = Application::build_with(&settings, Arc::clone(&ledger), clock, hooks).unwrap();
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let admin_url = app.admin_port().map_or_else(|| base_url.clone(), |port| format!("http://127.0.0.1:{port}"));
    let metrics_url = app.metrics_port().map_or_else(|| base_url.clone(), |port| format!("http://127.0.0.1:{port}"));
    let console_url = app.console_port().map_or_else(|| admin_url.clone(), |port| format!("http://127.0.0.1:{port}"));
    let port = app.port();
    let registry = app.registry().clone();
    let handle = app.handle();
    let (stopped_tx, stopped) = tokio::sync::oneshot::channel();
    actix_web::rt::spawn(async move {
        let _ = stopped_tx.send(app.run_until_stopped().await);
    });
    TestApp {
        base_url,
        admin_url,
        metrics_url,
        console_url,
        port,
        dir: dir.to_owned(),
        registry,
        ledger,
        handle,
        client: reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap(),
        settings,
        stopped: Some(stopped),
        _tempdir: None,
    }
}

/// Starts the application in a fresh temporary directory; `make_toml` gets that directory.
pub async fn spawn_app(make_toml: impl FnOnce(&Path) -> String) -> TestApp {
    spawn_app_at(make_toml, Arc::new(SystemClock)).await
}

/// [`spawn_app`] on `clock` (e.g. [`midday_clock`]).
pub async fn spawn_app_at(make_toml: impl FnOnce(&Path) -> String, clock: SharedClock) -> TestApp {
    let tempdir = tempfile::tempdir().unwrap();
    let toml = make_toml(tempdir.path());
    let mut app = spawn_app_in_at(tempdir.path(), &toml, clock).await;
    app._tempdir = Some(tempdir);
    app
}

/// Starts the application on a free port with `toml` (written for `dir`), on `clock`.
pub async fn spawn_app_in_at(dir: &Path, toml: &str, clock: SharedClock) -> TestApp {
    let (settings, ledger) = settings_and_ledger(toml);
    spawn_app_with_clock(dir, settings, ledger, clock).await
}

/// A clock stopped at 10:30 UTC today (11:30 or 12:30 in Paris): a test
/// with a daily cap, a per-minute limit or an hourly trickle cannot cross
/// a minute, an hour or midnight while it runs, whenever it runs. Today,
/// not a fixed date, so Redis expiries computed from it stay in the future.
pub fn midday_clock() -> Arc<ManualClock> {
    let midday = chrono::Utc::now().date_naive().and_hms_opt(10, 30, 0).expect("10:30 exists").and_utc();
    Arc::new(ManualClock::starting_at(midday))
}

/// Writes `count` entries straight into `dir`'s ledger file before a
/// server opens it (far faster than paying them): `row` is the SQL of one
/// entry's columns `at_micros, tenant, number, kind, amount_micros, count,
/// reference`, where `i` runs from 1 to `count`.
pub fn seed_entries(dir: &Path, count: u64, row: &str) {
    let path = dir.join("ledger.sqlite3");
    drop(antirelou_ledger::SqliteLedger::open(&path).unwrap());
    let connection = rusqlite::Connection::open(&path).unwrap();
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO entries (at_micros, tenant, number, kind, amount_micros, count, reference)
         SELECT {row} FROM n"
    );
    connection.execute(&sql, [count]).unwrap();
}

/// A real-looking Twilio `MessageSid` (`SM` + 32 hex digits), distinct for distinct `n`.
pub fn sid(n: u64) -> String {
    twilio::message_sid_from(u128::from(n))
}

/// What a webhook got back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn reply(&self) -> Option<String> {
        twilio::twiml_reply_text(&self.body)
    }
}

/// One inbound SMS as Twilio would post it.
pub struct Sms<'a> {
    pub to: &'a str,
    pub from: &'a str,
    pub body: &'a str,
    pub message_sid: String,
    pub account_sid: &'a str,
    pub token: &'a str,
}

impl<'a> Sms<'a> {
    pub fn paris(from: &'a str, message_sid: impl Into<String>) -> Sms<'a> {
        Sms {
            to: PARIS_NUMBER,
            from,
            body: "salut",
            message_sid: message_sid.into(),
            account_sid: PARIS_SID,
            token: PARIS_TOKEN,
        }
    }

    pub fn lyon(from: &'a str, message_sid: impl Into<String>) -> Sms<'a> {
        Sms {
            to: LYON_NUMBER,
            from,
            body: "salut",
            message_sid: message_sid.into(),
            account_sid: LYON_SID,
            token: LYON_TOKEN,
        }
    }

    pub fn form(&self) -> Vec<(String, String)> {
        twilio::inbound_form(self.account_sid, &self.message_sid, self.from, self.to, self.body)
    }
}

impl TestApp {
    pub fn webhook_url(&self) -> String {
        format!("{}/webhooks/twilio", self.base_url)
    }

    /// The URL Twilio signs (the configured public URL).
    pub fn signed_url(&self) -> String {
        format!("{}/webhooks/twilio", self.settings.server.public_url)
    }

    pub async fn post_sms(&self, sms: &Sms<'_>) -> Answer {
        let form = sms.form();
        let signature = twilio::signature(sms.token, &self.signed_url(), &form);
        self.post_raw(twilio::encode_form(&form), Some(&signature)).await
    }

    pub async fn post_raw(&self, body: String, signature: Option<&str>) -> Answer {
        let mut request =
            self.client.post(self.webhook_url()).header("Content-Type", "application/x-www-form-urlencoded").body(body);
        if let Some(signature) = signature {
            request = request.header(twilio::SIGNATURE_HEADER, signature);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        Answer { status, content_type, body: response.text().await.unwrap() }
    }

    pub async fn metrics(&self) -> Metrics {
        let text = self.client.get(format!("{}/metrics", self.metrics_url)).send().await.unwrap().text().await.unwrap();
        Metrics(text)
    }

    pub async fn ledger_spend_micros(&self) -> i64 {
        let entries = antirelou_ledger::conformance::all_entries(&*self.ledger, &Default::default()).await;
        entries.iter().filter(|e| e.kind == antirelou_ledger::EntryKind::Reply).map(|e| e.amount.micros()).sum()
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// Stops gracefully and waits until the server has returned, its
    /// ledger flushed.
    pub async fn stop_and_wait(&mut self) -> std::io::Result<()> {
        self.handle.stop(true).await;
        let stopped = self.stopped.take().expect("stopped once");
        stopped.await.expect("the server task reports how it ended")
    }
}

/// A scraped `/metrics` page.
pub struct Metrics(pub String);

impl Metrics {
    /// The value of the series `name{labels}` (labels in any order), 0 when absent.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        metric_value(&self.0, name, labels)
    }

    pub fn outcome(&self, tenant: &str, number: &str, outcome: &str) -> u64 {
        self.value("antirelou_inbound_total", &[("tenant", tenant), ("number", number), ("outcome", outcome)]) as u64
    }

    pub fn rejected(&self, reason: &str) -> u64 {
        self.value("antirelou_webhook_rejected_total", &[("provider", "twilio"), ("reason", reason)]) as u64
    }
}
