//! `GET /console/tenants/{tenant}/money`: the balance, a top-up form, the
//! latest entries, and their CSV download (the same export as the API's).
//! The balance says about how many replies it still pays for, and the
//! donations credited are listed (`donations.rs`).
//! A tenant that is not prepaid has no balance: the page says what prepaid
//! means and how to turn it on, instead of the balance and the form.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_ledger::{export, EntryFilter, EntryKind, LedgerError};
use futures_util::StreamExt as _;
use maud::html;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::i18n::{Lang, T};
use super::PageState;
use super::{fields, format};
use super::{layout, Visit};
use crate::routes::admin::tenants::{credit, csv_rows, TopUpError};

/// Entries the page shows (newest last, oldest first like the ledger); the
/// CSV download has them all.
const ENTRIES_SHOWN: usize = 50;

/// The kind of an entry, in words.
fn kind_text(kind: EntryKind) -> T {
    match kind {
        EntryKind::Reply => T::KindReply,
        EntryKind::Inbound => T::KindInbound,
        EntryKind::TopUp => T::KindTopUp,
        EntryKind::Donation => T::KindDonation,
        EntryKind::Refund => T::KindRefund,
        EntryKind::Call => T::KindCall,
        EntryKind::CallSettled => T::KindCallSettled,
    }
}

#[derive(Deserialize)]
pub struct MoneyQuery {
    /// The cursor of the page to show.
    after: Option<String>,
    /// What was just done, by its code (`credited`): the notice is chosen
    /// from a fixed list and its figures read from the ledger.
    done: Option<String>,
    /// Why a top-up was refused, by its code (`not_positive`, `amount`, `too_large`).
    problem: Option<String>,
}

pub async fn show(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<MoneyQuery>,
    state: PageState,
) -> HttpResponse {
    let tenant = path.into_inner();
    let visit = match Visit::of_tenant(&request, &state, &tenant).await {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    let lang = visit.lang;
    let balance = match state.registry.ledger().balances().await {
        Ok(balances) => balances.into_iter().find(|(t, _)| *t == tenant).map(|(_, b)| b),
        Err(_) => return visit.unavailable(&request, T::LedgerUnavailable),
    };
    let filter = EntryFilter {
        tenant: Some(tenant.clone()),
        after: query.after.clone(),
        limit: ENTRIES_SHOWN,
        ..EntryFilter::default()
    };
    let page = match state.registry.ledger().entries(&filter).await {
        Ok(page) => page,
        Err(LedgerError::Refused(_)) => {
            return layout::refusal(&request, Some(&visit), StatusCode::BAD_REQUEST, T::BadCursor);
        }
        Err(_) => return visit.unavailable(&request, T::LedgerUnavailable),
    };
    let problem = match query.problem.as_deref() {
        Some("not_positive") => Some(T::AmountNotPositive),
        Some("amount") => Some(T::AmountInvalid),
        Some("too_large") => Some(T::AmountTooLarge),
        _ => None,
    };
    let credited = query.done.as_deref() == Some("credited");
    // A tenant that is not prepaid has no balance to credit: the page says why, and offers no form.
    let prepaid = state.registry.tenant(&tenant).is_some_and(|route| route.prepaid);
    let donations = match super::donations::section(&state, &tenant, lang).await {
        Ok(section) => section,
        Err(()) => return visit.unavailable(&request, T::LedgerUnavailable),
    };
    let replies_left = balance.and_then(|balance| super::donations::replies_left(&state, &tenant, balance));
    let currency = &state.currency;
    let money = |amount| format::money(lang, currency, amount);
    let body = html! {
        @if let (true, Some(balance)) = (credited, &balance) {
            p.notice.ok role="status" { (T::Credited.get(lang)) " " strong { (money(*balance)) } }
        }
        @if !prepaid {
            p.notice #not-prepaid role="note" { (T::NotPrepaid.get(lang)) }
        } @else {
            p.balance #balance {
                (T::Balance.get(lang)) " : "
                @match balance {
                    Some(balance) => strong { (money(balance)) },
                    None => (T::NoBalance.get(lang)),
                }
                @if let Some(replies) = replies_left { " (≈ " (replies) " " (T::RepliesLeft.get(lang)) ")" }
            }
            section aria-labelledby="top-up" {
                h2 #top-up { (T::TopUp.get(lang)) }
                form method="post" action=(format!("/console/tenants/{tenant}/top-up")) {
                    input type="hidden" name="csrf" value=(visit.csrf);
                    label for="amount" { (T::Amount.get(lang)) " (" (format::currency_sign(currency)) ")" }
                    input #amount type="text" name="amount" inputmode="decimal" required
                        aria-invalid=[problem.map(|_| "true")]
                        aria-describedby=[problem.map(|_| fields::error_id("amount"))]
                        placeholder=(if lang == Lang::Fr { "10,00" } else { "10.00" });
                    (fields::error(lang, "amount", problem))
                    label for="note" { (T::Note.get(lang)) }
                    input #note type="text" name="note" maxlength="200";
                    button type="submit" { (T::TopUp.get(lang)) }
                }
            }
        }
        @if let Some(donations) = donations { (donations) }
        section aria-labelledby="entries" {
            h2 #entries { (T::Entries.get(lang)) }
            p { a href=(format!("/console/tenants/{tenant}/entries.csv")) download { (T::DownloadCsv.get(lang)) } }
            @if page.entries.is_empty() {
                p { (T::NoneYet.get(lang)) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (T::When.get(lang)) }
                        th scope="col" { (T::Number.get(lang)) }
                        th scope="col" { (T::Kind.get(lang)) }
                        th scope="col" { (T::Amount.get(lang)) }
                        th scope="col" { (T::Count.get(lang)) }
                        th scope="col" { (T::Reference.get(lang)) }
                    } }
                    tbody {
                        @for entry in &page.entries {
                            tr {
                                td data-label=(T::When.get(lang)) { (format::time(lang, state.timezone, entry.at_micros)) }
                                td data-label=(T::Number.get(lang)) { (entry.number) }
                                td data-label=(T::Kind.get(lang)) { (kind_text(entry.kind).get(lang)) }
                                td.amount data-label=(T::Amount.get(lang)) { (money(entry.amount)) }
                                td data-label=(T::Count.get(lang)) { (entry.count) }
                                td data-label=(T::Reference.get(lang)) { (entry.reference) }
                            }
                        }
                    }
                }
                @if let Some(next) = &page.next {
                    p { a href=(format!("/console/tenants/{tenant}/money?after={}", layout::url_encode(next))) {
                        (T::OlderEntries.get(lang))
                    } }
                }
            }
        }
    };
    layout::page(&visit, T::Money, html! { p.subtitle { (T::Tenant.get(lang)) " " (tenant) } (body) })
}

