//! `antirelou send`: post one webhook exactly as the number's provider
//! would (Twilio, Vonage or Plivo: their fields, their signature over the
//! public URL; `--call`: Twilio's voice webhook of an incoming call) and
//! print the decision (`decision: OUTCOME`, as the server answers it in its
//! `X-Antirelou-Decision` header; from an older server, read from the
//! growth of `antirelou_inbound_total` or `antirelou_calls_total` around
//! the request) with what the sender would receive or the caller hear
//! (`send/decision.rs`). OVHcloud has no webhook
//! (antirelou polls its inbox): its message is handed to the number through
//! the operator's API as the poller would (`send/ovh.rs`).

mod decision;
mod ovh;

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use antirelou_domain::{Outcome, PhoneNumber, ProviderKind};
use antirelou_providers::form::encode_form;
use antirelou_providers::{plivo, twilio, vonage};
use antirelou_settings::{ProviderSettings, Settings};
use antirelou_web::DECISION_HEADER;
use anyhow::Context;

use crate::cli::SendArgs;
use crate::serve::local_url;
use crate::{config, EXIT_BAD_CONFIG};

/// The longest the metrics page may take to answer (it only explains the decision).
const METRICS_TIMEOUT: Duration = Duration::from_secs(2);

pub fn run(args: SendArgs) -> anyhow::Result<ExitCode> {
    let settings = match config::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(bad) => return Ok(bad.into()),
    };
    let to = PhoneNumber::parse(&args.to).context("--to")?;
    let Some((tenant, number)) = settings.find_number(&to) else {
        eprintln!("error: --to {to}: no tenant of this configuration serves that number");
        return Ok(ExitCode::from(EXIT_BAD_CONFIG));
    };
    let kind = args.provider.map_or(tenant.provider.kind(), ProviderKind::from);
    if kind != tenant.provider.kind() {
        eprintln!(
            "error: --to {to} belongs to tenant {}, whose provider is {}, not {kind}",
            tenant.id,
            tenant.provider.kind()
        );
        return Ok(ExitCode::from(EXIT_BAD_CONFIG));
    }
    if args.call && kind != ProviderKind::Twilio {
        eprintln!("error: --call: `send` calls as Twilio only, and --to {to} is served through {kind}");
        return Ok(ExitCode::from(EXIT_BAD_CONFIG));
    }
    let text = args.text.clone().unwrap_or_default();
    if kind == ProviderKind::Ovh {
        let id = args.message_id.clone().unwrap_or_else(|| ovh::message_id(fresh_seed()));
        return ovh::send(&settings, number, args.url.as_deref(), args.from.trim(), &text, id);
    }
    let base = args.url.clone().unwrap_or_else(|| {
        let port = settings.server.listen.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or(8080);
        local_url(&settings.server.listen, port)
    });
    let base = base.trim_end_matches('/').to_owned();
    let public_url = settings.server.public_url.trim_end_matches('/');
    let seed = fresh_seed();
    let from = args.from.trim();
    let webhook = match &tenant.provider {
        ProviderSettings::Twilio { account_sid, auth_token, .. } if args.call => {
            let sid = args.message_id.clone().unwrap_or_else(|| twilio::call_sid_from(seed));
            let params = twilio::voice_form(account_sid, &sid, from, to.as_str());
            let url = format!("{public_url}/webhooks/twilio/voice");
            let signature = twilio::signature(auth_token.expose(), &url, &params);
            Webhook::form_post(&base, "/webhooks/twilio/voice", &params, ("CallSid", sid))
                .header(twilio::SIGNATURE_HEADER, signature)
        }
        ProviderSettings::Twilio { account_sid, auth_token, .. } => {
            let sid = args.message_id.clone().unwrap_or_else(|| twilio::message_sid_from(seed));
            let params = twilio::inbound_form(account_sid, &sid, from, to.as_str(), &text);
            let signature = twilio::signature(auth_token.expose(), &format!("{public_url}/webhooks/twilio"), &params);
            Webhook::form_post(&base, "/webhooks/twilio", &params, ("MessageSid", sid))
                .header(twilio::SIGNATURE_HEADER, signature)
        }
        ProviderSettings::Vonage { api_key, signature_secret, signature_method, .. } => {
            let id = args.message_id.clone().unwrap_or_else(|| vonage::emulate::message_id_from(seed));
            let nonce = vonage::emulate::nonce_from(seed);
            let sms = vonage::emulate::EmulatedSms {
                api_key,
                message_id: &id,
                from,
                to: to.as_str(),
                text: &text,
                timestamp: unix_now(),
                nonce: &nonce,
            };
            let params = vonage::emulate::signed_params(&sms, *signature_method, signature_secret.expose());
            // Vonage's default method: the parameters in the query string.
            Webhook {
                method: reqwest::Method::GET,
                url: format!("{base}/webhooks/vonage?{}", encode_form(&params)),
                shown_url: format!("{base}/webhooks/vonage"),
                headers: Vec::new(),
                body: None,
                id: ("messageId", id),
            }
        }
        ProviderSettings::Plivo { auth_token, .. } => {
            let uuid = args.message_id.clone().unwrap_or_else(|| plivo::emulate::message_uuid_from(seed));
            let params = plivo::emulate::inbound_form(from, to.as_str(), &text, &uuid);
            let nonce = plivo::emulate::nonce_from(seed);
            let (signature, nonce) = plivo::emulate::signed_headers(
                &format!("{public_url}/webhooks/plivo"),
                &params,
                &nonce,
                auth_token.expose(),
            );
            Webhook::form_post(&base, "/webhooks/plivo", &params, ("MessageUUID", uuid))
                .header(plivo::SIGNATURE_HEADER, signature)
                .header(plivo::NONCE_HEADER, nonce)
        }
        ProviderSettings::Ovh { .. } => unreachable!("OVHcloud was answered above"),
    };

    let metrics_url = metrics_url(&settings, &base);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let client = reqwest::Client::new();
    let family = if args.call { CALLS_TOTAL } else { INBOUND_TOTAL };
    let (status, body, outcome) = runtime.block_on(async {
        let before = scrape(&client, &metrics_url).await;
        let (status, body, decided) = webhook.send(&client).await?;
        let outcome = match (decided, before) {
            (Some(decided), _) => Some(decided),
            (None, Some(before)) => {
                scrape(&client, &metrics_url).await.and_then(|after| new_outcome(family, &before, &after, &to))
            }
            (None, None) => None,
        };
        anyhow::Ok((status, body, outcome))
    })?;
    println!("{} {} ({} {}) -> HTTP {}", webhook.method, webhook.shown_url, webhook.id.0, webhook.id.1, status);
    if !(200..300).contains(&status) {
        println!("refused: {}", body.trim());
        return Ok(ExitCode::FAILURE);
    }
    if args.call {
        let said = twilio::twiml_said_text(&body);
        print!("{}", decision::call_lines(outcome.as_deref(), number, said.as_deref()));
        return Ok(ExitCode::SUCCESS);
    }
    let inline = match kind {
        ProviderKind::Twilio => twilio::twiml_reply_text(&body),
        ProviderKind::Plivo => plivo::reply_text(&body),
        ProviderKind::Vonage | ProviderKind::Ovh => None,
    };
    let outcome = outcome.as_deref().and_then(Outcome::from_label);
    let through_api = matches!(kind, ProviderKind::Vonage | ProviderKind::Ovh);
    print!("{}", decision::lines(outcome, number, inline.as_deref(), through_api));
    Ok(ExitCode::SUCCESS)
}

