//! Roster administration: events from outside the protocol, an admin's
//! signed actions, key rotation, and what a roster change sets off.

use super::*;

impl Engine {
    /// After the roster changed: recompute calendars, drop sessions with
    /// agencies no longer active, and let the owner policy react.
    pub(super) fn after_roster_change(
        &mut self,
        now: Timestamp,
        touched: BTreeSet<ResourceId>,
        out: &mut Vec<Output>,
    ) {
        self.defer(touched.clone(), &BTreeMap::new());
        out.push(Output::Notify(Event::Calendar {
            resources: touched.into_iter().collect(),
        }));
        let gone: Vec<AgencyId> = self
            .peers
            .keys()
            .filter(|p| !self.ledger.roster().is_active(p))
            .copied()
            .collect();
        for peer in gone {
            self.peers.remove(&peer);
            out.push(Output::Disconnect {
                peer,
                reason: "revoked".into(),
            });
        }
        self.run_policy(now, self.owned_resources(), out);
        // Changes refused before this roster change reached us (signed by a
        // key it introduced, say, arriving ahead of it) are accepted now:
        // our summary makes every peer send again what we lack. New
        // members may be of a city we follow.
        self.interest = self.follows.resolve(self.me, &self.ledger);
        // Changes waiting for one refused before: the messages taken in
        // meanwhile count as seen, or their senders would take what they
        // carried as still on its way and never send it again.
        for p in self.peers.values_mut() {
            p.seen_whole = p.seen;
        }
        self.summary_to_all(false, out);
    }

    pub(super) fn check_peer(&mut self, peer: AgencyId, out: &mut Vec<Output>) {
        if self
            .peers
            .get(&peer)
            .is_some_and(|p| p.refused > self.cfg.max_peer_refusals)
        {
            self.peers.remove(&peer);
            out.push(Output::Disconnect {
                peer,
                reason: "too many refused changes".into(),
            });
        }
    }

    /// Adds roster events from outside the sync protocol (e.g. a join
    /// handshake or the local admin), with the same effects as receiving them.
    pub fn add_roster_events(
        &mut self,
        now: Timestamp,
        events: Vec<SignedRosterEvent>,
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let (changed, _errors, touched) = self.ledger.add_roster_events(events.clone());
        if changed {
            out.push(Output::PersistRoster(events.clone()));
            out.push(Output::Notify(Event::Roster));
            for peer in self.peers.keys() {
                out.push(Output::Send {
                    to: *peer,
                    msg: Message::Roster {
                        events: events.clone(),
                    },
                    id: 0,
                });
            }
            self.after_roster_change(now, touched, &mut out);
        }
        self.route(out)
    }

    /// Signs a roster action by this agency (an admin) and applies it like
    /// received events. A revocation's cutoffs are filled in from what this
    /// replica holds of the revoked agency's documents.
    pub fn roster_act(
        &mut self,
        now: Timestamp,
        mut action: RosterAction,
    ) -> Result<Vec<Output>, LocalError> {
        if !self.ledger.roster().is_admin(&self.me) {
            return Err(LocalError::NotAllowed(
                "only an admin changes the roster".into(),
            ));
        }
        if let RosterAction::Revoke {
            agency, cutoffs, ..
        } = &mut action
        {
            if self.ledger.roster().member(agency).is_none() {
                return Err(LocalError::Invalid(format!("{agency} is not a member")));
            }
            *cutoffs = self
                .ledger
                .heads()
                .into_iter()
                .filter(|(d, _)| d.owner == *agency)
                .collect();
        }
        if let RosterAction::WithdrawInvite { invitation, .. } = &action {
            match self.ledger.roster().invitations().get(invitation) {
                None => {
                    return Err(LocalError::Invalid(format!(
                        "{invitation} is not an invitation of this network"
                    )));
                }
                Some(i) if i.used_by.is_some() => {
                    return Err(LocalError::Invalid(format!(
                        "invitation {} was already used; revoke the agency instead",
                        invitation.short()
                    )));
                }
                Some(i) if i.withdrawn.is_some() => {
                    return Err(LocalError::Invalid(format!(
                        "invitation {} was already withdrawn",
                        invitation.short()
                    )));
                }
                Some(_) => {}
            }
        }
        let floor = self.ledger.roster().latest_hlc();
        let hlc = self.clock.tick_after(ms(now), floor);
        let mut roster = self.ledger.roster().clone();
        let event = roster.act(&self.key, hlc, action);
        Ok(self.add_roster_events(now, vec![event]))
    }

    /// Replaces this agency's signing key with `new_key`: a roster event
    /// signed by the current key, naming the new one (which proves itself by
    /// signing the rotation) and this agency's change count per document, so
    /// that every earlier change stays verifiable with the old key and every
    /// later one needs the new key. The caller must have stored `new_key`
    /// durably first, and must persist the outputs before using it anywhere
    /// else (e.g. as its network identity).
    pub fn rotate_key(
        &mut self,
        now: Timestamp,
        new_key: AgencyKey,
    ) -> Result<Vec<Output>, LocalError> {
        let roster = self.ledger.roster();
        if !roster.is_active(&self.me) {
            return Err(LocalError::NotAllowed(
                "only an active member rotates its key".into(),
            ));
        }
        let new_key = new_key.acting_for(self.me);
        let public = new_key.public();
        let proof = new_key.sign(
            "rotate",
            &crate::membership::rotation_message(roster.network_id(), &self.me, &public),
        );
        let cutoffs = self
            .ledger
            .heads()
            .into_iter()
            .filter(|(d, _)| d.owner == self.me)
            .collect();
        let hlc = self.clock.tick_after(ms(now), roster.latest_hlc());
        let mut roster = roster.clone();
        let event = roster.act(
            &self.key,
            hlc,
            RosterAction::RotateKey {
                new_key: public,
                cutoffs,
                proof,
            },
        );
        if roster.current_key(&self.me) != public {
            return Err(LocalError::Invalid(
                "the rotation was not accepted (is this key already in use?)".into(),
            ));
        }
        let out = self.add_roster_events(now, vec![event]);
        self.key = new_key;
        Ok(out)
    }
}
