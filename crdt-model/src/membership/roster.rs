//! The roster's rules: building it from signed events in `(hlc, id)`
//! order, who may act, keys in force, invitations, and signing actions.

use super::*;

impl Roster {
    /// A roster from its genesis event. The network id is the genesis id.
    pub fn from_genesis(genesis: SignedRosterEvent) -> Result<Self, RosterError> {
        let ev = genesis.open()?;
        if !matches!(ev.action, RosterAction::Genesis { .. }) || !ev.network.is_empty() {
            return Err(RosterError::NotGenesis);
        }
        let mut r = Self {
            network: genesis.id(),
            ..Default::default()
        };
        r.events.insert(genesis.id(), genesis);
        r.resolve();
        Ok(r)
    }

    /// Creates a new network with `key` as founder and first admin.
    pub fn create(
        key: &AgencyKey,
        network: &str,
        profile: AgencyProfile,
        hlc: Hlc,
    ) -> (Self, SignedRosterEvent) {
        let ev = RosterEvent {
            network: String::new(),
            by: key.id(),
            signing_key: None,
            hlc,
            action: RosterAction::Genesis {
                name: network.to_string(),
                profile,
            },
        };
        let signed = SignedRosterEvent::sign(key, &ev);
        let r = Self::from_genesis(signed.clone()).expect("fresh genesis is valid");
        (r, signed)
    }

    /// Network id.
    pub fn network_id(&self) -> &str {
        &self.network
    }

    /// Network display name.
    pub fn network_name(&self) -> &str {
        &self.name
    }

    /// Adds verified events; returns whether anything new was added. Events
    /// with bad signatures or for another network are returned as errors and
    /// not kept.
    pub fn add(
        &mut self,
        events: impl IntoIterator<Item = SignedRosterEvent>,
    ) -> (bool, Vec<RosterError>) {
        let mut errors = Vec::new();
        let mut changed = false;
        for e in events {
            let id = e.id();
            if self.events.contains_key(&id) {
                continue;
            }
            match e.open() {
                Ok(ev) if ev.network != self.network => errors.push(RosterError::OtherNetwork),
                Ok(ev) if matches!(ev.action, RosterAction::Genesis { .. }) => {
                    errors.push(RosterError::NotGenesis)
                }
                Ok(_) => {
                    self.events.insert(id, e);
                    changed = true;
                }
                Err(err) => errors.push(err),
            }
        }
        if changed {
            self.resolve();
        }
        (changed, errors)
    }

    /// Signs a new event by `key` for this network and adds it.
    pub fn act(&mut self, key: &AgencyKey, hlc: Hlc, action: RosterAction) -> SignedRosterEvent {
        let ev = RosterEvent {
            network: self.network.clone(),
            by: key.id(),
            signing_key: None,
            hlc,
            action,
        };
        let signed = SignedRosterEvent::sign(key, &ev);
        self.add([signed.clone()]);
        signed
    }

