//! The sentence of each health reason, in French (`fr`) and English
//! (`en`): what is wrong, in a volunteer's words, and what to do. No
//! internal word (the console shows these).

use antirelou_domain::ProviderKind;
use antirelou_ledger::BudgetScope;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{HealthCode, HealthReason};
use crate::alerts::{Alert, AlertKind};

/// What the sentences name: the provider, where it must send incoming
/// messages, and the timezone times are written in.
#[derive(Clone, Debug)]
pub struct WordsContext {
    pub provider: ProviderKind,
    /// This service's public address (`server.public_url`), where
    /// providers that call us must send incoming messages.
    pub public_url: String,
    pub timezone: Tz,
}

pub(super) fn provider_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Twilio => "Twilio",
        ProviderKind::Vonage => "Vonage",
        ProviderKind::Plivo => "Plivo",
        ProviderKind::Ovh => "OVHcloud",
    }
}

fn local_time(seconds: i64, timezone: Tz) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(|t| t.with_timezone(&timezone).format("%H:%M").to_string())
        .unwrap_or_default()
}

/// The sentence of `reason` in `lang` (`"fr"`, else English).
pub fn reason_text(reason: &HealthReason, context: &WordsContext, lang: &str) -> String {
    let fr = lang.eq_ignore_ascii_case("fr");
    let provider = provider_name(context.provider);
    let url = &context.public_url;
    match reason.code {
        HealthCode::InboundRejected if fr => format!(
            "Les messages que {provider} nous transmet sont refusés : leur signature ne correspond pas. \
             Vérifiez l'adresse publique dans la console de {provider} : les messages reçus par ce numéro \
             doivent être envoyés à ce serveur, {url}, et le jeton (ou la clé) du compte doit être celui de la \
             configuration : « Tester la connexion », sur la page du numéro, vérifie les clés du compte."
        ),
        HealthCode::InboundRejected => format!(
            "The messages {provider} forwards to us are refused: their signature does not match. \
             Check the public address in {provider}'s console: messages received by this number must be \
             sent to this server, {url}, and the account's token (or key) must be the one in the configuration: \
             \"Test the connection\", on the number's page, checks the account's keys."
        ),
        HealthCode::PollFailing if fr => format!(
            "Les messages reçus ne peuvent pas être relevés chez {provider} : son service ne répond pas comme prévu. \
             Personne ne reçoit de réponse. Vérifiez l'adresse du service de {provider} dans la configuration \
             (api_base, pour la personne qui gère le serveur) et que le serveur peut le joindre : le numéro \
             revient tout seul au relevé suivant."
        ),
        HealthCode::PollFailing => format!(
            "Incoming messages cannot be collected from {provider}: its service does not answer as expected. \
             Nobody gets a reply. Check {provider}'s service address in the configuration (api_base, for the \
             person who runs the server) and that the server can reach it: the number comes back by itself at \
             the next collection."
        ),
        HealthCode::SendFailing if fr => format!(
            "{provider} refuse nos envois de réponses, ou ne peut pas être joint : les réponses envoyées plus tard \
             ne partent pas. Vérifiez le compte chez {provider} (crédit, numéro autorisé à envoyer) : le numéro \
             revient dès qu'un envoi réussit."
        ),
        HealthCode::SendFailing => format!(
            "{provider} refuses the replies we send, or cannot be reached: replies sent later do not go out. \
             Check the account at {provider} (credit, number allowed to send): the number comes back as soon \
             as a send succeeds."
        ),
        HealthCode::CredentialsRefused if fr => {
            let back = if context.provider == ProviderKind::Ovh {
                "le numéro revient tout seul au relevé suivant, ou dès que « Tester la connexion » réussit"
            } else {
                "le numéro revient dès que « Tester la connexion » (sur la page du numéro) ou un envoi réussit"
            };
            format!(
                "{provider} refuse nos identifiants : plus rien ne peut être reçu ni envoyé. Vérifiez les clés du \
                 compte dans la configuration (ou demandez-le à la personne qui gère le serveur) : {back}."
            )
        }
        HealthCode::CredentialsRefused => {
            let back = if context.provider == ProviderKind::Ovh {
                "the number comes back by itself at the next collection, or as soon as \"Test the connection\" succeeds"
            } else {
                "the number comes back as soon as \"Test the connection\" (on the number's page) or a send succeeds"
            };
            format!(
                "{provider} refuses our credentials: nothing can be received or sent. Check the account's keys in \
                 the configuration (or ask the person who runs the server): {back}."
            )
        }
        HealthCode::Paused if fr => {
            "Le numéro est en pause : personne ne reçoit de réponse. Reprenez quand vous voulez.".into()
        }
        HealthCode::Paused => "The number is paused: nobody gets a reply. Resume it whenever you like.".into(),
        HealthCode::ShieldOn => {
            let until = reason.until_seconds.map(|s| local_time(s, context.timezone)).unwrap_or_default();
            if fr {
                format!(
                    "Une attaque est en cours : le bouclier est levé jusqu'à {until} au moins. Les personnes déjà \
                     connues sont répondues ; les nouvelles sont examinées avant de recevoir une réponse."
                )
            } else {
                format!(
                    "An attack is under way: the shield is up until {until} at least. People already known are \
                     answered; new ones are looked at before they get a reply."
                )
            }
        }
        HealthCode::CapReached => match (reason.scope, fr) {
            (Some(BudgetScope::NumberDaily), true) => {
                "Le plafond du jour est atteint : plus de réponse jusqu'à minuit. Vous pouvez relever le plafond."
                    .into()
            }
            (Some(BudgetScope::NumberDaily), false) => {
                "Today's cap is reached: no more replies until midnight. You can raise the cap.".into()
            }
            (_, true) => "Le plafond du mois est atteint : plus de réponse jusqu'au 1er du mois prochain.".into(),
            (_, false) => "The month's cap is reached: no more replies until the 1st of next month.".into(),
        },
        HealthCode::BalanceEmpty if fr => {
            "Le solde prépayé est épuisé : plus de réponse jusqu'au prochain versement.".into()
        }
        HealthCode::BalanceEmpty => "The prepaid balance is spent: no more replies until the next top-up.".into(),
    }
}

