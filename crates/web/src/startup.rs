//! Building and running the application: [`Application::build`] binds the
//! listeners, starts the [`AppData`] (the shared [`AppState`] and the
//! console's own state), the pollers and the server; [`routes`] is every
//! route, for the server and for in-process drivers. The only module of
//! `web` that imports the others' entry points.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::web;
use antirelou_domain::SharedClock;
use antirelou_engine::NumberRegistry;
use antirelou_ledger::Ledger;
use antirelou_settings::Settings;

use crate::body;
use crate::connections::ConnectionMetrics;
use crate::console::{self, ConsoleState};
use crate::http_server::{self, ConnectionLimits};
use crate::listeners::{BindError, BoundListeners, Listener, ListenerSplit};
use crate::pollers::{PollerHealth, Pollers};
use crate::reload;
use crate::routes::webhooks::{donations, plivo, plivo_voice, receive, twilio, vonage, vonage_voice};
use crate::routes::{admin, health};
use crate::state::{AppHooks, AppState, StateError};

/// The application's data, started: the state every handler shares and the
/// console's own. Cheap to clone (both are `Arc`s).
#[derive(Clone)]
pub struct AppData {
    pub state: web::Data<AppState>,
    pub console: web::Data<ConsoleState>,
}

impl AppData {
    /// Starts the state ([`AppState::start`]) and the console's. Call inside an actix System.
    pub fn start(settings: &Settings, ledger: Arc<dyn Ledger>, clock: SharedClock) -> Result<AppData, StartupError> {
        AppData::start_with(settings, ledger, clock, AppHooks::default())
    }

    /// Like [`AppData::start`], with `hooks` (see [`AppState::start_with`]).
    pub fn start_with(
        settings: &Settings,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
        hooks: AppHooks,
    ) -> Result<AppData, StartupError> {
        let state = AppState::start_with(settings, ledger, clock, hooks)?;
        let console = ConsoleState::start(settings, &state).map_err(StateError::Metrics)?;
        Ok(AppData { state: web::Data::new(state), console: web::Data::new(console) })
    }
}

