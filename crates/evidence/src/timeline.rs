//! `timeline.csv`: an incident's counters per 10-minute slot, in the
//! ledger's timezone, money in euros with a decimal point.

use chrono_tz::Tz;

use crate::model::{IncidentSlot, TIMELINE_SLOT_SECONDS};
use crate::senders::local_time;

/// The header of `timeline.csv`.
pub const TIMELINE_CSV_HEADER: &str = "start,end,messages,new_senders,replies,flooders,spend,saved";

/// One line per slot, oldest first.
pub fn timeline_csv(slots: &[IncidentSlot], timezone: Tz) -> String {
    let mut sorted = slots.to_vec();
    sorted.sort_by_key(|s| s.slot);
    let mut out = String::with_capacity(64 + sorted.len() * 80);
    out.push_str(TIMELINE_CSV_HEADER);
    out.push_str("\r\n");
    for slot in &sorted {
        let start = slot.slot * TIMELINE_SLOT_SECONDS * 1_000_000;
        let end = start + TIMELINE_SLOT_SECONDS * 1_000_000;
        let c = &slot.counts;
        let fields = [
            local_time(start, timezone),
            local_time(end, timezone),
            c.messages.to_string(),
            c.new_senders.to_string(),
            c.replies.to_string(),
            c.flooders.to_string(),
            c.spend().to_string(),
            c.saved().to_string(),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IncidentCounts;

    #[test]
    fn one_line_per_slot_oldest_first_in_local_time() {
        let slot = |slot, messages| IncidentSlot {
            slot,
            counts: IncidentCounts {
                messages,
                new_senders: 3,
                replies: 1,
                flooders: 2,
                reply_spend_micros: 80_000,
                inbound_spend_micros: 0,
                unprotected_cost_micros: messages as i64 * 80_000,
            },
        };
        // 2026-11-28 12:00 UTC is slot 2_993_112.
        let csv = timeline_csv(&[slot(2_993_113, 4), slot(2_993_112, 40)], chrono_tz::Europe::Paris);
        assert_eq!(
            csv,
            "start,end,messages,new_senders,replies,flooders,spend,saved\r\n\
             2026-11-28T13:00:00+01:00,2026-11-28T13:10:00+01:00,40,3,1,2,0.08,3.12\r\n\
             2026-11-28T13:10:00+01:00,2026-11-28T13:20:00+01:00,4,3,1,2,0.08,0.24\r\n"
        );
    }
}