/// The alert of a failing episode (raised once per episode): what fails, in English and French.
pub fn failing_alert(tenant: &str, number: &str, reasons: &[HealthReason], context: &WordsContext) -> Alert {
    let english: Vec<String> = reasons.iter().map(|r| reason_text(r, context, "en")).collect();
    let french: Vec<String> = reasons.iter().map(|r| reason_text(r, context, "fr")).collect();
    let text = format!("antirelou: number {number} of {tenant} is failing. {}", english.join(" "));
    let mut details = serde_json::Map::new();
    details.insert("state".into(), "failing".into());
    details.insert("reasons".into(), reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().into());
    details.insert(
        "text_fr".into(),
        format!("antirelou : le numéro {number} de {tenant} ne fonctionne plus. {}", french.join(" ")).into(),
    );
    Alert {
        kind: AlertKind::Health,
        event: "number_failing",
        tenant: tenant.into(),
        number: Some(number.into()),
        text,
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(provider: ProviderKind) -> WordsContext {
        WordsContext { provider, public_url: "https://sms.example.org".into(), timezone: chrono_tz::Europe::Paris }
    }

    #[test]
    fn every_reason_has_a_french_and_an_english_sentence_without_internal_words() {
        for code in HealthCode::ALL {
            let reason = HealthReason {
                code,
                since_micros: None,
                scope: Some(BudgetScope::NumberDaily),
                until_seconds: Some(0),
            };
            let fr = reason_text(&reason, &context(ProviderKind::Ovh), "fr");
            let en = reason_text(&reason, &context(ProviderKind::Ovh), "en");
            assert_ne!(fr, en, "{code:?}");
            for text in [&fr, &en] {
                let lower = text.to_lowercase();
                for word in [
                    "replica",
                    "réplique",
                    "deployment",
                    "déploiement",
                    "webhook",
                    "judgement",
                    "jugement",
                    "fingerprint",
                    "hash",
                    "hmac",
                    "ttl",
                ] {
                    assert!(!lower.contains(word), "{code:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn a_refused_webhook_says_where_the_provider_must_send_messages() {
        let reason =
            HealthReason { code: HealthCode::InboundRejected, since_micros: None, scope: None, until_seconds: None };
        let fr = reason_text(&reason, &context(ProviderKind::Twilio), "fr");
        assert!(fr.starts_with("Les messages que Twilio"), "{fr}");
        assert!(fr.contains("Vérifiez l'adresse publique dans la console de Twilio : "), "{fr}");
        assert!(fr.contains("https://sms.example.org"), "{fr}");
    }
}
