//! Twilio's delivery status callback: the form Twilio posts to the
//! `StatusCallback` URL of a message sent through the Messages resource
//! (`MessageSid`, `MessageStatus`, `ErrorCode`, `AccountSid`, `From`, `To`,
//! ...). It is signed like an inbound webhook: verify it with
//! [`super::verify_signature`] over the pairs before reading it.

use std::fmt;

/// A message's status as Twilio names it (`MessageStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    Accepted,
    Scheduled,
    Canceled,
    Queued,
    Sending,
    Sent,
    Failed,
    Delivered,
    Undelivered,
    Receiving,
    Received,
    Read,
    PartiallyDelivered,
}

impl DeliveryStatus {
    /// Every status of the twilio SDK's `MessageInstance.Status`.
    pub const ALL: [DeliveryStatus; 13] = [
        DeliveryStatus::Accepted,
        DeliveryStatus::Scheduled,
        DeliveryStatus::Canceled,
        DeliveryStatus::Queued,
        DeliveryStatus::Sending,
        DeliveryStatus::Sent,
        DeliveryStatus::Failed,
        DeliveryStatus::Delivered,
        DeliveryStatus::Undelivered,
        DeliveryStatus::Receiving,
        DeliveryStatus::Received,
        DeliveryStatus::Read,
        DeliveryStatus::PartiallyDelivered,
    ];

    /// Twilio's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Accepted => "accepted",
            DeliveryStatus::Scheduled => "scheduled",
            DeliveryStatus::Canceled => "canceled",
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Undelivered => "undelivered",
            DeliveryStatus::Receiving => "receiving",
            DeliveryStatus::Received => "received",
            DeliveryStatus::Read => "read",
            DeliveryStatus::PartiallyDelivered => "partially_delivered",
        }
    }

    pub fn from_label(label: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|status| status.as_str() == label)
    }

    /// No later callback will change it (delivered, undelivered, failed,
    /// canceled, read). `sent` is not final: a delivery receipt may follow.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Delivered
                | DeliveryStatus::Undelivered
                | DeliveryStatus::Failed
                | DeliveryStatus::Canceled
                | DeliveryStatus::Read
        )
    }

    /// The message did not reach the recipient. Twilio bills `undelivered`
    /// messages (they left Twilio); `failed` ones were not sent and are not
    /// billed, per Twilio's documentation of message statuses.
    pub const fn is_failure(self) -> bool {
        matches!(self, DeliveryStatus::Failed | DeliveryStatus::Undelivered)
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One delivery status callback. `Debug` hides the recipient (`To`).
#[derive(Clone, PartialEq, Eq)]
pub struct StatusCallback {
    /// The message this status is about: the `sid` our send got back.
    pub message_sid: String,
    pub account_sid: String,
    pub status: DeliveryStatus,
    /// Twilio's error code for `failed` / `undelivered` (e.g. 30003 unreachable).
    pub error_code: Option<u32>,
    /// Our number.
    pub from: String,
    /// The recipient: personal data, never logged.
    pub to: String,
}

/// Why a status callback form cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusCallbackError {
    /// A required field is absent or empty; holds the field name.
    #[error("required form field {0} is missing or empty")]
    Missing(&'static str),
    /// `MessageStatus` is not one Twilio documents; holds it (at most 32 chars).
    #[error("unknown MessageStatus {0:?}")]
    UnknownStatus(String),
    /// `ErrorCode` is not a number.
    #[error("ErrorCode is not a number")]
    BadErrorCode,
}

impl StatusCallback {
    /// Reads the callback from the decoded form pairs (the same pairs the
    /// signature was verified over). Unknown fields are ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<StatusCallback, StatusCallbackError> {
        let get = |name: &'static str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
        let required = |name: &'static str, fallback: &'static str| {
            get(name)
                .filter(|value| !value.is_empty())
                .or_else(|| get(fallback).filter(|value| !value.is_empty()))
                .map(str::to_owned)
                .ok_or(StatusCallbackError::Missing(name))
        };
        // Twilio also sends the older SmsSid / SmsStatus with the same values.
        let message_sid = required("MessageSid", "SmsSid")?;
        let label = required("MessageStatus", "SmsStatus")?;
        let status = DeliveryStatus::from_label(&label)
            .ok_or_else(|| StatusCallbackError::UnknownStatus(label.chars().take(32).collect()))?;
        let error_code = match get("ErrorCode").map(str::trim).filter(|code| !code.is_empty()) {
            None => None,
            Some(code) => Some(code.parse().map_err(|_| StatusCallbackError::BadErrorCode)?),
        };
        Ok(StatusCallback {
            message_sid,
            account_sid: required("AccountSid", "AccountSid")?,
            status,
            error_code,
            from: get("From").unwrap_or_default().to_owned(),
            to: get("To").unwrap_or_default().to_owned(),
        })
    }

    /// Parses an `application/x-www-form-urlencoded` body into its pairs,
    /// for [`super::verify_signature`] and then [`StatusCallback::from_pairs`].
    pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
        form_urlencoded::parse(body).map(|(key, value)| (key.into_owned(), value.into_owned())).collect()
    }
}

