//! The connection test ("Tester la connexion"): the number's provider is
//! asked, at no messaging cost, whether our credentials work
//! ([`SendApi::check_account`](antirelou_providers::SendApi::check_account)),
//! within a bound; the answer is a sentence for a volunteer, in French or
//! English, that says what to do when it fails. Refused credentials are
//! observed as `credentials_refused` (the number becomes `failing`); a
//! success ends that problem.

use std::time::Duration;

use antirelou_domain::ProviderKind;
use antirelou_providers::{AccountCheck, SendPolicy};

use super::reporter::HealthReporter;
use super::words::{provider_name, WordsContext};
use super::HealthCode;
use crate::handle::NumberHandle;

/// The longest a connection test waits: one connection and one request of the send clients' policy.
pub fn check_bound() -> Duration {
    SendPolicy::default().account_check_bound()
}

impl HealthReporter {
    /// Asks `handle`'s provider whether our credentials work; records
    /// what it says of them in the number's health (at once: a person is
    /// looking at the page).
    pub async fn check_connection(&self, handle: &NumberHandle) -> AccountCheck {
        let Some(api) = &handle.send_api else {
            return AccountCheck::Unreachable("no provider client for this number".to_owned());
        };
        let bound = check_bound();
        let result = match tokio::time::timeout(bound, api.check_account()).await {
            Ok(result) => result,
            Err(_) => AccountCheck::Unreachable(format!("no answer within {} ms", bound.as_millis())),
        };
        match &result {
            AccountCheck::Accepted => {
                self.observe_now(handle, HealthCode::CredentialsRefused, true).await;
            }
            AccountCheck::CredentialsRefused { .. } => {
                self.observe_now(handle, HealthCode::CredentialsRefused, false).await;
            }
            AccountCheck::Unreachable(_) | AccountCheck::Unexpected { .. } => {}
        }
        if !result.is_ok() {
            tracing::info!(tenant = %handle.tenant_id(), number = %handle.number(), ?result, "a connection test failed");
        }
        result
    }
}

/// Where a provider's console shows the credentials the configuration needs, in `lang`.
fn where_credentials_are(kind: ProviderKind, fr: bool) -> &'static str {
    match (kind, fr) {
        (ProviderKind::Twilio, true) => {
            "l'Account SID et l'Auth Token sont sur la page d'accueil de la console Twilio (« Account Info »)"
        }
        (ProviderKind::Twilio, false) => {
            "the Account SID and Auth Token are on the Twilio console's home page (\"Account Info\")"
        }
        (ProviderKind::Vonage, true) => {
            "la clé et le secret d'API (API key, API secret) sont sur la page d'accueil du tableau de bord Vonage"
        }
        (ProviderKind::Vonage, false) => "the API key and API secret are on the Vonage dashboard's home page",
        (ProviderKind::Plivo, true) => {
            "l'Auth ID et l'Auth Token sont sur la page d'accueil de la console Plivo (« Account »)"
        }
        (ProviderKind::Plivo, false) => "the Auth ID and Auth Token are on the Plivo console's home page (\"Account\")",
        (ProviderKind::Ovh, true) => {
            "les clés d'application (application key, application secret, consumer key) se créent sur \
             https://eu.api.ovh.com/createToken/ avec le droit GET, POST et DELETE sur /sms/*"
        }
        (ProviderKind::Ovh, false) => {
            "the application keys (application key, application secret, consumer key) are created at \
             https://eu.api.ovh.com/createToken/ with the GET, POST and DELETE rights on /sms/*"
        }
    }
}

/// The answer of a connection test in words of `lang` (`"fr"`, else English).
pub fn check_text(result: &AccountCheck, context: &WordsContext, lang: &str) -> String {
    let fr = lang.eq_ignore_ascii_case("fr");
    let provider = provider_name(context.provider);
    match result {
        AccountCheck::Accepted if fr => {
            format!("La connexion fonctionne : {provider} accepte nos identifiants.")
        }
        AccountCheck::Accepted => format!("The connection works: {provider} accepts our credentials."),
        AccountCheck::CredentialsRefused { status } => {
            let place = where_credentials_are(context.provider, fr);
            if fr {
                format!(
                    "{provider} refuse nos identifiants (réponse {status}) : ni réception ni envoi ne peuvent \
                     fonctionner. Recopiez-les depuis la console de {provider} ({place}) dans la configuration, \
                     ou demandez-le à la personne qui gère le serveur, puis testez à nouveau."
                )
            } else {
                format!(
                    "{provider} refuses our credentials (answer {status}): nothing can be received or sent. \
                     Copy them from {provider}'s console ({place}) into the configuration, or ask the person who \
                     runs the server, then test again."
                )
            }
        }
        AccountCheck::Unreachable(_) if fr => format!(
            "{provider} ne peut pas être joint depuis le serveur. Vérifiez l'adresse du service de {provider} \
             dans la configuration (api_base, pour la personne qui gère le serveur) et que le serveur a accès \
             à Internet (pare-feu, proxy), puis testez à nouveau."
        ),
        AccountCheck::Unreachable(_) => format!(
            "{provider} cannot be reached from the server. Check {provider}'s service address in the \
             configuration (api_base, for the person who runs the server) and that the server can reach the \
             Internet (firewall, proxy), then test again."
        ),
        AccountCheck::Unexpected { status } if fr => format!(
            "{provider} a répondu de façon inattendue (réponse {status}). S'il ne connaît pas le compte, vérifiez \
             son identifiant dans la configuration (pour OVHcloud : le nom du service SMS) ; sinon, \
             {provider} a peut-être un incident : testez à nouveau dans quelques minutes."
        ),
        AccountCheck::Unexpected { status } => format!(
            "{provider} answered unexpectedly (answer {status}). If it does not know the account, check its \
             identifier in the configuration (for OVHcloud: the SMS service name); otherwise {provider} may \
             have an outage: test again in a few minutes."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(provider: ProviderKind) -> WordsContext {
        WordsContext { provider, public_url: "https://sms.example.org".into(), timezone: chrono_tz::Europe::Paris }
    }

    #[test]
    fn refused_credentials_say_where_the_provider_shows_them() {
        let refused = AccountCheck::CredentialsRefused { status: 401 };
        let fr = check_text(&refused, &context(ProviderKind::Twilio), "fr");
        assert!(fr.starts_with("Twilio refuse nos identifiants (réponse 401)"), "{fr}");
        assert!(fr.contains("Auth Token"), "{fr}");
        let en = check_text(&refused, &context(ProviderKind::Ovh), "en");
        assert!(en.contains("createToken"), "{en}");
    }

    #[test]
    fn every_answer_has_its_own_words_in_both_languages() {
        let answers = [
            AccountCheck::Accepted,
            AccountCheck::CredentialsRefused { status: 403 },
            AccountCheck::Unreachable("connection refused".into()),
            AccountCheck::Unexpected { status: 404 },
        ];
        for kind in [ProviderKind::Twilio, ProviderKind::Vonage, ProviderKind::Plivo, ProviderKind::Ovh] {
            let mut seen = std::collections::HashSet::new();
            for answer in &answers {
                for lang in ["fr", "en"] {
                    let text = check_text(answer, &context(kind), lang);
                    assert!(seen.insert(text.clone()), "{text}");
                    assert!(!text.to_lowercase().contains("webhook"), "{text}");
                }
            }
        }
    }
}
