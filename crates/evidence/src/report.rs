//! `report.html`: the incident told in French for a police officer or a
//! lawyer: what the number is for, what happened and when, the volumes and
//! the money, how the platform decided who was flooding, what the
//! encrypted file holds and how the bundle's integrity is checked. One
//! page, no script, no outside resource.

use antirelou_domain::Money;
use chrono::TimeZone;
use chrono_tz::Tz;
use maud::{html, Markup, DOCTYPE};

use crate::model::{Incident, IncidentSlot, TIMELINE_SLOT_SECONDS};

/// What the report says about the number and its rules.
#[derive(Clone, Debug)]
pub struct NumberAbout {
    /// The collective's id in the deployment.
    pub tenant: String,
    /// The automatic reply every sender gets once.
    pub reply: String,
    /// Messages before the judgement that make a sender a flooder.
    pub flood_messages: u32,
    /// Senders with the same text that make a campaign.
    pub campaign_senders: u32,
    /// Senders from one block of 100 consecutive numbers that make a cluster.
    pub block_senders: u32,
    /// How long a new sender's reply may wait for their judgement, in minutes.
    pub defer_minutes: u64,
}

/// What the report is written from.
pub struct ReportInput<'a> {
    pub incident: &'a Incident,
    pub slots: &'a [IncidentSlot],
    pub about: &'a NumberAbout,
    /// The encrypted files of the bundle, and the recipient they are for.
    pub sealed_files: &'a [String],
    pub recipient: Option<&'a str>,
    /// The deployment's public key, when the manifest is signed.
    pub public_key: Option<&'a str>,
    pub timezone: Tz,
    pub now_micros: i64,
}

