//! The evidence bundle of one incident: a ZIP of `report.html` (French),
//! `timeline.csv`, `senders.csv.age` (and `senders-2.csv.age`, … when
//! several servers kept senders), `manifest.json` (every file's SHA-256,
//! the deployment's public key, the recipient) and `manifest.json.sig`
//! (the base64 Ed25519 signature of `manifest.json`'s exact bytes).
//! Built from what the ledger holds; the encrypted files are copied as
//! they were written, never opened.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};

use chrono_tz::Tz;
use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::keys::EvidenceSigner;
use crate::model::{Incident, IncidentId, IncidentSlot, SealedPart};
use crate::report::{report_html, NumberAbout, ReportInput};
use crate::senders::local_time;
use crate::timeline::timeline_csv;

/// The format a manifest declares.
pub const MANIFEST_FORMAT: &str = "antirelou-evidence/1";
pub const REPORT_FILE: &str = "report.html";
pub const TIMELINE_FILE: &str = "timeline.csv";
pub const SENDERS_FILE: &str = "senders.csv.age";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const SIGNATURE_FILE: &str = "manifest.json.sig";

/// What a bundle is built from.
pub struct BundleInput<'a> {
    pub incident: &'a Incident,
    pub slots: &'a [IncidentSlot],
    /// The incident's sealed parts (none without evidence, or once expired).
    pub parts: &'a [SealedPart],
    pub about: &'a NumberAbout,
    /// The tenant's `evidence.recipient`, when it has one.
    pub recipient: Option<&'a str>,
    /// `privacy.evidence_signing_key`; without it the bundle is not signed.
    pub signer: Option<&'a EvidenceSigner>,
    pub timezone: Tz,
    pub now_micros: i64,
}

/// `manifest.json`.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub incident: IncidentId,
    pub tenant: String,
    pub number: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub created_at: String,
    /// The age public key the senders files are encrypted to.
    pub recipient: Option<String>,
    /// File name → SHA-256, lowercase hex.
    pub files: BTreeMap<String, String>,
    /// Base64 of the deployment's 32-byte Ed25519 public key (`None`: not signed).
    pub public_key: Option<String>,
    pub signature: Option<String>,
}

/// The bundle could not be written (memory only: it does not happen short of a bug).
#[derive(Debug, thiserror::Error)]
#[error("the evidence bundle could not be written: {0}")]
pub struct BundleError(String);

/// The name of the `n`-th senders file (from 0).
pub fn senders_file_name(n: usize) -> String {
    match n {
        0 => SENDERS_FILE.to_owned(),
        n => format!("senders-{}.csv.age", n + 1),
    }
}

