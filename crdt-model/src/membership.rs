//! The member roster: a grow-only set of admin-signed events from genesis,
//! resolved deterministically into who is a member, who is an admin, and
//! what a revoked agency's earlier, still-valid history is.
//!
//! Events are applied in `(hlc, event id)` order. An event counts only if its
//! signer is an active admin at that point of the order, so every node that
//! holds the same events computes the same roster, offline.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::agency::{AgencyKey, AgencyProfile, VerifyError, verify};
use crate::hlc::Hlc;
use crate::ids::{AgencyId, DocId};

/// A member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May admit and revoke members.
    Admin,
    /// May publish and book.
    Member,
}

/// What a roster event does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum RosterAction {
    /// Creates the network; its signer is the first admin.
    Genesis {
        /// Network name.
        name: String,
        /// The founding agency.
        profile: AgencyProfile,
    },
    /// Admits an agency (or re-admits a revoked one).
    Admit {
        /// The new member.
        profile: AgencyProfile,
        /// Its role.
        role: Role,
        /// Id of the one-time invitation used, if any.
        #[serde(default)]
        invitation: Option<String>,
    },
    /// An admin's one-time invitation: whoever holds the secret key of
    /// `invitation` may join once, before `expires_ms`, with `role`.
    Invite {
        /// Public key of the invitation's one-time secret.
        invitation: AgencyId,
        /// Intended agency name (informational).
        #[serde(default)]
        name: String,
        /// Role granted.
        role: Role,
        /// Expiry, ms since the epoch.
        expires_ms: i64,
    },
    /// Uses an invitation: signed by the invitation key, names the new
    /// agency's own key and profile.
    Join {
        /// The invitation used.
        invitation: AgencyId,
        /// The joining agency.
        profile: AgencyProfile,
    },
    /// Replaces the signer's key (signed by its current key). Its changes up
    /// to `cutoffs[doc]` stay signed by the old key; every later change
    /// must be signed by `new_key`. The agency keeps its id.
    RotateKey {
        /// The new public key.
        new_key: AgencyId,
        /// The agency's own change count per document at the rotation.
        #[serde(default)]
        cutoffs: BTreeMap<DocId, u64>,
        /// The new key's signature over [`rotation_message`]: proof that
        /// the agency holds it (nobody can rotate to someone else's key).
        #[serde(with = "serde_bytes")]
        proof: [u8; 64],
    },
    /// Revokes an agency. Its changes up to `cutoffs[doc]` (the number of its
    /// changes in each document the revoking admin held) stay valid history;
    /// every later change is refused.
    Revoke {
        /// The revoked agency.
        agency: AgencyId,
        /// Why.
        #[serde(default)]
        reason: String,
        /// Valid history per document.
        #[serde(default)]
        cutoffs: BTreeMap<DocId, u64>,
    },
}

/// A roster event body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEvent {
    /// Network id (empty in the genesis event itself).
    pub network: String,
    /// Signer: the agency (or, for a join, the invitation key).
    pub by: AgencyId,
    /// The key that signed, when it is not `by` itself (after `by` rotated
    /// its key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<AgencyId>,
    /// When.
    pub hlc: Hlc,
    /// What.
    #[serde(flatten)]
    pub action: RosterAction,
}

/// A roster event as it travels: the exact JSON bytes that were signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRosterEvent {
    /// JSON of a [`RosterEvent`].
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// Signature by `body.by`.
    #[serde(with = "serde_bytes")]
    pub sig: [u8; 64],
}

impl SignedRosterEvent {
    /// Signs an event (noting the signing key when it is not `event.by`).
    pub fn sign(key: &AgencyKey, event: &RosterEvent) -> Self {
        let mut event = event.clone();
        event.signing_key = (key.public() != event.by).then(|| key.public());
        let body = serde_json::to_vec(&event).expect("roster events always serialise");
        let sig = key.sign("roster", &body);
        Self { body, sig }
    }

    /// Content id: hex SHA-256 of the body.
    pub fn id(&self) -> String {
        hex(&Sha256::digest(&self.body)[..16])
    }

