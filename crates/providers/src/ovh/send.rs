//! Replies from an OVHcloud virtual number: one SMS job
//! (`POST /sms/{serviceName}/virtualNumbers/{number}/jobs`) per reply,
//! through the shared [`OvhApi`] client.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::api::{OvhApi, OvhJob, VirtualNumber};
use crate::send::{OutboundSms, SendApi, SendError, SendReceipt};

/// Sends replies from one virtual number.
pub struct OvhSender {
    api: Arc<OvhApi>,
    number: VirtualNumber,
}

impl OvhSender {
    /// `api` may be shared with the poller of the same application.
    pub fn new(api: Arc<OvhApi>, number: VirtualNumber) -> OvhSender {
        OvhSender { api, number }
    }

    pub fn number(&self) -> &VirtualNumber {
        &self.number
    }
}

impl fmt::Debug for OvhSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OvhSender").field("number", &self.number).finish_non_exhaustive()
    }
}

#[async_trait]
impl SendApi for OvhSender {
    async fn send(&self, sms: &OutboundSms) -> Result<SendReceipt, SendError> {
        if sms.from != self.number.e164() {
            // A job always leaves from the virtual number it is posted to.
            return Err(SendError::Refused(format!(
                "this sender sends from {}, not from {}",
                self.number.e164(),
                sms.from
            )));
        }
        self.api.create_job(&self.number, &OvhJob::reply(&sms.to, &sms.text)).await
    }
}
