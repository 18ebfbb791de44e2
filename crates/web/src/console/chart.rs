//! The overview's 24-hour chart of one number: the replies paid per hour
//! (the ledger's reply entries, so the whole service's), one bar per hour,
//! as inline SVG.

use antirelou_domain::micros;
use std::collections::HashMap;

use antirelou_ledger::{EntryFilter, EntryKind, MAX_ENTRIES_PER_PAGE};
use maud::{html, Markup};

use super::i18n::{Lang, T};
use crate::state::AppState;

/// Hours the chart shows.
pub const HOURS: usize = 24;

/// Pages of entries read for one tenant's chart: bounded work per page
/// view; a tenant with more entries in a day sees the chart marked partial.
const MAX_CHART_PAGES: usize = 5;
/// Chart size in SVG units.
const WIDTH: u32 = 288;
const HEIGHT: u32 = 64;

/// Replies paid per hour for each number of `tenant` over the last
/// [`HOURS`] hours (oldest first), and whether entries were left unread.
pub async fn replies_by_hour(
    state: &AppState,
    tenant: &str,
    now_seconds: i64,
) -> Result<(HashMap<String, [u64; HOURS]>, bool), antirelou_ledger::LedgerError> {
    let hour = now_seconds.div_euclid(3_600);
    let since = micros::from_seconds((hour - HOURS as i64 + 1) * 3_600);
    let mut filter = EntryFilter {
        tenant: Some(tenant.to_owned()),
        since_micros: Some(since),
        limit: MAX_ENTRIES_PER_PAGE,
        ..EntryFilter::default()
    };
    let mut by_number: HashMap<String, [u64; HOURS]> = HashMap::new();
    for _ in 0..MAX_CHART_PAGES {
        let page = state.registry.ledger().entries(&filter).await?;
        for entry in page.entries.iter().filter(|e| e.kind == EntryKind::Reply) {
            let age = hour - micros::to_seconds(entry.at_micros).div_euclid(3_600);
            if (0..HOURS as i64).contains(&age) {
                by_number.entry(entry.number.clone()).or_insert([0; HOURS])[HOURS - 1 - age as usize] +=
                    u64::from(entry.count);
            }
        }
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return Ok((by_number, false)),
        }
    }
    Ok((by_number, true))
}

/// The chart of one number.
pub fn chart(lang: Lang, replied: &[u64; HOURS]) -> Markup {
    let top = replied.iter().copied().max().unwrap_or(0).max(1);
    let slot = WIDTH / HOURS as u32;
    let height = |n: u64| ((n as f64 / top as f64) * f64::from(HEIGHT - 4)).round() as u32;
    let replies = T::ReplySent.count(lang, replied.iter().sum::<u64>());
    let label = format!("{} : {replies}", T::Last24h.get(lang));
    html! {
        figure.chart {
            svg width=(WIDTH) height=(HEIGHT) viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(label) {
                @for (i, r) in replied.iter().enumerate() {
                    @let x = i as u32 * slot;
                    rect.replied x=(x + 1) y=(HEIGHT - height(*r)) width=(slot - 2) height=(height(*r)) {}
                }
            }
            figcaption {
                span.axis { (T::HourAgo.get(lang)) } " … " span.axis { (T::Now.get(lang)) }
                br;
                span.key.replied {} " " (replies)
            }
        }
    }
}