    pub(super) fn resolve(&mut self) {
        let mut order: Vec<(Hlc, String, RosterEvent)> = self
            .events
            .iter()
            .filter_map(|(id, e)| e.open().ok().map(|ev| (ev.hlc, id.clone(), ev)))
            .collect();
        // The genesis event always comes first, whatever its clock.
        order.sort_by(|a, b| {
            let ga = matches!(a.2.action, RosterAction::Genesis { .. });
            let gb = matches!(b.2.action, RosterAction::Genesis { .. });
            gb.cmp(&ga).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1))
        });
        self.members.clear();
        self.invitations.clear();
        self.ignored.clear();
        for (hlc, id, ev) in order {
            if !self.apply(hlc, &id, ev) {
                self.ignored.insert(id);
            }
        }
    }

    /// Applies one event, in order; false if it does not count (not signed
    /// with the authority it needs, or not applicable).
    fn apply(&mut self, hlc: Hlc, id: &str, ev: RosterEvent) -> bool {
        // A member's event counts only if signed by its key of the moment
        // (a rotated-away key has no authority left).
        let signer = self.members.get(&ev.by).filter(|m| {
            m.status == MemberStatus::Active && m.current_key() == ev.signing_key.unwrap_or(ev.by)
        });
        let admin = signer.is_some_and(|m| m.role == Role::Admin);
        let member = signer.is_some();
        match ev.action {
            RosterAction::Genesis { name, profile } if id == self.network => {
                self.name = name;
                let m = Member::admitted(profile, Role::Admin, ev.by, hlc);
                self.members.insert(ev.by, m);
            }
            RosterAction::Admit { profile, role, .. } if admin => {
                let m = Member::admitted(profile, role, ev.by, hlc);
                self.members.insert(m.profile.id, m);
            }
            RosterAction::Invite {
                invitation,
                name,
                role,
                expires_ms,
            } if admin => {
                self.invitations.entry(invitation).or_insert(Invitation {
                    by: ev.by,
                    role,
                    expires_ms,
                    name,
                    used_by: None,
                    issued: hlc,
                    withdrawn: None,
                });
            }
            RosterAction::WithdrawInvite { invitation, reason } if admin => {
                match self.invitations.get_mut(&invitation) {
                    Some(i) if i.used_by.is_none() && i.withdrawn.is_none() => {
                        i.withdrawn = Some(Withdrawal {
                            by: ev.by,
                            hlc,
                            reason,
                        });
                    }
                    _ => return false,
                }
            }
            RosterAction::Join {
                invitation,
                profile,
            } if ev.by == invitation => return self.join(invitation, profile, hlc),
            RosterAction::RotateKey {
                new_key,
                cutoffs,
                proof,
            } if member => return self.rotate(ev.by, new_key, cutoffs, &proof, hlc),
            RosterAction::Revoke {
                agency,
                reason,
                cutoffs,
            } if admin => {
                if let Some(m) = self.members.get_mut(&agency) {
                    m.status = MemberStatus::Revoked {
                        by: ev.by,
                        hlc,
                        reason,
                        cutoffs,
                    };
                }
            }
            _ => return false,
        }
        true
    }

    /// A join by invitation: counts if the invitation is unused, not
    /// withdrawn (earlier in the order), unexpired at the join's time, by an
    /// admin still active, and the key is new.
    fn join(&mut self, invitation: AgencyId, profile: AgencyProfile, hlc: Hlc) -> bool {
        let usable = self.invitations.get(&invitation).is_some_and(|i| {
            i.used_by.is_none()
                && i.withdrawn.is_none()
                && hlc.wall_ms <= i.expires_ms
                && self
                    .members
                    .get(&i.by)
                    .is_some_and(|m| m.status == MemberStatus::Active)
        });
        if !usable || self.key_in_use(&profile.id) {
            return false;
        }
        let Some(inv) = self.invitations.get_mut(&invitation) else {
            return false;
        };
        inv.used_by = Some(profile.id);
        let m = Member::admitted(profile, inv.role, inv.by, hlc);
        self.members.insert(m.profile.id, m);
        true
    }

    /// A member's key rotation: counts if the new key is new and proves
    /// itself by signing the rotation.
    fn rotate(
        &mut self,
        agency: AgencyId,
        new_key: AgencyId,
        cutoffs: BTreeMap<DocId, u64>,
        proof: &[u8; 64],
        hlc: Hlc,
    ) -> bool {
        let message = rotation_message(&self.network, &agency, &new_key);
        if self.key_in_use(&new_key) || verify(&new_key, "rotate", &message, proof).is_err() {
            return false;
        }
        let Some(m) = self.members.get_mut(&agency) else {
            return false;
        };
        m.rotations.push(Rotation {
            key: new_key,
            hlc,
            cutoffs,
        });
        true
    }

    /// Whether `key` is, or was, an agency id or a member's key.
    pub(super) fn key_in_use(&self, key: &AgencyId) -> bool {
        self.members.contains_key(key)
            || self
                .members
                .values()
                .any(|m| m.rotations.iter().any(|r| r.key == *key))
    }

    /// The key that signs for `agency` now (its id if unknown).
    pub fn current_key(&self, agency: &AgencyId) -> AgencyId {
        self.members
            .get(agency)
            .map_or(*agency, Member::current_key)
    }

    /// The key that must have signed change number `seq` of `doc` by
    /// `agency` (its id if unknown).
    pub fn key_for(&self, agency: &AgencyId, doc: &DocId, seq: u64) -> AgencyId {
        self.members
            .get(agency)
            .map_or(*agency, |m| m.key_for(doc, seq))
    }

    /// The member whose current key is `key`.
    pub fn agency_of_key(&self, key: &AgencyId) -> Option<AgencyId> {
        if let Some(m) = self.members.get(key)
            && m.current_key() == *key
        {
            return Some(*key);
        }
        self.members
            .iter()
            .find(|(_, m)| m.rotations.last().is_some_and(|r| r.key == *key))
            .map(|(id, _)| *id)
    }

    /// The latest clock of any event held. An event made here must sort
    /// after it, whatever this node's wall clock says: a roster is replayed
    /// in clock order, so an admin whose clock runs behind would otherwise
    /// place its new event (a key rotation, say) before its own earlier ones.
    pub fn latest_hlc(&self) -> Option<Hlc> {
        self.events
            .values()
            .filter_map(|e| e.open().ok().map(|ev| ev.hlc))
            .max()
    }

    /// All events, for syncing.
    pub fn events(&self) -> impl Iterator<Item = (&String, &SignedRosterEvent)> {
        self.events.iter()
    }

    /// Whether an event id is known.
    pub fn has_event(&self, id: &str) -> bool {
        self.events.contains_key(id)
    }

    /// Members in id order.
    pub fn members(&self) -> &BTreeMap<AgencyId, Member> {
        &self.members
    }

    /// One member.
    pub fn member(&self, id: &AgencyId) -> Option<&Member> {
        self.members.get(id)
    }

    /// Invitations issued, by invitation key.
    pub fn invitations(&self) -> &BTreeMap<AgencyId, Invitation> {
        &self.invitations
    }

    /// Events that were signed correctly but had no effect (e.g. by a
    /// non-admin, or a second use of an invitation).
    pub fn ignored(&self) -> &BTreeSet<String> {
        &self.ignored
    }

    /// Whether `id` is an active member.
    pub fn is_active(&self, id: &AgencyId) -> bool {
        self.members
            .get(id)
            .is_some_and(|m| m.status == MemberStatus::Active)
    }

    /// Whether `id` is an active admin.
    pub fn is_admin(&self, id: &AgencyId) -> bool {
        self.members
            .get(id)
            .is_some_and(|m| m.role == Role::Admin && m.status == MemberStatus::Active)
    }

    /// Whether `signer` may write change number `seq` of `doc`.
    pub fn may_write(&self, signer: &AgencyId, doc: &DocId, seq: u64) -> Result<(), WriteRefusal> {
        match self.members.get(signer).map(|m| &m.status) {
            None => Err(WriteRefusal::UnknownSigner),
            Some(MemberStatus::Active) => Ok(()),
            Some(MemberStatus::Revoked { cutoffs, .. }) => {
                if seq <= cutoffs.get(doc).copied().unwrap_or(0) {
                    Ok(())
                } else {
                    Err(WriteRefusal::Revoked)
                }
            }
        }
    }
}
