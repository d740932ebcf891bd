//! The audit log's hash chain. Each entry's hash covers its fields and the previous entry's
//! hash, so editing, removing or reordering any row breaks verification from that row on; the
//! chain head (last sequence number and hash) is kept separately so truncation is caught too.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at_us: i64,
    /// `user:<uuid>`, `key:<uuid>`, `cli` or `system`.
    pub actor: String,
    /// Remote address, when the write came over the network.
    pub ip: Option<String>,
    /// e.g. `agency.create`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// SHA-256 of the canonical JSON of the object before and after the write.
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// SHA-256 hex digest of a value's JSON (serde_json writes struct fields in declaration order
/// and map keys sorted for BTreeMap, so the same value always gives the same digest).
pub fn digest_json<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

fn field(h: &mut Sha256, v: &str) {
    h.update((v.len() as u64).to_be_bytes());
    h.update(v.as_bytes());
}

/// The hash of an entry from its fields (ignoring its stored `hash`).
pub fn entry_hash(e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    h.update(b"cqdt-audit-v1");
    h.update(e.seq.to_be_bytes());
    h.update(e.at_us.to_be_bytes());
    field(&mut h, &e.actor);
    field(&mut h, e.ip.as_deref().unwrap_or(""));
    field(&mut h, &e.action);
    field(&mut h, &e.target_type);
    field(&mut h, &e.target_id);
    field(&mut h, e.before_digest.as_deref().unwrap_or(""));
    field(&mut h, e.after_digest.as_deref().unwrap_or(""));
    field(&mut h, &e.prev_hash);
    hex::encode(h.finalize())
}

/// Why verification failed, naming the first bad entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: expected sequence number {expected} (a row is missing or reordered)")]
    Sequence { seq: i64, expected: i64 },
    #[error(
        "entry {seq}: previous-hash link does not match entry {prev} (a row was removed, inserted or reordered)"
    )]
    Link { seq: i64, prev: i64 },
    #[error("entry {seq}: contents do not match its hash (the row was edited)")]
    Content { seq: i64 },
    #[error(
        "chain head says last entry is {head_seq} but the log ends at {last_seq} (rows were removed or added at the end)"
    )]
    Head { head_seq: i64, last_seq: i64 },
    #[error("chain head hash does not match entry {seq}")]
    HeadHash { seq: i64 },
}

/// Incremental verifier: feed entries in `seq` order, then `finish` with the stored head.
#[derive(Debug, Clone)]
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl Verifier {
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.expected_seq {
            return Err(ChainBreak::Sequence {
                seq: e.seq,
                expected: self.expected_seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Link {
                seq: e.seq,
                prev: e.seq - 1,
            });
        }
        if entry_hash(e) != e.hash {
            return Err(ChainBreak::Content { seq: e.seq });
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    /// Number of entries verified so far.
    pub fn count(&self) -> i64 {
        self.expected_seq - 1
    }

    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq != last {
            return Err(ChainBreak::Head {
                head_seq,
                last_seq: last,
            });
        }
        if head_hash != self.prev_hash {
            return Err(ChainBreak::HeadHash { seq: last });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at_us: 1_700_000_000_000_000 + seq,
                    actor: "cli".into(),
                    ip: None,
                    action: "agency.create".into(),
                    target_type: "agency".into(),
                    target_id: format!("a{seq}"),
                    before_digest: None,
                    after_digest: Some(digest_json(&seq)),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = entry_hash(&e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(c: &[AuditEntry], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut v = Verifier::default();
        for e in c {
            v.push(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn intact_chain_verifies_and_each_tampering_is_named() {
        let c = chain(5);
        let head = (5, c[4].hash.clone());
        assert_eq!(verify(&c, (head.0, &head.1)), Ok(5));

        let mut edited = c.clone();
        edited[2].target_id = "other".into();
        assert_eq!(
            verify(&edited, (head.0, &head.1)),
            Err(ChainBreak::Content { seq: 3 })
        );

        let mut removed = c.clone();
        removed.remove(1);
        assert_eq!(
            verify(&removed, (head.0, &head.1)),
            Err(ChainBreak::Sequence {
                seq: 3,
                expected: 2
            })
        );

        let mut swapped = c.clone();
        swapped.swap(1, 2);
        assert!(matches!(
            verify(&swapped, (head.0, &head.1)),
            Err(ChainBreak::Sequence { seq: 3, .. })
        ));

        // Renumbered after removal: the link breaks.
        let mut renumbered = c.clone();
        renumbered.remove(1);
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        assert_eq!(
            verify(&renumbered, (4, &c[4].hash)),
            Err(ChainBreak::Link { seq: 2, prev: 1 })
        );

        let truncated = &c[..4];
        assert_eq!(
            verify(truncated, (head.0, &head.1)),
            Err(ChainBreak::Head {
                head_seq: 5,
                last_seq: 4
            })
        );
    }
}
