//! Flow control of sync messages, per peer. The engine queues what it sends
//! and releases it when the driver has stored everything it persisted
//! ([`Input::Committed`](super::Input::Committed)): change messages to one
//! peer are merged, at most [`WINDOW`] of them are in flight to it, and a
//! peer that is not keeping up is left to the ledger instead of to memory:
//! what it lacks goes when it has acknowledged half the window
//! ([`Input::Delivered`](super::Input::Delivered)), in order, a bounded
//! amount at a time. A slow peer costs at most the window in memory, and a
//! burst opens no gaps at the receiver (which would make it ask for
//! everything again). Change messages are numbered, and acknowledged ones
//! are remembered until the peer's summary says it took them in, so that
//! a summary that crossed them does not make them go again.

use std::collections::BTreeMap;

use super::io::{Message, Output};
use crate::ids::{AgencyId, DocId};

/// Change messages in flight to one peer before further changes for it are
/// left in the ledger.
pub const WINDOW: usize = 32;

/// Most changes one merged message carries.
const MAX_MERGED: usize = 1_000;

/// Acknowledged change messages remembered per peer until a summary of
/// its shows it took them in (older ones are forgotten first: a summary
/// that crossed them then makes them go again, nothing worse).
const REMEMBERED: usize = 2 * WINDOW;

/// Identifies a sent message in [`Input::Delivered`](super::Input::Delivered).
pub type MsgId = u64;

/// `(document, sequence number)` of each change a message carries.
pub type Carried = Vec<(DocId, u64)>;

/// One peer's window.
#[derive(Debug, Default)]
struct PeerFlow {
    /// Change messages sent and not yet acknowledged, with what they carry.
    inflight: BTreeMap<MsgId, Carried>,
    /// Change messages acknowledged, with what they carry, until a
    /// summary of the peer's shows it took them in.
    acked: BTreeMap<MsgId, Carried>,
    /// Changes for it were held back or lost: resync when the window frees.
    behind: bool,
}

/// Messages waiting for the driver's commit, and every peer's window.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    /// Changes a resync sends, in order; they go first and are never held
    /// back for being behind (they are what catches the peer up).
    resync: Vec<(AgencyId, Message)>,
    /// Everything else, in the order it was produced.
    fresh: Vec<(AgencyId, Message)>,
    flows: BTreeMap<AgencyId, PeerFlow>,
    next: MsgId,
}

/// What releasing the outbox did.
#[derive(Debug, Default)]
pub(super) struct Released {
    /// Sends for the driver, in order.
    pub(super) sends: Vec<Output>,
    /// Changes held back per peer: the peer must not be assumed to hold
    /// them. With whether they were part of a resync (the next resync
    /// sends them as it would have; fresh ones are owed to the peer).
    pub(super) held: Vec<(AgencyId, Carried, bool)>,
}

/// `(document, seq)` of the changes a message carries.
fn carried(msg: &Message) -> Carried {
    match msg {
        Message::Changes { changes, .. } => changes
            .iter()
            .map(|c| (c.doc.clone(), c.number()))
            .filter(|(_, seq)| *seq > 0)
            .collect(),
        _ => Vec::new(),
    }
}

impl Outbox {
    /// Queues a message (`resync`: part of catching a peer up).
    pub(super) fn push(&mut self, to: AgencyId, msg: Message, resync: bool) {
        if resync {
            self.resync.push((to, msg));
        } else {
            self.fresh.push((to, msg));
        }
    }

    /// Whether anything waits for the driver's commit.
    pub(super) fn is_empty(&self) -> bool {
        self.resync.is_empty() && self.fresh.is_empty()
    }

    /// Releases what is queued: resync messages first, then fresh ones with
    /// the change messages to each peer merged (up to [`MAX_MERGED`]
    /// changes); a change message beyond a peer's window, or a fresh one to
    /// a peer that is behind, is held back (it opens no gap: the peer gets
    /// it from the ledger when it catches up).
    pub(super) fn release(&mut self) -> Released {
        let resync = std::mem::take(&mut self.resync)
            .into_iter()
            .map(|m| (true, m));
        let fresh = merge(std::mem::take(&mut self.fresh))
            .into_iter()
            .map(|m| (false, m));
        let mut r = Released::default();
        for (is_resync, (to, mut msg)) in resync.chain(fresh) {
            let carried = carried(&msg);
            self.next += 1;
            let id = self.next;
            if let Message::Changes { n, .. } = &mut msg {
                *n = id;
            }
            if !carried.is_empty() {
                let flow = self.flows.entry(to).or_default();
                if flow.inflight.len() >= WINDOW || (flow.behind && !is_resync) {
                    flow.behind = true;
                    r.held.push((to, carried, is_resync));
                    continue;
                }
                flow.inflight.insert(id, carried);
            }
            r.sends.push(Output::Send { to, msg, id });
        }
        r
    }

