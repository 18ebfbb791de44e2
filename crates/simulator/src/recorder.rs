//! The send API of an in-process run: every SMS the engine sends through a
//! provider's send API (deferred replies) is recorded with the virtual
//! time and its recipient, and accepted. Nothing leaves the process.

use std::sync::Mutex;

use antirelou_domain::SharedClock;
use antirelou_providers::twilio;
use antirelou_providers::{AccountCheck, OutboundSms, SendApi, SendError, SendReceipt};
use async_trait::async_trait;

/// One SMS the engine sent. `Debug` hides the recipient and the text.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedSend {
    /// Virtual time of the send, microseconds since the Unix epoch.
    pub at_micros: i64,
    /// Our number.
    pub from: String,
    /// The recipient, as the engine gave it (E.164).
    pub to: String,
    pub text: String,
    /// The receipt's id, as the engine may keep it.
    pub provider_message_id: String,
}

impl std::fmt::Debug for RecordedSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedSend")
            .field("at_micros", &self.at_micros)
            .field("from", &self.from)
            .field("to", &"<hidden>")
            .field("provider_message_id", &self.provider_message_id)
            .finish()
    }
}

/// A [`SendApi`] that records and accepts every send.
pub struct SendRecorder {
    clock: SharedClock,
    sends: Mutex<Vec<RecordedSend>>,
}

/// Receipt ids are `message_sid_from(RECEIPT_SID_BASE | n)`: apart from inbound ids.
const RECEIPT_SID_BASE: u128 = 0x7365_6e74 << 96;

impl SendRecorder {
    pub fn new(clock: SharedClock) -> SendRecorder {
        SendRecorder { clock, sends: Mutex::new(Vec::new()) }
    }

    /// Every send so far, in the order they were made.
    pub fn sends(&self) -> Vec<RecordedSend> {
        self.sends.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

#[async_trait]
impl SendApi for SendRecorder {
    async fn send(&self, sms: &OutboundSms) -> Result<SendReceipt, SendError> {
        let mut sends = self.sends.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let provider_message_id = twilio::message_sid_from(RECEIPT_SID_BASE | sends.len() as u128);
        sends.push(RecordedSend {
            at_micros: self.clock.now_micros(),
            from: sms.from.clone(),
            to: sms.to.clone(),
            text: sms.text.clone(),
            provider_message_id: provider_message_id.clone(),
        });
        Ok(SendReceipt { provider_message_id })
    }

    /// No provider behind: the simulated account always works.
    async fn check_account(&self) -> AccountCheck {
        AccountCheck::Accepted
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use antirelou_domain::ManualClock;

    use super::*;

    #[actix_web::test]
    async fn each_send_is_recorded_at_the_virtual_time_with_its_own_receipt() {
        let clock = Arc::new(ManualClock::starting_at(chrono::DateTime::from_timestamp(1_000, 0).unwrap()));
        let recorder = SendRecorder::new(clock.clone());
        let sms = |to: &str| OutboundSms {
            from: "+33644556677".into(),
            to: to.into(),
            text: "Non.".into(),
            status_callback: None,
        };
        let first = recorder.send(&sms("+33611111111")).await.unwrap();
        clock.advance_seconds(90);
        let second = recorder.send(&sms("+33622222222")).await.unwrap();
        assert_ne!(first.provider_message_id, second.provider_message_id);
        let sends = recorder.sends();
        assert_eq!(sends.len(), 2);
        assert_eq!((sends[0].at_micros, sends[0].to.as_str()), (1_000_000_000, "+33611111111"));
        assert_eq!((sends[1].at_micros, sends[1].to.as_str()), (1_090_000_000, "+33622222222"));
        assert_eq!(sends[1].provider_message_id, second.provider_message_id);
        assert!(!format!("{:?}", sends[0]).contains("+33611111111"), "Debug hides the recipient");
    }
}
