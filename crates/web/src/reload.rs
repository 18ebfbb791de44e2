//! Reloading the configuration while serving (`POST /v1/reload`, `SIGHUP`).
//!
//! Start with [`Reloader::reload`]: read the file again (the same path and
//! environment as at start, through the [`ConfigSource`] the binary gave),
//! validate it as `check-config` does — an invalid file is refused with the
//! same report and nothing changes — then apply what can change while
//! serving (numbers, tenants, their secrets, tokens and alert webhooks,
//! the pollers of OVHcloud numbers, the donation accounts) and report what needs a restart
//! (`needs_restart`), which keeps its running value.

use std::collections::HashMap;
use std::sync::Arc;

use antirelou_engine::{Controls, NumberRegistry, RouteChanges};
use antirelou_providers::SendApi;
use antirelou_settings::{LedgerSettings, Settings, SettingsError};
use prometheus::{IntCounterVec, IntGauge, Opts};
use serde::Serialize;

use crate::alert_delivery::AlertWebhooks;
use crate::donations::DonationAccounts;
use crate::pollers::Pollers;
use crate::send_apis;

/// Reads and validates the configuration, as at start. The binary's is the
/// file given with `--config` (or the demo) and the process environment.
pub type ConfigSource = Arc<dyn Fn() -> Result<Settings, SettingsError> + Send + Sync>;

/// `antirelou_config_reloads_total{result}`.
pub const CONFIG_RELOADS: &str = "antirelou_config_reloads_total";
/// `antirelou_config_loaded_timestamp_seconds`.
pub const CONFIG_LOADED: &str = "antirelou_config_loaded_timestamp_seconds";

/// The result of a reload: the `result` label of [`CONFIG_RELOADS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReloadResult {
    Applied,
    Refused,
}

impl ReloadResult {
    pub const ALL: [ReloadResult; 2] = [ReloadResult::Applied, ReloadResult::Refused];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReloadResult::Applied => "applied",
            ReloadResult::Refused => "refused",
        }
    }
}

/// What an applied reload did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReloadReport {
    /// Always `true` (a refused reload answers an error).
    pub applied: bool,
    pub numbers_added: Vec<String>,
    pub numbers_removed: Vec<String>,
    /// Numbers kept whose rules or tenant changed (their caches, shield and queue stay).
    pub numbers_changed: Vec<String>,
    pub tenants_added: Vec<String>,
    pub tenants_removed: Vec<String>,
    /// Keys whose new value is ignored until a restart (the running value stays).
    pub needs_restart: Vec<String>,
    /// The file's warnings, as `check-config` prints them.
    pub warnings: Vec<String>,
}

/// Why a reload was refused: the same text `check-config` prints, and each problem.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReloadRefused {
    /// `invalid configuration; the running configuration stays`.
    pub error: String,
    /// What `check-config` prints for this file.
    pub report: String,
    pub problems: Vec<ProblemView>,
}

/// One refused value.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemView {
    /// Dotted key path (`tenants[0].numbers[1].reply`), or an environment variable's name.
    pub key: String,
    pub reason: String,
}

/// What a reload swaps beside the routes: each tenant's alert webhooks and
/// its donation accounts.
pub(crate) struct TenantServices {
    pub webhooks: AlertWebhooks,
    pub donations: Arc<DonationAccounts>,
}

/// Reloads, one at a time.
pub struct Reloader {
    source: ConfigSource,
    current: tokio::sync::Mutex<Settings>,
    registry: NumberRegistry,
    /// Applies the kept numbers' policies: the new file with the stored overrides and pause.
    controls: Controls,
    webhooks: AlertWebhooks,
    donations: Arc<DonationAccounts>,
    /// The in-process drivers' one send API, instead of each provider's client.
    send_api_hook: Option<Arc<dyn SendApi>>,
    /// The OVHcloud pollers, once the application has started them.
    pollers: std::sync::OnceLock<Arc<Pollers>>,
    reloads: IntCounterVec,
    loaded: IntGauge,
}

