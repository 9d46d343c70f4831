//! The audit trail (SEC-2, SVC-9): append-only records, each chained to the previous one of its chain by
//! SHA-256, so an altered or deleted record is found by [`ChainVerifier`].
//!
//! There is one chain per merchant plus one for the platform: writes of different merchants never wait on
//! each other's chain head, so the trail is not the write bottleneck of the platform.

use crate::time::Millis;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The hash a chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain an object's audit records go to.
pub fn chain_for(merchant_id: Option<i64>) -> String {
    match merchant_id {
        Some(m) => format!("merchant:{m}"),
        None => "platform".to_string(),
    }
}

/// What a write is about to record, before the chain position is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// e.g. `user.create`, `auth.login_failed`.
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub merchant_id: Option<i64>,
    /// JSON text of the object before and after the change, exactly as stored.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    pub chain: String,
    pub seq: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub merchant_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a record: every field but the id and the hash itself, length-prefixed so no two different
/// records share an encoding.
#[allow(clippy::too_many_arguments)]
pub fn record_hash(chain: &str, seq: i64, at: Millis, e: &AuditEntry, prev_hash: &str) -> String {
    let mut h = Sha256::new();
    let mut field = |s: Option<&str>| match s {
        None => h.update(b"\xff"),
        Some(s) => {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    };
    field(Some(chain));
    field(Some(&seq.to_string()));
    field(Some(&at.0.to_string()));
    field(e.actor_id.map(|v| v.to_string()).as_deref());
    field(Some(&e.actor_name));
    field(e.ip.as_deref());
    field(e.request_id.as_deref());
    field(Some(&e.action));
    field(Some(&e.object_type));
    field(e.object_id.as_deref());
    field(e.merchant_id.map(|v| v.to_string()).as_deref());
    field(e.before.as_deref());
    field(e.after.as_deref());
    field(Some(prev_hash));
    hex::encode(h.finalize())
}

impl AuditRecord {
    pub fn entry(&self) -> AuditEntry {
        AuditEntry {
            actor_id: self.actor_id,
            actor_name: self.actor_name.clone(),
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            merchant_id: self.merchant_id,
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }
    pub fn computed_hash(&self) -> String {
        record_hash(&self.chain, self.seq, Millis(self.at), &self.entry(), &self.prev_hash)
    }
}

/// Why a chain failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error(
        "audit record {id} (chain {chain}, seq {seq}) was altered: its content no longer matches its hash"
    )]
    Altered { id: i64, chain: String, seq: i64 },
    #[error("audit record {id} (chain {chain}, seq {seq}) does not link to the record before it")]
    Unlinked { id: i64, chain: String, seq: i64 },
    #[error("chain {chain}: record seq {expected} is missing (deleted?); found seq {found} next")]
    Gap { chain: String, expected: i64, found: i64 },
    #[error("chain {chain}: the head says {head_seq} records but the last present is seq {last_seq} (records deleted?)")]
    Truncated { chain: String, head_seq: i64, last_seq: i64 },
}

/// Incremental verifier of one chain; feed records in seq order, then call [`ChainVerifier::finish`]
/// with the chain head the store keeps.
#[derive(Debug)]
pub struct ChainVerifier {
    chain: String,
    expected_seq: i64,
    prev_hash: String,
}

impl ChainVerifier {
    pub fn new(chain: &str) -> Self {
        ChainVerifier { chain: chain.to_string(), expected_seq: 1, prev_hash: GENESIS.to_string() }
    }

    pub fn feed(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        if r.seq != self.expected_seq {
            return Err(ChainBreak::Gap {
                chain: self.chain.clone(),
                expected: self.expected_seq,
                found: r.seq,
            });
        }
        if r.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked { id: r.id, chain: r.chain.clone(), seq: r.seq });
        }
        if r.computed_hash() != r.hash {
            return Err(ChainBreak::Altered { id: r.id, chain: r.chain.clone(), seq: r.seq });
        }
        self.prev_hash = r.hash.clone();
        self.expected_seq += 1;
        Ok(())
    }

    /// `head_seq`/`head_hash`: what the chain head row says was last appended.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if last != head_seq || (last > 0 && self.prev_hash != head_hash) {
            return Err(ChainBreak::Truncated { chain: self.chain, head_seq, last_seq: last });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            actor_id: Some(1),
            actor_name: "admin".into(),
            ip: Some("127.0.0.1".into()),
            request_id: None,
            action: action.into(),
            object_type: "user".into(),
            object_id: Some("5".into()),
            merchant_id: None,
            before: None,
            after: Some(r#"{"role":"agent"}"#.into()),
        }
    }

    fn build(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let e = entry(&format!("a{seq}"));
                let hash = record_hash("platform", seq, Millis(1000 + seq), &e, &prev);
                let r = AuditRecord {
                    id: seq * 10,
                    chain: "platform".into(),
                    seq,
                    at: 1000 + seq,
                    actor_id: e.actor_id,
                    actor_name: e.actor_name,
                    ip: e.ip,
                    request_id: e.request_id,
                    action: e.action,
                    object_type: e.object_type,
                    object_id: e.object_id,
                    merchant_id: e.merchant_id,
                    before: e.before,
                    after: e.after,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                r
            })
            .collect()
    }

    fn verify(rs: &[AuditRecord], head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::new("platform");
        for r in rs {
            v.feed(r)?;
        }
        v.finish(head_seq, head_hash)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rs = build(5);
        assert_eq!(verify(&rs, 5, &rs[4].hash), Ok(5));
    }

    #[test]
    fn an_altered_field_is_found_and_named() {
        let mut rs = build(5);
        rs[2].after = Some(r#"{"role":"platform_admin"}"#.into());
        assert_eq!(
            verify(&rs, 5, &rs[4].hash.clone()),
            Err(ChainBreak::Altered { id: 30, chain: "platform".into(), seq: 3 })
        );
    }

    #[test]
    fn a_recomputed_record_breaks_the_link_to_its_successor() {
        let mut rs = build(5);
        rs[1].actor_name = "mallory".into();
        rs[1].hash = rs[1].computed_hash();
        assert_eq!(
            verify(&rs, 5, &rs[4].hash.clone()),
            Err(ChainBreak::Unlinked { id: 30, chain: "platform".into(), seq: 3 })
        );
    }

    #[test]
    fn deletions_in_the_middle_and_at_the_end_are_found() {
        let mut rs = build(5);
        let head = rs[4].hash.clone();
        rs.remove(1);
        assert!(matches!(verify(&rs, 5, &head), Err(ChainBreak::Gap { expected: 2, found: 3, .. })));
        let mut rs = build(5);
        rs.pop();
        assert!(matches!(verify(&rs, 5, &head), Err(ChainBreak::Truncated { head_seq: 5, last_seq: 4, .. })));
    }

    #[test]
    fn fields_cannot_be_shifted_between_neighbours() {
        let mut a = entry("x");
        a.actor_name = "ab".into();
        a.ip = Some("c".into());
        let mut b = entry("x");
        b.actor_name = "a".into();
        b.ip = Some("bc".into());
        assert_ne!(record_hash("p", 1, Millis(1), &a, GENESIS), record_hash("p", 1, Millis(1), &b, GENESIS));
    }
}
