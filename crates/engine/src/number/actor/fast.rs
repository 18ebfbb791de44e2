//! The arrivals the HTTP workers answered from the number's published view
//! (`number/published.rs`): the actor applies each one as if it had decided
//! it (the surge window and the shield, the baseline, the message-id cache,
//! the messages a pending judgement weighs, the inbound charge, the
//! incident notebook), before any other message. The worker counted the
//! outcome it answered; the actor moves that count when it finds another
//! (`duplicate`: a retry that overtook its first delivery).

use std::panic::{catch_unwind, AssertUnwindSafe};

use actix::prelude::*;
use antirelou_domain::Outcome;

use super::{Arrival, FastArrival, NumberActor};
use crate::messages::{Channel, DrainAnswered};

impl NumberActor {
    /// Applies every arrival the workers answered since the last drain, in order.
    pub(super) fn drain_answered(&mut self, ctx: &mut Context<Self>) {
        let mut batch = std::mem::take(&mut self.answered);
        self.deps.published.take(&mut batch);
        let mut broken = false;
        for answered in batch.drain(..) {
            if broken {
                // The state is being rebuilt: charge what was received.
                self.charges.received(&self.deps.policy, &answered.message_id);
                continue;
            }
            broken = !self.settle(&answered, ctx);
        }
        self.answered = batch;
    }

    /// Applies one answered arrival; `false` if the state panicked (the
    /// supervisor rebuilds it).
    fn settle(&mut self, answered: &FastArrival, ctx: &mut Context<Self>) -> bool {
        let now = answered.at_micros;
        let msg = Arrival {
            message_id: &answered.message_id,
            sender: answered.sender,
            sender_phone: &answered.sender_phone,
            body: &answered.body,
            channel: Channel::Sms,
        };
        let state = &mut self.live.state;
        let settled = catch_unwind(AssertUnwindSafe(|| {
            let seen = state.observe(&msg.sender, msg.message_id, now);
            let outcome = state.settle_answered(&msg, answered.outcome, now);
            (seen, outcome)
        }));
        let Ok((seen, outcome)) = settled else {
            self.charges.received(&self.deps.policy, &answered.message_id);
            ctx.stop();
            return false;
        };
        self.account(&msg, &seen, outcome == Outcome::Duplicate, outcome == Outcome::Blocked, now, ctx);
        if outcome != answered.outcome {
            self.deps.metrics.recount(answered.outcome, outcome);
        }
        true
    }
}

impl Handler<DrainAnswered> for NumberActor {
    type Result = ();

    fn handle(&mut self, _msg: DrainAnswered, ctx: &mut Context<Self>) {
        self.drain_answered(ctx);
    }
}
