//! The sync protocol: sessions, summaries, pushing and forwarding
//! accepted changes, filling gaps, resyncing a peer that is behind (its
//! window is in [`super::flow`]), the periodic tick.

use super::*;
use crate::ids::DocKind;

/// What a summary says beyond the documents and the roster.
struct Sent {
    follows: Option<Vec<AgencyId>>,
    digest: Option<SummaryDigest>,
    from_you: Option<Vec<AgencyId>>,
    round: (u64, u64),
    seen: u64,
}

impl Engine {
    /// `peer` does not hold these changes after all (lost or held back): a
    /// later resync or summary sends them. `owed`: they go whatever its
    /// share (a fresh change, or one lost on the way); a resync's changes
    /// held back by the window go with the resync that continues it, only
    /// while their subject is still in the peer's share (else another
    /// holder sends them: sending them too would make two copies).
    pub(super) fn not_held_by(&mut self, peer: AgencyId, changes: flow::Carried, owed: bool) {
        if let Some(p) = self.peers.get_mut(&peer) {
            for (doc, seq) in changes {
                let k = p.known.entry(doc.clone()).or_default();
                *k = (*k).min(seq.saturating_sub(1));
                if owed {
                    p.owed.insert(doc);
                }
            }
        }
    }

    /// Queues for `peer` the next changes it lacks, at most
    /// [`RESYNC_BATCHES`] messages' worth, ahead of fresh messages; whether
    /// there were any (the peer is still behind).
    pub(super) fn resync(&mut self, peer: AgencyId) -> bool {
        let Some(p) = self.peers.get_mut(&peer) else {
            return false;
        };
        let mut budget = self.cfg.max_batch * RESYNC_BATCHES;
        let mut send = Vec::new();
        for (doc, len) in self.ledger.lens() {
            let share = p
                .serve
                .as_ref()
                .is_none_or(|s| s.contains(&crate::interest::subject(doc)));
            if !crate::interest::wants(peer, p.interest.as_ref(), doc)
                || !(share || p.owed.contains(doc))
            {
                continue;
            }
            let theirs = p.known.get(doc).copied().unwrap_or(0);
            if len <= theirs {
                p.owed.remove(doc);
            } else {
                let more = match self.ledger.changes_after(doc, theirs, budget) {
                    Ok(more) => more,
                    Err(e) => {
                        // Send nothing past a change we cannot read: the
                        // peer would only hold a gap.
                        self.fault = Some(e);
                        break;
                    }
                };
                budget -= more.len();
                p.known.insert(doc.clone(), theirs + more.len() as u64);
                send.extend(more);
                if budget == 0 {
                    break;
                }
            }
        }
        let mut msgs = Vec::new();
        self.send_changes(peer, send, &mut msgs);
        let any = !msgs.is_empty();
        for m in msgs {
            if let Output::Send { to, msg, .. } = m {
                self.outbox.push(to, msg, true);
            }
        }
        any
    }

    pub(super) fn on_connected(&mut self, now: Timestamp, peer: AgencyId, out: &mut Vec<Output>) {
        if !self.ledger.roster().is_active(&peer) || peer == self.me {
            out.push(Output::Disconnect {
                peer,
                reason: "not an active member".into(),
            });
            return;
        }
        self.peers.entry(peer).or_default();
        out.push(Output::Notify(Event::Peer {
            peer,
            connected: true,
        }));
        let mut changed = self.assign_holders(&[]);
        changed.insert(peer);
        self.tell_holders(changed, out);
        if self.next_tick.is_none() {
            let at = ms(now) + self.cfg.anti_entropy_ms;
            self.next_tick = Some(at);
            out.push(Output::SetTimer(at));
        }
        self.on_busy_connected(now, peer, out);
    }

    /// After changes from `peer`: whether some wait for earlier ones (a
    /// gap). A gap that lasts [`GAP_WAIT_MS`] makes us ask `peer` to fill
    /// it (a message that overtook another opens one that closes soon).
    pub(super) fn on_gap(&mut self, now: Timestamp, peer: AgencyId, out: &mut Vec<Output>) {
        let gap = self.ledger.pending_len() > 0;
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        match (gap, p.gap_since_ms) {
            (false, _) => p.gap_since_ms = None,
            (true, None) => {
                p.gap_since_ms = Some(ms(now));
                out.push(Output::SetTimer(ms(now) + GAP_WAIT_MS));
            }
            (true, Some(t)) if ms(now) - t >= GAP_WAIT_MS => self.ask_to_fill(now, peer, out),
            (true, Some(_)) => {}
        }
    }

