//! What a summary says: our documents and how many changes of each we
//! hold (catalogues and roster as digests in the compact form), what we
//! follow, the subjects the receiver is to send us (see [`super::holders`])
//! and the round that orders our summaries.

use super::*;
use crate::ids::DocKind;

impl Engine {
    /// Our summary for `peer`, naming the subjects it is to send us.
    pub(super) fn summary_for(&self, peer: &AgencyId) -> Message {
        let mut m = self.summary();
        if let Message::Summary { from_you, seen, .. } = &mut m {
            *from_you = Some(self.share_of(peer));
            *seen = self.seen_from(peer);
        }
        m
    }

    /// Our summary message, compact: the catalogues and the roster as
    /// digests, every other document listed; it asks for everything we
    /// lack (a peer is sent `summary_for` it, naming its share).
    pub fn summary(&self) -> Message {
        Message::Summary {
            version: PROTOCOL_VERSION,
            network: self.ledger.roster().network_id().to_string(),
            docs: self
                .ledger
                .lens()
                .filter(|(d, _)| d.kind != DocKind::Catalog)
                .map(|(d, n)| (d.clone(), n))
                .collect(),
            roster: Vec::new(),
            follows: self.follows_list(),
            digest: Some(self.digest()),
            from_you: None,
            round: self.next_round(),
            seen: 0,
        }
    }

    /// Our summary with every catalogue and roster event listed, naming
    /// the subjects `peer` is to send us.
    pub fn whole_summary(&self, peer: &AgencyId) -> Message {
        Message::Summary {
            version: PROTOCOL_VERSION,
            network: self.ledger.roster().network_id().to_string(),
            docs: self.ledger.heads().into_iter().collect(),
            roster: self
                .ledger
                .roster()
                .events()
                .map(|(id, _)| id.clone())
                .collect(),
            follows: self.follows_list(),
            digest: None,
            from_you: Some(self.share_of(peer)),
            round: self.next_round(),
            seen: self.seen_from(peer),
        }
    }

    /// The highest number among `peer`'s change messages taken in this
    /// session while no change waited for an earlier one (see `seen` in
    /// [`Message::Summary`]): the changes of a message that wait are not in
    /// our counts yet, and a peer that took the message as seen would take
    /// them as lacking, and send them again.
    fn seen_from(&self, peer: &AgencyId) -> u64 {
        // Nothing waiting now: every message taken in is in the counts
        // (the wait may have ended with another peer's message).
        let waiting = self.ledger.pending_len() > 0;
        self.peers
            .get(peer)
            .map_or(0, |p| if waiting { p.seen_whole } else { p.seen })
    }

    /// The next summary's round.
    fn next_round(&self) -> (u64, u64) {
        self.rounds.set(self.rounds.get() + 1);
        (self.epoch, self.rounds.get())
    }

    fn follows_list(&self) -> Option<Vec<AgencyId>> {
        self.interest.as_ref().map(|s| s.iter().copied().collect())
    }

    /// Digests of our catalogues and roster (see [`SummaryDigest`]).
    pub(super) fn digest(&self) -> SummaryDigest {
        use sha2::{Digest, Sha256};
        let mut c = Sha256::new();
        for (d, l) in self.ledger.docs() {
            if d.kind == DocKind::Catalog {
                c.update(d.owner.0);
                c.update(l.len().to_be_bytes());
            }
        }
        let mut r = Sha256::new();
        for (id, _) in self.ledger.roster().events() {
            r.update(id.as_bytes());
            r.update([0]);
        }
        SummaryDigest {
            catalogs: c.finalize().into(),
            roster: r.finalize().into(),
        }
    }
}