/// The ZIP's bytes.
pub fn build_bundle(input: &BundleInput<'_>) -> Result<Vec<u8>, BundleError> {
    let mut parts: Vec<&SealedPart> = input.parts.iter().filter(|p| p.incident == input.incident.id).collect();
    parts.sort_by(|a, b| a.part.cmp(&b.part));
    let sealed_files: Vec<String> = (0..parts.len()).map(senders_file_name).collect();
    let public_key = input.signer.map(EvidenceSigner::public_key_base64);
    let report = report_html(&ReportInput {
        incident: input.incident,
        slots: input.slots,
        about: input.about,
        sealed_files: &sealed_files,
        recipient: input.recipient,
        public_key: public_key.as_deref(),
        timezone: input.timezone,
        now_micros: input.now_micros,
    });
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (REPORT_FILE.to_owned(), report.into_bytes()),
        (TIMELINE_FILE.to_owned(), timeline_csv(input.slots, input.timezone).into_bytes()),
    ];
    files.extend(sealed_files.iter().cloned().zip(parts.iter().map(|p| p.sealed.clone())));
    let incident = input.incident;
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        incident: incident.id,
        tenant: incident.tenant.clone(),
        number: incident.number.clone(),
        started_at: local_time(incident.started_micros, input.timezone),
        ended_at: incident.ended_micros(input.now_micros).map(|t| local_time(t, input.timezone)),
        created_at: local_time(input.now_micros, input.timezone),
        recipient: input.recipient.filter(|_| !parts.is_empty()).map(str::to_owned),
        files: files.iter().map(|(name, bytes)| (name.clone(), sha256_hex(bytes))).collect(),
        signature: public_key
            .as_ref()
            .map(|_| format!("{SIGNATURE_FILE}: base64 Ed25519 signature of the exact bytes of {MANIFEST_FILE}")),
        public_key,
    };
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(|e| BundleError(e.to_string()))?;
    if let Some(signer) = input.signer {
        files.push((SIGNATURE_FILE.to_owned(), signer.sign_base64(&manifest).into_bytes()));
    }
    files.insert(files.len() - usize::from(input.signer.is_some()), (MANIFEST_FILE.to_owned(), manifest));
    zip(&files)
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, BundleError> {
    let error = |e: &dyn std::fmt::Display| BundleError(e.to_string());
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    // The senders files are encrypted (incompressible) and the rest is small.
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, bytes) in files {
        writer.start_file(name.as_str(), options).map_err(|e| error(&e))?;
        writer.write_all(bytes).map_err(|e| error(&e))?;
    }
    Ok(writer.finish().map_err(|e| error(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::keys::{signature_verifies, EvidenceRecipient};
    use crate::model::IncidentCounts;

    fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut files = BTreeMap::new();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            files.insert(file.name().to_owned(), content);
        }
        files
    }

    fn incident() -> Incident {
        Incident {
            id: 3,
            tenant: "paris".into(),
            number: "+33612345678".into(),
            started_micros: 1_795_867_200_000_000,
            until_micros: 1_795_870_800_000_000,
            counts: IncidentCounts { messages: 10, ..Default::default() },
            sealed_parts: 2,
        }
    }

    fn about() -> NumberAbout {
        NumberAbout {
            tenant: "paris".into(),
            reply: "Non.".into(),
            flood_messages: 5,
            campaign_senders: 5,
            block_senders: 3,
            defer_minutes: 45,
        }
    }

    fn part(name: &str, sealed: Vec<u8>) -> SealedPart {
        SealedPart {
            incident: 3,
            tenant: "paris".into(),
            part: name.into(),
            sealed,
            senders: 1,
            written_micros: 0,
            expires_micros: i64::MAX,
        }
    }

    #[test]
    fn a_bundle_holds_every_file_its_signed_manifest_hashes() {
        let identity = age::x25519::Identity::generate();
        let recipient: EvidenceRecipient = identity.to_public().to_string().parse().unwrap();
        let signer = EvidenceSigner::from_base64_seed("q2V4KY7r8n0Qm3w5T1ZbJ6cXfL9dHs4pA0uGiEoRkMY=").unwrap();
        let parts = [part("b", recipient.seal(b"second").unwrap()), part("a", recipient.seal(b"first").unwrap())];
        let incident = incident();
        let bytes = build_bundle(&BundleInput {
            incident: &incident,
            slots: &[],
            parts: &parts,
            about: &about(),
            recipient: Some(recipient.as_str()),
            signer: Some(&signer),
            timezone: chrono_tz::Europe::Paris,
            now_micros: 1_795_900_000_000_000,
        })
        .unwrap();
        let files = unzip(&bytes);
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "manifest.json",
                "manifest.json.sig",
                "report.html",
                "senders-2.csv.age",
                "senders.csv.age",
                "timeline.csv"
            ]
        );
        assert_eq!(age::decrypt(&identity, &files["senders.csv.age"]).unwrap(), b"first", "parts in name order");
        let manifest: Manifest = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(manifest.files.len(), 4);
        for (name, hash) in &manifest.files {
            assert_eq!(&sha256_hex(&files[name]), hash, "{name}");
        }
        assert_eq!(manifest.public_key.as_deref(), Some(signer.public_key_base64().as_str()));
        assert_eq!(manifest.recipient.as_deref(), Some(recipient.as_str()));
        assert_eq!(manifest.ended_at.as_deref(), Some("2026-11-28T14:00:00+01:00"));
        let signature = String::from_utf8(files["manifest.json.sig"].clone()).unwrap();
        assert!(signature_verifies(&signer.public_key_base64(), &files["manifest.json"], &signature));
    }

    #[test]
    fn without_parts_or_key_the_bundle_has_no_senders_file_and_no_signature() {
        let incident = incident();
        let bytes = build_bundle(&BundleInput {
            incident: &incident,
            slots: &[],
            parts: &[],
            about: &about(),
            recipient: None,
            signer: None,
            timezone: chrono_tz::UTC,
            now_micros: 1_795_868_000_000_000,
        })
        .unwrap();
        let files = unzip(&bytes);
        assert_eq!(files.keys().collect::<Vec<_>>(), ["manifest.json", "report.html", "timeline.csv"]);
        let manifest: Manifest = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!((manifest.public_key, manifest.recipient, manifest.ended_at), (None, None, None));
    }
}
