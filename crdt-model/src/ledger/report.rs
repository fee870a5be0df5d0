//! What an ingest reports: why a change was refused, and what it accepted,
//! saw and touched.

use super::*;

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "code", content = "detail")]
pub enum RefuseReason {
    /// Unknown envelope version.
    #[error("unsupported envelope version {0}")]
    Version(u8),
    /// Over the size limit.
    #[error("change too large")]
    TooLarge,
    /// Not a valid Automerge change.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The change's actor is not the signer.
    #[error("automerge actor does not match the signer")]
    ActorMismatch,
    /// The signer does not own the document.
    #[error("signer does not own the document")]
    NotOwner,
    /// Signature does not verify.
    #[error("bad signature")]
    Signature,
    /// Signer not a member, or revoked.
    #[error(transparent)]
    Membership(#[from] WriteRefusal),
    /// A different change already holds this place in the document's
    /// history (equivocation), or the dependencies are not the previous change.
    #[error("conflicting history (fork or equivocation)")]
    Fork,
    /// A record is not allowed (unauthorized write, bad content, deletion).
    #[error("refused record: {0}")]
    Record(String),
    /// A record dated before a record its author had already written in
    /// the same document (a clock set back, or a backdated request).
    #[error("a record dated before the author's earlier records (clock set back)")]
    ClockBackwards,
    /// The pending queue is full; the change may be sent again later.
    #[error("pending queue full")]
    QueueFull,
}

impl RefuseReason {
    /// Its stable code (the serialized tag): `signature`, `not_owner`, …
    pub fn code(&self) -> &'static str {
        match self {
            RefuseReason::Version(_) => "version",
            RefuseReason::TooLarge => "too_large",
            RefuseReason::Malformed(_) => "malformed",
            RefuseReason::ActorMismatch => "actor_mismatch",
            RefuseReason::NotOwner => "not_owner",
            RefuseReason::Signature => "signature",
            RefuseReason::Membership(_) => "membership",
            RefuseReason::Fork => "fork",
            RefuseReason::Record(_) => "record",
            RefuseReason::ClockBackwards => "clock_backwards",
            RefuseReason::QueueFull => "queue_full",
        }
    }
}

/// A refused change, kept for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Document it claimed to belong to.
    pub doc: DocId,
    /// Its sequence number, if it decoded.
    pub seq: u64,
    /// Claimed signer.
    pub signer: AgencyId,
    /// Change hash, if it decoded.
    pub hash: Option<String>,
    /// Why.
    pub reason: RefuseReason,
}

/// What one [`Ledger::ingest`] call did.
#[derive(Debug, Default)]
pub struct IngestReport {
    /// Changes accepted, in application order (to persist and forward).
    pub accepted: Vec<SignedChange>,
    /// Changes refused.
    pub refused: Vec<Refusal>,
    /// Changes already held.
    pub duplicates: usize,
    /// Their signed bytes (change and signature), as received again.
    pub duplicate_bytes: u64,
    /// Resources whose calendar may have changed.
    pub touched: BTreeSet<ResourceId>,
    /// What was added to each touched resource, so that a calendar that
    /// was current can be brought forward in place.
    pub deltas: BTreeMap<ResourceId, Delta>,
    /// The latest HLC among accepted records.
    pub max_hlc: Option<crate::hlc::Hlc>,
    /// `(document, seq)` of every change that parsed, accepted or not:
    /// what the sender holds.
    pub seen: Vec<(DocId, u64)>,
}

impl IngestReport {
    /// Adds another report's findings to this one (for several ingests
    /// that are reacted to once).
    pub fn merge(&mut self, other: IngestReport) {
        self.accepted.extend(other.accepted);
        self.refused.extend(other.refused);
        self.duplicates += other.duplicates;
        self.duplicate_bytes += other.duplicate_bytes;
        self.touched.extend(other.touched);
        for (rid, d) in other.deltas {
            self.deltas.entry(rid).or_default().extend(&d);
        }
        self.max_hlc = self.max_hlc.max(other.max_hlc);
        self.seen.extend(other.seen);
    }

    /// Records a change received again.
    pub(super) fn duplicate(&mut self, env: &crate::signed::SignedChange) {
        self.duplicates += 1;
        self.duplicate_bytes += env.change.len() as u64 + 64;
    }
}
