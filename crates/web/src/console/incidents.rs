//! The collective's attacks (incidents, docs/evidence.md):
//! `GET /console/tenants/{tenant}/incidents` lists them, and
//! `…/incidents/{id}` shows one with its figures, the download of its
//! evidence bundle (`…/incidents/{id}/evidence.zip`, the admin API's), and
//! in plain words how to file a complaint and how to open the encrypted
//! file with age. No page shows a sender or a body: the senders are only
//! in the encrypted file, which only the collective's key opens.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::Money;
use antirelou_evidence::Incident;
use maud::{html, Markup};

use super::format;
use super::i18n::{Lang, T};
use super::{layout, PageState, Visit};
use crate::routes::admin::incidents::{tenant_bundle, tenant_incidents, zip_response};

/// Incidents a page lists.
const LISTED: usize = 100;

pub async fn list(request: HttpRequest, path: web::Path<String>, state: PageState) -> HttpResponse {
    let tenant = path.into_inner();
    let visit = match Visit::of_tenant(&request, &state, &tenant).await {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    let lang = visit.lang;
    let Ok(incidents) = tenant_incidents(&state, &tenant, None, LISTED).await else {
        return visit.unavailable(&request, T::LedgerUnavailable);
    };
    let now = state.clock.now_micros();
    let body = html! {
        p.subtitle { (T::Tenant.get(lang)) " " (tenant) }
        p { (T::AttacksIntro.get(lang)) }
        @if incidents.is_empty() {
            p { (T::NoAttack.get(lang)) }
        } @else {
            table #incidents {
                thead { tr {
                    th scope="col" { (T::AttackStart.get(lang)) }
                    th scope="col" { (T::AttackEnd.get(lang)) }
                    th scope="col" { (T::Number.get(lang)) }
                    th scope="col" { (T::Messages.get(lang)) }
                    th scope="col" { (T::Flooders.get(lang)) }
                    th scope="col" { (T::Spent.get(lang)) }
                } }
                tbody {
                    @for incident in &incidents {
                        tr {
                            td data-label=(T::AttackStart.get(lang)) { a href=(format!("/console/tenants/{tenant}/incidents/{}", incident.id)) {
                                (when(lang, incident.started_micros, state.timezone)) } }
                            td data-label=(T::AttackEnd.get(lang)) { (end(incident, now, lang, state.timezone)) }
                            td data-label=(T::Number.get(lang)) { (incident.number) }
                            td data-label=(T::Messages.get(lang)) { (incident.counts.messages) }
                            td data-label=(T::Flooders.get(lang)) { (incident.counts.flooders) }
                            td data-label=(T::Spent.get(lang)) { (format::money(lang, &state.currency, incident.counts.spend())) }
                        }
                    }
                }
            }
        }
    };
    layout::page(&visit, T::Attacks, body)
}

pub async fn show(request: HttpRequest, path: web::Path<(String, String)>, state: PageState) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    let visit = match Visit::of_tenant(&request, &state, &tenant).await {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    let Ok(id) = id.parse::<u64>() else { return visit.not_found(&request) };
    let now = state.clock.now_micros();
    let incident = match state.registry.ledger().incident(&tenant, id, now).await {
        Ok(Some((incident, _))) => incident,
        Ok(None) => return visit.not_found(&request),
        Err(_) => return visit.unavailable(&request, T::LedgerUnavailable),
    };
    let lang = visit.lang;
    let tz = state.timezone;
    let c = &incident.counts;
    let money = |m: Money| format::money(lang, &state.currency, m);
    let body = html! {
        p.subtitle { (T::Tenant.get(lang)) " " (tenant) " · " (T::Number.get(lang)) " " (incident.number) }
        table.facts {
            tr { th scope="row" { (T::AttackStart.get(lang)) } td { (when(lang, incident.started_micros, tz)) } }
            tr { th scope="row" { (T::AttackEnd.get(lang)) } td { (end(&incident, now, lang, tz)) } }
            tr { th scope="row" { (T::Messages.get(lang)) } td { (c.messages) } }
            tr { th scope="row" { (T::NewSenders.get(lang)) } td { (c.new_senders) } }
            tr { th scope="row" { (T::Flooders.get(lang)) } td { (c.flooders) } }
            tr { th scope="row" { (T::RepliesSent.get(lang)) } td { (c.replies) } }
            tr { th scope="row" { (T::Spent.get(lang)) } td { (money(c.spend())) } }
            tr { th scope="row" { (T::SavedByShield.get(lang)) } td { (money(c.saved())) } }
        }
        h2 { (T::TheFile.get(lang)) }
        p {
            a.button href=(format!("/console/tenants/{tenant}/incidents/{id}/evidence.zip")) download {
                (T::DownloadFile.get(lang))
            }
        }
        @if incident.sealed_parts > 0 {
            p { (T::FileHasSenders.get(lang)) }
        } @else {
            p { (T::FileWithoutSenders.get(lang)) }
        }
        (complaint(lang))
    };
    layout::page(&visit, T::Attack, body)
}

pub async fn evidence(request: HttpRequest, path: web::Path<(String, String)>, state: PageState) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    let visit = match Visit::of_tenant(&request, &state, &tenant).await {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    let Ok(id) = id.parse::<u64>() else { return visit.not_found(&request) };
    match tenant_bundle(&state, &tenant, id).await {
        Ok(Some(zip)) => zip_response(&tenant, id, zip),
        Ok(None) => visit.not_found(&request),
        Err(_) => visit.unavailable(&request, T::LedgerUnavailable),
    }
}

/// How to open the file and file a complaint, step by step.
fn complaint(lang: Lang) -> Markup {
    html! {
        h2 { (T::OpenTheFile.get(lang)) }
        p { (T::OpenTheFileIntro.get(lang)) }
        pre { "age -d -i cle-du-collectif.txt senders.csv.age > senders.csv" }
        p { (T::KeepTheKey.get(lang)) }
        h2 { (T::FileAComplaint.get(lang)) }
        ol {
            li { (T::ComplaintStep1.get(lang)) }
            li { (T::ComplaintStep2.get(lang)) }
            li { (T::ComplaintStep3.get(lang)) }
            li { (T::ComplaintStep4.get(lang)) }
        }
    }
}

fn when(lang: Lang, micros: i64, tz: chrono_tz::Tz) -> String {
    format::time(lang, tz, micros)
}

fn end(incident: &Incident, now: i64, lang: Lang, tz: chrono_tz::Tz) -> String {
    match incident.ended_micros(now) {
        Some(end) => when(lang, end, tz),
        None => T::StillOn.get(lang).to_owned(),
    }
}