    /// A gap (changes waiting for earlier ones): asks `peer` for everything
    /// we lack, at most once per [`GAP_ASK_MS`]; when too soon, sets a timer
    /// to ask then.
    pub(super) fn ask_to_fill(&mut self, now: Timestamp, peer: AgencyId, out: &mut Vec<Output>) {
        let summary = self.summary_for(&peer);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        match p.gap_asked_ms {
            Some(t) if ms(now) - t < GAP_ASK_MS => {
                out.push(Output::SetTimer(t + GAP_ASK_MS));
            }
            _ => {
                p.gap_asked_ms = Some(ms(now));
                p.sent_since_told = false;
                out.push(Output::Send {
                    to: peer,
                    msg: summary,
                    id: 0,
                });
            }
        }
    }

    pub(super) fn on_tick(&mut self, now: Timestamp, out: &mut Vec<Output>) {
        // Backstop of the flow control: a peer left behind gets what it
        // lacks even if no acknowledgement is coming to trigger it.
        for peer in self.outbox.behind_with_room() {
            let behind = self.resync(peer);
            self.outbox.set_behind(peer, behind);
        }
        if self.ledger.pending_len() > 0 {
            let due: Vec<AgencyId> = self
                .peers
                .iter()
                .filter(|(_, p)| {
                    p.gap_asked_ms.is_some_and(|t| ms(now) - t >= GAP_ASK_MS)
                        || p.gap_since_ms.is_some_and(|t| ms(now) - t >= GAP_WAIT_MS)
                })
                .map(|(a, _)| *a)
                .collect();
            for peer in due {
                self.ask_to_fill(now, peer, out);
            }
        } else {
            for p in self.peers.values_mut() {
                p.gap_since_ms = None;
            }
        }
        // Not due yet, unless the wall clock was set back by more than a
        // period (then the round planned on the old clock would be far off).
        if let Some(t) = self
            .next_tick
            .filter(|t| *t > ms(now) && t - ms(now) <= self.cfg.anti_entropy_ms)
        {
            // An earlier timer (a gap's) woke us: the round stays planned
            // (a driver may keep one timer, the earliest).
            out.push(Output::SetTimer(t));
            return;
        }
        self.summary_to_all(true, out);
        let at = ms(now) + self.cfg.anti_entropy_ms;
        self.next_tick = Some(at);
        out.push(Output::SetTimer(at));
        // The owner's policy may depend on time (requests that started meanwhile).
        self.run_policy(now, self.owned_resources(), out);
    }

    /// Sends this replica's summary to every peer (holders reassigned
    /// first; in the periodic round, `moving`, to any peer found ahead of
    /// a holder): each answers with what we lack of its share.
    pub(super) fn summary_to_all(&mut self, moving: bool, out: &mut Vec<Output>) {
        let ahead: Vec<AgencyId> = if moving {
            self.peers.keys().copied().collect()
        } else {
            Vec::new()
        };
        self.assign_holders(&ahead);
        let peers: BTreeSet<AgencyId> = self.peers.keys().copied().collect();
        self.tell_holders(peers, out);
        self.tell_topics(out);
    }

    /// A message from a peer within an accepted session: a flat dispatch.
    pub(super) fn on_message(
        &mut self,
        now: Timestamp,
        from: AgencyId,
        msg: Message,
        out: &mut Vec<Output>,
    ) {
        if !self.peers.contains_key(&from) {
            // Messages only count within a session the engine accepted.
            return;
        }
        match msg {
            Message::Summary {
                version,
                network,
                docs,
                roster,
                follows,
                digest,
                from_you,
                round,
                seen,
            } => {
                if network != self.ledger.roster().network_id() || version != PROTOCOL_VERSION {
                    self.peers.remove(&from);
                    out.push(Output::Disconnect {
                        peer: from,
                        reason: "other network or protocol version".into(),
                    });
                    return;
                }
                let sent = Sent {
                    follows,
                    digest,
                    from_you,
                    round,
                    seen,
                };
                self.on_summary(now, from, docs, roster, sent, out);
            }
            Message::Changes { mut changes, n } => {
                // Documents outside our interest are not held (a peer that
                // has not seen our summary yet may send them).
                changes.retain(|c| self.wants(&c.doc));
                let report = self.ledger.ingest(changes);
                let waiting = self.ledger.pending_len();
                let p = self.peers.get_mut(&from).expect("checked above");
                p.sent_since_told = true;
                p.seen = p.seen.max(n);
                if waiting == 0 {
                    p.seen_whole = p.seen;
                }
                p.duplicates.0 += report.duplicates as u64;
                p.duplicates.1 += report.duplicate_bytes;
                for (doc, seq) in &report.seen {
                    let k = p.known.entry(doc.clone()).or_default();
                    *k = (*k).max(*seq);
                }
                self.after_ingest(now, Some(from), report, out);
                self.on_gap(now, from, out);
            }
            Message::Roster { events } => self.on_roster(now, from, events, out),
            Message::WholeSummary => out.push(Output::Send {
                to: from,
                msg: self.whole_summary(&from),
                id: 0,
            }),
            Message::BusyAsk {
                id,
                owners,
                from: start,
                to: end,
            } => self.on_busy_ask(now, from, id, owners, (start, end), out),
            Message::Busy { id, owners, .. } => self.on_busy(now, from, id, owners, out),
        }
    }

