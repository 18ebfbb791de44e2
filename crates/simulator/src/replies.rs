//! Every reply a run delivered, inline (a TwiML answer to a message) or
//! later (a send through the send API), in time order, with the sender it
//! went to: what the report counts and what the invariants hold.

use crate::report::RunRecords;
use crate::traffic::Traffic;

/// How a reply reached its sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// In the answer to the message at this index of the traffic.
    Inline { message: usize },
    /// Sent later through the send API: this index of [`RunRecords::sends`].
    Sent { send: usize },
}

/// One delivered reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub at_micros: i64,
    /// Index into [`Traffic::senders`]; `None` for a send to a number that never wrote.
    pub sender: Option<u32>,
    pub delivery: Delivery,
}

/// The replies of `run`, sorted by time (inline ones first at equal times).
pub fn delivered(traffic: &Traffic, run: &RunRecords) -> Vec<Reply> {
    let mut replies: Vec<Reply> = traffic
        .messages
        .iter()
        .zip(&run.records)
        .enumerate()
        .filter(|(_, (_, record))| record.replied)
        .map(|(index, (message, _))| Reply {
            at_micros: message.at_micros,
            sender: Some(message.sender),
            delivery: Delivery::Inline { message: index },
        })
        .collect();
    if !run.sends.is_empty() {
        let recipients = traffic.recipients();
        replies.extend(run.sends.iter().enumerate().map(|(index, send)| Reply {
            at_micros: send.at_micros,
            sender: recipients.get(&send.to).copied(),
            delivery: Delivery::Sent { send: index },
        }));
    }
    replies.sort_by_key(|r| r.at_micros);
    replies
}

impl Reply {
    /// Where the reply came from, for a violation's message.
    pub fn describe(&self, traffic: &Traffic) -> String {
        let at = chrono::DateTime::from_timestamp_micros(self.at_micros).unwrap_or_default();
        let at = at.format("%Y-%m-%dT%H:%M:%S%.3fZ");
        match self.delivery {
            Delivery::Inline { message } => {
                format!("inline reply at {at} to line {}", traffic.messages[message].line)
            }
            Delivery::Sent { send } => format!("send #{send} at {at}"),
        }
    }
}
