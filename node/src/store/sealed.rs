//! Sealed documents in the store: the `sealed` tree notes each document the
//! engine left out of memory (see [`crdt_model::ledger::Ledger::seal`]),
//! with what the engine keeps of it, and loading reads the history without
//! their changes, skipping over them in the key order.

use std::collections::BTreeMap;
use std::ops::Bound;

use crdt_model::hlc::Hlc;
use crdt_model::ids::{BookingId, DocId, ResourceId};
use crdt_model::ledger::SealedDoc;
use crdt_model::signed::SignedChange;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Error, change_key, decode_change};

/// The tree of sealed documents: document id → what is kept of it (JSON).
pub const SEALED_TREE: &str = "sealed";
/// The key of the cut the documents were sealed at, in the default tree.
const CUT_KEY: &[u8] = b"seal_cut";

/// A sealed document as stored.
#[derive(Serialize, Deserialize)]
struct Stored {
    len: u64,
    head: String,
    clock: Hlc,
    bookings: Vec<BookingId>,
    decisions: Vec<(ResourceId, u64)>,
    #[serde(default)]
    resources: Vec<ResourceId>,
}

fn corrupt(detail: impl Into<String>) -> Error {
    Error::Corrupt {
        tree: "sealed",
        detail: detail.into(),
    }
}

/// Reads the sealed documents noted in `db` and their cut (`None`: none).
pub(super) fn read(db: &sled::Db) -> Result<Option<super::SealedNotes>, Error> {
    let Some(cut) = db.get(CUT_KEY)? else {
        return Ok(None);
    };
    let ms: [u8; 8] = cut.as_ref().try_into().map_err(|_| corrupt("cut"))?;
    let cut = Timestamp::from_millisecond(i64::from_be_bytes(ms)).map_err(|_| corrupt("cut"))?;
    let mut docs = BTreeMap::new();
    for kv in db.open_tree(SEALED_TREE)?.iter() {
        let (k, v) = kv?;
        let doc: DocId = std::str::from_utf8(&k)
            .map_err(|_| corrupt("key utf8"))?
            .parse()
            .map_err(|_| corrupt("doc id"))?;
        let s: Stored = serde_json::from_slice(&v).map_err(|e| corrupt(e.to_string()))?;
        let head = s.head.parse().map_err(|_| corrupt("head hash"))?;
        docs.insert(
            doc,
            SealedDoc {
                len: s.len,
                head,
                clock: s.clock,
                bookings: s.bookings,
                decisions: s.decisions,
                resources: s.resources,
            },
        );
    }
    Ok((!docs.is_empty()).then_some((cut, docs)))
}

/// Notes `docs` as sealed at `cut`. The notes of one seal go in one
/// atomic batch (a part of a sealed set is not a sealed set: what stays in
/// memory may name what left), and the cut after them: notes without a cut
/// are not read, and are cleared before new ones are written (left by a
/// `clear` cut short).
pub(super) fn put(db: &sled::Db, cut: Timestamp, docs: &[(DocId, SealedDoc)]) -> Result<(), Error> {
    let tree = db.open_tree(SEALED_TREE)?;
    if db.get(CUT_KEY)?.is_none() {
        tree.clear()?;
    }
    let mut batch = sled::Batch::default();
    for (doc, s) in docs {
        let stored = Stored {
            len: s.len,
            head: s.head.to_string(),
            clock: s.clock,
            bookings: s.bookings.clone(),
            decisions: s.decisions.clone(),
            resources: s.resources.clone(),
        };
        let v = serde_json::to_vec(&stored).map_err(|e| corrupt(e.to_string()))?;
        batch.insert(doc.to_string().into_bytes(), v);
    }
    tree.apply_batch(batch)?;
    db.insert(CUT_KEY, &cut.as_millisecond().to_be_bytes())?;
    Ok(())
}

/// Forgets every sealed note: the cut first, which makes them all unread
/// at once.
pub(super) fn clear(db: &sled::Db) -> Result<(), Error> {
    db.remove(CUT_KEY)?;
    db.open_tree(SEALED_TREE)?.clear()?;
    Ok(())
}

/// The changes of `tree` between `lo` and `hi`, in key order, without
/// those of `skip`'s documents up to their sealed length: one seek past
/// each sealed document instead of reading its changes.
pub(super) struct Skipping<'a> {
    tree: &'a sled::Tree,
    hi: Bound<Vec<u8>>,
    iter: sled::Iter,
    skip: &'a BTreeMap<DocId, u64>,
}

impl<'a> Skipping<'a> {
    pub(super) fn new(
        tree: &'a sled::Tree,
        lo: Bound<Vec<u8>>,
        hi: Bound<Vec<u8>>,
        skip: &'a BTreeMap<DocId, u64>,
    ) -> Self {
        let iter = tree.range((lo, hi.clone()));
        Self {
            tree,
            hi,
            iter,
            skip,
        }
    }
}

impl Iterator for Skipping<'_> {
    type Item = Result<SignedChange, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (k, v) = match self.iter.next()? {
                Ok(kv) => kv,
                Err(e) => return Some(Err(e.into())),
            };
            let mut c = match decode_change(&k, &v) {
                Ok(c) => c,
                Err(e) => return Some(Err(e)),
            };
            let sealed = self.skip.get(&c.doc).copied().unwrap_or(0);
            // The key ends with the change's number.
            let seq = k
                .len()
                .checked_sub(8)
                .and_then(|i| k[i..].try_into().ok())
                .map_or(0, u64::from_be_bytes);
            if sealed == 0 || seq > sealed {
                c.seq = seq;
                return Some(Ok(c));
            }
            // Past the document's sealed changes in one seek.
            let next = change_key(&c.doc, sealed + 1);
            self.iter = self.tree.range((Bound::Included(next), self.hi.clone()));
        }
    }
}
