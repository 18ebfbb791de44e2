//! The ceiling of the flood path: a bare actix-web server that parses the
//! same Twilio form into the same struct (`WebhookForm` → `InboundSms`) and
//! answers the same empty TwiML, with no signature check and no decision.
//! `benches/run.sh` measures `antirelou serve` against it.
//!
//! Usage: `bare-twiml [ADDR]` (default `127.0.0.1:8090`). Workers: one per
//! core, like `antirelou serve`.

use actix_web::{web, App, HttpResponse, HttpServer};
use antirelou_providers::twilio::{self, WebhookForm};

async fn inbound(body: web::Bytes) -> HttpResponse {
    let Ok(form) = WebhookForm::parse(&body) else {
        return HttpResponse::BadRequest().finish();
    };
    match form.to_inbound() {
        Ok(sms) => {
            std::hint::black_box(&sms);
            HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(twilio::twiml_empty())
        }
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

fn main() -> std::io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(|| {
            App::new().app_data(web::PayloadConfig::new(64 * 1024)).route("/webhooks/twilio", web::post().to(inbound))
        })
        .bind(&address)?;
        println!("bare-twiml listening on http://{address}");
        server.run().await
    })
}
