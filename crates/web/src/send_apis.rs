//! Each number's provider send API (replies that are not inline), built
//! from its tenant's `provider` settings: one client per tenant, shared by
//! its numbers (OVHcloud sends from each virtual number, so one per number).

use std::collections::HashMap;
use std::sync::Arc;

use antirelou_engine::SendApis;
use antirelou_providers::ovh::{OvhApi, OvhApiConfig, OvhCredentials, OvhSender, VirtualNumber};
use antirelou_providers::plivo::{PlivoSendConfig, PlivoSender};
use antirelou_providers::twilio::{TwilioSendConfig, TwilioSender};
use antirelou_providers::vonage::{VonageSendConfig, VonageSender};
use antirelou_providers::{ClientBuildError, SendApi, SendPolicy};
use antirelou_settings::{ProviderSettings, Settings, TenantSettings};

/// The provider clients of a deployment.
#[derive(Default)]
pub struct ProviderClients {
    /// Send APIs by number.
    pub send: SendApis,
    /// The OVHcloud API client of each OVHcloud tenant (its poller uses it too).
    pub ovh: HashMap<String, Arc<OvhApi>>,
}

/// A tenant whose provider client cannot be built.
#[derive(Debug, thiserror::Error)]
#[error("tenant {tenant}: cannot build its provider client: {source}")]
pub struct ProviderClientError {
    pub tenant: String,
    #[source]
    pub source: ClientBuildError,
}

/// One client per tenant (per number for OVHcloud).
pub fn from_settings(settings: &Settings) -> Result<ProviderClients, ProviderClientError> {
    let mut clients = ProviderClients::default();
    for tenant in &settings.tenants {
        build(tenant, &mut clients).map_err(|source| ProviderClientError { tenant: tenant.id.clone(), source })?;
    }
    Ok(clients)
}

fn build(tenant: &TenantSettings, clients: &mut ProviderClients) -> Result<(), ClientBuildError> {
    let policy = SendPolicy::default();
    let shared: Arc<dyn SendApi> = match &tenant.provider {
        ProviderSettings::Twilio { account_sid, auth_token, api_base } => {
            Arc::new(TwilioSender::new(TwilioSendConfig {
                api_base: api_base.clone(),
                account_sid: account_sid.clone(),
                auth_token: auth_token.expose().to_owned(),
                policy,
            })?)
        }
        ProviderSettings::Vonage { api_key, api_secret, api_base, .. } => {
            Arc::new(VonageSender::new(VonageSendConfig {
                api_base: api_base.clone(),
                api_key: api_key.clone(),
                api_secret: api_secret.expose().to_owned(),
                policy,
            })?)
        }
        ProviderSettings::Plivo { auth_id, auth_token, api_base } => Arc::new(PlivoSender::new(PlivoSendConfig {
            api_base: api_base.clone(),
            auth_id: auth_id.clone(),
            auth_token: auth_token.expose().to_owned(),
            policy,
        })?),
        ProviderSettings::Ovh { application_key, application_secret, consumer_key, service_name, .. } => {
            let api = Arc::new(OvhApi::new(OvhApiConfig {
                api_base: tenant.provider.api_base().to_owned(),
                credentials: OvhCredentials {
                    application_key: application_key.clone(),
                    application_secret: application_secret.expose().to_owned(),
                    consumer_key: consumer_key.expose().to_owned(),
                },
                policy,
                time_refresh_secs: OvhApiConfig::DEFAULT_TIME_REFRESH_SECS,
            })?);
            for number in &tenant.numbers {
                let virtual_number = VirtualNumber::new(service_name, number.number.as_str())?;
                let sender: Arc<dyn SendApi> = Arc::new(OvhSender::new(Arc::clone(&api), virtual_number));
                clients.send.insert(number.number.to_string(), sender);
            }
            clients.ovh.insert(tenant.id.clone(), api);
            return Ok(());
        }
    };
    for number in &tenant.numbers {
        clients.send.insert(number.number.to_string(), Arc::clone(&shared));
    }
    Ok(())
}
