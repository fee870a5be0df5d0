//! Durable storage of a node's home: signed changes and roster events in
//! sled, behind a small [`Storage`] trait (sled is no longer developed, so
//! it must stay replaceable), plus an in-memory implementation for tests.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crdt_model::ids::DocId;
use crdt_model::ledger::{Archive, ArchiveError, SealedDoc};
use crdt_model::membership::SignedRosterEvent;
use crdt_model::signed::{ENVELOPE_VERSION, SignedChange};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another process holds the database.
    #[error(
        "the node's database at {0} is in use by another tongchou process (is a daemon already running on this home?)"
    )]
    Locked(String),
    /// sled failed.
    #[error("storage: {0}")]
    Sled(#[from] sled::Error),
    /// sled could not open the database: its files are damaged.
    #[error(
        "the node's database at {dir} is damaged ({detail}); the node cannot start on it. \
         What to do: keep the damaged files for diagnosis (`mv db db.damaged`), then restore \
         the home from a backup (`tongchou restore FILE --home NEW`): what this agency wrote \
         after the backup comes back from its peers. Without a backup, ask an admin for a new \
         invitation and `join` again. `tongchou verify` checks a home."
    )]
    Damaged {
        /// The database directory.
        dir: String,
        /// What sled said.
        detail: String,
    },
    /// A flush did not finish in time: the disk is failing or gone.
    #[error("the disk did not confirm a write within {0} s (disk full, failing or unreachable?)")]
    FlushTimeout(u64),
    /// The store was written by a version with another record schema.
    #[error(
        "this home's store has record schema {found}, this tongchou reads schema {STORE_SCHEMA} \
         (documents are now keyed by who needs them); there is no migration: \
         create the home again (`network create` or `join`)"
    )]
    Schema {
        /// The schema found.
        found: u32,
    },
    /// Corrupt entry.
    #[error("corrupt entry in {tree}: {detail}")]
    Corrupt {
        /// Tree.
        tree: &'static str,
        /// What.
        detail: String,
    },
}

/// Sealed documents as the store noted them, and the cut.
pub type SealedNotes = (jiff::Timestamp, BTreeMap<DocId, SealedDoc>);

/// The stored-record schema this version writes and reads. 2: requests
/// documents are keyed by requester, resource owner and month
/// (`requests/REQUESTER/OWNER/2026-12`); 1 (unmarked) had no owner.
pub const STORE_SCHEMA: u32 = 2;

/// Marks a new store with [`STORE_SCHEMA`]; refuses one of another schema
/// (an unmarked store holding anything is schema 1).
fn check_schema(db: &sled::Db, changes: &sled::Tree, roster: &sled::Tree) -> Result<(), Error> {
    let found = match db.get("schema")? {
        Some(v) => {
            let bytes: [u8; 4] = v.as_ref().try_into().map_err(|_| Error::Corrupt {
                tree: "meta",
                detail: "schema marker".into(),
            })?;
            u32::from_be_bytes(bytes)
        }
        None if changes.is_empty() && roster.is_empty() => {
            db.insert("schema", &STORE_SCHEMA.to_be_bytes())?;
            STORE_SCHEMA
        }
        None => 1,
    };
    if found != STORE_SCHEMA {
        return Err(Error::Schema { found });
    }
    Ok(())
}