    /// A peer's summary: it is sent the roster events it lacks, and its
    /// missing changes are queued to go as its window frees.
    fn on_summary(
        &mut self,
        now: Timestamp,
        from: AgencyId,
        docs: Vec<(DocId, u64)>,
        roster: Vec<String>,
        sent: Sent,
        out: &mut Vec<Output>,
    ) {
        let Sent {
            follows,
            digest,
            from_you,
            round,
            seen,
        } = sent;
        let ours = digest.as_ref().map(|_| self.digest());
        // The roster events it lacks are known only from a whole summary
        // (a compact one with our roster digest lacks none).
        let whole = digest.is_none();
        // Changes on their way to it, or in messages it took in after
        // writing this summary, are not in it: counted as known, not sent
        // again. (A change lost on the way is reported lost and sent
        // again; one that arrived and was dropped shows in a later
        // summary.)
        let outstanding = self.outbox.unseen(&from, seen);
        if !self.peers.contains_key(&from) {
            return;
        }
        let mut known: BTreeMap<DocId, u64> = docs.into_iter().collect();
        let docs_on_way: BTreeSet<&DocId> = outstanding.iter().map(|(d, _)| d).collect();
        for doc in docs_on_way {
            let stated = known.get(doc).copied().unwrap_or(0);
            let mut n = stated;
            while outstanding.contains(&(doc.clone(), n + 1)) {
                n += 1;
            }
            if n > stated {
                known.insert(doc.clone(), n);
            }
        }
        // So do changes its topics are bringing it.
        self.topic_on_way(now, &from, &mut known);
        let peer = self.peers.get_mut(&from).expect("checked above");
        peer.interest = follows.map(|f| f.into_iter().collect());
        // An older summary overtaken by a newer one keeps the newer share.
        if round.0 != peer.round.0 || round.1 >= peer.round.1 {
            peer.round = round;
            peer.serve = from_you.map(|f| f.into_iter().collect());
        }
        peer.summarised = true;
        match (digest, ours) {
            (Some(theirs), Some(ours)) => {
                // A compact summary: where the digests match, the peer
                // holds our catalogues and roster; where they differ, we
                // ask for its whole summary and keep what we knew.
                let catalogs = self
                    .ledger
                    .docs()
                    .iter()
                    .filter(|(d, _)| d.kind == DocKind::Catalog);
                if theirs.catalogs == ours.catalogs {
                    known.extend(catalogs.map(|(d, l)| (d.clone(), l.len())));
                } else {
                    known.extend(
                        catalogs.filter_map(|(d, _)| peer.known.get(d).map(|n| (d.clone(), *n))),
                    );
                }
                if theirs.roster == ours.roster {
                    peer.roster = self
                        .ledger
                        .roster()
                        .events()
                        .map(|(id, _)| id.clone())
                        .collect();
                }
                if theirs.catalogs != ours.catalogs || theirs.roster != ours.roster {
                    out.push(Output::Send {
                        to: from,
                        msg: Message::WholeSummary,
                        id: 0,
                    });
                }
            }
            _ => peer.roster = roster.into_iter().collect(),
        }
        peer.known = known;
        // Changes not sent it because another holder was to: owed now if
        // it still lacks them.
        for doc in std::mem::take(&mut peer.skipped) {
            let ours = self.ledger.doc_len(&doc);
            if peer.known.get(&doc).copied().unwrap_or(0) < ours {
                peer.owed.insert(doc);
            }
        }
        let missing_roster: Vec<SignedRosterEvent> = self
            .ledger
            .roster()
            .events()
            .filter(|(id, _)| !peer.roster.contains(*id))
            .map(|(_, e)| e.clone())
            .collect();
        if whole && !missing_roster.is_empty() {
            out.push(Output::Send {
                to: from,
                msg: Message::Roster {
                    events: missing_roster,
                },
                id: 0,
            });
        }
        // What it lacks goes a bounded amount at a time, more as the peer
        // acknowledges ([`Input::Delivered`]).
        let behind = self.resync(from);
        self.outbox.set_behind(from, behind);
        // What it holds may make it the holder of subjects (or show it
        // ahead of their holder): those it is now to send learn it.
        let changed = self.assign_holders(&[from]);
        self.tell_holders(changed.clone(), out);
        // It holds changes we lack: their holder is told what we hold
        // again (it may count as ours what never reached us). Not delayed
        // like a gap's ask: summaries come seldom, and with nothing else in
        // flight nothing would ask later.
        let mut lacking: BTreeSet<AgencyId> = self
            .peers
            .get(&from)
            .into_iter()
            .flat_map(|p| &p.known)
            .filter(|(d, n)| **n > self.ledger.doc_len(d))
            .filter_map(|(d, _)| self.holders.get(&crate::interest::subject(d)).copied())
            .collect();
        // A holder still answering our last summary is left to finish
        // (asking again would make it send again what is on its way); the
        // next time, if it sent nothing more meanwhile, it is asked.
        lacking.retain(|h| !changed.contains(h));
        lacking.retain(|h| match self.peers.get_mut(h) {
            Some(p) if p.sent_since_told => {
                p.sent_since_told = false;
                false
            }
            _ => true,
        });
        self.tell_holders(lacking, out);
    }

