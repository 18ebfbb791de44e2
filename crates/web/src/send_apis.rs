//! Each tenant's provider send API (replies that are not inline), built
//! from its `provider` settings.

use std::sync::Arc;

use antirelou_engine::SendApis;
use antirelou_providers::twilio::{TwilioSendConfig, TwilioSender};
use antirelou_providers::{SendApi, SendPolicy};
use antirelou_settings::{ProviderSettings, Settings};

use crate::startup::StartupError;

/// One client per tenant.
pub fn from_settings(settings: &Settings) -> Result<SendApis, StartupError> {
    let mut apis = SendApis::new();
    for tenant in &settings.tenants {
        let api: Arc<dyn SendApi> = match &tenant.provider {
            ProviderSettings::Twilio { account_sid, auth_token } => Arc::new(
                TwilioSender::new(TwilioSendConfig {
                    api_base: antirelou_providers::twilio::send::DEFAULT_API_BASE.to_owned(),
                    account_sid: account_sid.clone(),
                    auth_token: auth_token.expose().to_owned(),
                    policy: SendPolicy::default(),
                })
                .map_err(|source| StartupError::Provider { tenant: tenant.id.clone(), source })?,
            ),
        };
        apis.insert(tenant.id.clone(), api);
    }
    Ok(apis)
}
