//! Building and running the application.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use antirelou_domain::ProviderKind;
use antirelou_domain::SharedClock;
use antirelou_engine::{AlertOutbox, EngineOptions, Metrics, NumberRegistry, Wiring};
use antirelou_ledger::Ledger;
use antirelou_providers::SendApi;
use antirelou_settings::Settings;

use crate::error::WebhookRejection;

use crate::routes::{admin, health, twilio};
use crate::{alert_delivery, send_apis};

/// Bodies above this get `413` (SPEC §7).
pub const WEBHOOK_BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Shared by every request handler.
pub struct AppState {
    pub registry: NumberRegistry,
    pub prometheus: prometheus::Registry,
    /// `server.public_url` without a trailing slash: the base Twilio signs.
    pub public_url: String,
    pub operator_token: Option<String>,
    pub currency: String,
    pub clock: SharedClock,
}

impl AppState {
    /// Registers the metrics and starts the number engine. Call inside an
    /// actix System. Used by [`Application::build`].
    pub fn start(settings: &Settings, ledger: Arc<dyn Ledger>, clock: SharedClock) -> Result<AppState, StartupError> {
        AppState::start_with(settings, ledger, clock, AppHooks::default())
    }

    /// Like [`AppState::start`], with `hooks`: for in-process drivers (the
    /// simulator, tests) that serve requests without a socket, drive the
    /// timers on a virtual clock and record what would be sent.
    pub fn start_with(
        settings: &Settings,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
        hooks: AppHooks,
    ) -> Result<AppState, StartupError> {
        let prometheus = prometheus::Registry::new();
        let metrics = Metrics::register(&prometheus, ledger.backend())?;
        prometheus.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        for kind in ProviderKind::ALL {
            for reason in WebhookRejection::ALL {
                metrics.webhook_rejected.with_label_values(&[kind.as_str(), reason.reason(), "", ""]);
            }
        }
        let (alerts, outbox) = AlertOutbox::channel();
        let webhooks = settings
            .tenants
            .iter()
            .filter_map(|t| t.alert_webhook.as_deref().map(|url| (t.id.clone(), Arc::from(url))))
            .collect();
        alert_delivery::spawn(outbox, webhooks, metrics.clone());
        let send_apis = match hooks.send_api {
            Some(api) => settings.numbers().map(|(_, n)| (n.number.to_string(), Arc::clone(&api))).collect(),
            None => send_apis::from_settings(settings)?.send,
        };
        let mut options = EngineOptions::from_settings(settings);
        options.driven_timers = hooks.driven_timers;
        let wiring = Wiring { alerts, send_apis, options };
        spawn_storage_watch(Arc::clone(&ledger), metrics.storage.clone());
        let registry = NumberRegistry::start(settings, ledger, Arc::clone(&clock), metrics, wiring);
        Ok(AppState {
            registry,
            prometheus,
            public_url: settings.server.public_url.trim_end_matches('/').to_owned(),
            operator_token: settings.server.operator_token.as_ref().map(|t| t.expose().to_owned()),
            currency: settings.ledger.currency.clone(),
            clock,
        })
    }
}

/// The ledger's storage figures (Redis memory, evictions) are read this often.
const STORAGE_WATCH_EVERY: Duration = Duration::from_secs(15);

/// Keeps the storage gauges fresh, while the ledger reports figures.
fn spawn_storage_watch(ledger: Arc<dyn Ledger>, gauges: antirelou_engine::metrics::StorageGauges) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(STORAGE_WATCH_EVERY);
        loop {
            every.tick().await;
            match tokio::time::timeout(STORAGE_WATCH_EVERY, ledger.storage()).await {
                Ok(Ok(Some(figures))) => gauges.set(&figures),
                Ok(Ok(None)) => return,
                _ => {}
            }
        }
    });
}

/// What in-process drivers change in the application.
#[derive(Default)]
pub struct AppHooks {
    /// One send API for every tenant instead of each tenant's provider (a recorder).
    pub send_api: Option<Arc<dyn SendApi>>,
    /// No timers of the actors' own: the driver calls `NumberRegistry::tick`.
    pub driven_timers: bool,
}

/// Every route of the application, for `App::configure`.
pub fn routes(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    cfg.app_data(state)
        .app_data(web::JsonConfig::default().limit(4096))
        .route("/webhooks/twilio", web::post().to(twilio::inbound))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(
            web::scope("/v1")
                .route("/numbers", web::get().to(admin::list_numbers))
                .route("/numbers/{number}/{action}", web::post().to(admin::set_paused))
                .route("/tenants/{tenant}/top-up", web::post().to(admin::top_up))
                .route("/tenants/{tenant}/entries", web::get().to(admin::entries)),
        );
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("tenant {tenant}: cannot build its provider client: {source}")]
    Provider {
        tenant: String,
        #[source]
        source: antirelou_providers::ClientBuildError,
    },
}

/// A built, not yet awaited, server.
pub struct Application {
    port: u16,
    server: Server,
    registry: NumberRegistry,
    prometheus: prometheus::Registry,
}

impl Application {
    /// Binds `server.listen` (port 0 picks a free port), starts the number
    /// engine and returns the server ready to run. Call inside an actix System.
    pub fn build(
        settings: &Settings,
        ledger: Arc<dyn Ledger>,
        clock: SharedClock,
    ) -> Result<Application, StartupError> {
        let address = settings.server.listen.clone();
        let listener =
            TcpListener::bind(&address).map_err(|source| StartupError::Bind { address: address.clone(), source })?;
        let port = listener.local_addr().map_err(|source| StartupError::Bind { address, source })?.port();
        let state = AppState::start(settings, ledger, clock)?;
        let registry = state.registry.clone();
        let prometheus = state.prometheus.clone();
        let state = web::Data::new(state);
        let server = HttpServer::new(move || App::new().configure(|cfg| routes(cfg, state.clone())))
            .shutdown_timeout(settings.server.shutdown_timeout_seconds)
            .listen(listener)
            .map_err(|source| StartupError::Bind { address: settings.server.listen.clone(), source })?
            .run();
        Ok(Application { port, server, registry, prometheus })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn registry(&self) -> &NumberRegistry {
        &self.registry
    }

    pub fn prometheus(&self) -> &prometheus::Registry {
        &self.prometheus
    }

    /// Stops the server gracefully when called (tests, embedding).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or `handle().stop(true)`): stops
    /// accepting, lets in-flight decisions finish, then flushes the ledger.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        tracing::info!("server stopped; flushing the ledger");
        let flush = self.registry.flush();
        if tokio::time::timeout(Duration::from_secs(10), flush).await.is_err() {
            tracing::error!("ledger flush did not finish within 10 s");
        }
        result
    }
}
