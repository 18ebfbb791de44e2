//! `antirelou serve`.

use std::process::ExitCode;
use std::sync::Arc;

use antirelou_domain::SystemClock;
use antirelou_settings::{LogFormat, LogSettings, Settings};
use antirelou_web::{AppHooks, Application};
use anyhow::Context;
use tracing_subscriber::EnvFilter;

use crate::cli::ServeArgs;
use crate::config;

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = match config::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(bad) => return Ok(bad.into()),
    };
    init_tracing(&settings.log);
    for warning in &settings.warnings {
        tracing::warn!(key = %warning.key, "configuration: {}", warning.reason);
    }
    let demo = args.config.is_none();
    actix_web::rt::System::new().block_on(async move {
        let ledger = match config::open_ledger(&settings).await {
            Ok(ledger) => ledger,
            Err(bad) => return Ok(bad.into()),
        };
        let hooks = AppHooks { config_source: Some(config::source(args.config.clone())), ..AppHooks::default() };
        let app =
            Application::build_with(&settings, ledger, Arc::new(SystemClock), hooks).context("starting the server")?;
        let base = local_url(&settings.server.listen, app.port());
        // Tests and scripts read the first line's first http:// word: the webhook listener.
        println!(
            "antirelou listening on {base} ({} numbers, {} ledger)",
            settings.number_count(),
            settings.ledger.backend.name()
        );
        let admin = settings.server.admin_listen.as_deref().zip(app.admin_port()).map(|(a, p)| local_url(a, p));
        let metrics = settings.server.metrics_listen.as_deref().zip(app.metrics_port()).map(|(a, p)| local_url(a, p));
        if let Some(admin) = &admin {
            println!("admin API (/v1, /console) on {admin}");
        }
        if let Some(metrics) = &metrics {
            println!("metrics (/metrics) on {metrics}");
        }
        if demo {
            print_demo_tour(&settings, metrics.as_deref().unwrap_or(&base), admin.as_deref().unwrap_or(&base));
        }
        app.run_until_stopped().await.context("serving")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The URL to reach a listen address from this machine.
pub fn local_url(listen: &str, port: u16) -> String {
    let host = listen.rsplit_once(':').map_or(listen, |(host, _)| host);
    let host = match host {
        "0.0.0.0" | "" => "127.0.0.1",
        "[::]" => "[::1]",
        other => other,
    };
    format!("http://{host}:{port}")
}

/// The demo's first steps; `metrics` is the base URL serving `/metrics`,
/// `admin` the one serving the console.
fn print_demo_tour(settings: &Settings, metrics: &str, admin: &str) {
    let Some((tenant, number)) = settings.numbers().next() else { return };
    println!(
        "\nDemo mode: tenant {:?}, number {}, embedded ledger under ./{}.\n\
         Try it from another terminal:\n\n  \
         antirelou send --to {} --from +33611223344 \"t'es charmante, on se revoit ?\"\n\n\
         Send it twice: the second time the sender gets nothing (one reply per sender).\n\
         Watch the decisions:  curl -s {metrics}/metrics | grep antirelou_inbound_total\n\n\
         The console: {admin}/console/  (sign in with the demo tenant's token: {})\n",
        tenant.id,
        number.number,
        config::DEMO_DATA_DIR,
        number.number,
        tenant.admin_token.as_ref().map_or("(none)", |t| t.expose()),
    );
}

fn init_tracing(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_url_reaches_wildcard_listen_addresses() {
        assert_eq!(local_url("0.0.0.0:8080", 8080), "http://127.0.0.1:8080");
        assert_eq!(local_url("127.0.0.1:0", 4321), "http://127.0.0.1:4321");
        assert_eq!(local_url("[::]:8080", 8080), "http://[::1]:8080");
    }
}
