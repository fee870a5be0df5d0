//! Reads of sealed periods (a report, `bookings --from` before the seal
//! cut): the replica is copied on the actor, and the sealed records are
//! read back and replayed on the copy away from it, one such read at a
//! time, so that the node keeps syncing and answering meanwhile.

use super::*;
use crdt_model::ledger::Ledger;

/// One read of a sealed period at a time: each takes a copy of the replica.
static PAST_READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// If `reads` says a question needs the sealed records, its answer `f`
/// computed on a copy of the replica with them back in memory (`f` is
/// given this agency too); `None` otherwise.
pub(super) async fn on_unsealed<T: Send + 'static>(
    st: &AppState,
    reads: impl Fn(&Ledger) -> bool + Send + Clone + 'static,
    f: impl FnOnce(&Ledger, AgencyId) -> T + Send + 'static,
) -> Result<Option<T>, Error> {
    let probe = reads.clone();
    let needed = st
        .node
        .read_state(move |v| probe(v.engine.ledger()))
        .await
        .ok_or_else(gone)?;
    if !needed {
        return Ok(None);
    }
    let _one = PAST_READS.acquire().await.map_err(|_| gone())?;
    let copy = st
        .node
        .read_state(move |v| {
            let l = v.engine.ledger();
            reads(l).then(|| (l.clone(), v.engine.id()))
        })
        .await
        .ok_or_else(gone)?;
    let Some((ledger, me)) = copy else {
        return Ok(None);
    };
    let answer = tokio::task::spawn_blocking(move || ledger.into_unsealed().map(|l| f(&l, me)))
        .await
        .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    answer.map(Some).map_err(|e| {
        let why = format!("the sealed records could not be read from the store: {e}");
        err(StatusCode::INSUFFICIENT_STORAGE, "storage_failed", why)
    })
}
