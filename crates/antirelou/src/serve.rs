//! `antirelou serve`: the server, with the file or the demo; what it
//! prints at start (every listener, the console and how to sign in, the
//! demo's first steps) is in `serve/banner.rs`.

mod banner;

use std::process::ExitCode;
use std::sync::Arc;

use antirelou_domain::SystemClock;
use antirelou_emulators::{start_twilio, Emulator, TwilioAccount};
use antirelou_settings::{LogFormat, LogSettings, ProviderSettings, Settings};
use antirelou_web::{AppHooks, Application, StartupError};
use anyhow::Context;
use tracing_subscriber::EnvFilter;

use crate::cli::ServeArgs;
use crate::config::{self, Overrides};

pub use banner::local_url;

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let demo = args.config.is_none();
    // The demo never calls a real provider: its send API is a stand-in of
    // Twilio's, in this process, kept alive until the server stops.
    let stand_in = if demo { Some(demo_stand_in()?) } else { None };
    let overrides =
        Overrides { listen: args.listen.clone(), demo_api_base: stand_in.as_ref().map(|e| e.api_base().to_owned()) };
    let settings = match config::load_with(args.config.as_deref(), &overrides) {
        Ok(settings) => settings,
        Err(bad) => return Ok(bad.into()),
    };
    init_tracing(&settings.log);
    for warning in &settings.warnings {
        tracing::warn!(key = %warning.key, "configuration: {}", warning.reason);
    }
    actix_web::rt::System::new().block_on(async move {
        let ledger = match config::open_ledger(&settings, config::Create::Yes).await {
            Ok(ledger) => ledger,
            Err(bad) => return Ok(bad.into()),
        };
        let hooks =
            AppHooks { config_source: Some(config::source(args.config.clone(), overrides)), ..AppHooks::default() };
        let app = match Application::build_with(&settings, ledger, Arc::new(SystemClock), hooks) {
            Ok(app) => app,
            Err(StartupError::Bind(error)) => {
                eprintln!("error: {}", banner::cannot_listen(&error));
                return Ok(ExitCode::FAILURE);
            }
            Err(error) => return Err(error).context("starting the server"),
        };
        let banner = banner::Banner { settings: &settings, app: &app, config: args.config.as_deref() };
        let text = banner.text(stand_in.as_ref().map(Emulator::api_base));
        let running = actix_web::rt::spawn(app.run_until_stopped());
        // The server accepts and handles SIGTERM once first polled: print
        // only then, so that whoever reads these lines may stop it at once.
        tokio::task::yield_now().await;
        print!("{text}");
        running.await.context("serving")?.context("serving")?;
        drop(stand_in);
        Ok(ExitCode::SUCCESS)
    })
}

/// The demo's Twilio account, served by a local stand-in of Twilio's
/// Messages API (the same one the tests use).
fn demo_stand_in() -> anyhow::Result<Emulator> {
    let demo = Settings::demo(std::path::Path::new(config::DEMO_DATA_DIR));
    let account = demo.tenants.iter().find_map(|tenant| match &tenant.provider {
        ProviderSettings::Twilio { account_sid, auth_token, .. } => {
            Some(TwilioAccount { account_sid: account_sid.clone(), auth_token: auth_token.expose().to_owned() })
        }
        _ => None,
    });
    let account = account.context("the demo has a Twilio tenant")?;
    start_twilio(account).context("starting the demo's stand-in of Twilio's API")
}

fn init_tracing(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    // Colours only for a person's terminal, not for journald or a file.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}
