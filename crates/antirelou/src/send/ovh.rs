//! `send` to an OVHcloud number. OVHcloud sends no webhook (antirelou polls
//! each number's inbox), so the message is handed to the number through the
//! operator-only `POST /v1/numbers/{number}/inbound`, exactly as the poller
//! hands a polled one: the same decision, and a paid reply leaves through
//! OVHcloud's API (or the stand-in `api_base` names).

use std::process::ExitCode;

use antirelou_domain::Outcome;
use antirelou_settings::{NumberSettings, Settings};
use anyhow::Context;

use crate::serve::local_url;
use crate::EXIT_BAD_CONFIG;

/// Hands `text` from `from` to the OVHcloud `number`; `url` is `--url`
/// (default: the admin listener, else `server.listen`).
pub fn send(
    settings: &Settings,
    number: &NumberSettings,
    url: Option<&str>,
    from: &str,
    text: &str,
    message_id: String,
) -> anyhow::Result<ExitCode> {
    let Some(token) = &settings.server.operator_token else {
        eprintln!(
            "error: OVHcloud sends no webhook: send hands the message to the number through the operator's \
             API (POST /v1/numbers/{}/inbound), which needs server.operator_token in the configuration",
            number.number
        );
        return Ok(ExitCode::from(EXIT_BAD_CONFIG));
    };
    let base = url.map(str::to_owned).unwrap_or_else(|| {
        let listen = settings.server.admin_listen.as_deref().unwrap_or(&settings.server.listen);
        let port = listen.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or(8080);
        local_url(listen, port)
    });
    let url = format!("{}/v1/numbers/{}/inbound", base.trim_end_matches('/'), number.number);
    let body = serde_json::json!({ "from": from, "text": text, "message_id": message_id });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (status, answer) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(&url)
            .bearer_auth(token.expose())
            .json(&body)
            .send()
            .await
            .with_context(|| format!("sending to {url} (is `antirelou serve` running?)"))?;
        let status = response.status().as_u16();
        anyhow::Ok((status, response.text().await.context("reading the answer")?))
    })?;
    println!("POST {url} (message id {message_id}, as the OVHcloud poller hands it) -> HTTP {status}");
    if !(200..300).contains(&status) {
        println!("refused: {}", answer.trim());
        return Ok(ExitCode::FAILURE);
    }
    let decision: serde_json::Value = serde_json::from_str(&answer).context("reading the decision")?;
    let outcome = decision["outcome"].as_str().and_then(Outcome::from_label);
    print!("{}", super::decision::lines(outcome, number, None, true));
    Ok(ExitCode::SUCCESS)
}

/// A fresh OVHcloud-like message id: digits only, as OVHcloud's ids are.
pub fn message_id(seed: u128) -> String {
    format!("{}", seed % 10u128.pow(18))
}