    /// Decodes and verifies the signature (not the signer's authority).
    pub fn open(&self) -> Result<RosterEvent, RosterError> {
        let ev: RosterEvent = serde_json::from_slice(&self.body)
            .map_err(|e| RosterError::Malformed(e.to_string()))?;
        verify(
            &ev.signing_key.unwrap_or(ev.by),
            "roster",
            &self.body,
            &self.sig,
        )?;
        Ok(ev)
    }
}

/// What the new key signs in a key rotation: network, agency and new key.
pub fn rotation_message(network: &str, agency: &AgencyId, new_key: &AgencyId) -> Vec<u8> {
    let mut m = network.as_bytes().to_vec();
    m.push(0);
    m.extend_from_slice(agency.as_bytes());
    m.extend_from_slice(new_key.as_bytes());
    m
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Errors about roster events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// Not a roster event.
    #[error("malformed roster event: {0}")]
    Malformed(String),
    /// Bad signature.
    #[error(transparent)]
    Signature(#[from] VerifyError),
    /// For another network.
    #[error("event belongs to another network")]
    OtherNetwork,
    /// A genesis event is not where one may be.
    #[error("not a genesis event")]
    NotGenesis,
}

/// Membership state of an agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum MemberStatus {
    /// A member in good standing.
    Active,
    /// Revoked.
    Revoked {
        /// By which admin.
        by: AgencyId,
        /// When.
        hlc: Hlc,
        /// Why.
        reason: String,
        /// Valid history per document.
        cutoffs: BTreeMap<DocId, u64>,
    },
}

/// One agency in the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Name and city.
    pub profile: AgencyProfile,
    /// Role.
    pub role: Role,
    /// Who admitted it (itself for the founder).
    pub admitted_by: AgencyId,
    /// When.
    pub admitted_at: Hlc,
    /// Active or revoked.
    pub status: MemberStatus,
    /// Key rotations, oldest first (empty while the agency signs with the
    /// key that is its id).
    #[serde(default)]
    pub rotations: Vec<Rotation>,
}

/// One key rotation of an agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The new key.
    pub key: AgencyId,
    /// When.
    pub hlc: Hlc,
    /// The agency's change count per document signed by the previous key.
    pub cutoffs: BTreeMap<DocId, u64>,
}

impl Member {
    /// The key that signs for this member now.
    pub fn current_key(&self) -> AgencyId {
        self.rotations.last().map_or(self.profile.id, |r| r.key)
    }

    /// The key that must have signed change number `seq` of `doc`.
    pub fn key_for(&self, doc: &DocId, seq: u64) -> AgencyId {
        let mut key = self.profile.id;
        for r in &self.rotations {
            if seq <= r.cutoffs.get(doc).copied().unwrap_or(0) {
                return key;
            }
            key = r.key;
        }
        key
    }
}

/// Why a change's signer may not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "code")]
pub enum WriteRefusal {
    /// Signer is not in the roster.
    #[error("signer is not a member")]
    UnknownSigner,
    /// Signer was revoked and this change is past its cutoff.
    #[error("signer was revoked")]
    Revoked,
}

/// The resolved roster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    network: String,
    name: String,
    events: BTreeMap<String, SignedRosterEvent>,
    members: BTreeMap<AgencyId, Member>,
    invitations: BTreeMap<AgencyId, Invitation>,
    ignored: BTreeSet<String>,
}