impl Reloader {
    pub(crate) fn new(
        source: ConfigSource,
        settings: &Settings,
        registry: NumberRegistry,
        controls: Controls,
        tenant_services: TenantServices,
        send_api_hook: Option<Arc<dyn SendApi>>,
        prometheus: &prometheus::Registry,
    ) -> Result<Reloader, prometheus::Error> {
        let reloads = IntCounterVec::new(
            Opts::new(CONFIG_RELOADS, "Configuration reloads (POST /v1/reload, SIGHUP), by result."),
            &["result"],
        )?;
        for result in ReloadResult::ALL {
            reloads.with_label_values(&[result.as_str()]);
        }
        let loaded = IntGauge::new(CONFIG_LOADED, "When the running configuration was loaded (unix seconds).")?;
        prometheus.register(Box::new(reloads.clone()))?;
        prometheus.register(Box::new(loaded.clone()))?;
        loaded.set(chrono::Utc::now().timestamp());
        Ok(Reloader {
            source,
            current: tokio::sync::Mutex::new(settings.clone()),
            registry,
            controls,
            webhooks: tenant_services.webhooks,
            donations: tenant_services.donations,
            send_api_hook,
            pollers: std::sync::OnceLock::new(),
            reloads,
            loaded,
        })
    }

    /// The pollers a reload starts, stops and restarts (set once, by
    /// `Application::build`).
    pub(crate) fn attach_pollers(&self, pollers: Arc<Pollers>) {
        let _ = self.pollers.set(pollers);
    }

    /// Reads, validates and applies the configuration; see the module docs.
    pub async fn reload(&self) -> Result<ReloadReport, ReloadRefused> {
        let mut current = self.current.lock().await;
        let source = Arc::clone(&self.source);
        let loaded = match tokio::task::spawn_blocking(move || source()).await {
            Ok(loaded) => loaded,
            Err(_) => Err(SettingsError::Parse("the configuration reader stopped".to_owned())),
        };
        let new = match loaded {
            Ok(new) => new,
            Err(error) => return Err(self.refused(&error)),
        };
        let needs_restart = needs_restart(&current, &new);
        let effective = keep_restart_only(&current, new);
        let clients = match send_apis::from_settings(&effective) {
            Ok(clients) => clients,
            Err(error) => {
                let problem =
                    SettingsError::Invalid(vec![antirelou_settings::Problem::new("tenants", error.to_string())]);
                return Err(self.refused(&problem));
            }
        };
        let send = match &self.send_api_hook {
            Some(api) => effective.numbers().map(|(_, n)| (n.number.to_string(), Arc::clone(api))).collect(),
            None => clients.send,
        };
        let changes: RouteChanges = self.registry.reload(&effective, &send).await;
        if let Some(pollers) = self.pollers.get() {
            pollers.sync(&effective, &clients.ovh).await;
        }
        let mut warnings: Vec<String> = effective.warnings.iter().map(|w| w.to_string()).collect();
        if let Err(error) = self.controls.rebase(&effective).await {
            // The new routes serve; kept numbers keep their previous rules
            // until the runtime controls can be read again.
            tracing::error!(%error, "reload: the runtime controls could not be re-applied over the new file");
            warnings.push(format!("kept numbers keep their previous rules until the ledger answers: {error}"));
        }
        self.webhooks.store(Arc::new(alert_webhooks(&effective)));
        self.donations.sync(&effective);
        self.reloads.with_label_values(&[ReloadResult::Applied.as_str()]).inc();
        self.loaded.set(chrono::Utc::now().timestamp());
        tracing::info!(added = ?changes.numbers_added, removed = ?changes.numbers_removed,
            changed = ?changes.numbers_changed, needs_restart = ?needs_restart, "configuration reloaded");
        *current = effective;
        Ok(ReloadReport {
            applied: true,
            numbers_added: changes.numbers_added,
            numbers_removed: changes.numbers_removed,
            numbers_changed: changes.numbers_changed,
            tenants_added: changes.tenants_added,
            tenants_removed: changes.tenants_removed,
            needs_restart,
            warnings,
        })
    }

