//! Finding and keeping peers: rendezvous registration and discovery at
//! the bootstrap peers (the network's namespace and the followed owners'),
//! redialling configured peers with backoff, and the periodic housekeeping.

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

    /// Registers at a bootstrap peer (`register`: again, even where it
    /// did before) under the network's namespace, this agency's and the
    /// followed owners', leaving those it no longer follows; and asks it
    /// for the members and for the holders of each followed owner's
    /// bookings.
    pub(super) fn rendezvous(&mut self, peer: PeerId, register: bool) {
        let Some(ns) = self.namespace() else { return };
        let owners = self.owner_namespaces();
        let mut wanted: std::collections::HashSet<libp2p::rendezvous::Namespace> =
            owners.iter().cloned().collect();
        wanted.insert(ns.clone());
        let done = self.peering.registered.entry(peer).or_default().clone();
        let rdv = &mut self.swarm.behaviour_mut().rendezvous;
        for n in &wanted {
            if (register || !done.contains(n))
                && let Err(e) = rdv.register(n.clone(), peer, None)
            {
                debug!(error = %e, "not registered at the bootstrap peer yet");
            }
        }
        for n in done.difference(&wanted) {
            rdv.unregister(n.clone(), peer);
        }
        if let Some(set) = self.peering.registered.get_mut(&peer) {
            set.retain(|n| wanted.contains(n));
        }
        // The network's namespace (the members), and each owner's (ours
        // too): the holders of its bookings; from the first page.
        let page = self.cfg.discover_page;
        for n in std::iter::once(ns).chain(owners) {
            self.peering
                .pages
                .insert((peer, n.clone()), BTreeSet::new());
            rdv.discover(Some(n), None, Some(page), peer);
        }
    }

    pub(super) fn on_rendezvous(&mut self, e: libp2p::rendezvous::client::Event) {
        use libp2p::rendezvous::client::Event as R;
        match e {
            R::Discovered {
                rendezvous_node,
                registrations,
                cookie,
            } => {
                let me = *self.swarm.local_peer_id();
                let Some(ns) = cookie.namespace().cloned() else {
                    return;
                };
                let ns = &ns;
                // A full page: there may be more (a message holds about
                // 4,000 registrations; a province's namespace has 30,000).
                let more = registrations.len() as u64 >= self.cfg.discover_page;
                let owner = self.owner_of_namespace(ns);
                let mut found = BTreeSet::new();
                for reg in registrations {
                    let peer = reg.record.peer_id();
                    let Some(agency) = self
                        .agency_of_peer(&peer)
                        .filter(|a| self.engine.ledger().roster().is_active(a))
                    else {
                        continue;
                    };
                    if peer == me {
                        continue;
                    }
                    debug!(%peer, namespace = %ns, "member found at the bootstrap peer");
                    found.insert(agency);
                    let addrs: Vec<Multiaddr> = reg.record.addresses().to_vec();
                    if !addrs.is_empty() {
                        self.peering.addrs.insert(peer, addrs);
                    }
                }
                // What the namespace's pages hold so far replaces what it
                // held.
                let pages = self
                    .peering
                    .pages
                    .entry((rendezvous_node, ns.clone()))
                    .or_default();
                pages.extend(found);
                let found = pages.clone();
                match owner {
                    Some(o) => {
                        self.peering.found.holders.insert(o, found);
                    }
                    None => self.peering.found.members = found,
                }
                if more {
                    self.swarm.behaviour_mut().rendezvous.discover(
                        Some(ns.clone()),
                        Some(cookie),
                        Some(self.cfg.discover_page),
                        rendezvous_node,
                    );
                }
            }
            R::Registered {
                rendezvous_node,
                namespace,
                ..
            } => {
                debug!(peer = %rendezvous_node, %namespace, "registered at the bootstrap peer");
                self.peering
                    .registered
                    .entry(rendezvous_node)
                    .or_default()
                    .insert(namespace);
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
        self.seal_if_due();
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
        // What the node follows changed (the operator, or a booking from a
        // new owner): its namespaces and their holders at once.
        let interest = Some(self.engine.interest().cloned());
        let moved = self.peering.interest != interest;
        if moved {
            self.peering.interest = interest;
        }
        if moved || self.rounds.is_multiple_of(5) {
            let renew = self.rounds.is_multiple_of(300);
            for p in self.connected_bootstrap_peers() {
                self.rendezvous(p, renew);
            }
        }
        self.follow_plan();
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