/// Every route of the application, for `App::configure`.
pub fn routes(cfg: &mut web::ServiceConfig, data: &AppData) {
    cfg.app_data(data.state.clone())
        .app_data(body::json_config())
        .route("/webhooks/twilio", web::post().to(receive::<twilio::Inbound>))
        .route("/webhooks/twilio/status", web::post().to(receive::<twilio::Status>))
        .route("/webhooks/twilio/voice", web::post().to(receive::<twilio::Voice>))
        .route("/webhooks/twilio/voice/status", web::post().to(receive::<twilio::VoiceStatus>))
        .route("/webhooks/vonage", web::get().to(receive::<vonage::Inbound>))
        .route("/webhooks/vonage", web::post().to(receive::<vonage::Inbound>))
        .route("/webhooks/plivo", web::post().to(receive::<plivo::Inbound>))
        .route("/webhooks/vonage/answer", web::get().to(receive::<vonage_voice::Answer>))
        .route("/webhooks/vonage/answer", web::post().to(receive::<vonage_voice::Answer>))
        .route("/webhooks/vonage/event", web::post().to(receive::<vonage_voice::Event>))
        .route("/webhooks/plivo/voice", web::post().to(receive::<plivo_voice::Voice>))
        .route("/webhooks/plivo/voice/hangup", web::post().to(receive::<plivo_voice::Hangup>))
        .route("/webhooks/helloasso/{tenant}", web::post().to(donations::helloasso))
        .route("/webhooks/opencollective/{tenant}", web::post().to(donations::opencollective))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(web::scope("/v1").configure(admin::configure))
        .configure(|cfg| console::configure(cfg, data.console.clone()));
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error("cannot start the server: {0}")]
    Serve(#[source] std::io::Error),
    #[error(transparent)]
    State(#[from] StateError),
}

impl From<prometheus::Error> for StartupError {
    fn from(error: prometheus::Error) -> Self {
        StartupError::State(StateError::Metrics(error))
    }
}

/// A built, not yet awaited, server.
pub struct Application {
    port: u16,
    admin_port: Option<u16>,
    console_port: Option<u16>,
    metrics_port: Option<u16>,
    server: Server,
    registry: NumberRegistry,
    prometheus: prometheus::Registry,
    pollers: Arc<Pollers>,
    poller_health: PollerHealth,
}

impl Application {
    /// Binds `server.listen`, and `server.admin_listen` and
    /// `server.metrics_listen` when set (port 0 picks a free port), starts
    /// the number engine and returns the server ready to run, with its
    /// connection limits (see `http_server`). Call inside an actix System.
    pub fn build(
        settings: &Settings,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
    ) -> Result<Application, StartupError> {
        Application::build_with(settings, ledger, clock, AppHooks::default())
    }

    /// Like [`Application::build`], with `hooks` (a configuration source
    /// makes `POST /v1/reload` and `SIGHUP` reload it).
    pub fn build_with(
        settings: &Settings,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
        hooks: AppHooks,
    ) -> Result<Application, StartupError> {
        let bound = BoundListeners::bind(&settings.server)?;
        let port = bound.main.1.port();
        let admin_port = bound.admin.as_ref().map(|(_, address)| address.port());
        let metrics_port = bound.metrics.as_ref().map(|(_, address)| address.port());
        let console_port = bound.console.as_ref().map(|(_, address)| address.port());
        let data = AppData::start_with(settings, ledger, clock, hooks)?;
        let state = &data.state;
        if let Some(reloader) = &state.reloader {
            reload::reload_on_sighup(Arc::clone(reloader));
        }
        let registry = state.registry.clone();
        let prometheus = state.prometheus.clone();
        let pollers = Arc::new(Pollers::new(state.poller_context()));
        pollers.start_missing(settings, &state.ovh_apis);
        if let Some(reloader) = &state.reloader {
            reloader.attach_pollers(Arc::clone(&pollers));
        }
        let poller_health = state.pollers.clone();
        let split = ListenerSplit::from_settings(&settings.server);
        let listeners: Vec<Listener> = bound.each_role().collect();
        let metrics = ConnectionMetrics::register(&prometheus, &listeners)?;
        let limits = ConnectionLimits::new(
            &settings.server,
            http_server::default_workers(),
            http_server::raise_open_file_limit(),
        );
        if limits.total() < settings.server.max_connections {
            tracing::warn!(
                configured = settings.server.max_connections,
                serving = limits.total(),
                "server.max_connections is above what the open-file limit (ulimit -n) leaves for connections"
            );
        }
        let server = http_server::start(
            bound,
            move |cfg: &mut web::ServiceConfig| routes(cfg, &data),
            limits,
            &metrics,
            split,
            settings.server.shutdown_timeout_seconds,
        )
        .map_err(StartupError::Serve)?;
        Ok(Application {
            port,
            admin_port,
            metrics_port,
            console_port,
            server,
            registry,
            prometheus,
            pollers,
            poller_health,
        })
    }

    /// The port of `server.listen`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `server.admin_listen`, when set.
    pub fn admin_port(&self) -> Option<u16> {
        self.admin_port
    }

    /// The port of `server.metrics_listen`, when set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// The port of `server.console_listen`, when set.
    pub fn console_port(&self) -> Option<u16> {
        self.console_port
    }

    pub fn registry(&self) -> &NumberRegistry {
        &self.registry
    }

    pub fn prometheus(&self) -> &prometheus::Registry {
        &self.prometheus
    }

    /// The health of this application's pollers (OVHcloud numbers).
    pub fn pollers(&self) -> &PollerHealth {
        &self.poller_health
    }

    /// Stops the server gracefully when called (tests, embedding).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or `handle().stop(true)`): stops
    /// accepting on every listener, lets in-flight decisions finish (at most
    /// `server.shutdown_timeout_seconds`), stops the pollers (their leases
    /// released), then flushes the ledger.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.pollers.stop().await;
        tracing::info!("server stopped; flushing the ledger");
        let flush = self.registry.flush();
        if tokio::time::timeout(Duration::from_secs(10), flush).await.is_err() {
            tracing::error!("ledger flush did not finish within 10 s");
        }
        result
    }
}
