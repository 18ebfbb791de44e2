//! Building and running the application.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::web;
use antirelou_domain::ProviderKind;
use antirelou_domain::SharedClock;
use antirelou_engine::{AlertOutbox, ControlMetrics, Controls, EngineOptions, Metrics, NumberRegistry, Wiring};
use antirelou_ledger::Ledger;
use antirelou_providers::ovh::OvhApi;
use antirelou_providers::SendApi;
use antirelou_settings::Settings;

use crate::alert_delivery::AlertWebhooks;
use crate::connections::ConnectionMetrics;
use crate::console::{self, ConsoleState};
use crate::http_server::{self, ConnectionLimits};
use crate::listeners::{BindError, BoundListeners, Listener, ListenerSplit};
use crate::pollers::{PollerContext, PollerHealth, Pollers};
use crate::reassembly::Reassembly;
use crate::reload::{self, ConfigSource, Reloader};
use crate::routes::webhooks::{plivo, twilio, vonage};
use crate::routes::{admin, health};
use crate::{alert_delivery, body, send_apis};
use arc_swap::ArcSwap;

pub use crate::body::WEBHOOK_BODY_LIMIT_BYTES;

/// Shared by every request handler.
pub struct AppState {
    pub registry: NumberRegistry,
    /// Runtime controls (pause, overrides, blocklists): the admin API and
    /// the console change them through this.
    pub controls: Controls,
    pub prometheus: prometheus::Registry,
    /// `server.public_url` without a trailing slash: the base Twilio signs.
    pub public_url: String,
    pub operator_token: Option<String>,
    pub currency: String,
    /// `ledger.timezone`: the days of periods and stats.
    pub timezone: chrono_tz::Tz,
    pub clock: SharedClock,
    /// This process's parts of long Vonage SMS.
    pub reassembly: Arc<Reassembly>,
    /// The OVHcloud API client of each OVHcloud tenant, by tenant id (its pollers use it).
    pub ovh_apis: HashMap<String, Arc<OvhApi>>,
    /// The health of this process's pollers, for `/readyz`.
    pub pollers: PollerHealth,
    /// The console's keys, sign-in limiter and decision history.
    pub console: ConsoleState,
    /// Reloads the configuration (`POST /v1/reload`, `SIGHUP`); `None`
    /// when started without a configuration source.
    pub reloader: Option<Arc<Reloader>>,
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
        declare_provider_series(settings, &metrics);
        let (alerts, outbox) = AlertOutbox::channel();
        let webhooks: AlertWebhooks = Arc::new(ArcSwap::from_pointee(reload::alert_webhooks(settings)));
        alert_delivery::spawn(outbox, Arc::clone(&webhooks), metrics.clone());
        let clients = match &hooks.send_api {
            Some(api) => send_apis::ProviderClients {
                send: settings.numbers().map(|(_, n)| (n.number.to_string(), Arc::clone(api))).collect(),
                ovh: HashMap::new(),
            },
            None => send_apis::from_settings(settings)?,
        };
        let send_apis = clients.send;
        let mut options = EngineOptions::from_settings(settings);
        options.driven_timers = hooks.driven_timers;
        let wiring = Wiring { alerts, send_apis, options };
        let gates_readiness = ledger.backend() != "embedded";
        spawn_storage_watch(Arc::clone(&ledger), metrics.storage.clone());
        let registry = NumberRegistry::start(settings, ledger, Arc::clone(&clock), metrics, wiring);
        let control_metrics = ControlMetrics::register(&prometheus)?;
        let controls = Controls::start(registry.clone(), settings, Arc::clone(&clock), control_metrics);
        let reloader = match hooks.config_source {
            Some(source) => Some(Arc::new(Reloader::new(
                source,
                settings,
                registry.clone(),
                controls.clone(),
                webhooks,
                hooks.send_api,
                &prometheus,
            )?)),
            None => None,
        };
        let reassembly = Arc::new(Reassembly::new(Arc::clone(&clock)));
        if settings.tenants.iter().any(|t| t.provider.kind() == ProviderKind::Vonage) {
            Reassembly::spawn_sweeper(Arc::downgrade(&reassembly), registry.clone());
        }
        let console = ConsoleState::from_settings(settings, &prometheus, &clock)?;
        crate::console::history::spawn_sampler(Arc::clone(&console.history), registry.clone(), Arc::clone(&clock));
        Ok(AppState {
            console,
            registry,
            controls,
            prometheus,
            public_url: settings.server.public_url.trim_end_matches('/').to_owned(),
            operator_token: settings.server.operator_token.as_ref().map(|t| t.expose().to_owned()),
            currency: settings.ledger.currency.clone(),
            timezone: settings.ledger.timezone,
            clock,
            reassembly,
            ovh_apis: clients.ovh,
            pollers: PollerHealth::new(gates_readiness),
            reloader,
        })
    }
}

/// Every series of the provider families at 0 from the start: each polled
/// number's poller series and Twilio's delivery statuses. (Webhook refusals
/// are the per-number series' own, at 0 from each number's start.)
fn declare_provider_series(settings: &Settings, metrics: &antirelou_engine::Metrics) {
    for (tenant, number) in settings.numbers() {
        if !tenant.provider.kind().has_webhook() {
            metrics.pollers.declare(&tenant.id, number.number.as_str());
        }
    }
    for tenant in settings.tenants.iter().filter(|t| t.provider.kind() == ProviderKind::Twilio) {
        for status in antirelou_providers::twilio::DeliveryStatus::ALL {
            metrics.delivery_status.with_label_values(&[ProviderKind::Twilio.as_str(), &tenant.id, status.as_str()]);
        }
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
    /// Where `POST /v1/reload` and `SIGHUP` read the configuration again
    /// (the binary's `--config` file); without one, reloading is refused.
    pub config_source: Option<ConfigSource>,
}

/// Every route of the application, for `App::configure`.
pub fn routes(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    cfg.app_data(state)
        .app_data(body::json_config())
        .route("/webhooks/twilio", web::post().to(twilio::inbound))
        .route("/webhooks/twilio/status", web::post().to(twilio::status))
        .route("/webhooks/vonage", web::get().to(vonage::inbound))
        .route("/webhooks/vonage", web::post().to(vonage::inbound))
        .route("/webhooks/plivo", web::post().to(plivo::inbound))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(web::scope("/v1").configure(admin::configure))
        .configure(console::configure);
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error("cannot start the server: {0}")]
    Serve(#[source] std::io::Error),
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
        let state = AppState::start_with(settings, ledger, clock, hooks)?;
        if let Some(reloader) = &state.reloader {
            reload::reload_on_sighup(Arc::clone(reloader));
        }
        let registry = state.registry.clone();
        let prometheus = state.prometheus.clone();
        let pollers = Arc::new(Pollers::new(PollerContext {
            registry: state.registry.clone(),
            clock: Arc::clone(&state.clock),
            health: state.pollers.clone(),
        }));
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
            web::Data::new(state),
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
