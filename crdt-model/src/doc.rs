//! Automerge documents: writing records as signed changes, and decoding the
//! records a received change carries.
//!
//! Schema: every document is a root map from record key (see
//! [`Record::key`]) to the record as a JSON string. Each document has exactly
//! one writer, its owner, whose Automerge actor id is its agency key, so a
//! document's history is one linear chain of changes `seq = 1, 2, 3 …`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ActorId, AutoCommit, Change, ScalarValue};

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
///
/// It builds each Automerge change directly (puts on root-map keys, with
/// the previous change as the only dependency) instead of keeping a whole
/// Automerge document: an own document can hold a month of an agency's
/// requests or decisions, and inserting keys into Automerge's columnar op
/// storage costs time and memory proportional to the document. What a
/// writer keeps is the chain position and, per key, its latest operation.
#[derive(Debug)]
pub struct DocWriter {
    doc: DocId,
    actor: ActorId,
    /// Changes so far.
    seq: u64,
    /// Highest operation counter so far.
    max_op: u64,
    /// Hash of the latest change.
    head: Option<automerge::ChangeHash>,
    /// Latest operation counter per key (for overwrites and the
    /// append-only check).
    keys: std::collections::HashMap<String, u64>,
}

impl DocWriter {
    /// A writer for `doc`, rebuilt from its existing changes (oldest first).
    pub fn new(key: &AgencyKey, doc: DocId, history: &[SignedChange]) -> Result<Self, DocError> {
        if doc.owner != key.id() {
            return Err(DocError::NotOwner(key.id(), doc.to_string()));
        }
        let mut w = Self {
            doc,
            actor: actor_of(&key.id()),
            seq: 0,
            max_op: 0,
            head: None,
            keys: Default::default(),
        };
        for s in history {
            let change = Change::from_bytes(s.change.clone())
                .map_err(|e| DocError::Malformed(e.to_string()))?;
            if change.seq() != w.seq + 1 || change.start_op().get() != w.max_op + 1 {
                return Err(DocError::Malformed(format!(
                    "history of {} is not one chain",
                    w.doc
                )));
            }
            let expanded = catch_unwind(AssertUnwindSafe(|| change.decode()))
                .map_err(|_| DocError::Malformed("undecodable operations".into()))?;
            for (i, op) in expanded.operations.iter().enumerate() {
                if let Key::Map(k) = &op.key {
                    w.keys.insert(k.to_string(), w.max_op + 1 + i as u64);
                }
            }
            w.seq = change.seq();
            w.max_op = change.max_op();
            w.head = Some(change.hash());
        }
        Ok(w)
    }

    /// Writes records in one change and signs it. `time_s` is the change's
    /// wall-clock time in seconds (metadata only).
    pub fn write(
        &mut self,
        key: &AgencyKey,
        records: &[Record],
        time_s: i64,
    ) -> Result<SignedChange, DocError> {
        use automerge::legacy::{Op, OpId, SortedVec};
        if records.is_empty() {
            return Err(DocError::Empty);
        }
        // Check every record before building anything, so a refused record
        // leaves the writer as it was.
        let mut ops = Vec::with_capacity(records.len());
        let mut fresh: std::collections::HashMap<String, u64> = Default::default();
        for (i, r) in records.iter().enumerate() {
            let k = r.key();
            let json = r.encode(&self.doc)?;
            let previous = fresh.get(&k).or_else(|| self.keys.get(&k)).copied();
            if !Record::editable(self.doc.kind) && previous.is_some() {
                return Err(RecordError::AppendOnly(k).into());
            }
            if json.len() > MAX_RECORD {
                return Err(RecordError::Invalid(format!("record {k} too large")).into());
            }
            let counter = self.max_op + 1 + i as u64;
            let pred: SortedVec<OpId> = previous
                .map(|c| OpId(c, self.actor.clone()))
                .into_iter()
                .collect();
            ops.push(Op {
                action: OpType::Put(ScalarValue::Str(json.into())),
                obj: ObjectId::Root,
                key: Key::Map(k.as_str().into()),
                pred,
                insert: false,
            });
            fresh.insert(k, counter);
        }
        let start_op = std::num::NonZeroU64::new(self.max_op + 1).ok_or(DocError::Empty)?;
        let change = Change::from(automerge::ExpandedChange {
            operations: ops,
            actor_id: self.actor.clone(),
            hash: None,
            seq: self.seq + 1,
            start_op,
            time: time_s,
            message: None,
            deps: self.head.into_iter().collect(),
            extra_bytes: Vec::new(),
            author: None,
        });
        self.seq += 1;
        self.max_op = change.max_op();
        self.head = Some(change.hash());
        self.keys.extend(fresh);
        Ok(SignedChange::sign(key, self.doc.clone(), &change))
    }
}

/// Loads a saved document and lists its changes oldest first (for
/// re-signing checks or export). Used to prove save → load round-trips.
pub fn load_changes(bytes: &[u8]) -> Result<Vec<Change>, DocError> {
    let mut am = AutoCommit::load(bytes).map_err(|e| DocError::Malformed(e.to_string()))?;
    Ok(am.get_changes(&[]))
}

#[cfg(test)]
mod tests {
    use automerge::{ROOT, ReadDoc};

    use super::*;
    use crate::resource::{Approval, Capacity};

    /// Changes built by the writer are ordinary Automerge changes: an
    /// Automerge document applies them, and an edit overwrites (one value
    /// for the key, no conflict).
    #[test]
    fn written_changes_are_plain_automerge_and_edits_overwrite() {
        let key = AgencyKey::from_secret(&[7; 32]);
        let doc = DocId::catalog(key.id());
        let mut w = DocWriter::new(&key, doc.clone(), &[]).unwrap();
        let mut room =
            crate::sim::test_resource(key.id(), "room", Capacity::People(4), Approval::Automatic);
        let first = w
            .write(&key, &[Record::Resource(Box::new(room.clone()))], 1)
            .unwrap();
        room.capacity = Capacity::People(8);
        let second = w
            .write(&key, &[Record::Resource(Box::new(room.clone()))], 2)
            .unwrap();
        // A writer rebuilt from the history continues the same chain.
        let mut again =
            DocWriter::new(&key, doc.clone(), &[first.clone(), second.clone()]).unwrap();
        room.capacity = Capacity::People(9);
        let third = again
            .write(&key, &[Record::Resource(Box::new(room.clone()))], 3)
            .unwrap();
        let mut am = AutoCommit::new();
        let changes: Vec<Change> = [first, second, third]
            .iter()
            .map(|s| Change::from_bytes(s.change.clone()).unwrap())
            .collect();
        am.apply_changes(changes).unwrap();
        let values = am.get_all(ROOT, "res/room").unwrap();
        assert_eq!(values.len(), 1, "an edit is an overwrite, not a conflict");
        let json = am
            .get(ROOT, "res/room")
            .unwrap()
            .unwrap()
            .0
            .into_string()
            .unwrap();
        let back = Record::decode(&doc, "res/room", &json).unwrap();
        assert_eq!(back, Record::Resource(Box::new(room)));
    }
}
