//! libp2p events: connections and their admission as members, sync
//! messages in and their acknowledgements out.

use super::*;

/// Bytes counted per change received beyond its bytes and signature: an
/// estimate of the message's framing (document id, number, encoding).
const FRAMING: u64 = 120;

impl Actor {
    pub(super) fn handle_swarm(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::NewListenAddr { address, .. } => {
                let full = address
                    .clone()
                    .with_p2p(*self.swarm.local_peer_id())
                    .unwrap_or_else(|a| a);
                info!(address = %full, "listening");
                // Concrete listen addresses are what rendezvous registers.
                let unspecified = net::is_unspecified(&address);
                let circuit = net::is_circuit(&address);
                // Behind NAT only the relayed address can be reached.
                if circuit || (!unspecified && !self.cfg.relay) {
                    self.swarm.add_external_address(address);
                }
                if circuit {
                    info!(address = %full, "reachable through the relay");
                    for p in self.connected_bootstrap_peers() {
                        self.rendezvous(p, true);
                    }
                }
                self.listen.push(full);
                self.publish_api();
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                endpoint,
                ..
            } => {
                self.on_established(peer_id, endpoint.is_dialer());
                if num_established.get() == 1 {
                    self.on_connected(peer_id);
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.on_closed(peer_id);
                self.unknown.remove(&peer_id);
                self.peering.registered.remove(&peer_id);
                if let Some(agency) = self.connected.remove(&peer_id) {
                    debug!(peer = %agency.short(), "disconnected");
                    self.peers.entry(agency).or_default().connected = false;
                    self.engine_input(Input::Disconnected(agency));
                }
            }
            SwarmEvent::ListenerClosed {
                addresses,
                reason: Err(e),
                ..
            } => warn!(?addresses, error = %e, "stopped listening"),
            // A dial that failed: a free/busy question waiting on it ends
            // (the engine ignores members it was not dialling for one).
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                ..
            } if !self.swarm.is_connected(&peer) => {
                if let Some(agency) = self.agency_of_peer(&peer) {
                    self.engine_input(Input::Unreachable(agency));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Relay(e)) => debug!(event = ?e, "relay"),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Join(e)) => self.on_join(e),
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(e)) => self.on_gossip(e),
            SwarmEvent::Behaviour(BehaviourEvent::Rendezvous(e)) => self.on_rendezvous(e),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(libp2p::mdns::Event::Discovered(list))) => {
                for (peer, addr) in list {
                    if !self.swarm.is_connected(&peer) && peer != *self.swarm.local_peer_id() {
                        let _ = self.swarm.dial(addr.with_p2p(peer).unwrap_or_else(|a| a));
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn on_connected(&mut self, peer: PeerId) {
        if self.bootstrap_peers.contains(&peer) {
            info!(%peer, "bootstrap peer connected");
            if self.cfg.relay {
                let relayed = self
                    .cfg
                    .bootstrap
                    .iter()
                    .filter_map(|a| a.parse::<Multiaddr>().ok())
                    .find(|ma| peer_in(ma) == Some(peer))
                    .map(|ma| ma.with(libp2p::multiaddr::Protocol::P2pCircuit));
                if let Some(addr) = relayed
                    && let Err(e) = self.swarm.listen_on(addr.clone())
                {
                    warn!(%addr, error = %e, "cannot listen through the relay");
                }
            }
            self.rendezvous(peer, true);
            return;
        }
        let Some(agency) = self.agency_of_peer(&peer) else {
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        };
        // Blocked by this node's operator (under any of its keys).
        if self.is_blocked(&agency) {
            debug!(peer = %agency.short(), "refusing a blocked member");
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        // A non-member cut recently is refused at once until its backoff
        // ends (unless it has become a member since).
        if self
            .refused_peers
            .get(&peer)
            .is_some_and(|(until, _)| *until > Instant::now())
            && !self.engine.ledger().roster().is_active(&agency)
        {
            self.refused_connections += 1;
            debug!(%peer, "refusing a non-member in its backoff");
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        // Present what makes us a member, for a peer that may not know our
        // key yet (a newcomer's admission, a rotated key's rotations), and
        // who we are (a member that knows we were revoked tells us).
        if self.engine.ledger().roster().is_active(&agency) && self.full_for(&peer) {
            debug!(peer = %agency.short(), "refusing a member: inbound connections full");
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        let req = self.engine.join_request(self.admission.clone());
        self.swarm.behaviour_mut().join.send_request(&peer, req);
        if self.engine.ledger().roster().is_active(&agency) {
            self.admit(peer, agency);
        } else {
            debug!(peer = %agency.short(), "unknown peer: waiting for an admission");
            self.unknown.insert(peer, Instant::now() + UNKNOWN_GRACE);
        }
    }

    pub(super) fn admit(&mut self, peer: PeerId, agency: AgencyId) {
        if self.connected.contains_key(&peer) {
            return;
        }
        self.unknown.remove(&peer);
        self.connected.insert(peer, agency);
        let st = self.peers.entry(agency).or_default();
        st.connected = true;
        info!(peer = %agency.short(), "member connected");
        self.engine_input(Input::Connected(agency));
        self.replay_subscriptions(peer);
    }

    pub(super) fn on_sync(&mut self, e: request_response::Event<crdt_model::engine::Message, Ack>) {
        match e {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                let _ = self.swarm.behaviour_mut().sync.send_response(channel, Ack);
                let Some(&agency) = self.connected.get(&peer) else {
                    debug!(%peer, "message from a peer that is not a connected member: dropped");
                    return;
                };
                let bytes = match &request {
                    crdt_model::engine::Message::Changes { changes, .. } => change_bytes(changes),
                    _ => 0,
                };
                let traced = tracing::enabled!(target: "tongchou::sync", tracing::Level::DEBUG)
                    .then(|| request.clone());
                let ((), again) = self.take_from(agency, bytes, |a| {
                    a.engine_input(Input::Received {
                        from: agency,
                        msg: request,
                    })
                });
                if let Some(msg) = traced {
                    super::commit::trace_sync("received", &agency, &msg, again);
                }
            }
            request_response::Event::Message {
                message: request_response::Message::Response { request_id, .. },
                ..
            } => self.delivered(request_id, true),
            request_response::Event::OutboundFailure {
                peer,
                error,
                request_id,
                ..
            } => {
                // The changes go again when the peer can take them (or by
                // the periodic summaries); worth seeing when it is frequent.
                info!(%peer, %error, "sync send failed");
                self.delivered(request_id, false);
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                info!(%peer, %error, "sync receive failed")
            }
            _ => {}
        }
    }

    /// Counts a message from member `agency` carrying `bytes` of changes,
    /// hands it to the engine with `take`, and counts like `bytes_in`
    /// (framing included) what the engine found it held already (nothing
    /// if the engine closed the session meanwhile: its counts went with
    /// it). Returns `take`'s result and the changes received again.
    pub(super) fn take_from<R>(
        &mut self,
        agency: AgencyId,
        bytes: u64,
        take: impl FnOnce(&mut Self) -> R,
    ) -> (R, u64) {
        let st = self.peers.entry(agency).or_default();
        st.bytes_in += bytes;
        st.messages_in += 1;
        st.last_seen = Some(Timestamp::now());
        let before = self.engine.peer_duplicates(&agency);
        let r = take(self);
        let after = self.engine.peer_duplicates(&agency);
        let again = (
            after.0.saturating_sub(before.0),
            after.1.saturating_sub(before.1),
        );
        let st = self.peers.entry(agency).or_default();
        st.duplicate_bytes_in += again.1 + again.0 * FRAMING;
        (r, again.0)
    }

    /// The member agency a peer signs for, by its key (its own key when the
    /// roster does not know it: a stranger or a newcomer).
    pub(super) fn agency_of_peer(&self, peer: &PeerId) -> Option<AgencyId> {
        Some(self.engine.agency_of_key(&net::key_of(peer)?))
    }

    /// The peer id an agency's node has now.
    pub(super) fn peer_of_agency(&self, agency: &AgencyId) -> Option<PeerId> {
        net::peer_of(&self.engine.ledger().roster().current_key(agency))
    }
}

/// Bytes counted for received changes: their bytes and signatures, and
/// [`FRAMING`] each.
pub(super) fn change_bytes(changes: &[crdt_model::signed::SignedChange]) -> u64 {
    changes
        .iter()
        .map(|c| c.change.len() as u64 + 64 + FRAMING)
        .sum()
}
