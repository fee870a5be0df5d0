//! Sealing past periods: at start and then daily the engine seals the
//! documents of periods long ended (see [`Engine::seal`]) and the store
//! notes them, so that the next start leaves their changes on disk. When a
//! change arriving touches them, the engine brings them back into memory;
//! the store's note is then forgotten, and flushed, before anything that
//! arrived with the change is stored.

use super::*;

/// How often the node seals what has aged past the cut.
const SEAL_EVERY: Duration = Duration::from_secs(24 * 3600);

impl Actor {
    /// Seals what may be sealed now, if the last time was a day ago.
    pub(super) fn seal_if_due(&mut self) {
        if self.sealed_at.is_none_or(|t| t.elapsed() >= SEAL_EVERY) {
            self.seal();
        }
    }

    /// Seals what may be sealed now, and notes it in the store.
    pub(super) fn seal(&mut self) {
        self.sealed_at = Some(Instant::now());
        if self.storage_fault.is_some() {
            return;
        }
        let t = Instant::now();
        let docs = tokio::task::block_in_place(|| self.engine.seal(Timestamp::now()));
        if let Some(e) = self.engine.take_fault() {
            self.fail_storage("reading the store to seal past periods", &e);
            return;
        }
        let ledger = self.engine.ledger();
        let Some(cut) = ledger.seal_cut().filter(|_| !docs.is_empty()) else {
            return;
        };
        let notes: Vec<_> = docs
            .iter()
            .filter_map(|d| ledger.sealed().get(d).map(|s| (d.clone(), s.clone())))
            .collect();
        let total = ledger.sealed().len();
        let store = &self.store;
        let stored = tokio::task::block_in_place(|| {
            store.put_sealed(cut, &notes).and_then(|()| store.flush())
        });
        if let Err(e) = stored {
            self.fail_storage("noting sealed periods", &e);
            return;
        }
        self.sealed_count = total;
        // The index was built again without them: the old one's pages go
        // back to the system now rather than at the next minute's trim.
        release_freed_memory();
        info!(
            sealed = docs.len(),
            total,
            cut = %cut,
            ms = t.elapsed().as_millis() as u64,
            "sealed past periods: their changes stay on disk"
        );
    }

    /// After the engine brought its sealed documents back into memory:
    /// forgets the store's note of them, before what arrived is stored.
    pub(super) fn note_unsealed(&mut self) {
        let now = self.engine.ledger().sealed().len();
        if now >= self.sealed_count {
            return;
        }
        self.sealed_count = now;
        let store = &self.store;
        let cleared =
            tokio::task::block_in_place(|| store.clear_sealed().and_then(|()| store.flush()));
        if let Err(e) = cleared {
            self.fail_storage("forgetting sealed periods", &e);
            return;
        }
        info!("a change touched sealed periods: they are back in memory");
    }
}
