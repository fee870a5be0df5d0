//! Finding and keeping peers: rendezvous registration and discovery at
//! the bootstrap peers, redialling configured peers with backoff, and the
//! periodic housekeeping.

use super::*;

impl Actor {
    /// Bootstrap peers we are connected to now.
    pub(super) fn connected_bootstrap_peers(&self) -> Vec<PeerId> {
        self.bootstrap_peers
            .iter()
            .filter(|p| self.swarm.is_connected(p))
            .copied()
            .collect()
    }

    /// The rendezvous namespace of this network.
    pub(super) fn namespace(&self) -> Option<libp2p::rendezvous::Namespace> {
        bootstrap::peer::namespace(self.engine.ledger().roster().network_id())
    }

    /// Registers at, and asks for the other members at, a bootstrap peer.
    pub(super) fn rendezvous(&mut self, peer: PeerId, register: bool) {
        let Some(ns) = self.namespace() else { return };
        let rdv = &mut self.swarm.behaviour_mut().rendezvous;
        if register && let Err(e) = rdv.register(ns.clone(), peer, None) {
            debug!(error = %e, "not registered at the bootstrap peer yet");
        }
        rdv.discover(Some(ns), None, None, peer);
    }

    pub(super) fn on_rendezvous(&mut self, e: libp2p::rendezvous::client::Event) {
        use libp2p::rendezvous::client::Event as R;
        match e {
            R::Discovered { registrations, .. } => {
                let me = *self.swarm.local_peer_id();
                for reg in registrations {
                    let peer = reg.record.peer_id();
                    let member = self
                        .agency_of_peer(&peer)
                        .is_some_and(|a| self.engine.ledger().roster().is_active(&a));
                    if peer == me || !member || self.swarm.is_connected(&peer) {
                        continue;
                    }
                    for addr in reg.record.addresses() {
                        debug!(%peer, %addr, "member found at the bootstrap peer");
                        let full = addr.clone().with_p2p(peer).unwrap_or_else(|a| a);
                        let _ = self.swarm.dial(full);
                    }
                }
            }
            R::Registered {
                rendezvous_node, ..
            } => {
                debug!(peer = %rendezvous_node, "registered at the bootstrap peer");
                self.registered.insert(rendezvous_node);
            }
            R::RegisterFailed { error, .. } | R::DiscoverFailed { error, .. } => {
                warn!(?error, "bootstrap peer refused");
            }
            R::Expired { .. } => {}
        }
    }

    /// Dials configured peers that are not connected, with exponential backoff.
    pub(super) fn redial(&mut self) {
        let now = Instant::now();
        let connected: BTreeSet<PeerId> = self.swarm.connected_peers().copied().collect();
        let targets: Vec<String> = self
            .cfg
            .peers
            .iter()
            .chain(&self.cfg.bootstrap)
            .cloned()
            .collect();
        for addr in targets {
            let Ok(ma) = addr.parse::<Multiaddr>() else {
                continue;
            };
            let peer = peer_in(&ma);
            if peer.is_some_and(|p| connected.contains(&p)) {
                self.dial.remove(&addr);
                continue;
            }
            let (next, backoff) = self
                .dial
                .get(&addr)
                .copied()
                .unwrap_or((now, Duration::from_millis(500)));
            if next > now {
                continue;
            }
            if peer.is_none() && !connected.is_empty() {
                continue;
            }
            debug!(%addr, "dialing");
            let _ = self.swarm.dial(ma);
            self.dial.insert(
                addr,
                (now + backoff, (backoff * 2).min(Duration::from_secs(8))),
            );
        }
    }

    pub(super) fn housekeeping(&mut self) {
        // Calendars behind a burst of arriving changes are brought up to
        // date at least every round, even if nobody reads them.
        self.settle();
        // The engine's backstops (a peer left behind with no
        // acknowledgement coming, a gap to ask about again) run on ticks.
        self.engine_input(Input::Tick);
        let now = Instant::now();
        let expired: Vec<PeerId> = self
            .unknown
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in expired {
            self.unknown.remove(&p);
            if !self.connected.contains_key(&p) {
                // Refused for a while, longer each time it comes back.
                let backoff = self
                    .refused_peers
                    .get(&p)
                    .map_or(NON_MEMBER_BACKOFF, |(_, b)| {
                        (*b * 2).min(NON_MEMBER_BACKOFF_MAX)
                    });
                self.refused_peers.insert(p, (now + backoff, backoff));
                info!(peer = %p, backoff_s = backoff.as_secs(), "disconnecting a non-member");
                let _ = self.swarm.disconnect_peer_id(p);
            }
        }
        // A peer quiet for a whole maximum backoff starts afresh.
        self.refused_peers
            .retain(|_, (until, _)| *until + NON_MEMBER_BACKOFF_MAX > now);
        // Every 10 s ask the bootstrap peers for members; re-register every
        // 10 minutes (registrations live 2 hours).
        self.rounds += 1;
        // Once a minute, hand freed heap back to the system: a node under
        // steady load otherwise keeps a third more than its data needs
        // (see docs/testing.md, soak).
        if self.rounds.is_multiple_of(30) {
            release_freed_memory();
        }
        if self.rounds.is_multiple_of(5) {
            let renew = self.rounds.is_multiple_of(300);
            for p in self.connected_bootstrap_peers() {
                let register = renew || !self.registered.contains(&p);
                self.rendezvous(p, register);
            }
        }
        self.expire_blocks();
        // A blocked member that rotated its key has a new peer id.
        self.enforce_blocks();
        self.redial();
    }

    /// Brings every calendar up to date; after a large recomputation (the
    /// first read after loading, or after catching up), hands the
    /// transient memory back to the system.
    pub(super) fn settle(&mut self) {
        if self.engine.settle() >= 1_000 {
            release_freed_memory();
        }
    }

    pub(super) fn publish_api(&mut self) {
        if let Some(info) = &mut self.api {
            info.listen = self.listen.iter().map(|a| a.to_string()).collect();
            if let Err(e) = self.home.write_api(info) {
                warn!(error = %e, "cannot write api.json");
            }
        }
    }
}