/// One webhook request to post.
struct Webhook {
    method: reqwest::Method,
    url: String,
    /// The URL as printed (without the query string of signed parameters).
    shown_url: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    /// The provider's name of the message id, and its value.
    id: (&'static str, String),
}

impl Webhook {
    fn form_post(base: &str, path: &str, params: &[(String, String)], id: (&'static str, String)) -> Webhook {
        Webhook {
            method: reqwest::Method::POST,
            url: format!("{base}{path}"),
            shown_url: format!("{base}{path}"),
            headers: vec![("Content-Type", "application/x-www-form-urlencoded".to_owned())],
            body: Some(encode_form(params)),
            id,
        }
    }

    fn header(mut self, name: &'static str, value: String) -> Webhook {
        self.headers.push((name, value));
        self
    }

    /// Posts the webhook: the status, the body, and the decision the server
    /// answered in [`DECISION_HEADER`] (`None` from a server without it).
    async fn send(&self, client: &reqwest::Client) -> anyhow::Result<(u16, String, Option<String>)> {
        let mut request = client.request(self.method.clone(), &self.url);
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("sending to {} (is `antirelou serve` running?)", self.shown_url))?;
        let status = response.status().as_u16();
        let decided = response
            .headers()
            .get(DECISION_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|label| label.len() <= 64 && label.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .map(str::to_owned);
        let body = response.text().await.context("reading the answer")?;
        Ok((status, body, decided))
    }
}

/// Where the server serves `/metrics`: `server.metrics_listen` when set, else the webhook base.
fn metrics_url(settings: &Settings, base: &str) -> String {
    match &settings.server.metrics_listen {
        Some(listen) => {
            let port = listen.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or(9090);
            format!("{}/metrics", local_url(listen, port))
        }
        None => format!("{base}/metrics"),
    }
}

async fn scrape(client: &reqwest::Client, url: &str) -> Option<String> {
    let response = client.get(url).timeout(METRICS_TIMEOUT).send().await.ok()?;
    response.status().is_success().then_some(())?;
    response.text().await.ok()
}

const INBOUND_TOTAL: &str = "antirelou_inbound_total";
const CALLS_TOTAL: &str = "antirelou_calls_total";

/// The outcome of `number` whose counter of `family` (`antirelou_inbound_total`
/// or `antirelou_calls_total`) grew between two scrapes.
fn new_outcome(family: &str, before: &str, after: &str, number: &PhoneNumber) -> Option<String> {
    let prefix = format!("{family}{{");
    let counts = |page: &str| -> Vec<(String, f64)> {
        let number_label = format!("number=\"{number}\"");
        page.lines()
            .filter(|line| line.starts_with(&prefix) && line.contains(&number_label))
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                let outcome = series.split("outcome=\"").nth(1)?.split('"').next()?;
                Some((outcome.to_owned(), value.parse().ok()?))
            })
            .collect()
    };
    let before = counts(before);
    counts(after).into_iter().find_map(|(outcome, after)| {
        let was = before.iter().find(|(o, _)| *o == outcome).map_or(0.0, |(_, v)| *v);
        (after > was).then_some(outcome)
    })
}

