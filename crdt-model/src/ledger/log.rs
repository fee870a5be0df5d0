//! One document's verified history ([`DocLog`]), and the store its bytes
//! may live in ([`Archive`]), whose read errors are reported, never read
//! as "missing".

use super::*;

/// Where the bytes of accepted changes can be read back, for a ledger that
/// does not keep them in memory (see [`Ledger::with_archive`]). The node's
/// store implements it; the model only calls it, and does no I/O itself.
pub trait Archive: Send + Sync + std::fmt::Debug {
    /// The bytes of change `seq` (1-based) of `doc`. A change the ledger
    /// archived that the store cannot give back (a read error, or missing)
    /// is an error, never "no such change": a history with a hole read as
    /// shorter would build calendars with records missing.
    fn change_bytes(&self, doc: &DocId, seq: u64) -> Result<Vec<u8>, ArchiveError>;
}

/// A change the ledger left in its [`Archive`] could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reading stored change {seq} of {doc} failed: {detail}")]
pub struct ArchiveError {
    /// The document.
    pub doc: DocId,
    /// The change's sequence number (1-based).
    pub seq: u64,
    /// What the store said.
    pub detail: String,
}

/// One document's verified history, stored compactly: the document and
/// signer are the same for every change, so only bytes and signatures are
/// kept, and with an [`Archive`] only signatures (the bytes are read back
/// when a peer needs them).
#[derive(Debug, Clone)]
pub struct DocLog {
    pub(super) doc: DocId,
    /// Change bytes (empty when left in the archive) and signature.
    pub(super) entries: Vec<(Box<[u8]>, [u8; 64])>,
    pub(super) hashes: Vec<ChangeHash>,
    /// Per change, the latest record clock in the document up to it (so a
    /// later change may not go back before it).
    pub(super) clocks: Vec<Hlc>,
    pub(super) archive: Option<std::sync::Arc<dyn Archive>>,
}

impl DocLog {
    pub(super) fn new(doc: DocId, archive: Option<std::sync::Arc<dyn Archive>>) -> Self {
        Self {
            doc,
            entries: Vec::new(),
            hashes: Vec::new(),
            clocks: Vec::new(),
            archive,
        }
    }

    /// Number of changes (the sequence number of the last one).
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Whether it has no changes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Hash of the last change.
    pub fn head(&self) -> Option<ChangeHash> {
        self.hashes.last().copied()
    }

    /// Change `i` (0-based), its bytes read back from the archive if they
    /// are not in memory.
    pub(super) fn envelope(&self, i: usize) -> Result<SignedChange, ArchiveError> {
        let (bytes, sig) = &self.entries[i];
        let seq = i as u64 + 1;
        // An Automerge change is never empty: empty bytes were archived.
        let change = if bytes.is_empty() {
            match &self.archive {
                Some(a) => a.change_bytes(&self.doc, seq)?,
                None => {
                    return Err(ArchiveError {
                        doc: self.doc.clone(),
                        seq,
                        detail: "archived without an archive".into(),
                    });
                }
            }
        } else {
            bytes.to_vec()
        };
        Ok(SignedChange {
            v: ENVELOPE_VERSION,
            doc: self.doc.clone(),
            signer: self.doc.owner,
            sig: *sig,
            change,
            seq,
        })
    }

    /// The signed changes from index `from` (0-based) on, at most `limit`:
    /// a run of consecutive changes, or the error of the first one the
    /// archive could not give back.
    pub fn range(&self, from: usize, limit: usize) -> Result<Vec<SignedChange>, ArchiveError> {
        let start = from.min(self.entries.len());
        let end = start.saturating_add(limit).min(self.entries.len());
        (start..end).map(|i| self.envelope(i)).collect()
    }

    /// All signed changes, oldest first.
    pub fn changes(&self) -> Result<Vec<SignedChange>, ArchiveError> {
        self.range(0, usize::MAX)
    }

    /// Whether it holds exactly `env` at `env.seq` (for archived bytes, the
    /// same signature: a valid signature belongs to one change).
    pub(super) fn holds(&self, env: &SignedChange) -> bool {
        usize::try_from(env.seq - 1)
            .ok()
            .and_then(|i| self.entries.get(i))
            .is_some_and(|(bytes, sig)| {
                *sig == env.sig && (bytes.is_empty() || bytes[..] == env.change[..])
            })
    }

    /// The latest record clock in the document so far.
    pub fn last_clock(&self) -> Option<Hlc> {
        self.clocks.last().copied()
    }

    pub(super) fn push(
        &mut self,
        env: &SignedChange,
        hash: ChangeHash,
        keep_bytes: bool,
        clock: Option<Hlc>,
    ) {
        let clock = clock.max(self.last_clock()).unwrap_or_default();
        self.clocks.push(clock);
        let bytes = if keep_bytes || self.archive.is_none() {
            env.change.clone().into_boxed_slice()
        } else {
            Box::default()
        };
        self.entries.push((bytes, env.sig));
        self.hashes.push(hash);
    }

    /// Drops the changes after the first `keep`; returns how many.
    pub(super) fn truncate(&mut self, keep: usize) -> usize {
        let cut = self.entries.len().saturating_sub(keep);
        self.entries.truncate(keep);
        self.hashes.truncate(keep);
        self.clocks.truncate(keep);
        cut
    }
}