/// What a node stores.
pub trait Storage: Send {
    /// Adds accepted changes (idempotent).
    fn put_changes(&self, changes: &[SignedChange]) -> Result<(), Error>;
    /// Adds roster events (idempotent).
    fn put_roster(&self, events: &[SignedRosterEvent]) -> Result<(), Error>;
    /// Makes everything written so far durable.
    fn flush(&self) -> Result<(), Error>;
    /// All stored changes.
    fn changes(&self) -> Result<Vec<SignedChange>, Error>;
    /// All stored changes one by one, in storage order (so a large history
    /// need not be held in memory twice while it is loaded).
    fn changes_iter(&self) -> Box<dyn Iterator<Item = Result<SignedChange, Error>> + '_> {
        match self.changes() {
            Ok(all) => Box::new(all.into_iter().map(Ok)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }
    /// All stored roster events.
    fn roster(&self) -> Result<Vec<SignedRosterEvent>, Error>;
    /// Where the engine can read stored changes back, so it need not keep
    /// their bytes in memory (`None`: it keeps them).
    fn archive(&self) -> Option<Arc<dyn Archive>> {
        None
    }
    /// The same store, letting go of what it kept in memory from what was
    /// read so far (after the whole history is loaded). Nothing written
    /// is lost; the caller holds no archive of this store meanwhile.
    fn reopened(self: Box<Self>) -> Result<Box<dyn Storage>, Error>;
    /// The documents noted sealed, and the cut they were sealed at
    /// (`None`: none).
    fn sealed(&self) -> Result<Option<SealedNotes>, Error> {
        Ok(None)
    }
    /// Notes `docs` as sealed at `cut` (see [`Engine::seal`]). A store
    /// without an archive cannot hold sealed documents, and notes nothing.
    ///
    /// [`Engine::seal`]: crdt_model::engine::Engine::seal
    fn put_sealed(&self, _cut: jiff::Timestamp, _docs: &[(DocId, SealedDoc)]) -> Result<(), Error> {
        Ok(())
    }
    /// Forgets every sealed note: the engine brought them back into memory.
    fn clear_sealed(&self) -> Result<(), Error> {
        Ok(())
    }
    /// [`Storage::changes_iter`] without the changes of the documents of
    /// `sealed` up to their sealed length.
    fn open_changes_iter<'a>(
        &'a self,
        sealed: &'a BTreeMap<DocId, u64>,
    ) -> Box<dyn Iterator<Item = Result<SignedChange, Error>> + 'a> {
        Box::new(self.changes_iter().filter(move |c| {
            c.as_ref()
                .map_or(true, |c| sealed.get(&c.doc).is_none_or(|n| c.number() > *n))
        }))
    }
    /// Every stored entry, tree by tree, as the store holds it now (for a
    /// backup; the caller makes sure nothing writes meanwhile).
    fn snapshot(&self) -> Result<Vec<Entry>, Error> {
        let mut out = Vec::new();
        for c in self.changes()? {
            out.push(Entry {
                tree: CHANGES_TREE.into(),
                key: change_key(&c.doc, c.number()),
                value: encode_change(&c),
            });
        }
        for e in self.roster()? {
            let v = serde_json::to_vec(&e).map_err(|x| Error::Corrupt {
                tree: "roster",
                detail: x.to_string(),
            })?;
            out.push(Entry {
                tree: ROSTER_TREE.into(),
                key: e.id().into_bytes(),
                value: v,
            });
        }
        Ok(out)
    }
}

/// The tree of signed changes.
pub const CHANGES_TREE: &str = "changes";
/// The tree of roster events.
pub const ROSTER_TREE: &str = "roster";
/// The name a snapshot gives sled's default tree (the schema marker).
pub const META_TREE: &str = "meta";

/// One stored entry: its tree, key and value, as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The tree ([`CHANGES_TREE`], [`ROSTER_TREE`], [`META_TREE`], …).
    pub tree: String,
    /// Key.
    pub key: Vec<u8>,
    /// Value.
    pub value: Vec<u8>,
}

/// Reads changes back from the sled tree they were stored in.
#[derive(Debug)]
struct SledArchive(sled::Tree);

