//! Automerge documents: writing records as signed changes, and decoding the
//! records a received change carries.
//!
//! Schema: every document is a root map from record key (see
//! [`Record::key`]) to the record as a JSON string. Each document has exactly
//! one writer, its owner, whose Automerge actor id is its agency key, so a
//! document's history is one linear chain of changes `seq = 1, 2, 3 …`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Change, ROOT, ReadDoc, ScalarValue};

use crate::agency::AgencyKey;
use crate::ids::{AgencyId, DocId};
use crate::record::{MAX_RECORD, Record, RecordError};
use crate::signed::SignedChange;

/// Errors from writing or decoding documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    /// The change bytes are not a valid Automerge change.
    #[error("malformed change: {0}")]
    Malformed(String),
    /// The change contains an operation outside the schema.
    #[error("operation outside the schema: {0}")]
    Schema(String),
    /// A record does not decode or is not allowed here.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The key is not this document's owner.
    #[error("key {0:?} may not write document {1}")]
    NotOwner(AgencyId, String),
    /// Nothing to write.
    #[error("empty write")]
    Empty,
}

/// The Automerge actor id of an agency: its public key bytes.
pub fn actor_of(agency: &AgencyId) -> ActorId {
    ActorId::from(agency.as_bytes().as_slice())
}

/// One record write decoded from a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// Map key.
    pub key: String,
    /// The record.
    pub record: Record,
    /// Whether it overwrites an earlier value of the key.
    pub overwrite: bool,
}

/// Decodes and checks the record writes of a change to `doc`.
///
/// Only `put` of a JSON string on a root-map key is allowed; deletes,
/// nested objects, lists, text, counters and marks are refused. Each record
/// must pass [`Record::validate`] for `doc`.
pub fn decode_writes(doc: &DocId, change: &Change) -> Result<Vec<Write>, DocError> {
    // Automerge's expanded decoding asserts on some malformed inputs: a
    // hostile peer must not be able to crash the node with one.
    let expanded = catch_unwind(AssertUnwindSafe(|| change.decode()))
        .map_err(|_| DocError::Malformed("undecodable operations".into()))?;
    let mut out = Vec::with_capacity(expanded.operations.len());
    for op in expanded.operations {
        if op.obj != ObjectId::Root || op.insert {
            return Err(DocError::Schema("only root map keys may be written".into()));
        }
        let Key::Map(key) = op.key else {
            return Err(DocError::Schema("list operation".into()));
        };
        let OpType::Put(ScalarValue::Str(json)) = op.action else {
            return Err(match op.action {
                OpType::Delete => RecordError::AppendOnly(key.to_string()).into(),
                _ => DocError::Schema(format!("unsupported operation on {key}")),
            });
        };
        if json.len() > MAX_RECORD {
            return Err(RecordError::Invalid(format!("record {key} too large")).into());
        }
        let record = Record::decode(doc, &key, &json)?;
        let overwrite = !op.pred.is_empty();
        if overwrite && !Record::editable(doc.kind) {
            return Err(RecordError::AppendOnly(key.to_string()).into());
        }
        out.push(Write {
            key: key.to_string(),
            record,
            overwrite,
        });
    }
    Ok(out)
}

/// The writer side of one of this agency's own documents.
#[derive(Debug)]
pub struct DocWriter {
    doc: DocId,
    am: AutoCommit,
}

impl DocWriter {
    /// A writer for `doc`, rebuilt from its existing changes (oldest first).
    pub fn new(key: &AgencyKey, doc: DocId, history: &[SignedChange]) -> Result<Self, DocError> {
        if doc.owner != key.id() {
            return Err(DocError::NotOwner(key.id(), doc.to_string()));
        }
        let mut am = AutoCommit::new().with_actor(actor_of(&key.id()));
        let changes = history
            .iter()
            .map(|s| {
                Change::from_bytes(s.change.clone()).map_err(|e| DocError::Malformed(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        am.apply_changes(changes)
            .map_err(|e| DocError::Malformed(e.to_string()))?;
        Ok(Self { doc, am })
    }

    /// Writes records in one change and signs it. `time_s` is the change's
    /// wall-clock time in seconds (metadata only).
    pub fn write(
        &mut self,
        key: &AgencyKey,
        records: &[Record],
        time_s: i64,
    ) -> Result<SignedChange, DocError> {
        if records.is_empty() {
            return Err(DocError::Empty);
        }
        // Check every record before touching the document, so a refused
        // record leaves no half-written change behind.
        let mut puts = Vec::with_capacity(records.len());
        let mut keys = std::collections::BTreeSet::new();
        for r in records {
            let k = r.key();
            let json = r.encode(&self.doc)?;
            let exists = self.am.get(ROOT, &k).ok().flatten().is_some() || keys.contains(&k);
            if !Record::editable(self.doc.kind) && exists {
                return Err(RecordError::AppendOnly(k).into());
            }
            if json.len() > MAX_RECORD {
                return Err(RecordError::Invalid(format!("record {k} too large")).into());
            }
            keys.insert(k.clone());
            puts.push((k, json));
        }
        for (k, json) in puts {
            if let Err(e) = self.am.put(ROOT, k, json) {
                self.am.rollback();
                return Err(DocError::Malformed(e.to_string()));
            }
        }
        self.am
            .commit_with(CommitOptions::default().with_time(time_s))
            .ok_or(DocError::Empty)?;
        let change = self
            .am
            .get_last_local_change()
            .ok_or_else(|| DocError::Malformed("committed change not found".into()))?;
        Ok(SignedChange::sign(key, self.doc.clone(), &change))
    }

    /// The whole document in Automerge's compact save format.
    pub fn save(&mut self) -> Vec<u8> {
        self.am.save()
    }
}

/// Loads a saved document and lists its changes oldest first (for
/// re-signing checks or export). Used to prove save → load round-trips.
pub fn load_changes(bytes: &[u8]) -> Result<Vec<Change>, DocError> {
    let mut am = AutoCommit::load(bytes).map_err(|e| DocError::Malformed(e.to_string()))?;
    Ok(am.get_changes(&[]))
}
