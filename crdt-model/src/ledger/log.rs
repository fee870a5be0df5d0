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

    /// The whole signed change `seq` of `doc`, signature included: a
    /// sealed document keeps nothing of its changes in memory (see
    /// [`Ledger::seal`]). An archive that cannot give them back cannot
    /// hold sealed documents.
    fn signed_change(&self, doc: &DocId, seq: u64) -> Result<SignedChange, ArchiveError> {
        Err(ArchiveError {
            doc: doc.clone(),
            seq,
            detail: "this archive keeps no signatures".into(),
        })
    }
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

/// One change of a [`DocLog`]: its signature, hash and clock, and its
/// bytes unless they were left in the archive.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The change's bytes (empty when left in the archive).
    pub(super) bytes: Box<[u8]>,
    /// Its signature.
    pub(super) sig: [u8; 64],
    /// Its hash.
    pub(super) hash: ChangeHash,
    /// The latest record clock in the document up to it (so a later
    /// change may not go back before it).
    pub(super) clock: Hlc,
}

/// One document's verified history, stored compactly: the document and
/// signer are the same for every change and are the ledger's map key, so
/// only one entry per change is kept (bytes, signature, hash, clock), and
/// with an [`Archive`] no bytes (they are read back when a peer needs
/// them). Most documents of a province hold one or two changes (one
/// requester's requests to one owner in one month), so a log holds no
/// spare capacity until it grows past a few changes: at 80,000 documents
/// that spare room cost ~30 MB.
#[derive(Debug, Clone, Default)]
pub struct DocLog {
    pub(super) entries: Vec<Entry>,
}

/// A document's log with what reading its changes back needs: the
/// document's id and the archive its bytes may be in.
pub(super) struct LogView<'a> {
    pub(super) doc: &'a DocId,
    pub(super) log: &'a DocLog,
    pub(super) archive: Option<&'a dyn Archive>,
}

impl DocLog {
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
        self.entries.last().map(|e| e.hash)
    }

    /// The hash of change `i` (0-based).
    pub(super) fn hash(&self, i: usize) -> Option<&ChangeHash> {
        self.entries.get(i).map(|e| &e.hash)
    }

    /// Whether it holds exactly `env` at `env.seq` (for archived bytes, the
    /// same signature: a valid signature belongs to one change).
    pub(super) fn holds(&self, env: &SignedChange) -> bool {
        usize::try_from(env.seq - 1)
            .ok()
            .and_then(|i| self.entries.get(i))
            .is_some_and(|e| {
                e.sig == env.sig && (e.bytes.is_empty() || e.bytes[..] == env.change[..])
            })
    }

    /// The latest record clock in the document so far.
    pub fn last_clock(&self) -> Option<Hlc> {
        self.entries.last().map(|e| e.clock)
    }

    pub(super) fn push(
        &mut self,
        env: &SignedChange,
        hash: ChangeHash,
        keep_bytes: bool,
        clock: Option<Hlc>,
    ) {
        let clock = clock.max(self.last_clock()).unwrap_or_default();
        let bytes = if keep_bytes {
            env.change.clone().into_boxed_slice()
        } else {
            Box::default()
        };
        // Room for exactly one more while the log is short (most are).
        if self.entries.len() < 4 {
            self.entries.reserve_exact(1);
        }
        self.entries.push(Entry {
            bytes,
            sig: env.sig,
            hash,
            clock,
        });
    }

    /// Drops the changes after the first `keep`; returns how many.
    pub(super) fn truncate(&mut self, keep: usize) -> usize {
        let cut = self.entries.len().saturating_sub(keep);
        self.entries.truncate(keep);
        cut
    }
}

impl LogView<'_> {
    /// Change `i` (0-based), its bytes read back from the archive if they
    /// are not in memory.
    fn envelope(&self, i: usize) -> Result<SignedChange, ArchiveError> {
        let e = &self.log.entries[i];
        let seq = i as u64 + 1;
        // An Automerge change is never empty: empty bytes were archived.
        let change = if e.bytes.is_empty() {
            match self.archive {
                Some(a) => a.change_bytes(self.doc, seq)?,
                None => {
                    return Err(ArchiveError {
                        doc: self.doc.clone(),
                        seq,
                        detail: "archived without an archive".into(),
                    });
                }
            }
        } else {
            e.bytes.to_vec()
        };
        Ok(SignedChange {
            v: ENVELOPE_VERSION,
            doc: self.doc.clone(),
            signer: self.doc.owner,
            sig: e.sig,
            change,
            seq,
        })
    }

    /// The signed changes from index `from` (0-based) on, at most `limit`:
    /// a run of consecutive changes, or the error of the first one the
    /// archive could not give back.
    pub(super) fn range(
        &self,
        from: usize,
        limit: usize,
    ) -> Result<Vec<SignedChange>, ArchiveError> {
        let n = self.log.entries.len();
        let start = from.min(n);
        let end = start.saturating_add(limit).min(n);
        (start..end).map(|i| self.envelope(i)).collect()
    }
}