/// A seed for fresh message ids: the time and the process.
fn fresh_seed() -> u128 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    nanos ^ (u128::from(std::process::id()) << 96)
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_that_grew_is_the_decision() {
        let number = PhoneNumber::parse("+33939000002").unwrap();
        let before = "antirelou_inbound_total{number=\"+33939000002\",outcome=\"replied\",tenant=\"t\"} 1\n\
                      antirelou_inbound_total{number=\"+33939000002\",outcome=\"repeat_sender\",tenant=\"t\"} 0\n\
                      antirelou_inbound_total{number=\"+33939000009\",outcome=\"replied\",tenant=\"t\"} 0\n";
        let after = before.replace("repeat_sender\",tenant=\"t\"} 0", "repeat_sender\",tenant=\"t\"} 1");
        assert_eq!(new_outcome(INBOUND_TOTAL, before, &after, &number).as_deref(), Some("repeat_sender"));
        assert_eq!(new_outcome(CALLS_TOTAL, before, &after, &number), None, "calls are counted apart");
        assert_eq!(new_outcome(INBOUND_TOTAL, before, before, &number), None);
        let other = before.replace(
            "+33939000009\",outcome=\"replied\",tenant=\"t\"} 0",
            "+33939000009\",outcome=\"replied\",tenant=\"t\"} 1",
        );
        assert_eq!(new_outcome(INBOUND_TOTAL, before, &other, &number), None, "another number's decision");
    }
}