impl Archive for SledArchive {
    fn change_bytes(&self, doc: &DocId, seq: u64) -> Result<Vec<u8>, ArchiveError> {
        let fail = |detail: String| ArchiveError {
            doc: doc.clone(),
            seq,
            detail,
        };
        match self.0.get(change_key(doc, seq)) {
            Ok(Some(v)) if v.len() > 64 => Ok(v[64..].to_vec()),
            Ok(Some(_)) => Err(fail("stored entry too short".into())),
            Ok(None) => Err(fail("not in the store".into())),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    fn signed_change(&self, doc: &DocId, seq: u64) -> Result<SignedChange, ArchiveError> {
        let fail = |detail: String| ArchiveError {
            doc: doc.clone(),
            seq,
            detail,
        };
        let key = change_key(doc, seq);
        match self.0.get(&key) {
            Ok(Some(v)) => decode_change(&key, &v)
                .map(|mut c| {
                    c.seq = seq;
                    c
                })
                .map_err(|e| fail(e.to_string())),
            Ok(None) => Err(fail("not in the store".into())),
            Err(e) => Err(fail(e.to_string())),
        }
    }
}

fn change_key(doc: &DocId, seq: u64) -> Vec<u8> {
    let mut k = doc.to_string().into_bytes();
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn encode_change(c: &SignedChange) -> Vec<u8> {
    let mut v = Vec::with_capacity(64 + c.change.len());
    v.extend_from_slice(&c.sig);
    v.extend_from_slice(&c.change);
    v
}

fn decode_change(key: &[u8], value: &[u8]) -> Result<SignedChange, Error> {
    let corrupt = |d: &str| Error::Corrupt {
        tree: "changes",
        detail: d.to_string(),
    };
    let sep = key
        .iter()
        .position(|b| *b == 0)
        .ok_or_else(|| corrupt("key"))?;
    let doc: DocId = std::str::from_utf8(&key[..sep])
        .map_err(|_| corrupt("key utf8"))?
        .parse()
        .map_err(|_| corrupt("doc id"))?;
    if value.len() < 64 {
        return Err(corrupt("value too short"));
    }
    let mut sig = [0u8; 64];
    sig.copy_from_slice(&value[..64]);
    Ok(SignedChange {
        v: ENVELOPE_VERSION,
        signer: doc.owner,
        doc,
        sig,
        change: value[64..].to_vec(),
        seq: 0,
    })
}

/// Longest a flush may take before the write counts as failed. sled waits
/// forever for a write that failed underneath it (seen with a file-size
/// limit), which would hang the node with the failed write unacknowledged;
/// a healthy disk confirms a group commit in milliseconds.
const FLUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens sled, turning a panic inside it (a damaged file: sled 0.34 panics
/// with "tried to serialize Uninitialized" on a truncated or zeroed
/// segment) into [`Error::Damaged`]. The panic's own report is silenced
/// meanwhile: the error says what happened and what to do.
fn open_catching_panics(
    config: sled::Config,
    dir: &Path,
) -> Result<Result<sled::Db, sled::Error>, Error> {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| config.open()));
    std::panic::set_hook(quiet);
    opened.map_err(|panic| {
        let detail = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "sled panicked".into());
        Error::Damaged {
            dir: dir.display().to_string(),
            detail,
        }
    })
}

/// sled-backed storage.
#[derive(Debug)]
pub struct SledStore {
    dir: std::path::PathBuf,
    db: sled::Db,
    changes: sled::Tree,
    roster: sled::Tree,
    /// Asks the flusher thread to flush; it answers on the channel given.
    flusher: Option<Flusher>,
}

/// The flusher thread: its request channel and its handle.
#[derive(Debug)]
struct Flusher {
    requests: std::sync::mpsc::Sender<std::sync::mpsc::Sender<Result<(), sled::Error>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Drop for SledStore {
    /// Stops the flusher thread and waits (a bounded time) until it has
    /// let go of the database, so the home can be opened again at once.
    fn drop(&mut self) {
        if let Some(f) = self.flusher.take() {
            drop(f.requests);
            let deadline = std::time::Instant::now() + FLUSH_TIMEOUT;
            while !f.thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }
}

impl SledStore {
    /// Opens (or creates) the database under `dir`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(64 * 1024 * 1024)
            .flush_every_ms(Some(500));
        let db = open_catching_panics(config, dir)?.map_err(|e| match e {
            sled::Error::Io(ref io)
                if io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("lock") =>
            {
                Error::Locked(dir.display().to_string())
            }
            sled::Error::Corruption { .. } => Error::Damaged {
                dir: dir.display().to_string(),
                detail: e.to_string(),
            },
            other => Error::Sled(other),
        })?;
        let changes = db.open_tree(CHANGES_TREE)?;
        let roster = db.open_tree(ROSTER_TREE)?;
        check_schema(&db, &changes, &roster)?;
        let (tx, requests) =
            std::sync::mpsc::channel::<std::sync::mpsc::Sender<Result<(), sled::Error>>>();
        let flushed = db.clone();
        // Ends when the store is dropped (or stays stuck in a flush that
        // never returns, which the waiting side no longer waits for).
        let thread = std::thread::Builder::new()
            .name("store-flush".into())
            .spawn(move || {
                for reply in requests {
                    let _ = reply.send(flushed.flush().map(drop));
                }
            })
            .map_err(|e| Error::Sled(sled::Error::Io(e)))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            db,
            changes,
            roster,
            flusher: Some(Flusher {
                requests: tx,
                thread,
            }),
        })
    }
}

impl SledStore {
    /// Removes `doc`'s changes from sequence `from` on and flushes; how
    /// many. Only for tests that make a store lose the tail of a
    /// document, as a damaged disk does.
    #[doc(hidden)]
    pub fn forget_changes(&self, doc: &DocId, from: u64) -> Result<usize, Error> {
        let mut n = 0;
        let mut seq = from;
        while self.changes.remove(change_key(doc, seq))?.is_some() {
            n += 1;
            seq += 1;
        }
        self.db.flush()?;
        Ok(n)
    }

    /// Writes `entries` (a [`Storage::snapshot`]) into this store, which
    /// should be new, and flushes.
    pub fn import(&self, entries: &[Entry]) -> Result<(), Error> {
        for e in entries {
            if e.tree == META_TREE {
                self.db.insert(&e.key, e.value.as_slice())?;
            } else {
                self.db
                    .open_tree(&e.tree)?
                    .insert(&e.key, e.value.as_slice())?;
            }
        }
        self.db.flush()?;
        Ok(())
    }
}

