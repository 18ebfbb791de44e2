//! `antirelou send`: post one webhook exactly as Twilio would (form fields,
//! signature over the public URL) and print what the sender would receive.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use antirelou_domain::{segments, PhoneNumber};
use antirelou_providers::twilio;
use antirelou_settings::ProviderSettings;
use anyhow::{bail, Context};

use crate::cli::SendArgs;
use crate::config;
use crate::serve::local_url;

pub fn run(args: SendArgs) -> anyhow::Result<ExitCode> {
    let settings = match config::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(bad) => return Ok(bad.into()),
    };
    let to = PhoneNumber::parse(&args.to).context("--to")?;
    let Some((tenant, _)) = settings.find_number(&to) else {
        bail!("--to {to}: no tenant of this configuration serves that number");
    };
    let ProviderSettings::Twilio { account_sid, auth_token, .. } = &tenant.provider else {
        bail!("--to {to}: tenant {} uses {}, and `send` signs as Twilio only", tenant.id, tenant.provider.kind());
    };
    let message_sid = args.message_sid.clone().unwrap_or_else(fresh_message_sid);
    let params = twilio::inbound_form(account_sid, &message_sid, args.from.trim(), to.as_str(), &args.text);
    let signed_url = format!("{}/webhooks/twilio", settings.server.public_url.trim_end_matches('/'));
    let signature = twilio::signature(auth_token.expose(), &signed_url, &params);
    let base = args.url.clone().unwrap_or_else(|| {
        let port = settings.server.listen.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or(8080);
        local_url(&settings.server.listen, port)
    });
    let post_url = format!("{}/webhooks/twilio", base.trim_end_matches('/'));

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (status, body) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(&post_url)
            .header(twilio::SIGNATURE_HEADER, signature)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(twilio::encode_form(&params))
            .send()
            .await
            .with_context(|| format!("posting to {post_url} (is `antirelou serve` running?)"))?;
        let status = response.status();
        let body = response.text().await.context("reading the answer")?;
        anyhow::Ok((status, body))
    })?;
    println!("POST {post_url} (MessageSid {message_sid}) -> HTTP {}", status.as_u16());
    if !status.is_success() {
        println!("refused: {}", body.trim());
        return Ok(ExitCode::FAILURE);
    }
    match twilio::twiml_reply_text(&body) {
        Some(reply) => {
            let count = segments::count(&reply);
            println!("reply ({} segment(s), {}):\n{reply}", count.segments, count.encoding);
        }
        None => println!("no reply (the decision is counted in /metrics: antirelou_inbound_total)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// A MessageSid unique enough for a manual test.
fn fresh_message_sid() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    twilio::message_sid_from(nanos ^ (u128::from(std::process::id()) << 96))
}