/// State of an invitation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Issuing admin.
    pub by: AgencyId,
    /// Role granted.
    pub role: Role,
    /// Expiry, ms since the epoch.
    pub expires_ms: i64,
    /// Intended agency name.
    pub name: String,
    /// The agency that used it, if any.
    pub used_by: Option<AgencyId>,
}

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

    fn resolve(&mut self) {
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
            // A member's event counts only if signed by its key of the
            // moment (a rotated-away key has no authority left).
            let signer = self.members.get(&ev.by).filter(|m| {
                m.status == MemberStatus::Active
                    && m.current_key() == ev.signing_key.unwrap_or(ev.by)
            });
            let admin = signer.is_some_and(|m| m.role == Role::Admin);
            let member = signer.is_some();
            match ev.action {
                RosterAction::Genesis { name, profile } if id == self.network => {
                    self.name = name;
                    self.members.insert(
                        ev.by,
                        Member {
                            profile,
                            role: Role::Admin,
                            admitted_by: ev.by,
                            admitted_at: hlc,
                            status: MemberStatus::Active,
                            rotations: Vec::new(),
                        },
                    );
                }
                RosterAction::Admit { profile, role, .. } if admin => {
                    self.members.insert(
                        profile.id,
                        Member {
                            profile,
                            role,
                            admitted_by: ev.by,
                            admitted_at: hlc,
                            status: MemberStatus::Active,
                            rotations: Vec::new(),
                        },
                    );
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
                    });
                }
                RosterAction::Join {
                    invitation,
                    profile,
                } if ev.by == invitation
                    && self.invitations.get(&invitation).is_some_and(|i| {
                        i.used_by.is_none()
                            && hlc.wall_ms <= i.expires_ms
                            && self
                                .members
                                .get(&i.by)
                                .is_some_and(|m| m.status == MemberStatus::Active)
                    })
                    && !self.key_in_use(&profile.id) =>
                {
                    let inv = self
                        .invitations
                        .get_mut(&invitation)
                        .expect("checked above");
                    inv.used_by = Some(profile.id);
                    let (role, by) = (inv.role, inv.by);
                    self.members.insert(
                        profile.id,
                        Member {
                            profile,
                            role,
                            admitted_by: by,
                            admitted_at: hlc,
                            status: MemberStatus::Active,
                            rotations: Vec::new(),
                        },
                    );
                }
                RosterAction::RotateKey {
                    new_key,
                    cutoffs,
                    proof,
                } if member
                    && !self.key_in_use(&new_key)
                    && verify(
                        &new_key,
                        "rotate",
                        &rotation_message(&self.network, &ev.by, &new_key),
                        &proof,
                    )
                    .is_ok() =>
                {
                    let m = self.members.get_mut(&ev.by).expect("checked above");
                    m.rotations.push(Rotation {
                        key: new_key,
                        hlc,
                        cutoffs,
                    });
                }
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
                _ => {
                    self.ignored.insert(id);
                }
            }
        }
    }

    /// Whether `key` is, or was, an agency id or a member's key.
    fn key_in_use(&self, key: &AgencyId) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agency::Text;

    fn profile(k: &AgencyKey, name: &str) -> AgencyProfile {
        AgencyProfile {
            id: k.id(),
            name: Text::new(name, name),
            city: Text::new("深圳", "Shenzhen"),
        }
    }

    fn hlc(ms: i64) -> Hlc {
        Hlc {
            wall_ms: ms,
            counter: 0,
        }
    }

    #[test]
    fn admit_revoke_and_non_admin_events() {
        let a = AgencyKey::from_secret(&[1; 32]);
        let b = AgencyKey::from_secret(&[2; 32]);
        let c = AgencyKey::from_secret(&[3; 32]);
        let (mut r, genesis) = Roster::create(&a, "test", profile(&a, "A"), hlc(1));
        assert!(r.is_admin(&a.id()));
        let admit_b = r.act(
            &a,
            hlc(2),
            RosterAction::Admit {
                profile: profile(&b, "B"),
                role: Role::Member,
                invitation: None,
            },
        );
        assert!(r.is_active(&b.id()));
        // A plain member cannot admit anyone.
        r.act(
            &b,
            hlc(3),
            RosterAction::Admit {
                profile: profile(&c, "C"),
                role: Role::Admin,
                invitation: None,
            },
        );
        assert!(!r.is_active(&c.id()));
        let doc = DocId::catalog(b.id());
        let revoke = r.act(
            &a,
            hlc(4),
            RosterAction::Revoke {
                agency: b.id(),
                reason: "x".into(),
                cutoffs: [(doc.clone(), 2)].into(),
            },
        );
        assert_eq!(r.may_write(&b.id(), &doc, 2), Ok(()));
        assert_eq!(r.may_write(&b.id(), &doc, 3), Err(WriteRefusal::Revoked));
        assert_eq!(
            r.may_write(&c.id(), &doc, 1),
            Err(WriteRefusal::UnknownSigner)
        );
        // Another replica receiving the same events in another order agrees.
        let mut r2 = Roster::from_genesis(genesis).unwrap();
        r2.add([revoke, admit_b]);
        assert_eq!(r2.members(), Roster { ..r.clone() }.members());
    }

    fn rotation(r: &Roster, agency: AgencyId, new: &AgencyKey) -> RosterAction {
        RosterAction::RotateKey {
            new_key: new.public(),
            cutoffs: [(DocId::catalog(agency), 3)].into(),
            proof: new.sign(
                "rotate",
                &rotation_message(r.network_id(), &agency, &new.public()),
            ),
        }
    }

    #[test]
    fn a_rotated_admin_acts_with_its_new_key_only() {
        let a = AgencyKey::from_secret(&[1; 32]);
        let a2 = AgencyKey::from_secret(&[11; 32]);
        let b = AgencyKey::from_secret(&[2; 32]);
        let c = AgencyKey::from_secret(&[3; 32]);
        let (mut r, genesis) = Roster::create(&a, "test", profile(&a, "A"), hlc(1));
        let action = rotation(&r, a.id(), &a2);
        let rot = r.act(&a, hlc(2), action);
        assert_eq!(r.current_key(&a.id()), a2.public());
        assert_eq!(r.agency_of_key(&a2.public()), Some(a.id()));
        let doc = DocId::catalog(a.id());
        assert_eq!(r.key_for(&a.id(), &doc, 3), a.public());
        assert_eq!(r.key_for(&a.id(), &doc, 4), a2.public());
        // The old key no longer has an admin's power...
        let stale = r.act(
            &a,
            hlc(3),
            RosterAction::Admit {
                profile: profile(&b, "B"),
                role: Role::Member,
                invitation: None,
            },
        );
        assert!(!r.is_active(&b.id()));
        assert!(r.ignored().contains(&stale.id()));
        // ...nor can it rotate again (to a thief's key).
        let thief = rotation(&r, a.id(), &c);
        r.act(&a, hlc(4), thief);
        assert_eq!(r.current_key(&a.id()), a2.public());
        // The new key acts for the agency.
        let admit = r.act(
            &a2.clone().acting_for(a.id()),
            hlc(5),
            RosterAction::Admit {
                profile: profile(&b, "B"),
                role: Role::Member,
                invitation: None,
            },
        );
        assert!(r.is_active(&b.id()));
        // Nobody can rotate to a key another agency uses, nor without proof.
        let mut bad = rotation(&r, b.id(), &a2);
        r.act(&b, hlc(6), bad.clone());
        assert_eq!(r.current_key(&b.id()), b.public());
        if let RosterAction::RotateKey { new_key, .. } = &mut bad {
            *new_key = c.public();
        }
        r.act(&b, hlc(7), bad);
        assert_eq!(r.current_key(&b.id()), b.public(), "proof by another key");
        // Any delivery order resolves the same.
        let mut r2 = Roster::from_genesis(genesis).unwrap();
        r2.add([admit, stale, rot]);
        assert_eq!(r2.current_key(&a.id()), a2.public());
        assert!(r2.is_active(&b.id()));
    }

    #[test]
    fn forged_and_foreign_events_are_refused() {
        let a = AgencyKey::from_secret(&[1; 32]);
        let (mut r, _) = Roster::create(&a, "test", profile(&a, "A"), hlc(1));
        let (mut other, _) = Roster::create(&a, "other", profile(&a, "A"), hlc(1));
        let foreign = other.act(
            &a,
            hlc(2),
            RosterAction::Admit {
                profile: profile(&a, "A"),
                role: Role::Member,
                invitation: None,
            },
        );
        let (_, errs) = r.add([foreign.clone()]);
        assert_eq!(errs, vec![RosterError::OtherNetwork]);
        let mut forged = foreign;
        forged.sig[0] ^= 1;
        let (_, errs) = r.add([forged]);
        assert_eq!(errs.len(), 1);
    }
}
