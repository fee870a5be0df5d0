//! Group commit: what the engine asks for is stored, the store flushed
//! once, and only then are messages sent, notifications published and
//! replies acknowledged; a store that fails turns the node read-only.
//! Also the network's restart under a new identity after a key rotation.

use super::*;

impl Actor {
    /// Flushes the store if needed, then performs held sends, notifications and replies.
    pub(super) fn commit(&mut self) -> anyhow::Result<()> {
        self.check_gaps();
        self.check_restored();
        if self.dirty {
            // fsync blocks: let the runtime move the API handlers to other
            // workers meanwhile, so requests keep queueing for the next batch.
            let store = &self.store;
            let t = Instant::now();
            let flushed = tokio::task::block_in_place(|| store.flush());
            debug!(
                replies = self.replies.len(),
                flush_us = t.elapsed().as_micros() as u64,
                "group commit"
            );
            self.dirty = false;
            if let Err(e) = flushed {
                self.fail_storage("flushing the store", &e);
            }
        }
        let acked_new = std::mem::take(&mut self.acked_new);
        if !acked_new.is_empty() && self.storage_fault.is_none() {
            // Flushed: record how far each own document is acknowledged
            // before anything is acknowledged.
            for (doc, n) in acked_new {
                let e = self.acked.entry(doc).or_default();
                *e = (*e).max(n);
            }
            let home = &self.home;
            let acked = &self.acked;
            if let Err(e) = tokio::task::block_in_place(|| home.write_acked(acked)) {
                self.fail_storage("recording the acknowledged changes", &format!("{e:#}"));
            }
        }
        if self.storage_fault.is_some() {
            // Nothing unstored leaves the node; no write is acknowledged.
            self.sends.clear();
            self.rekey = false;
        } else if self.engine.has_queued_sends() {
            // Everything persisted is stored: the engine releases its
            // messages (merged per peer, within each peer's window).
            let out = self.engine.handle(Timestamp::now(), Input::Committed);
            self.sends.extend(out);
        }
        let sends = std::mem::take(&mut self.sends);
        if self.send_all(sends) && self.storage_fault.is_none() {
            // A publish that could not go out: its changes go by message
            // now (a commit runs the resyncs it set) rather than at the
            // next commit.
            let out = self.engine.handle(Timestamp::now(), Input::Committed);
            self.send_all(out);
        }
        for e in std::mem::take(&mut self.notes) {
            let _ = self.events.send(e);
        }
        let fault = self.storage_fault.as_deref();
        for r in std::mem::take(&mut self.replies) {
            r(fault);
        }
        if std::mem::take(&mut self.rekey) {
            self.restart_network()?;
        }
        Ok(())
    }

    /// Performs released sends, publishes and disconnections; whether a
    /// publish could not go out.
    fn send_all(&mut self, outputs: Vec<Output>) -> bool {
        let mut lost = Vec::new();
        let mut unpublished = false;
        for o in outputs {
            match o {
                Output::Send { to, msg, id } => {
                    let Some(peer) = self.peer_of_agency(&to) else {
                        lost.push(Input::Delivered {
                            peer: to,
                            id,
                            ok: false,
                        });
                        continue;
                    };
                    self.peers.entry(to).or_default().messages_out += 1;
                    trace_sync("sent", &to, &msg, 0);
                    let req = self.swarm.behaviour_mut().sync.send_request(&peer, msg);
                    self.outstanding.insert(req, (to, id));
                }
                Output::Publish { topic, changes } => unpublished |= !self.publish(topic, changes),
                Output::Disconnect { peer, reason } => {
                    info!(peer = %peer.short(), %reason, "disconnecting");
                    if let Some(p) = self.peer_of_agency(&peer) {
                        let _ = self.swarm.disconnect_peer_id(p);
                    }
                }
                _ => {}
            }
        }
        for input in lost {
            self.engine_input(input);
        }
        unpublished
    }