#[derive(Deserialize)]
pub struct TopUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/tenants/{tenant}/top-up`: the API's top-up.
pub async fn top_up(
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<TopUpForm>,
    state: PageState,
) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state).await else { return layout::to_sign_in() };
    if !visit.csrf_ok(&form.csrf) {
        return visit.bad_form(&request);
    }
    let tenant = path.into_inner();
    let back = format!("/console/tenants/{tenant}/money");
    match credit(&state, visit.caller(), &tenant, &form.amount, &form.note).await {
        Ok(_) => layout::see_other(&format!("{back}?done=credited")),
        Err(TopUpError::NotFound) => visit.not_found(&request),
        // The page says why (a form it does not offer was posted).
        Err(TopUpError::NotPrepaid) => layout::see_other(&back),
        Err(TopUpError::NotPositive) => layout::see_other(&format!("{back}?problem=not_positive")),
        Err(TopUpError::Amount(_)) => layout::see_other(&format!("{back}?problem=amount")),
        Err(TopUpError::Refused(_)) => layout::see_other(&format!("{back}?problem=too_large")),
        Err(TopUpError::Ledger) => visit.unavailable(&request, T::LedgerUnavailable),
    }
}

/// CSV downloads of one tenant streaming at once: each is a series of
/// bounded ledger reads, and many at once would queue in front of the
/// webhooks' decisions. Per tenant, so that one tenant's downloads, stalled
/// or not, never hold another's back.
pub const EXPORTS_PER_TENANT: usize = 2;

/// The download slots of every tenant (one semaphore each, made at its
/// first download; tenants are configured, so the map is bounded).
#[derive(Default)]
pub struct ExportSlots {
    tenants: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl ExportSlots {
    /// One of `tenant`'s slots, held until the download ends, if one is free.
    fn take(&self, tenant: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            // A panic while holding this lock cannot leave the map half-written.
            let mut tenants = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
            let slots =
                tenants.entry(tenant.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(EXPORTS_PER_TENANT)));
            Arc::clone(slots)
        };
        semaphore.try_acquire_owned().ok()
    }
}

/// `GET /console/tenants/{tenant}/entries.csv`: every entry of the tenant,
/// oldest first, as the API's CSV, streamed a ledger page (at most 1,000
/// entries) at a time: memory stays one page whatever the history, and at
/// most [`EXPORTS_PER_TENANT`] downloads of one tenant run at once (`503`
/// beyond, for that tenant only). A client that stops reading is cut after
/// `server.write_timeout_ms` (the write deadline, `write_deadline.rs`),
/// which ends the download and frees its slot. A ledger failure mid-way
/// cuts the download short (the browser reports a failed download, never a
/// silently short file).
pub async fn csv(request: HttpRequest, path: web::Path<String>, state: PageState) -> HttpResponse {
    let tenant = path.into_inner();
    let visit = match Visit::of_tenant(&request, &state, &tenant).await {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    let Some(permit) = state.console.exports.take(&tenant) else {
        return visit.unavailable(&request, T::ExportsBusy);
    };
    let ledger = Arc::clone(state.registry.ledger());
    let currency = state.currency.clone();
    let first = EntryFilter { tenant: Some(tenant.clone()), ..EntryFilter::default() };
    let header = web::Bytes::from(format!("{}\r\n", export::CSV_HEADER));
    let pages = futures_util::stream::unfold(Some((first, permit)), move |next| {
        let (ledger, currency) = (ledger.clone(), currency.clone());
        async move {
            let (filter, permit) = next?;
            match ledger.entries(&filter).await {
                Ok(page) => {
                    let rows = csv_rows(&page.entries, &currency);
                    let next = page.next.map(|after| (EntryFilter { after: Some(after), ..filter }, permit));
                    Some((Ok(web::Bytes::from(rows)), next))
                }
                Err(error) => Some((Err(actix_web::error::ErrorServiceUnavailable(error.to_string())), None)),
            }
        }
    });
    let body = futures_util::stream::once(futures_util::future::ready(Ok(header))).chain(pages);
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"antirelou-{tenant}-entries.csv\"")))
        .streaming(body)
}
