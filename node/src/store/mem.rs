//! In-memory storage for tests: the [`Storage`] trait over two maps.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crdt_model::membership::SignedRosterEvent;
use crdt_model::signed::SignedChange;

use super::{Error, Storage, change_key};

/// In-memory storage for tests.
#[derive(Debug, Default)]
pub struct MemStore {
    changes: Mutex<BTreeMap<Vec<u8>, SignedChange>>,
    roster: Mutex<BTreeMap<String, SignedRosterEvent>>,
}

impl Storage for MemStore {
    fn reopened(self: Box<Self>) -> Result<Box<dyn Storage>, Error> {
        Ok(self)
    }
    fn put_changes(&self, changes: &[SignedChange]) -> Result<(), Error> {
        let mut m = self.changes.lock().expect("not poisoned");
        for c in changes {
            m.insert(change_key(&c.doc, c.number()), c.clone());
        }
        Ok(())
    }
    fn put_roster(&self, events: &[SignedRosterEvent]) -> Result<(), Error> {
        let mut m = self.roster.lock().expect("not poisoned");
        for e in events {
            m.insert(e.id(), e.clone());
        }
        Ok(())
    }
    fn flush(&self) -> Result<(), Error> {
        Ok(())
    }
    fn changes(&self) -> Result<Vec<SignedChange>, Error> {
        Ok(self
            .changes
            .lock()
            .expect("not poisoned")
            .values()
            .cloned()
            .collect())
    }
    fn roster(&self) -> Result<Vec<SignedRosterEvent>, Error> {
        Ok(self
            .roster
            .lock()
            .expect("not poisoned")
            .values()
            .cloned()
            .collect())
    }
}