impl fmt::Debug for StatusCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusCallback")
            .field("message_sid", &self.message_sid)
            .field("account_sid", &self.account_sid)
            .field("status", &self.status)
            .field("error_code", &self.error_code)
            .field("from", &self.from)
            .field("to", &"<hidden>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// The fields Twilio posts for an undelivered message.
    const UNDELIVERED: &[(&str, &str)] = &[
        ("SmsSid", "SM0123456789abcdef0123456789abcdef"),
        ("SmsStatus", "undelivered"),
        ("MessageStatus", "undelivered"),
        ("To", "+33612345678"),
        ("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef"),
        ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
        ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
        ("From", "+33939000001"),
        ("ApiVersion", "2010-04-01"),
        ("ErrorCode", "30003"),
    ];

    #[test]
    fn an_undelivered_callback_is_read_with_its_error_code() {
        let callback = StatusCallback::from_pairs(&pairs(UNDELIVERED)).unwrap();
        assert_eq!(callback.message_sid, "SM0123456789abcdef0123456789abcdef");
        assert_eq!(callback.status, DeliveryStatus::Undelivered);
        assert_eq!(callback.error_code, Some(30003));
        assert!(callback.status.is_final() && callback.status.is_failure());
    }

    #[test]
    fn a_callback_from_the_encoded_body_reads_the_same() {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(UNDELIVERED.iter()).finish();
        let parsed = StatusCallback::form_pairs(body.as_bytes());
        assert_eq!(parsed, pairs(UNDELIVERED));
        assert_eq!(StatusCallback::from_pairs(&parsed).unwrap().to, "+33612345678");
    }

    #[test]
    fn the_older_sms_fields_are_enough_and_an_empty_error_code_is_none() {
        let callback = StatusCallback::from_pairs(&pairs(&[
            ("SmsSid", "SM1"),
            ("SmsStatus", "sent"),
            ("AccountSid", "AC1"),
            ("ErrorCode", ""),
        ]))
        .unwrap();
        assert_eq!(
            (callback.message_sid.as_str(), callback.status, callback.error_code),
            ("SM1", DeliveryStatus::Sent, None)
        );
        assert!(!callback.status.is_final());
    }

    #[test]
    fn missing_or_unknown_fields_are_refused_by_name() {
        let no_sid = pairs(&[("MessageStatus", "sent"), ("AccountSid", "AC1")]);
        assert_eq!(StatusCallback::from_pairs(&no_sid), Err(StatusCallbackError::Missing("MessageSid")));
        let odd = pairs(&[("MessageSid", "SM1"), ("MessageStatus", "teleported"), ("AccountSid", "AC1")]);
        assert_eq!(StatusCallback::from_pairs(&odd), Err(StatusCallbackError::UnknownStatus("teleported".to_owned())));
        let bad =
            pairs(&[("MessageSid", "SM1"), ("MessageStatus", "failed"), ("AccountSid", "AC1"), ("ErrorCode", "x")]);
        assert_eq!(StatusCallback::from_pairs(&bad), Err(StatusCallbackError::BadErrorCode));
    }

    #[test]
    fn every_status_label_round_trips() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::from_label(status.as_str()), Some(status));
        }
    }

    #[test]
    fn debug_hides_the_recipient() {
        let callback = StatusCallback::from_pairs(&pairs(UNDELIVERED)).unwrap();
        let shown = format!("{callback:?}");
        assert!(!shown.contains("+33612345678"), "{shown}");
        assert!(shown.contains("Undelivered"));
    }
}
