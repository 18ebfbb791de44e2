//! A number's rules, resolved once from settings and shared with its actor.

use std::collections::HashSet;
use std::sync::Arc;

use antirelou_domain::shield::ShieldPolicy;
use antirelou_domain::{Money, ProviderKind, SenderKey};
use antirelou_ledger::Caps;
use antirelou_settings::{
    AllowedCountries, EvidenceSettings, NumberSettings, ProviderSettings, Secret, Settings, TenantSettings,
};
use chrono_tz::Tz;

/// What the web layer needs to authenticate a tenant's webhooks and admin calls.
#[derive(Debug)]
pub struct TenantRoute {
    pub id: Arc<str>,
    pub provider: ProviderSettings,
    pub admin_token: Option<Secret>,
    /// Whether its replies are paid from its prepaid balance (the only
    /// tenants a top-up or a donation may credit).
    pub prepaid: bool,
}

impl TenantRoute {
    pub fn from_settings(tenant: &TenantSettings) -> TenantRoute {
        TenantRoute {
            id: Arc::from(tenant.id.as_str()),
            provider: tenant.provider.clone(),
            admin_token: tenant.admin_token.clone(),
            prepaid: tenant.prepaid,
        }
    }
}

/// What the deferred judgement needs of a number's settings (`number::judge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JudgePolicy {
    pub reply_cost: Money,
    pub caps: Caps,
    pub pace_percent_per_hour: u32,
    pub trickle_per_hour: u32,
    pub flood_messages: u32,
    pub defer_for_seconds: u64,
}

/// How a number answers a call (its `voice` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicePolicy {
    /// What the caller hears.
    pub say: Arc<str>,
    /// The voice's language (BCP 47).
    pub language: Arc<str>,
    pub price_per_minute: Money,
    pub max_seconds: u32,
    /// Reserved before answering: `price_per_minute × ceil(max_seconds / 60)`.
    pub reservation: Money,
}

/// Everything one number's actor decides with.
#[derive(Debug, Clone)]
pub struct NumberPolicy {
    pub tenant: Arc<str>,
    pub number: Arc<str>,
    /// The tenant's provider (the sentences of the number's health name it).
    pub provider: ProviderKind,
    pub paused: bool,
    pub reply: Arc<str>,
    pub reply_cost: Money,
    pub inbound_price: Money,
    pub caps: Caps,
    pub prepaid: bool,
    pub reply_once_per_seconds: u64,
    pub max_replies_per_minute: u32,
    pub allowed_countries: AllowedCountries,
    pub shield: ShieldPolicy,
    /// How deferred senders are judged and paced.
    pub judge: JudgePolicy,
    pub blocklist: Arc<HashSet<SenderKey>>,
    pub alert_webhook: Option<Arc<str>>,
    /// The tenant's `donation_url`: where its balance alerts send people to give.
    pub donation_url: Option<Arc<str>>,
    pub timezone: Tz,
    /// Whether the provider takes the reply in the webhook's answer (Twilio,
    /// Plivo); otherwise every reply goes through its send API (Vonage,
    /// OVHcloud).
    pub inline_reply: bool,
    /// Where the provider reports delivery of replies sent through its API (Twilio).
    pub status_callback: Option<Arc<str>>,
    /// The tenant's `evidence`: sealed evidence of attacks (`None` keeps no sender).
    pub evidence: Option<Arc<EvidenceSettings>>,
    /// How calls are answered; `None`: rejected unanswered, before the engine.
    pub voice: Option<Arc<VoicePolicy>>,
}

impl NumberPolicy {
    pub fn from_settings(settings: &Settings, tenant: &TenantSettings, number: &NumberSettings) -> NumberPolicy {
        let caps = Caps {
            number_daily: number.daily_cap,
            tenant_monthly: tenant.monthly_cap,
            deployment_monthly: settings.ledger.monthly_cap,
        };
        let kind = tenant.provider.kind();
        let public_url = settings.server.public_url.trim_end_matches('/');
        NumberPolicy {
            tenant: Arc::from(tenant.id.as_str()),
            number: Arc::from(number.number.as_str()),
            provider: kind,
            paused: number.paused,
            reply: Arc::from(number.reply.as_str()),
            reply_cost: number.reply_cost,
            inbound_price: number.inbound_price,
            caps,
            prepaid: tenant.prepaid,
            reply_once_per_seconds: number.reply_once_per_seconds,
            max_replies_per_minute: number.max_replies_per_minute,
            allowed_countries: number.allowed_countries.clone(),
            shield: number.shield.policy(),
            judge: JudgePolicy {
                reply_cost: number.reply_cost,
                caps,
                pace_percent_per_hour: number.shield.pace_percent_per_hour,
                trickle_per_hour: number.shield.trickle_per_hour,
                flood_messages: number.shield.flood_messages,
                defer_for_seconds: number.shield.defer_for_seconds,
            },
            blocklist: Arc::new(tenant.blocklist.iter().copied().collect()),
            alert_webhook: tenant.alert_webhook.as_deref().map(Arc::from),
            donation_url: tenant.donation_url.as_deref().map(Arc::from),
            timezone: settings.ledger.timezone,
            inline_reply: matches!(kind, ProviderKind::Twilio | ProviderKind::Plivo),
            status_callback: (kind == ProviderKind::Twilio)
                .then(|| Arc::from(format!("{public_url}/webhooks/twilio/status"))),
            evidence: tenant.evidence.clone().map(Arc::new),
            voice: number.voice.as_ref().map(|voice| {
                Arc::new(VoicePolicy {
                    say: Arc::from(voice.say.as_str()),
                    language: Arc::from(voice.language.as_str()),
                    price_per_minute: voice.price_per_minute,
                    max_seconds: voice.max_seconds,
                    reservation: voice.call_reservation,
                })
            }),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use antirelou_domain::shield::ShieldPolicy;

    /// A number of tenant paris: 0.08 a reply, no caps, 3 replies a minute, FR only.
    pub(crate) fn sample_policy() -> NumberPolicy {
        NumberPolicy {
            tenant: Arc::from("paris"),
            number: Arc::from("+33612345678"),
            provider: ProviderKind::Twilio,
            paused: false,
            reply: Arc::from("Non, c'est non."),
            reply_cost: Money::from_micros(80_000),
            inbound_price: Money::ZERO,
            caps: Caps::default(),
            prepaid: false,
            reply_once_per_seconds: 30 * 86_400,
            max_replies_per_minute: 3,
            allowed_countries: AllowedCountries::Only(vec!["FR".into()]),
            shield: ShieldPolicy {
                trigger_per_minute: 60,
                new_senders_per_minute: 20,
                trigger_per_hour: 600,
                new_senders_per_hour: 40,
                hold_seconds: 3_600,
                trickle_per_hour: 10,
                baseline_factor: 4,
                money_margin_percent: 20,
            },
            judge: JudgePolicy {
                reply_cost: Money::from_micros(80_000),
                caps: Caps::default(),
                pace_percent_per_hour: 25,
                trickle_per_hour: 10,
                flood_messages: 5,
                defer_for_seconds: 45 * 60,
            },
            blocklist: Arc::new(HashSet::new()),
            alert_webhook: None,
            donation_url: None,
            timezone: chrono_tz::Europe::Paris,
            inline_reply: true,
            status_callback: None,
            evidence: None,
            voice: Some(Arc::new(VoicePolicy {
                say: Arc::from("Bonjour. Non, c'est non."),
                language: Arc::from("fr-FR"),
                price_per_minute: Money::from_micros(20_000),
                max_seconds: 30,
                reservation: Money::from_micros(20_000),
            })),
        }
    }
}
