//! Numbers' baselines ([`Baselines`](crate::Baselines)): compare and set.

use super::NOON_MICROS;
use crate::baselines::MAX_BASELINE_BYTES;
use crate::Ledger;

pub async fn a_baseline_is_written_only_over_the_version_read(ledger: &dyn Ledger) {
    let number = "+33612345678";
    assert_eq!(ledger.baseline(number).await.unwrap(), None);
    assert!(ledger.put_baseline(number, 0, b"first", NOON_MICROS).await.unwrap());
    assert!(!ledger.put_baseline(number, 0, b"late first", NOON_MICROS).await.unwrap(), "someone wrote first");
    let stored = ledger.baseline(number).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.bytes.as_slice()), (1, &b"first"[..]));
    assert!(ledger.put_baseline(number, 1, b"second", NOON_MICROS).await.unwrap());
    assert!(!ledger.put_baseline(number, 1, b"stale", NOON_MICROS).await.unwrap(), "a stale read writes nothing");
    let stored = ledger.baseline(number).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.bytes.as_slice()), (2, &b"second"[..]));
    assert_eq!(ledger.baseline("+33612345671").await.unwrap(), None, "each number has its own");
    let binary: Vec<u8> = (0..=255).collect();
    assert!(ledger.put_baseline("+33612345671", 0, &binary, NOON_MICROS).await.unwrap());
    assert_eq!(ledger.baseline("+33612345671").await.unwrap().unwrap().bytes, binary, "any bytes read back");
}

pub async fn a_baseline_above_a_kibibyte_is_refused(ledger: &dyn Ledger) {
    let big = vec![7u8; MAX_BASELINE_BYTES + 1];
    assert!(ledger.put_baseline("+33612345678", 0, &big, NOON_MICROS).await.is_err());
    assert_eq!(ledger.baseline("+33612345678").await.unwrap(), None);
    assert!(ledger.put_baseline("+33612345678", 0, &big[1..], NOON_MICROS).await.unwrap());
}
