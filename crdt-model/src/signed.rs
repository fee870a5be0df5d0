//! The signed envelope every Automerge change travels in, and its checks.

use automerge::{Change, ChangeHash};
use serde::{Deserialize, Serialize};

use crate::agency::{AgencyKey, tagged};
use crate::ids::{AgencyId, DocId};

/// Current envelope format version.
pub const ENVELOPE_VERSION: u8 = 1;
/// Largest change accepted, in bytes.
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;

/// An Automerge change with its document, signer and signature.
///
/// The signature covers `tongchou/change\0` ‖ doc id text ‖ change hash. The
/// hash covers the change bytes and its dependencies, so the signature pins
/// the change to its place in the document's history and to one document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignedChange {
    /// Envelope version ([`ENVELOPE_VERSION`]).
    pub v: u8,
    /// The document this change belongs to.
    pub doc: DocId,
    /// The agency that signed (must own `doc` and be the change's actor).
    pub signer: AgencyId,
    /// ed25519 signature.
    #[serde(with = "crate::bytes")]
    pub sig: [u8; 64],
    /// Raw Automerge change bytes.
    #[serde(with = "crate::bytes")]
    pub change: Vec<u8>,
    /// The change's number in its document, when known (set when it is
    /// signed or accepted by the ledger); 0 otherwise. Sent as a hint only
    /// (optional, absent when 0): a receiver that already holds exactly
    /// these bytes under this number counts a duplicate without decoding
    /// the change, and otherwise reads the number from the bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seq: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Two envelopes are equal when their signed content is equal.
impl PartialEq for SignedChange {
    fn eq(&self, other: &Self) -> bool {
        self.v == other.v
            && self.doc == other.doc
            && self.signer == other.signer
            && self.sig == other.sig
            && self.change == other.change
    }
}

impl Eq for SignedChange {}

/// The bytes a change signature covers (before domain tagging).
pub(crate) fn signed_message(doc: &DocId, hash: &ChangeHash) -> Vec<u8> {
    let mut m = doc.to_string().into_bytes();
    m.push(0);
    m.extend_from_slice(&hash.0);
    m
}

impl SignedChange {
    /// Signs a change made by `key` in `doc`.
    pub fn sign(key: &AgencyKey, doc: DocId, change: &Change) -> Self {
        let sig = key.sign("change", &signed_message(&doc, &change.hash()));
        Self {
            v: ENVELOPE_VERSION,
            doc,
            signer: key.id(),
            sig,
            change: change.raw_bytes().to_vec(),
            seq: change.seq(),
        }
    }

    /// The change's number in its document: the known one, else read from
    /// the bytes (0 if they do not parse). Reading the bytes hashes the
    /// whole change, so hot paths rely on the known number.
    pub fn number(&self) -> u64 {
        if self.seq != 0 {
            return self.seq;
        }
        Change::from_bytes(self.change.clone()).map_or(0, |c| c.seq())
    }

    /// The domain-tagged message to verify against `hash`.
    pub(crate) fn tagged_message(&self, hash: &ChangeHash) -> Vec<u8> {
        tagged("change", &signed_message(&self.doc, hash))
    }
}
