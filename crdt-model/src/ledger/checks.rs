//! Checks of a change that need no signature: its envelope, and that a
//! document's records never go back in time; and the refusal record.

use crate::doc::Write;
use crate::hlc::Hlc;
use crate::signed::{ENVELOPE_VERSION, MAX_CHANGE_BYTES, SignedChange};

use super::{Refusal, RefuseReason};

/// A document's records never go back in time: every record's clock is at
/// or after the latest one before it in the document (`last`), since an
/// honest writer's clock only moves forward. A record dated before what its
/// author had already written is refused (a clock set back, or a request
/// backdated to jump the queue).
/// (Records of one change are compared with the changes before it only:
/// their order inside the change is the map's, not the writer's.)
pub(super) fn check_clocks(
    last: Option<Hlc>,
    writes: Vec<Write>,
) -> Result<Vec<Write>, RefuseReason> {
    let back = |w: &Write| w.record.hlc().zip(last).is_some_and(|(h, l)| h < l);
    if writes.iter().any(back) {
        return Err(RefuseReason::ClockBackwards);
    }
    Ok(writes)
}

/// A refusal of `env` (its change number `seq`, 0 if not decoded).
pub(super) fn refusal(
    env: &SignedChange,
    seq: u64,
    hash: Option<String>,
    reason: RefuseReason,
) -> Refusal {
    Refusal {
        doc: env.doc.clone(),
        seq,
        signer: env.signer,
        hash,
        reason,
    }
}

/// What is wrong with a change's envelope before it is even decoded.
pub(super) fn envelope_fault(env: &SignedChange) -> Option<RefuseReason> {
    if !env.doc.is_canonical() {
        Some(RefuseReason::Malformed("non-canonical document id".into()))
    } else if env.v != ENVELOPE_VERSION {
        Some(RefuseReason::Version(env.v))
    } else if env.change.len() > MAX_CHANGE_BYTES {
        Some(RefuseReason::TooLarge)
    } else {
        None
    }
}
