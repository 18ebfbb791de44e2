//! Replies from an OVHcloud virtual number: one SMS job
//! (`POST /sms/{serviceName}/virtualNumbers/{number}/jobs`) per reply,
//! through the shared [`OvhApi`] client.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::api::{OvhApi, OvhApiError, OvhJob, VirtualNumber};
use crate::account_check::AccountCheck;
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

    /// `GET /sms/{serviceName}` (signed): the SMS service the number belongs to.
    async fn check_account(&self) -> AccountCheck {
        match self.api.sms_service(self.number.service_name()).await {
            Ok(()) => AccountCheck::Accepted,
            Err(error) if error.is_credentials() => {
                let status = match error {
                    OvhApiError::Refused { status, .. } => status,
                    _ => 403,
                };
                AccountCheck::CredentialsRefused { status }
            }
            Err(OvhApiError::NotFound) => AccountCheck::Unexpected { status: 404 },
            Err(OvhApiError::Refused { status, .. } | OvhApiError::Server { status }) => {
                AccountCheck::Unexpected { status }
            }
            Err(error @ (OvhApiError::Connect(_) | OvhApiError::Timeout { .. } | OvhApiError::Transport(_))) => {
                AccountCheck::Unreachable(error.to_string())
            }
            Err(OvhApiError::Malformed(reason)) => AccountCheck::Unreachable(reason),
        }
    }
}
