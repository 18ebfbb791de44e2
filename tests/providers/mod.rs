//! One deployment with a tenant per provider (Twilio, Vonage, Plivo,
//! OVHcloud), each number's provider API a local stand-in from
//! `antirelou-emulators` (through `api_base`), and what each provider would
//! send us: signed webhooks, or an OVHcloud inbox to poll.
//!
//! - `webhooks.rs`: a message through each provider, the answers and refusals of each route.
//! - `flood.rs`: two replicas on one real `redis-server`, flooded through every provider.
//! - `polling.rs`: the OVHcloud poller: double polling, leases.
//! - `health.rs`: the connection test and the send API failing, in the numbers' health.

mod flood;
mod health;
mod polling;
mod webhooks;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use antirelou_emulators::{
    start_ovh, start_plivo, start_twilio, start_vonage, AcceptedSms, Emulator, OvhAccount, OvhEmulator, PlivoAccount,
    TwilioAccount, VonageAccount,
};
use antirelou_ledger::redis_server::RedisServer;
use antirelou_ledger::{Ledger, RedisLedger};
use antirelou_providers::form::encode_form;
use antirelou_providers::vonage::{self, SignatureMethod};
use antirelou_providers::{plivo, twilio};
use antirelou_settings::Settings;

use crate::support::{config_toml, spawn_app_with_ledger, Answer, Sms, TestApp};

pub const TWILIO_NUMBER: &str = "+33939000001";
pub const VONAGE_NUMBER: &str = "+33939000002";
pub const PLIVO_NUMBER: &str = "+33939000003";
pub const OVH_NUMBER: &str = "+33939000004";
pub const OVH_PATH_NUMBER: &str = "0033939000004";

pub const TWILIO_SID: &str = "AC33333333333333333333333333333333";
pub const TWILIO_TOKEN: &str = "twilio-auth-token-of-the-paris-tenant";
pub const VONAGE_KEY: &str = "vonagekey1";
pub const VONAGE_SECRET: &str = "vonage-api-secret-of-the-lille-tenant";
pub const VONAGE_SIGNATURE_SECRET: &str = "vonage-signature-secret-of-the-lille-tenant";
pub const VONAGE_METHOD: SignatureMethod = SignatureMethod::Sha256;
pub const PLIVO_ID: &str = "MANWVLYTK4ZWU1YTY4QA";
pub const PLIVO_TOKEN: &str = "plivo-auth-token-of-the-lyon-tenant";
pub const OVH_APP_KEY: &str = "ovhappkey1";
pub const OVH_APP_SECRET: &str = "ovh-application-secret-of-marseille";
pub const OVH_CONSUMER_KEY: &str = "ovh-consumer-key-of-marseille-tenant";
pub const OVH_SERVICE: &str = "sms-ab12345-1";

/// The reply of every number: 40 GSM-7 characters, one segment, 0.08.
pub const REPLY: &str = "Non, c'est non. Laissez-la tranquille.";
pub const COST_MICROS: i64 = 80_000;

/// The stand-ins of the four providers' APIs.
pub struct Providers {
    pub twilio: Emulator,
    pub vonage: Emulator,
    pub plivo: Emulator,
    pub ovh: OvhEmulator,
}

impl Providers {
    pub fn start() -> Providers {
        Providers {
            twilio: start_twilio(TwilioAccount { account_sid: TWILIO_SID.into(), auth_token: TWILIO_TOKEN.into() })
                .unwrap(),
            vonage: start_vonage(VonageAccount { api_key: VONAGE_KEY.into(), api_secret: VONAGE_SECRET.into() })
                .unwrap(),
            plivo: start_plivo(PlivoAccount { auth_id: PLIVO_ID.into(), auth_token: PLIVO_TOKEN.into() }).unwrap(),
            ovh: start_ovh(OvhAccount {
                application_key: OVH_APP_KEY.into(),
                application_secret: OVH_APP_SECRET.into(),
                consumer_key: OVH_CONSUMER_KEY.into(),
                service_name: OVH_SERVICE.into(),
                number: OVH_PATH_NUMBER.into(),
                clock_skew_secs: 0,
            })
            .unwrap(),
        }
    }