    /// Roster events from a peer: new ones are stored, passed on to the
    /// other peers that lack them, and applied.
    fn on_roster(
        &mut self,
        now: Timestamp,
        from: AgencyId,
        events: Vec<SignedRosterEvent>,
        out: &mut Vec<Output>,
    ) {
        let (changed, errors, touched) = self.ledger.add_roster_events(events.clone());
        if let Some(p) = self.peers.get_mut(&from) {
            p.refused += errors.len() as u32;
            p.roster.extend(events.iter().map(SignedRosterEvent::id));
        }
        if changed {
            out.push(Output::PersistRoster(events.clone()));
            out.push(Output::Notify(Event::Roster));
            for (peer, st) in self.peers.iter().filter(|(p, _)| **p != from) {
                let fresh: Vec<_> = events
                    .iter()
                    .filter(|e| !st.roster.contains(&e.id()))
                    .cloned()
                    .collect();
                if !fresh.is_empty() {
                    out.push(Output::Send {
                        to: *peer,
                        msg: Message::Roster { events: fresh },
                        id: 0,
                    });
                }
            }
            self.after_roster_change(now, touched, out);
        }
        self.check_peer(from, out);
    }

    pub(super) fn send_changes(
        &self,
        to: AgencyId,
        changes: Vec<SignedChange>,
        out: &mut Vec<Output>,
    ) {
        for changes in self.batches(changes) {
            out.push(Output::Send {
                to,
                msg: Message::Changes { changes, n: 0 },
                id: 0,
            });
        }
    }

