//! Building and running the application.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use antirelou_domain::ProviderKind;
use antirelou_domain::SharedClock;
use antirelou_engine::{AlertOutbox, EngineOptions, Metrics, NumberRegistry, Wiring};
use antirelou_ledger::Ledger;
use antirelou_providers::ovh::OvhApi;
use antirelou_providers::{RejectReason, SendApi};
use antirelou_settings::Settings;

use crate::pollers::{PollerHealth, Pollers};
use crate::reassembly::Reassembly;
use crate::routes::webhooks::{plivo, twilio, vonage};
use crate::routes::{admin, health};
use crate::{alert_delivery, send_apis};

/// Webhook bodies above this get `413` (docs/providers.md).
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
    /// This process's parts of long Vonage SMS.
    pub reassembly: Arc<Reassembly>,
    /// The OVHcloud API client of each OVHcloud tenant, by tenant id (its pollers use it).
    pub ovh_apis: HashMap<String, Arc<OvhApi>>,
    /// The health of this process's pollers, for `/readyz`.
    pub pollers: PollerHealth,
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
        let webhooks = settings
            .tenants
            .iter()
            .filter_map(|t| t.alert_webhook.as_deref().map(|url| (t.id.clone(), Arc::from(url))))
            .collect();
        alert_delivery::spawn(outbox, webhooks, metrics.clone());
        let clients = match hooks.send_api {
            Some(api) => send_apis::ProviderClients {
                send: settings.numbers().map(|(_, n)| (n.number.to_string(), Arc::clone(&api))).collect(),
                ovh: HashMap::new(),
            },
            None => send_apis::from_settings(settings)?,
        };
        let send_apis = clients.send;
        let mut options = EngineOptions::from_settings(settings);
        options.driven_timers = hooks.driven_timers;
        let wiring = Wiring { alerts, send_apis, options };
        let gates_readiness = ledger.backend() != "embedded";
        let registry = NumberRegistry::start(settings, ledger, Arc::clone(&clock), metrics, wiring);
        let reassembly = Arc::new(Reassembly::new(Arc::clone(&clock)));
        if settings.tenants.iter().any(|t| t.provider.kind() == ProviderKind::Vonage) {
            Reassembly::spawn_sweeper(Arc::downgrade(&reassembly), registry.clone());
        }
        Ok(AppState {
            registry,
            prometheus,
            public_url: settings.server.public_url.trim_end_matches('/').to_owned(),
            operator_token: settings.server.operator_token.as_ref().map(|t| t.expose().to_owned()),
            currency: settings.ledger.currency.clone(),
            clock,
            reassembly,
            ovh_apis: clients.ovh,
            pollers: PollerHealth::new(gates_readiness),
        })
    }
}

/// Every series of the provider families at 0 from the start, their label
/// values derived from the vocabularies: rejections (`RejectReason::ALL`) of
/// every webhook provider (`ProviderKind::ALL`) for unknown numbers and for
/// each configured number of that provider, and Twilio delivery statuses.
fn declare_provider_series(settings: &Settings, metrics: &antirelou_engine::Metrics) {
    let webhook_kinds = ProviderKind::ALL.into_iter().filter(|kind| kind.has_webhook());
    for kind in webhook_kinds {
        for reason in RejectReason::ALL {
            metrics.webhook_rejected.with_label_values(&[kind.as_str(), reason.as_str(), "", ""]);
        }
    }
    for (tenant, number) in settings.numbers() {
        let kind = tenant.provider.kind();
        if !kind.has_webhook() {
            metrics.pollers.declare(&tenant.id, number.number.as_str());
            continue;
        }
        for reason in RejectReason::ALL.into_iter().filter(|r| *r != RejectReason::UnknownNumber) {
            metrics.webhook_rejected.with_label_values(&[
                kind.as_str(),
                reason.as_str(),
                &tenant.id,
                number.number.as_str(),
            ]);
        }
    }
    for tenant in settings.tenants.iter().filter(|t| t.provider.kind() == ProviderKind::Twilio) {
        for status in antirelou_providers::twilio::DeliveryStatus::ALL {
            metrics.delivery_status.with_label_values(&[ProviderKind::Twilio.as_str(), &tenant.id, status.as_str()]);
        }
    }
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
        .route("/webhooks/twilio/status", web::post().to(twilio::status))
        .route("/webhooks/vonage", web::get().to(vonage::inbound))
        .route("/webhooks/vonage", web::post().to(vonage::inbound))
        .route("/webhooks/plivo", web::post().to(plivo::inbound))
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
    pollers: Pollers,
    poller_health: PollerHealth,
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
        let pollers = Pollers::start(settings, &state);
        let poller_health = state.pollers.clone();
        let state = web::Data::new(state);
        let server = HttpServer::new(move || App::new().configure(|cfg| routes(cfg, state.clone())))
            .shutdown_timeout(settings.server.shutdown_timeout_seconds)
            .listen(listener)
            .map_err(|source| StartupError::Bind { address: settings.server.listen.clone(), source })?
            .run();
        Ok(Application { port, server, registry, prometheus, pollers, poller_health })
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

    /// The health of this application's pollers (OVHcloud numbers).
    pub fn pollers(&self) -> &PollerHealth {
        &self.poller_health
    }

    /// Stops the server gracefully when called (tests, embedding).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or `handle().stop(true)`): stops
    /// accepting, lets in-flight decisions finish, stops the pollers (their
    /// leases released), then flushes the ledger.
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