    /// `[[tenants]]` of the four providers, one number each, every number
    /// with `number_extra` TOML lines.
    pub fn tenants(&self, number_extra: &str) -> String {
        let number = |number: &str| {
            format!(
                r#"
[[tenants.numbers]]
number = "{number}"
reply = "{REPLY}"
price_per_segment = "0.08"
allowed_countries = ["FR"]
max_replies_per_minute = 100000
shield = {{ trigger_per_minute = 100000, new_senders_per_minute = 100000, hold = "1h", trickle_per_hour = 10, baseline_factor = 0, money_margin_percent = 100000 }}
{number_extra}
"#
            )
        };
        format!(
            r#"
[[tenants]]
id = "paris"
provider = {{ kind = "twilio", account_sid = "{TWILIO_SID}", auth_token = "{TWILIO_TOKEN}", api_base = "{twilio}" }}
{paris}

[[tenants]]
id = "lille"
provider = {{ kind = "vonage", api_key = "{VONAGE_KEY}", api_secret = "{VONAGE_SECRET}", signature_secret = "{VONAGE_SIGNATURE_SECRET}", signature_method = "{method}", api_base = "{vonage}" }}
{lille}

[[tenants]]
id = "lyon"
provider = {{ kind = "plivo", auth_id = "{PLIVO_ID}", auth_token = "{PLIVO_TOKEN}", api_base = "{plivo}" }}
{lyon}

[[tenants]]
id = "marseille"
provider = {{ kind = "ovh", application_key = "{OVH_APP_KEY}", application_secret = "{OVH_APP_SECRET}", consumer_key = "{OVH_CONSUMER_KEY}", service_name = "{OVH_SERVICE}", poll_interval = "1s", api_base = "{ovh}" }}
{marseille}
"#,
            twilio = self.twilio.api_base(),
            vonage = self.vonage.api_base(),
            plivo = self.plivo.api_base(),
            ovh = self.ovh.api_base(),
            method = VONAGE_METHOD.as_str(),
            paris = number(TWILIO_NUMBER),
            lille = number(VONAGE_NUMBER),
            lyon = number(PLIVO_NUMBER),
            marseille = number(OVH_NUMBER),
        )
    }
}

/// The validated settings of the four-provider deployment in `dir`.
pub fn settings(dir: &Path, providers: &Providers, number_extra: &str) -> Settings {
    let toml = config_toml(dir, "decision_timeout_ms = 2000", &providers.tenants(number_extra));
    Settings::from_toml_str_with_env(&toml, std::iter::empty::<(String, String)>())
        .unwrap_or_else(|e| panic!("test configuration is invalid:\n{e}"))
}

/// A ledger on `redis` under `prefix`, as every replica opens it.
pub async fn redis_ledger(redis: &RedisServer, prefix: &str) -> Arc<dyn Ledger> {
    Arc::new(RedisLedger::connect(&redis.url(), prefix, Duration::from_secs(2), Duration::from_secs(2)).await.unwrap())
}

/// One replica of the deployment on `ledger`.
pub async fn replica(dir: &Path, providers: &Providers, number_extra: &str, ledger: Arc<dyn Ledger>) -> TestApp {
    spawn_app_with_ledger(dir, settings(dir, providers, number_extra), ledger).await
}

/// Posts a Twilio webhook from `from` with the given `MessageSid`.
pub async fn text_twilio(app: &TestApp, from: &str, message_sid: String) -> Answer {
    let sms = Sms {
        to: TWILIO_NUMBER,
        from,
        body: "on se revoit ?",
        message_sid,
        account_sid: TWILIO_SID,
        token: TWILIO_TOKEN,
    };
    app.post_sms(&sms).await
}

/// The `GET /webhooks/vonage` query Vonage would send, signed, at `timestamp`.
pub fn vonage_query(from: &str, message_id: &str, timestamp: i64) -> String {
    let nonce = vonage::emulate::nonce_from(u128::from(timestamp.unsigned_abs()) ^ 7);
    let sms = vonage::emulate::EmulatedSms {
        api_key: VONAGE_KEY,
        message_id,
        from,
        to: VONAGE_NUMBER,
        text: "on se revoit ?",
        timestamp,
        nonce: &nonce,
    };
    encode_form(&vonage::emulate::signed_params(&sms, VONAGE_METHOD, VONAGE_SIGNATURE_SECRET))
}

/// Sends a Vonage webhook (`GET` with its query) and returns the status.
pub async fn get_vonage(app: &TestApp, query: &str) -> Answer {
    let response = app.client.get(format!("{}/webhooks/vonage?{query}", app.base_url)).send().await.unwrap();
    answer(response).await
}

/// Posts a Plivo webhook from `from` with the given `MessageUUID`.
pub async fn text_plivo(app: &TestApp, from: &str, message_uuid: &str) -> Answer {
    let form = plivo::emulate::inbound_form(from, PLIVO_NUMBER, "on se revoit ?", message_uuid);
    let url = format!("{}/webhooks/plivo", app.settings.server.public_url);
    let (signature, nonce) = plivo::emulate::signed_headers(&url, &form, "31627761595286130198", PLIVO_TOKEN);
    let response = app
        .client
        .post(format!("{}/webhooks/plivo", app.base_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header(plivo::SIGNATURE_HEADER, signature)
        .header(plivo::NONCE_HEADER, nonce)
        .body(encode_form(&form))
        .send()
        .await
        .unwrap();
    answer(response).await
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    Answer { status, content_type, body: response.text().await.unwrap() }
}

/// The recipients of accepted messages, with their `+` (Vonage writes none).
pub fn recipients(accepted: &[AcceptedSms]) -> Vec<String> {
    accepted.iter().map(|sms| format!("+{}", sms.to.trim_start_matches('+'))).collect()
}

/// A French mobile sender, distinct for distinct `i`.
pub fn sender(i: usize) -> String {
    format!("+3361{i:07}")
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Twilio MessageSid, distinct for distinct (`provider`, `i`).
pub fn twilio_sid(i: usize) -> String {
    twilio::message_sid_from(0x7711_0000_0000 + i as u128)
}