/// The page.
pub fn report_html(input: &ReportInput<'_>) -> String {
    let i = input.incident;
    let c = &i.counts;
    let tz = input.timezone;
    let ended = i.ended_micros(input.now_micros);
    let page: Markup = html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                title { "Incident n° " (i.id) " — numéro " (i.number) }
                style { (STYLE) }
            }
            body {
                h1 { "Incident n° " (i.id) " sur le numéro " (i.number) }
                p.meta { "Rapport établi le " (date_time(input.now_micros, tz)) " (" (tz.name()) ")." }

                h2 { "Ce qu'est ce numéro" }
                p {
                    "Le " strong { (i.number) } " est un numéro « anti-relou » du collectif « " (input.about.tenant)
                    " ». Des personnes qui se font importuner dans la rue ou en soirée le donnent à la place du leur. "
                    "Qui l'écrit reçoit une seule réponse automatique, polie et ferme :"
                }
                blockquote { (input.about.reply) }
                p {
                    "Chaque réponse est un SMS payé par le collectif. Une attaque (de nombreuses personnes, ou des "
                    "programmes, qui écrivent en masse au numéro) vise à épuiser cet argent et à rendre le service "
                    "inutilisable, ce qui peut constituer une entrave au fonctionnement d'un système de traitement "
                    "automatisé de données (article 323-2 du Code pénal)."
                }

                h2 { "Ce qui s'est passé" }
                table.facts {
                    tr { th { "Début de l'attaque" } td { (date_time(i.started_micros, tz)) } }
                    tr {
                        th { "Fin" }
                        td { @match ended {
                            Some(end) => (date_time(end, tz)),
                            None => "en cours à la date du rapport",
                        } }
                    }
                    tr { th { "Messages reçus" } td { (c.messages) } }
                    tr { th { "Expéditeurs différents (au moins)" } td { (c.new_senders) } }
                    tr { th { "Expéditeurs jugés comme inondant le numéro" } td { (c.flooders) } }
                    tr { th { "Réponses envoyées" } td { (c.replies) } }
                    tr { th { "Argent dépensé (réponses et messages reçus)" } td { (euros(c.spend())) } }
                    tr { th { "Argent qu'aurait coûté une réponse à chaque message" }
                         td { (euros(Money::from_micros(c.unprotected_cost_micros))) } }
                    tr { th { "Argent épargné par la protection" } td { (euros(c.saved())) } }
                }
                p {
                    "Les expéditeurs sont comptés par chaque serveur qui a reçu leurs messages ; le nombre exact "
                    "d'expéditeurs différents est dans le fichier chiffré, quand il existe."
                }

                h2 { "Volumes par tranche de 10 minutes" }
                @if input.slots.is_empty() {
                    p { "Aucun volume enregistré." }
                } @else {
                    table.timeline {
                        tr { th { "De" } th { "À" } th { "Messages" } th { "Nouveaux expéditeurs" }
                             th { "Réponses" } th { "Jugés inondants" } th { "Dépensé" } }
                        @for slot in sorted(input.slots) {
                            @let start = slot.slot * TIMELINE_SLOT_SECONDS * 1_000_000;
                            tr {
                                td { (date_time(start, tz)) }
                                td { (time(start + TIMELINE_SLOT_SECONDS * 1_000_000, tz)) }
                                td { (slot.counts.messages) }
                                td { (slot.counts.new_senders) }
                                td { (slot.counts.replies) }
                                td { (slot.counts.flooders) }
                                td { (euros(slot.counts.spend())) }
                            }
                        }
                    }
                    p { "Les mêmes chiffres sont dans le fichier timeline.csv." }
                }

                h2 { "Comment la plateforme a décidé qui inondait le numéro" }
                p {
                    "Quand les messages affluent (bien plus de messages ou de nouveaux expéditeurs qu'à l'ordinaire "
                    "en une minute ou une heure), le numéro passe en mode protection : la réponse à chaque nouvel "
                    "expéditeur attend jusqu'à " (input.about.defer_minutes) " minutes, le temps d'observer son "
                    "comportement, puis l'expéditeur est jugé. Il est jugé comme inondant le numéro si, avant son "
                    "jugement :"
                }
                ul {
                    li { "il a écrit " (input.about.flood_messages) " messages ou plus ;" }
                    li { "ou le début de son texte est celui d'au moins " (input.about.campaign_senders)
                         " expéditeurs différents (une campagne copiée-collée) ;" }
                    li { "ou au moins " (input.about.block_senders) " expéditeurs différents écrivent depuis des "
                         "numéros qui ne diffèrent que par leurs deux derniers chiffres (des numéros consécutifs)." }
                }
                p {
                    "Les autres reçoivent la réponse, dans la limite de l'argent prévu. Sont aussi conservés les "
                    "expéditeurs que le collectif a bloqués et qui ont écrit pendant l'attaque."
                }

                h2 { "Les expéditeurs" }
                @match (input.sealed_files.is_empty(), input.recipient) {
                    (false, Some(recipient)) => {
                        p {
                            "Le numéro, les dates du premier et du dernier message, le nombre de messages et au "
                            "plus quelques textes de chaque expéditeur conservé sont dans "
                            @for (n, file) in input.sealed_files.iter().enumerate() {
                                @if n > 0 { ", " } code { (file) }
                            }
                            ". Ces fichiers ont été chiffrés dès l'enregistrement pour la clé publique du collectif "
                            code { (recipient) } " : ni la plateforme ni son hébergeur ne peuvent les lire. Seul le "
                            "collectif, qui détient la clé secrète, les ouvre avec le logiciel libre age :"
                        }
                        pre { "age -d -i cle-du-collectif.txt senders.csv.age > senders.csv" }
                        @if input.sealed_files.len() > 1 {
                            p {
                                "Chaque fichier contient ce qu'un serveur de la plateforme a vu : un même numéro "
                                "peut figurer dans plusieurs fichiers ; ses messages s'additionnent."
                            }
                        }
                    }
                    _ => {
                        p {
                            "Aucun expéditeur n'a été conservé pour cet incident : la plateforme ne garde les "
                            "numéros et les textes des expéditeurs qu'à la demande du collectif, chiffrés pour sa "
                            "clé, et seulement ceux qui inondent le numéro."
                        }
                    }
                }

                h2 { "Intégrité de ce dossier" }
                p {
                    "Le fichier manifest.json donne l'empreinte SHA-256 de chaque fichier du dossier. "
                    @match input.public_key {
                        Some(key) => {
                            "Le fichier manifest.json.sig est la signature Ed25519 de manifest.json par la "
                            "plateforme ; sa clé publique est " code { (key) } ". Toute modification d'un fichier "
                            "change son empreinte, et toute modification du manifeste invalide la signature."
                        }
                        None => { "Ce dossier n'est pas signé : la plateforme n'a pas de clé de signature." }
                    }
                }
            }
        }
    };
    page.into_string()
}

