//! The money page's donations: what the prepaid balance still pays for
//! (about how many replies), and each donation credited, with its platform
//! and the payment's number there (to find it in the collective's HelloAsso
//! or Open Collective back office). No donor is shown: the ledger keeps
//! none.

use antirelou_domain::{DonationSource, Money};
use antirelou_ledger::Donation;
use maud::{html, Markup};

use super::format;
use super::i18n::{Lang, T};
use super::PageState;

/// Donations the page lists (newest first); the CSV download has them all.
const DONATIONS_SHOWN: usize = 50;

/// About how many replies `balance` still pays for: at the dearest reply of
/// the tenant's numbers, so that the figure is never more than the truth;
/// `None` when every reply is free.
pub(super) fn replies_left(state: &PageState, tenant: &str, balance: Money) -> Option<i64> {
    let dearest = state
        .registry
        .numbers()
        .iter()
        .filter(|handle| **handle.tenant_id() == *tenant)
        .map(|handle| handle.policy.reply_cost)
        .max()
        .filter(|cost| *cost > Money::ZERO)?;
    Some(balance.micros().max(0) / dearest.micros())
}

/// The tenant's donations, when it takes donations or has received some;
/// `Err` when the ledger does not answer.
pub(super) async fn section(state: &PageState, tenant: &str, lang: Lang) -> Result<Option<Markup>, ()> {
    let configured = DonationSource::ALL.into_iter().any(|source| state.donations.account(tenant, source).is_some());
    let donations: Vec<Donation> = state.registry.ledger().donations(tenant, DONATIONS_SHOWN).await.map_err(|_| ())?;
    if !configured && donations.is_empty() {
        return Ok(None);
    }
    let currency = &state.currency;
    Ok(Some(html! {
        section aria-labelledby="donations" {
            h2 #donations { (T::Donations.get(lang)) }
            @if donations.is_empty() {
                p { (T::NoDonationYet.get(lang)) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (T::When.get(lang)) }
                        th scope="col" { (T::DonationPlatform.get(lang)) }
                        th scope="col" { (T::PaymentNumber.get(lang)) }
                        th scope="col" { (T::Amount.get(lang)) }
                        th scope="col" { (T::Refunded.get(lang)) }
                    } }
                    tbody {
                        @for donation in &donations {
                            tr {
                                td data-label=(T::When.get(lang)) {
                                    (format::time(lang, state.timezone, donation.credited_at_micros))
                                }
                                td data-label=(T::DonationPlatform.get(lang)) { (donation.source.display_name()) }
                                td data-label=(T::PaymentNumber.get(lang)) { (donation.payment_id) }
                                td.amount data-label=(T::Amount.get(lang)) {
                                    (format::money(lang, currency, donation.amount))
                                }
                                td data-label=(T::Refunded.get(lang)) {
                                    @if let Some(at) = donation.refunded_at_micros {
                                        (format::time(lang, state.timezone, at))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }))
}
