//! Evidence for a complaint (docs/evidence.md): what antirelou keeps of an
//! attack on a number, and the bundle a collective hands to the police.
//!
//! - [`model`]: an [`Incident`] (one shield episode of a number: counters,
//!   no sender), its slots of 10 minutes, and the [`SealedPart`]s the
//!   ledger stores. Start here.
//! - [`keys`]: the collective's [`EvidenceRecipient`] (age) that sender
//!   rows are encrypted to, and the deployment's [`EvidenceSigner`]
//!   (Ed25519) that signs each bundle.
//! - [`senders`]: a kept sender's [`SenderRow`] and `senders.csv`, which
//!   exists in clear only in memory, just before it is sealed.
//! - [`timeline`], [`report`]: `timeline.csv` and the French `report.html`.
//! - [`bundle`]: the ZIP, its manifest and signature.
//!
//! No IO but the operating system's randomness age draws for each file key.

pub mod bundle;
pub mod keys;
pub mod model;
pub mod report;
pub mod senders;
pub mod timeline;

pub use bundle::{build_bundle, BundleError, BundleInput, Manifest};
pub use keys::{signature_verifies, EvidenceRecipient, EvidenceSigner, NotARecipient, SealError};
pub use model::{
    timeline_slot, Incident, IncidentActivity, IncidentCounts, IncidentId, IncidentOpening, IncidentSlot, SealedPart,
};
pub use report::NumberAbout;
pub use senders::{senders_csv, KeptBecause, SenderRow};
