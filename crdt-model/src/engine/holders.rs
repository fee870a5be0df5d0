//! Catch-up from one holder: which connected peer sends us the documents
//! of which subject (the owner they concern, see
//! [`crate::interest::subject`]), so that a returning node receives about
//! one copy of what it missed instead of one from every peer that holds
//! it. A subject goes to its owner when connected, otherwise to a peer that
//! holds it (it follows the owner, or everything), spread over the peers;
//! it moves only to a peer found further ahead on it. Each summary tells
//! its receiver which subjects it is to send (`from_you`); fresh changes
//! are still forwarded by every peer that receives them.

use super::*;
use crate::interest::subject;

/// How a peer ranks as the holder of one subject: how many of its changes
/// it holds (as far as we know), then the owner itself, then a spread.
type Rank = (u64, bool, u64);

/// The subjects `peer` holds for us in `holders`.
fn share(holders: &BTreeMap<AgencyId, AgencyId>, peer: &AgencyId) -> Vec<AgencyId> {
    holders
        .iter()
        .filter(|(_, h)| *h == peer)
        .map(|(s, _)| *s)
        .collect()
}

impl Engine {
    /// The subjects whose documents this replica holds: the owners it
    /// follows, or every member.
    fn subjects(&self) -> BTreeSet<AgencyId> {
        match &self.interest {
            Some(set) => set.clone(),
            None => self.ledger.roster().members().keys().copied().collect(),
        }
    }

    /// Assigns every subject without a connected holder to the best peer
    /// holding it, and moves a subject to a peer of `ahead` that holds, of
    /// one of its documents, more than both its holder (as far as we know)
    /// and we do: the holder cannot give us what we lack, that peer can.
    /// Returns the peers whose share changed (they need a new summary).
    pub(super) fn assign_holders(&mut self, ahead: &[AgencyId]) -> BTreeSet<AgencyId> {
        // Changes of each subject each peer holds, as far as we know (of
        // our subjects only: every peer holds every catalogue).
        let subjects = self.subjects();
        let mut totals: BTreeMap<(AgencyId, AgencyId), u64> = BTreeMap::new();
        for (a, p) in &self.peers {
            for (doc, n) in &p.known {
                let s = subject(doc);
                if subjects.contains(&s) {
                    *totals.entry((*a, s)).or_default() += n;
                }
            }
        }
        let rank = |peer: &AgencyId, s: &AgencyId| -> Option<Rank> {
            let p = self.peers.get(peer)?;
            let owner = peer == s;
            let holds =
                owner || (p.summarised && p.interest.as_ref().is_none_or(|i| i.contains(s)));
            if !holds {
                return None;
            }
            // The owner, before its summary tells us better, is taken to
            // hold all of its own.
            let n = if owner && !p.summarised {
                u64::MAX
            } else {
                totals.get(&(*peer, *s)).copied().unwrap_or(0)
            };
            let spread = u64::from_le_bytes(std::array::from_fn(|i| peer.0[i] ^ s.0[i + 8]));
            Some((n, owner, spread))
        };
        // Subjects a peer of `ahead` can give us more of than their holder.
        let mut moves: BTreeMap<AgencyId, AgencyId> = BTreeMap::new();
        for q in ahead {
            let Some(p) = self.peers.get(q).filter(|p| p.summarised) else {
                continue;
            };
            for (doc, n) in &p.known {
                let s = subject(doc);
                let Some(h) = self.holders.get(&s).filter(|h| *h != q) else {
                    continue;
                };
                let ours = self.ledger.doc_len(doc);
                // An owner whose summary has not come yet is taken to hold
                // all of its own (moving its subject away now would have it
                // and the new holder both send what we lack).
                let theirs = match self.peers.get(h) {
                    Some(hp) if !hp.summarised => u64::MAX,
                    Some(hp) => hp.known.get(doc).copied().unwrap_or(0),
                    None => 0,
                };
                if *n > ours && *n > theirs && rank(q, &s).is_some() {
                    moves.entry(s).or_insert(*q);
                }
            }
        }
        let mut holders = BTreeMap::new();
        for s in subjects {
            let current = self.holders.get(&s).filter(|h| rank(h, &s).is_some());
            let pick = match (moves.get(&s), current) {
                (Some(q), _) => Some(*q),
                (None, Some(h)) => Some(*h),
                (None, None) => self
                    .peers
                    .keys()
                    .filter_map(|p| rank(p, &s).map(|r| (r, *p)))
                    .max()
                    .map(|(_, p)| p),
            };
            if let Some(h) = pick {
                holders.insert(s, h);
            }
        }
        let changed = self
            .peers
            .keys()
            .filter(|p| share(&self.holders, p) != share(&holders, p))
            .copied()
            .collect();
        self.holders = holders;
        changed
    }

    /// The subjects `peer` is to send us.
    pub(super) fn share_of(&self, peer: &AgencyId) -> Vec<AgencyId> {
        share(&self.holders, peer)
    }

    /// Sends our summary to `peers`.
    pub(super) fn tell_holders(&mut self, peers: BTreeSet<AgencyId>, out: &mut Vec<Output>) {
        for peer in peers {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.sent_since_told = false;
            }
            out.push(Output::Send {
                to: peer,
                msg: self.summary_for(&peer),
                id: 0,
            });
        }
    }
}
