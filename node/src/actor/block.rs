//! Members blocked by this node's operator (`tongchou block`): no
//! connection either way while blocked (libp2p's block list, plus a check
//! by agency at connection time so a rotated key is cut too), kept in
//! `blocked.json` across restarts, lifted when a time limit passes.

use super::*;
use api::{BlockRequest, BlockedPeer};

impl Actor {
    /// Makes the swarm refuse the current peer id of every blocked member
    /// (idempotent; again after a key rotation or a network restart).
    /// Each is listed among the peers in `status`, connected or not.
    pub(super) fn enforce_blocks(&mut self) {
        for a in self.blocked.keys() {
            self.peers.entry(*a).or_default();
        }
        let peers: Vec<PeerId> = self
            .blocked
            .keys()
            .filter_map(|a| self.peer_of_agency(a))
            .collect();
        for p in peers {
            self.swarm.behaviour_mut().blocked.block_peer(p);
        }
    }

    /// Whether this node's operator blocks the agency now.
    pub(super) fn is_blocked(&self, agency: &AgencyId) -> bool {
        self.blocked.contains_key(agency)
    }

    /// Blocks or unblocks a member; answers every member blocked now.
    pub(super) fn block(&mut self, r: BlockRequest) -> Result<Vec<BlockedPeer>, LocalError> {
        if r.agency == self.engine.id() {
            return Err(LocalError::Invalid(
                "a node cannot block its own agency".into(),
            ));
        }
        if self.engine.ledger().roster().member(&r.agency).is_none() {
            return Err(LocalError::Invalid(format!(
                "{} is not a member of this network",
                r.agency
            )));
        }
        let mut next = self.blocked.clone();
        if r.block {
            let since = Timestamp::now();
            let until = match r.minutes {
                None => None,
                Some(0) => return Err(LocalError::Invalid("--minutes must be at least 1".into())),
                Some(m) => Some(
                    i64::try_from(m)
                        .ok()
                        .and_then(|m| m.checked_mul(60))
                        .and_then(|s| since.checked_add(SignedDuration::from_secs(s)).ok())
                        .ok_or_else(|| LocalError::Invalid(format!("{m} minutes is too long")))?,
                ),
            };
            next.insert(
                r.agency,
                BlockedPeer {
                    agency: r.agency,
                    since,
                    until,
                },
            );
        } else if next.remove(&r.agency).is_none() {
            return Err(LocalError::Invalid(format!("{} is not blocked", r.agency)));
        }
        let list: Vec<BlockedPeer> = next.values().cloned().collect();
        self.home
            .write_blocked(&list)
            .map_err(|e| LocalError::Storage(format!("{e:#}")))?;
        self.blocked = next;
        if r.block {
            info!(peer = %r.agency.short(), until = ?r.minutes, "member blocked by the operator");
            self.enforce_blocks();
        } else {
            info!(peer = %r.agency.short(), "member unblocked by the operator");
            self.unblocked(&r.agency);
        }
        Ok(list)
    }

    /// Lets an unblocked member's node in again and dials it at once.
    fn unblocked(&mut self, agency: &AgencyId) {
        if let Some(p) = self.peer_of_agency(agency) {
            self.swarm.behaviour_mut().blocked.unblock_peer(p);
        }
        // Configured peers are dialled at once, not after their backoff;
        // members found through a bootstrap peer are asked for again.
        self.dial.clear();
        self.redial();
        for p in self.connected_bootstrap_peers() {
            self.rendezvous(p, false);
        }
    }

    /// Lifts the blocks whose time is up (housekeeping).
    pub(super) fn expire_blocks(&mut self) {
        let now = Timestamp::now();
        let over: Vec<AgencyId> = self
            .blocked
            .values()
            .filter(|b| b.until.is_some_and(|u| u <= now))
            .map(|b| b.agency)
            .collect();
        if over.is_empty() {
            return;
        }
        for a in &over {
            self.blocked.remove(a);
            info!(peer = %a.short(), "block over");
        }
        let list: Vec<BlockedPeer> = self.blocked.values().cloned().collect();
        if let Err(e) = self.home.write_blocked(&list) {
            warn!(error = %e, "cannot write blocked.json");
        }
        for a in &over {
            self.unblocked(a);
        }
    }
}
