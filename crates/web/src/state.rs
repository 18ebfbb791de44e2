//! [`AppState`]: what every request handler, the pollers and the reload
//! share, and [`AppState::start`], which registers the metrics and starts
//! the number engine, the runtime controls, the alert delivery and the
//! donation accounts.
//!
//! A leaf of `web`: it imports the parts it holds (the intake, the
//! reassembly, the pollers' health, the donation accounts, the token
//! guard, the reloader) and nothing that serves requests; the routes and
//! the console import it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use antirelou_domain::{ProviderKind, SharedClock};
use antirelou_engine::{AlertOutbox, ControlMetrics, Controls, EngineOptions, Metrics, NumberRegistry, Wiring};
use antirelou_ledger::Ledger;
use antirelou_providers::ovh::OvhApi;
use antirelou_providers::SendApi;
use antirelou_settings::Settings;
use arc_swap::ArcSwap;

use crate::alert_delivery::{self, AlertWebhooks};
use crate::donations::DonationAccounts;
use crate::intake::Intake;
use crate::pollers::{OvhPoller, PollerContext, PollerHealth};
use crate::reassembly::Reassembly;
use crate::reload::{self, ConfigSource, Reloader, TenantServices};
use crate::send_apis::{self, ProviderClientError};
use crate::token_guard::TokenGuard;

/// Shared by every request handler.
pub struct AppState {
    pub registry: NumberRegistry,
    /// The one way an inbound message reaches the engine (webhooks, pollers, reassembly).
    pub intake: Intake,
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
    /// `privacy.evidence_signing_key`: signs evidence bundles.
    pub evidence_signer: Option<antirelou_evidence::EvidenceSigner>,
    pub clock: SharedClock,
    /// This process's parts of long Vonage SMS.
    pub reassembly: Arc<Reassembly>,
    /// The OVHcloud API client of each OVHcloud tenant, by tenant id (its pollers use it).
    pub ovh_apis: HashMap<String, Arc<OvhApi>>,
    /// The health of this process's pollers, for `/readyz`.
    pub pollers: PollerHealth,
    /// Each tenant's accounts at the donation platforms (their notification routes).
    pub donations: Arc<DonationAccounts>,
    /// Wrong bearer tokens counted per client address and token prefix
    /// (the API and the console's sign-in).
    pub tokens: TokenGuard,
    /// Reloads the configuration (`POST /v1/reload`, `SIGHUP`); `None`
    /// when started without a configuration source.
    pub reloader: Option<Arc<Reloader>>,
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
    /// Every decision goes through the number's actor, none is answered on
    /// the HTTP worker (`EngineOptions::answer_on_workers` off: tests that
    /// compare both paths).
    pub decide_in_actors: bool,
}

/// Why the application's state could not start.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error(transparent)]
    Provider(#[from] ProviderClientError),
}

impl AppState {
    /// Registers the metrics and starts the number engine. Call inside an
    /// actix System.
    pub fn start(settings: &Settings, ledger: Arc<dyn Ledger>, clock: SharedClock) -> Result<AppState, StateError> {
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
    ) -> Result<AppState, StateError> {
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
        options.answer_on_workers = !hooks.decide_in_actors;
        let wiring = Wiring { alerts, send_apis, options };
        let gates_readiness = ledger.backend() != "embedded";
        spawn_storage_watch(Arc::clone(&ledger), metrics.storage.clone());
        let registry = NumberRegistry::start(settings, ledger, Arc::clone(&clock), metrics, wiring);
        let control_metrics = ControlMetrics::register(&prometheus)?;
        let controls = Controls::start(registry.clone(), settings, Arc::clone(&clock), control_metrics);
        let donations = Arc::new(DonationAccounts::start(settings, Arc::clone(&clock), &prometheus)?);
        let reloader = match hooks.config_source {
            Some(source) => Some(Arc::new(Reloader::new(
                source,
                settings,
                registry.clone(),
                controls.clone(),
                TenantServices { webhooks, donations: Arc::clone(&donations) },
                hooks.send_api,
                &prometheus,
            )?)),
            None => None,
        };
        let intake = Intake::new(registry.clone());
        let reassembly =
            Arc::new(Reassembly::new(Arc::clone(&clock), settings.server.long_sms_hold_seconds, &prometheus)?);
        if settings.tenants.iter().any(|t| t.provider.kind() == ProviderKind::Vonage) {
            Reassembly::spawn_sweeper(Arc::downgrade(&reassembly), intake.clone());
        }
        let tokens = TokenGuard::new(&prometheus, &clock)?;
        Ok(AppState {
            registry,
            intake,
            controls,
            prometheus,
            public_url: settings.server.public_url.trim_end_matches('/').to_owned(),
            operator_token: settings.server.operator_token.as_ref().map(|t| t.expose().to_owned()),
            currency: settings.ledger.currency.clone(),
            timezone: settings.ledger.timezone,
            evidence_signer: settings.privacy.evidence_signer.clone(),
            clock,
            reassembly,
            ovh_apis: clients.ovh,
            pollers: PollerHealth::new(gates_readiness),
            donations,
            tokens,
            reloader,
        })
    }

    /// What this application's pollers share.
    pub fn poller_context(&self) -> PollerContext {
        PollerContext { intake: self.intake.clone(), clock: Arc::clone(&self.clock), health: self.pollers.clone() }
    }

    /// The poller of `number`, if it is an OVHcloud number of `settings`
    /// that this application serves (its OVHcloud clients were built at start).
    pub fn ovh_poller(&self, settings: &Settings, number: &str) -> Option<OvhPoller> {
        OvhPoller::new(&self.poller_context(), settings, number, &self.ovh_apis)
    }
}

/// Every series of the provider families at 0 from the start: each polled
/// number's poller series and Twilio's delivery statuses. (Webhook refusals
/// are the per-number series' own, at 0 from each number's start.)
fn declare_provider_series(settings: &Settings, metrics: &Metrics) {
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