    fn refused(&self, error: &SettingsError) -> ReloadRefused {
        self.reloads.with_label_values(&[ReloadResult::Refused.as_str()]).inc();
        tracing::error!("configuration reload refused; the running configuration stays:\n{error}");
        ReloadRefused {
            error: "invalid configuration; the running configuration stays".to_owned(),
            report: format!("error: invalid configuration:\n{error}"),
            problems: error
                .problems()
                .iter()
                .map(|p| ProblemView { key: p.key.clone(), reason: p.reason.clone() })
                .collect(),
        }
    }
}

/// Each tenant's `alert_webhook`, by tenant id.
pub(crate) fn alert_webhooks(settings: &Settings) -> HashMap<String, Arc<str>> {
    settings
        .tenants
        .iter()
        .filter_map(|t| t.alert_webhook.as_deref().map(|url| (t.id.clone(), Arc::from(url))))
        .collect()
}

/// The keys whose change needs a restart, with a new value in `new`.
fn needs_restart(current: &Settings, new: &Settings) -> Vec<String> {
    let mut keys = Vec::new();
    let mut differs = |key: &str, a: String, b: String| {
        if a != b {
            keys.push(key.to_owned());
        }
    };
    let (s, n) = (&current.server, &new.server);
    differs("server.listen", format!("{:?}", s.listen), format!("{:?}", n.listen));
    differs("server.admin_listen", format!("{:?}", s.admin_listen), format!("{:?}", n.admin_listen));
    differs("server.metrics_listen", format!("{:?}", s.metrics_listen), format!("{:?}", n.metrics_listen));
    differs("server.public_url", s.public_url.clone(), n.public_url.clone());
    let token = |t: &Option<antirelou_settings::Secret>| t.as_ref().map(|t| t.expose().to_owned()).unwrap_or_default();
    differs("server.operator_token", token(&s.operator_token), token(&n.operator_token));
    differs("server (timeouts, capacities, arbiters)", format!("{s:?}"), format!("{n:?}"));
    let (l, m) = (&current.ledger, &new.ledger);
    differs("ledger.backend", format!("{:?}", l.backend), format!("{:?}", m.backend));
    differs("ledger.currency", l.currency.clone(), m.currency.clone());
    differs("ledger.timezone", l.timezone.name().to_owned(), m.timezone.name().to_owned());
    let (p, q) = (&current.privacy, &new.privacy);
    differs("privacy.sender_key", p.sender_key.expose().to_owned(), q.sender_key.expose().to_owned());
    differs("privacy.sealing_key", p.sealing_key.expose().to_owned(), q.sealing_key.expose().to_owned());
    differs("log", format!("{:?}", current.log), format!("{:?}", new.log));
    // The catch-all of `server` repeats the named keys: keep it only alone.
    if keys.iter().any(|k| k.starts_with("server.")) {
        keys.retain(|k| !k.starts_with("server ("));
    }
    keys
}

/// `new` with the running values of everything that needs a restart.
fn keep_restart_only(current: &Settings, new: Settings) -> Settings {
    Settings {
        server: current.server.clone(),
        privacy: current.privacy.clone(),
        log: current.log.clone(),
        ledger: LedgerSettings {
            backend: current.ledger.backend.clone(),
            currency: current.ledger.currency.clone(),
            timezone: current.ledger.timezone,
            ..new.ledger
        },
        ..new
    }
}

/// Reloads on every `SIGHUP` for as long as the runtime runs; a refused
/// file is logged (with its problems) and the running configuration stays.
pub(crate) fn reload_on_sighup(reloader: Arc<Reloader>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload with POST /v1/reload");
        return;
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the configuration");
            // Both outcomes are logged and counted by `reload`.
            let _ = reloader.reload().await;
        }
    });
}
