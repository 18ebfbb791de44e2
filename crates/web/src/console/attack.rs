//! `GET /console/during-an-attack`: what is happening when a number is
//! flooded, what the service does by itself, what to do and what not to
//! do, in a volunteer's words. Linked from the number page while its shield
//! is up and from each shield alert of the alerts page. The same for every
//! collective: no figure, nothing read from the ledger.

use actix_web::{HttpRequest, HttpResponse};
use maud::html;

use super::i18n::T;
use super::PageState;
use super::{layout, Visit};

pub async fn show(request: HttpRequest, state: PageState) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state).await else { return layout::to_sign_in() };
    let lang = visit.lang;
    let list = |texts: &[T]| {
        html! { ul { @for text in texts { li { (text.get(lang)) } } } }
    };
    let body = html! {
        section aria-labelledby="attack-what" {
            h2 #attack-what { (T::AttackWhat.get(lang)) }
            p { (T::AttackWhatText.get(lang)) }
        }
        section aria-labelledby="attack-service" {
            h2 #attack-service { (T::AttackService.get(lang)) }
            (list(&[T::AttackServiceShield, T::AttackServiceWho, T::AttackServiceMoney, T::AttackServiceRecord]))
        }
        section aria-labelledby="attack-do" {
            h2 #attack-do { (T::AttackDo.get(lang)) }
            (list(&[T::AttackDoNothing, T::AttackDoCap, T::AttackDoBlock, T::AttackDoEvidence]))
        }
        section aria-labelledby="attack-dont" {
            h2 #attack-dont { (T::AttackDont.get(lang)) }
            (list(&[T::AttackDontPause, T::AttackDontNoCap]))
        }
    };
    layout::page(&visit, T::DuringAnAttack, body)
}