    /// The changes a summary of `peer`'s that took in our change messages
    /// up to number `seen` does not show: queued for the driver's commit,
    /// sent and not yet acknowledged, or acknowledged in a later message.
    /// Acknowledged messages up to `seen` are forgotten.
    pub(super) fn unseen(
        &mut self,
        peer: &AgencyId,
        seen: MsgId,
    ) -> std::collections::BTreeSet<(DocId, u64)> {
        let queued = self
            .resync
            .iter()
            .chain(&self.fresh)
            .filter(|(to, _)| to == peer)
            .flat_map(|(_, m)| carried(m));
        let sent = self.flows.get_mut(peer).map(|f| {
            f.acked = f.acked.split_off(&(seen + 1));
            &*f
        });
        let sent = sent.into_iter().flat_map(|f| {
            f.inflight
                .values()
                .chain(f.acked.values())
                .flatten()
                .cloned()
        });
        queued.chain(sent).collect()
    }

    /// Message `id` to `peer` was acknowledged (`ok`) or lost. Returns what
    /// it carried when lost, and whether `peer` should be resynced now.
    pub(super) fn delivered(&mut self, peer: AgencyId, id: MsgId, ok: bool) -> (Carried, bool) {
        let Some(flow) = self.flows.get_mut(&peer) else {
            return (Vec::new(), false);
        };
        let Some(carried) = flow.inflight.remove(&id) else {
            return (Vec::new(), false);
        };
        flow.behind |= !ok;
        if ok {
            flow.acked.insert(id, carried);
            while flow.acked.len() > REMEMBERED {
                flow.acked.pop_first();
            }
            let resync = flow.behind && flow.inflight.len() <= WINDOW / 2;
            return (Vec::new(), resync);
        }
        let resync = flow.behind && flow.inflight.len() <= WINDOW / 2;
        (carried, resync)
    }

    /// Records whether a resync left `peer` still behind.
    pub(super) fn set_behind(&mut self, peer: AgencyId, behind: bool) {
        if let Some(flow) = self.flows.get_mut(&peer) {
            flow.behind = behind;
        }
    }

    /// The session with `peer` closed: its window and queued messages go.
    pub(super) fn forget(&mut self, peer: &AgencyId) {
        self.flows.remove(peer);
        self.resync.retain(|(to, _)| to != peer);
        self.fresh.retain(|(to, _)| to != peer);
    }

    /// Peers left behind with room in their window.
    pub(super) fn behind_with_room(&self) -> Vec<AgencyId> {
        self.flows
            .iter()
            .filter(|(_, f)| f.behind && f.inflight.len() <= WINDOW / 2)
            .map(|(p, _)| *p)
            .collect()
    }

    /// Messages in flight to `peer`.
    pub(super) fn inflight(&self, peer: &AgencyId) -> usize {
        self.flows.get(peer).map_or(0, |f| f.inflight.len())
    }
}

/// Merges the change messages to each peer (keeping the order of
/// everything else), so a burst costs a few messages per peer.
fn merge(sends: Vec<(AgencyId, Message)>) -> Vec<(AgencyId, Message)> {
    let mut out: Vec<(AgencyId, Message)> = Vec::with_capacity(sends.len());
    let mut open: BTreeMap<AgencyId, usize> = BTreeMap::new();
    for (to, msg) in sends {
        if let Message::Changes { changes, .. } = msg {
            if let Some(&i) = open.get(&to)
                && let (_, Message::Changes { changes: acc, .. }) = &mut out[i]
                && acc.len() + changes.len() <= MAX_MERGED
            {
                acc.extend(changes);
                continue;
            }
            open.insert(to, out.len());
            out.push((to, Message::Changes { changes, n: 0 }));
        } else {
            out.push((to, msg));
        }
    }
    out
}