impl Storage for SledStore {
    fn snapshot(&self) -> Result<Vec<Entry>, Error> {
        let default = self.db.name();
        let mut out = Vec::new();
        for name in self.db.tree_names() {
            let (tree, label) = if name == default {
                ((*self.db).clone(), META_TREE.to_string())
            } else {
                let label = String::from_utf8(name.to_vec()).map_err(|_| Error::Corrupt {
                    tree: "meta",
                    detail: "a tree name that is not UTF-8".into(),
                })?;
                (self.db.open_tree(&name)?, label)
            };
            for kv in tree.iter() {
                let (k, v) = kv?;
                out.push(Entry {
                    tree: label.clone(),
                    key: k.to_vec(),
                    value: v.to_vec(),
                });
            }
        }
        Ok(out)
    }

    fn archive(&self) -> Option<Arc<dyn Archive>> {
        Some(Arc::new(SledArchive(self.changes.clone())))
    }

    /// sled 0.34 keeps every page a read pulled in until its cache's
    /// per-shard queues fill, which one pass over the history never does:
    /// after loading, a member's node following 20 owners held the whole
    /// store's pages (~55 MB) it would not read again. Closing the
    /// database (its flusher joined, so the lock is let go) and opening it
    /// again drops them; opening a store just flushed is quick.
    fn reopened(self: Box<Self>) -> Result<Box<dyn Storage>, Error> {
        self.flush()?;
        let dir = self.dir.clone();
        drop(self);
        Ok(Box::new(SledStore::open(&dir)?))
    }

    fn put_changes(&self, changes: &[SignedChange]) -> Result<(), Error> {
        let mut batch = sled::Batch::default();
        for c in changes {
            batch.insert(change_key(&c.doc, c.number()), encode_change(c));
        }
        self.changes.apply_batch(batch)?;
        Ok(())
    }

    fn put_roster(&self, events: &[SignedRosterEvent]) -> Result<(), Error> {
        for e in events {
            let v = serde_json::to_vec(e).map_err(|x| Error::Corrupt {
                tree: "roster",
                detail: x.to_string(),
            })?;
            self.roster.insert(e.id().as_bytes(), v)?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        let (tx, rx) = std::sync::mpsc::channel();
        let sent = self
            .flusher
            .as_ref()
            .is_some_and(|f| f.requests.send(tx).is_ok());
        if !sent {
            // The flusher thread is gone: flush here.
            self.db.flush()?;
            return Ok(());
        }
        match rx.recv_timeout(FLUSH_TIMEOUT) {
            Ok(result) => Ok(result?),
            Err(_) => Err(Error::FlushTimeout(FLUSH_TIMEOUT.as_secs())),
        }
    }

    fn changes(&self) -> Result<Vec<SignedChange>, Error> {
        self.changes
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode_change(&k, &v)
            })
            .collect()
    }

    fn changes_iter(&self) -> Box<dyn Iterator<Item = Result<SignedChange, Error>> + '_> {
        static NONE: BTreeMap<DocId, u64> = BTreeMap::new();
        self.open_changes_iter(&NONE)
    }

    fn open_changes_iter<'a>(
        &'a self,
        sealed: &'a BTreeMap<DocId, u64>,
    ) -> Box<dyn Iterator<Item = Result<SignedChange, Error>> + 'a> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        // Requests before decisions (the keys sort the other way): a
        // decision met before its request is remembered until the request
        // arrives, which for a whole history would be every decision.
        // `decisions0` is the first key past the `decisions/` prefix.
        let (d, d0) = (b"decisions/".to_vec(), b"decisions0".to_vec());
        let part = |lo, hi| sealed::Skipping::new(&self.changes, lo, hi, sealed);
        Box::new(
            part(Unbounded, Excluded(d.clone()))
                .chain(part(Included(d0.clone()), Unbounded))
                .chain(part(Included(d), Excluded(d0))),
        )
    }

    fn sealed(&self) -> Result<Option<SealedNotes>, Error> {
        sealed::read(&self.db)
    }

    fn put_sealed(&self, cut: jiff::Timestamp, docs: &[(DocId, SealedDoc)]) -> Result<(), Error> {
        sealed::put(&self.db, cut, docs)
    }

    fn clear_sealed(&self) -> Result<(), Error> {
        sealed::clear(&self.db)
    }

    fn roster(&self) -> Result<Vec<SignedRosterEvent>, Error> {
        self.roster
            .iter()
            .map(|kv| {
                let (_, v) = kv?;
                serde_json::from_slice(&v).map_err(|x| Error::Corrupt {
                    tree: "roster",
                    detail: x.to_string(),
                })
            })
            .collect()
    }
}

mod mem;
pub use mem::MemStore;
mod sealed;
pub use sealed::SEALED_TREE;

#[cfg(test)]
mod tests;