    /// `changes` cut into messages of at most [`Config::max_batch`]
    /// changes and about [`Config::max_batch_bytes`] bytes.
    pub(super) fn batches(&self, changes: Vec<SignedChange>) -> Vec<Vec<SignedChange>> {
        let mut out = Vec::new();
        let mut batch = Vec::new();
        let mut bytes = 0;
        for c in changes {
            bytes += c.change.len() + 200;
            batch.push(c);
            if batch.len() >= self.cfg.max_batch || bytes >= self.cfg.max_batch_bytes {
                out.push(std::mem::take(&mut batch));
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            out.push(batch);
        }
        out
    }

    /// Persists, forwards and reacts to what an ingest accepted.
    pub(super) fn after_ingest(
        &mut self,
        now: Timestamp,
        from: Option<AgencyId>,
        report: IngestReport,
        out: &mut Vec<Output>,
    ) {
        for r in &report.refused {
            if let Some(p) = from.and_then(|f| self.peers.get_mut(&f))
                && !matches!(
                    r.reason,
                    RefuseReason::QueueFull | RefuseReason::Membership(_)
                )
            {
                p.refused += 1;
            }
            out.push(Output::Notify(Event::Refused {
                peer: from,
                refusal: r.clone(),
            }));
        }
        if let Some(f) = from {
            self.check_peer(f, out);
        }
        if report.accepted.is_empty() {
            return;
        }
        out.push(Output::Persist(report.accepted.clone()));
        let peers: Vec<AgencyId> = self
            .peers
            .keys()
            .copied()
            .filter(|p| Some(*p) != from)
            .collect();
        let local = from.is_none();
        let mut by_topic = Vec::new();
        for peer in peers {
            let topic_reach: Vec<bool> = report
                .accepted
                .iter()
                .map(|c| self.by_topic(&peer, c, local))
                .collect();
            let st = self.peers.get_mut(&peer).expect("listed above");
            let mut send = Vec::new();
            let mut hole = false;
            for (c, topic) in report.accepted.iter().zip(topic_reach) {
                if !crate::interest::wants(peer, st.interest.as_ref(), &c.doc) {
                    continue;
                }
                let seq = c.number();
                if c.doc.owner == peer {
                    // Its own change: it wrote it, and is not sent it back
                    // (one it lost shows in its summary, and a resync
                    // sends it then).
                    let k = st.known.entry(c.doc.clone()).or_default();
                    *k = (*k).max(seq);
                    continue;
                }
                let k = st.known.entry(c.doc.clone()).or_default();
                if seq == *k + 1 {
                    // Its topic brings it the change, or a message does.
                    if topic {
                        by_topic.push((peer, c.clone()));
                    } else {
                        send.push(c.clone());
                    }
                    *k = seq;
                } else if seq > *k {
                    // An earlier change has not reached it (held back or
                    // lost on the way): this one follows it in a resync
                    // rather than arriving ahead of it, into a gap. Unless
                    // it is another's change of a subject the peer has
                    // another holder send it (see [`holders`]): the peer
                    // may be catching up on it from that holder, which
                    // sends this one too, and a resync from us now would
                    // send the document a second time. It is owed only if
                    // the peer's next summary still lacks it.
                    let elsewhere = from.is_some()
                        && c.doc.owner != self.me
                        && st
                            .serve
                            .as_ref()
                            .is_some_and(|s| !s.contains(&crate::interest::subject(&c.doc)));
                    if elsewhere {
                        st.skipped.insert(c.doc.clone());
                    } else {
                        st.owed.insert(c.doc.clone());
                        hole = true;
                    }
                }
            }
            self.send_changes(peer, send, out);
            if hole {
                self.resync_after_commit.insert(peer);
            }
        }
        let reached: BTreeSet<Topic> = by_topic
            .iter()
            .filter_map(|(_, c)| Topic::of(&c.doc))
            .collect();
        for (peer, c) in by_topic {
            self.on_way(now, peer, &c);
        }
        if local {
            let published: Vec<SignedChange> = report
                .accepted
                .iter()
                .filter(|c| Topic::of(&c.doc).is_some_and(|t| reached.contains(&t)))
                .cloned()
                .collect();
            self.publish(&published);
        }
        self.observe_clocks(now, &report);
        // The catalogue or our own requests may widen what we follow.
        if report
            .accepted
            .iter()
            .any(|c| c.doc.kind == crate::ids::DocKind::Catalog || c.doc.owner == self.me)
        {
            self.refresh_interest(out);
        }
        if from.is_some() {
            self.defer(report.touched.clone(), &report.deltas);
        } else {
            // A local action answers with its booking's status at once.
            self.refresh(report.touched.clone(), &report.deltas);
        }
        out.push(Output::Notify(Event::Calendar {
            resources: report.touched.iter().cloned().collect(),
        }));
        let mine: BTreeSet<ResourceId> = report
            .touched
            .into_iter()
            .filter(|r| self.ledger.index().owner_of(r) == self.me)
            .collect();
        self.run_policy(now, mine, out);
        self.run_trip_policy(now, out);
    }

    pub(super) fn observe_clocks(&mut self, now: Timestamp, report: &IngestReport) {
        if let Some(h) = report.max_hlc {
            self.clock.observe(h, ms(now), self.cfg.max_skew_ms);
        }
    }
}