    pub(super) fn apply(&mut self, outputs: Vec<Output>) {
        if let Some(e) = self.engine.take_fault() {
            self.fail_storage("reading the store", &e);
        }
        self.note_unsealed();
        let mut unreachable = Vec::new();
        for o in outputs {
            match o {
                Output::Persist(changes) => {
                    if self.storage_fault.is_some() {
                        continue;
                    }
                    if let Err(e) = self.store.put_changes(&changes) {
                        self.fail_storage("storing changes", &e);
                        continue;
                    }
                    // Our own changes must be durable before they are
                    // acknowledged or sent (a lost own change could be
                    // re-created differently: a fork). Other agencies'
                    // changes can be fetched again after a crash, so sled's
                    // periodic flush is enough for them.
                    let me = self.engine.id();
                    self.dirty |= changes.iter().any(|c| c.signer == me);
                    for c in changes.iter().filter(|c| c.doc.owner == me) {
                        let e = self.acked_new.entry(c.doc.clone()).or_default();
                        *e = (*e).max(c.number());
                    }
                }
                Output::PersistRoster(events) => {
                    if self.storage_fault.is_some() {
                        continue;
                    }
                    if let Err(e) = self.store.put_roster(&events) {
                        self.fail_storage("storing roster events", &e);
                        continue;
                    }
                    self.dirty = true;
                }
                Output::SetTimer(at) => {
                    self.engine_timer = Some(self.engine_timer.map_or(at, |t| t.min(at)))
                }
                Output::Dial(agency) => {
                    // Not dialled (no address, blocked, backing off): no
                    // answer is coming, and whoever waits for one stops.
                    if !self.dial_for_busy(&agency) {
                        unreachable.push(agency);
                    }
                }
                Output::Notify(ev) => {
                    if let Event::Refused {
                        peer: Some(p),
                        refusal,
                    } = &ev
                    {
                        warn!(peer = %p.short(), doc = %refusal.doc, reason = %refusal.reason, "refused change");
                        self.peers.entry(*p).or_default().refused += 1;
                    }
                    self.notes.push(ev);
                }
                Output::Topics(topics) => self.set_topics(topics),
                send @ (Output::Send { .. }
                | Output::Disconnect { .. }
                | Output::Publish { .. }) => {
                    if self.storage_fault.is_none() {
                        self.sends.push(send);
                    }
                }
            }
        }
        for agency in unreachable {
            self.engine_input(Input::Unreachable(agency));
        }
    }

    pub(super) fn engine_input(&mut self, input: Input) {
        if self.storage_fault.is_some() {
            // Read-only: the replica takes nothing more it could not store.
            return;
        }
        let out = self.engine.handle(Timestamp::now(), input);
        self.apply(out);
    }

    /// While own documents lack acknowledged changes: whether peers have
    /// given them back; when all are, own writes resume (and the owner
    /// policy held back meanwhile runs).
    pub(super) fn check_gaps(&mut self) {
        if self.gaps.is_empty() {
            return;
        }
        let still = own_gaps(&self.engine, &self.acked);
        if still == self.gaps {
            return;
        }
        self.gaps = still;
        let now = Timestamp::now();
        if self.gaps.is_empty() {
            info!(
                "the store holds every change it acknowledged again (peers gave them back): writes resume"
            );
            let out = self.engine.hold_writes(now, None);
            self.apply(out);
        } else {
            let why = gap_message(&self.gaps);
            info!("{why}");
            self.engine.hold_writes(now, Some(why));
        }
    }

    /// On a node restored from a backup: once a peer's summary shows it
    /// holds at least as much of every own document as that peer, own
    /// writes resume and the marker goes.
    pub(super) fn check_restored(&mut self) {
        if self.restored.is_none() || !self.gaps.is_empty() {
            return;
        }
        let me = self.engine.id();
        let heads = self.engine.ledger().heads();
        let confirmed = self.peers.iter().any(|(a, p)| {
            p.connected
                && self.engine.peer_known(a).is_some_and(|known| {
                    !known.is_empty()
                        && known
                            .iter()
                            .filter(|(d, _)| d.owner == me)
                            .all(|(d, n)| heads.get(d).copied().unwrap_or(0) >= *n)
                })
        });
        if !confirmed {
            return;
        }
        if let Some(marker) = self.restored.take() {
            let _ = std::fs::remove_file(&marker);
        }
        info!("restored node caught up with a peer on its own documents: writes resume");
        let out = self.engine.hold_writes(Timestamp::now(), None);
        self.apply(out);
    }

