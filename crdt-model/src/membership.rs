//! The member roster: a grow-only set of admin-signed events from genesis,
//! resolved deterministically into who is a member, who is an admin, and
//! what a revoked agency's earlier, still-valid history is.
//!
//! Events are applied in `(hlc, event id)` order. An event counts only if its
//! signer is an active admin at that point of the order, so every node that
//! holds the same events computes the same roster, offline.

pub mod admission;
mod roster;

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
        #[serde(with = "crate::bytes")]
        proof: [u8; 64],
    },
    /// Withdraws an unused invitation (signed by an active admin): a join
    /// with it ordered after the withdrawal does not count. A join ordered
    /// before it (an earlier HLC) stands; a withdrawal of an invitation
    /// already used, or ordered before the invite, does nothing.
    WithdrawInvite {
        /// The invitation withdrawn.
        invitation: AgencyId,
        /// Why.
        #[serde(default)]
        reason: String,
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
    #[serde(with = "crate::bytes")]
    pub body: Vec<u8>,
    /// Signature by `body.by`.
    #[serde(with = "crate::bytes")]
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

impl Member {
    /// A member just admitted by `by` at `hlc`, active, with its first key.
    fn admitted(profile: AgencyProfile, role: Role, by: AgencyId, hlc: Hlc) -> Self {
        Self {
            profile,
            role,
            admitted_by: by,
            admitted_at: hlc,
            status: MemberStatus::Active,
            rotations: Vec::new(),
        }
    }
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
    /// If revoked: by which admin, and why.
    pub fn revocation(&self) -> Option<(&AgencyId, &str)> {
        match &self.status {
            MemberStatus::Revoked { by, reason, .. } => Some((by, reason)),
            MemberStatus::Active => None,
        }
    }

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
    /// When the invite was signed.
    #[serde(default)]
    pub issued: Hlc,
    /// Withdrawn by an admin before any use, if it was.
    #[serde(default)]
    pub withdrawn: Option<Withdrawal>,
}

/// An invitation's withdrawal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// By which admin.
    pub by: AgencyId,
    /// When.
    pub hlc: Hlc,
    /// Why.
    pub reason: String,
}

#[cfg(test)]
mod tests;