/// Money as a French reader writes it: `0,08 €`.
pub fn euros(money: Money) -> String {
    format!("{} €", money.to_string().replace('.', ","))
}

fn date_time(micros: i64, tz: Tz) -> String {
    tz.timestamp_micros(micros).single().map(|t| t.format("%d/%m/%Y à %H:%M").to_string()).unwrap_or_default()
}

fn time(micros: i64, tz: Tz) -> String {
    tz.timestamp_micros(micros).single().map(|t| t.format("%H:%M").to_string()).unwrap_or_default()
}

fn sorted(slots: &[IncidentSlot]) -> Vec<IncidentSlot> {
    let mut sorted = slots.to_vec();
    sorted.sort_by_key(|s| s.slot);
    sorted
}

const STYLE: &str = "body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em;line-height:1.45}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.3em .6em;text-align:left}\
table.timeline td{text-align:right}blockquote{border-left:4px solid #999;margin:1em 0;padding:.2em 1em}\
pre{background:#eee;padding:.5em}.meta{color:#555}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IncidentCounts;

    fn incident() -> Incident {
        Incident {
            id: 7,
            tenant: "paris".into(),
            number: "+33612345678".into(),
            started_micros: 1_795_867_200_000_000,
            until_micros: 1_795_874_400_000_000,
            counts: IncidentCounts {
                messages: 1_200,
                new_senders: 90,
                replies: 12,
                flooders: 40,
                reply_spend_micros: 960_000,
                inbound_spend_micros: 0,
                unprotected_cost_micros: 96_000_000,
            },
            sealed_parts: 1,
        }
    }

    fn about() -> NumberAbout {
        NumberAbout {
            tenant: "paris".into(),
            reply: "Non, c'est non.".into(),
            flood_messages: 5,
            campaign_senders: 5,
            block_senders: 3,
            defer_minutes: 45,
        }
    }

    #[test]
    fn the_report_says_in_french_when_how_much_and_how_flooders_were_judged() {
        let incident = incident();
        let files = vec!["senders.csv.age".to_owned()];
        let html = report_html(&ReportInput {
            incident: &incident,
            slots: &[IncidentSlot { slot: 2_993_112, counts: incident.counts }],
            about: &about(),
            sealed_files: &files,
            recipient: Some("age1example"),
            public_key: Some("PUBKEY"),
            timezone: chrono_tz::Europe::Paris,
            now_micros: 1_795_900_000_000_000,
        });
        for expected in [
            "Incident n° 7 sur le numéro +33612345678",
            "28/11/2026 à 13:00",
            "28/11/2026 à 15:00",
            "<td>1200</td>",
            "0,96 €",
            "95,04 €",
            "5 messages ou plus",
            "article 323-2 du Code pénal",
            "age -d -i cle-du-collectif.txt senders.csv.age",
            "age1example",
            "PUBKEY",
        ] {
            assert!(html.contains(expected), "{expected:?} missing from\n{html}");
        }
    }

    #[test]
    fn without_sealed_files_the_report_says_no_sender_was_kept() {
        let incident = incident();
        let html = report_html(&ReportInput {
            incident: &incident,
            slots: &[],
            about: &about(),
            sealed_files: &[],
            recipient: None,
            public_key: None,
            timezone: chrono_tz::Europe::Paris,
            now_micros: 1_795_870_000_000_000,
        });
        assert!(html.contains("Aucun expéditeur n'a été conservé"));
        assert!(html.contains("en cours à la date du rapport"));
        assert!(html.contains("pas signé"));
    }
}