    /// Enters read-only mode (see `storage_fault`); logs once.
    pub(super) fn fail_storage(&mut self, what: &str, e: &dyn std::fmt::Display) {
        if self.storage_fault.is_none() {
            let msg = format!(
                "{what}: {e}; the node refuses writes and stops syncing until it is restarted \
                 on a healthy store (free disk space, check the disk, then restart; \
                 everything acknowledged before is stored)"
            );
            tracing::error!("{msg}");
            self.storage_fault = Some(msg);
        }
    }

    /// A sync request was acknowledged (or failed): the engine frees its
    /// place in the peer's window and, if the peer was left behind, queues
    /// what it lacks (sent at the next commit).
    pub(super) fn delivered(&mut self, id: request_response::OutboundRequestId, ok: bool) {
        if let Some((peer, id)) = self.outstanding.remove(&id) {
            self.engine_input(Input::Delivered { peer, id, ok });
        }
    }

    /// After a key rotation: a new swarm under the new identity, listening
    /// where the old one did. Peers learn the rotation when we reconnect
    /// (it travels in the join handshake), so nothing queued is lost.
    pub(super) fn restart_network(&mut self) -> anyhow::Result<()> {
        // Relayed addresses are listened on again when the bootstrap peer
        // reconnects.
        let addrs: Vec<Multiaddr> = self
            .listen
            .iter()
            .filter(|a| !net::is_circuit(a))
            .map(|a| {
                a.iter()
                    .filter(|p| !matches!(p, libp2p::multiaddr::Protocol::P2p(_)))
                    .collect()
            })
            .collect();
        let swarm = net::swarm(self.engine.key(), self.cfg.mdns, self.cfg.max_connections)?;
        drop(std::mem::replace(&mut self.swarm, swarm));
        self.listen.clear();
        for addr in addrs {
            self.swarm
                .listen_on(addr.clone())
                .with_context(|| format!("cannot listen again on {addr}"))?;
        }
        for (_, agency) in std::mem::take(&mut self.connected) {
            self.peers.entry(agency).or_default().connected = false;
            self.engine_input(Input::Disconnected(agency));
        }
        self.unknown.clear();
        self.peering.registered.clear();
        self.dial.clear();
        self.outstanding.clear();
        self.resubscribe();
        info!(peer = %self.swarm.local_peer_id(), "network identity replaced after key rotation");
        self.enforce_blocks();
        self.redial();
        Ok(())
    }
}

/// A sync message sent or received, at debug level under the target
/// `tongchou::sync` (`RUST_LOG=info,tongchou::sync=debug`): what each
/// side asked and sent, to see why changes travel twice.
pub(super) fn trace_sync(dir: &str, peer: &AgencyId, msg: &crdt_model::engine::Message, dups: u64) {
    use crdt_model::engine::Message;
    if !tracing::enabled!(target: "tongchou::sync", tracing::Level::DEBUG) {
        return;
    }
    match msg {
        Message::Summary {
            docs,
            seen,
            from_you,
            ..
        } => tracing::debug!(
            target: "tongchou::sync",
            dir,
            peer = %peer.short(),
            held = docs.iter().map(|(_, n)| n).sum::<u64>(),
            seen,
            share = from_you.as_ref().map_or(0, |f| f.len()),
            "summary"
        ),
        Message::Changes { changes, n } => tracing::debug!(
            target: "tongchou::sync",
            dir,
            peer = %peer.short(),
            n,
            changes = changes.len(),
            dups,
            "changes"
        ),
        Message::Roster { events } => tracing::debug!(
            target: "tongchou::sync",
            dir,
            peer = %peer.short(),
            events = events.len(),
            "roster"
        ),
        Message::WholeSummary => tracing::debug!(
            target: "tongchou::sync",
            dir,
            peer = %peer.short(),
            "whole summary asked"
        ),
        Message::BusyAsk { id, owners, .. } => tracing::debug!(
            target: "tongchou::sync",
            dir,
            peer = %peer.short(),
            id,
            owners = owners.len(),
            "free/busy asked"
        ),
        Message::Busy {
            id,
            owners,
            refused,
        } => tracing::debug!(
            target: "tongchou::sync",
            dir,
            peer = %peer.short(),
            id,
            owners = owners.len(),
            refused = refused.as_deref().unwrap_or(""),
            "free/busy"
        ),
    }
}
