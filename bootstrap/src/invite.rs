//! Invitations: one line of text that lets one new agency join once, before
//! it expires, verified by any member without the inviting admin online.
//!
//! The token carries the network's genesis, the events that made the
//! inviting admin an admin, the admin-signed `Invite` event naming a fresh
//! one-time public key, and that key's secret. Joining signs a `Join` event
//! with the one-time secret, binding the invitation to the new agency's own
//! key. Roster resolution accepts only the first `Join` per invitation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crdt_model::agency::{AgencyKey, AgencyProfile};
use crdt_model::hlc::Hlc;
use crdt_model::ids::AgencyId;
use crdt_model::membership::{Role, Roster, RosterAction, RosterEvent, SignedRosterEvent};
use serde::{Deserialize, Serialize};

pub use crdt_model::membership::admission::{InviteError, check_join};

const TOKEN_PREFIX: &str = "tcinv1.";

/// What an admin grants with an invitation.
#[derive(Debug, Clone)]
pub struct Terms {
    /// Intended agency name.
    pub name: String,
    /// Role granted.
    pub role: Role,
    /// Expiry, ms since the epoch.
    pub expires_ms: i64,
    /// Addresses to contact, put in the token.
    pub bootstrap: Vec<String>,
}

/// A decoded invitation token. Holds a secret: never log it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Invitation {
    /// Network id.
    pub network: String,
    /// Roster events needed to verify the invite (genesis first).
    pub roster: Vec<SignedRosterEvent>,
    /// The admin-signed invite event.
    pub invite: SignedRosterEvent,
    /// The one-time secret.
    secret: [u8; 32],
    /// Addresses of member or bootstrap nodes to contact.
    pub bootstrap: Vec<String>,
}

impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("network", &self.network)
            .field("bootstrap", &self.bootstrap)
            .finish_non_exhaustive()
    }
}

impl Invitation {
    /// Issues an invitation by `admin`, valid until `expires_ms`. `secret`
    /// must come from a CSPRNG. Returns the invitation and the invite event
    /// to add to the admin's own roster.
    pub fn issue(
        roster: &Roster,
        admin: &AgencyKey,
        terms: Terms,
        now: Hlc,
        secret: [u8; 32],
    ) -> Result<Self, InviteError> {
        let Terms {
            name,
            role,
            expires_ms,
            bootstrap,
        } = terms;
        if !roster.is_admin(&admin.id()) {
            return Err(InviteError::NotAdmin);
        }
        let one_time = AgencyKey::from_secret(&secret);
        let ev = RosterEvent {
            network: roster.network_id().to_string(),
            by: admin.id(),
            signing_key: None,
            hlc: now,
            action: RosterAction::Invite {
                invitation: one_time.id(),
                name: name.to_string(),
                role,
                expires_ms,
            },
        };
        let invite = SignedRosterEvent::sign(admin, &ev);
        Ok(Self {
            network: roster.network_id().to_string(),
            roster: admin_chain(roster, admin.id()),
            invite,
            secret,
            bootstrap,
        })
    }

    /// The one-line token.
    pub fn to_token(&self) -> String {
        let json = serde_json::to_vec(self).expect("invitations always serialise");
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    /// Decodes a token (whitespace around it is ignored).
    pub fn from_token(token: &str) -> Result<Self, InviteError> {
        let body = token
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(InviteError::Malformed)?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| InviteError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| InviteError::Malformed)
    }

    /// The invitation's public key.
    pub fn invitation_id(&self) -> AgencyId {
        AgencyKey::from_secret(&self.secret).id()
    }

    /// Expiry and role, read from the invite event.
    pub fn terms(&self) -> Result<(Role, i64), InviteError> {
        match self
            .invite
            .open()
            .map_err(|_| InviteError::Malformed)?
            .action
        {
            RosterAction::Invite {
                role, expires_ms, ..
            } => Ok((role, expires_ms)),
            _ => Err(InviteError::Malformed),
        }
    }

    /// The roster as the token shows it (genesis, admin chain, invite).
    pub fn roster(&self) -> Result<Roster, InviteError> {
        let mut r =
            crate::genesis::roster_from_events(&self.roster).ok_or(InviteError::Malformed)?;
        if r.network_id() != self.network {
            return Err(InviteError::OtherNetwork);
        }
        r.add([self.invite.clone()]);
        Ok(r)
    }

    /// Claims the invitation for the agency `key` with `profile`: the signed
    /// join event every member will check.
    pub fn claim(&self, profile: AgencyProfile, now: Hlc) -> SignedRosterEvent {
        let one_time = AgencyKey::from_secret(&self.secret);
        crdt_model::membership::admission::claim(&self.network, &one_time, profile, now)
    }
}

/// The events that made `admin` an admin, with the genesis first, so a
/// newcomer can verify an invite with nothing but the token.
fn admin_chain(roster: &Roster, admin: AgencyId) -> Vec<SignedRosterEvent> {
    let mut out = Vec::new();
    let mut want = vec![admin];
    let events: Vec<(RosterEvent, SignedRosterEvent)> = roster
        .events()
        .filter_map(|(_, e)| e.open().ok().map(|ev| (ev, e.clone())))
        .collect();
    while let Some(a) = want.pop() {
        for (ev, signed) in &events {
            let admits = match &ev.action {
                RosterAction::Genesis { .. } => true,
                RosterAction::Admit { profile, .. } => profile.id == a,
                RosterAction::Join { profile, .. } => profile.id == a,
                RosterAction::Invite { .. } => events.iter().any(|(j, _)| matches!(&j.action, RosterAction::Join { invitation, profile } if profile.id == a && matches!(&ev.action, RosterAction::Invite { invitation: i, .. } if i == invitation))),
                // The admin's key rotations: an invite signed by a later
                // key verifies only with them.
                RosterAction::RotateKey { .. } => ev.by == a,
                RosterAction::Revoke { .. } => false,
            };
            if admits && !out.contains(signed) {
                out.push(signed.clone());
                if ev.by != a {
                    want.push(ev.by);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::agency::Text;

    fn key(i: u8) -> AgencyKey {
        AgencyKey::from_secret(&[i; 32])
    }

    fn terms(name: &str, role: Role) -> Terms {
        Terms {
            name: name.into(),
            role,
            expires_ms: 10_000,
            bootstrap: vec![],
        }
    }

    fn profile(k: &AgencyKey) -> AgencyProfile {
        AgencyProfile {
            id: k.id(),
            name: Text::new("单位", "Agency"),
            city: Text::new("杭州", "Hangzhou"),
        }
    }

    #[test]
    fn invite_claim_verify_and_refuse_reuse_expiry_and_forgery() {
        let admin = key(1);
        let (mut roster, _) = crate::genesis::create_network(&admin, "net", profile(&admin), 1_000);
        let inv = Invitation::issue(
            &roster,
            &admin,
            terms("B", Role::Member),
            Hlc {
                wall_ms: 2_000,
                counter: 0,
            },
            [9; 32],
        )
        .unwrap();
        roster.add([inv.invite.clone()]);
        let token = inv.to_token();
        assert!(!token.contains(' ') && token.starts_with(TOKEN_PREFIX));
        let decoded = Invitation::from_token(&token).unwrap();
        assert!(decoded.roster().is_ok());
        let b = key(2);
        let join = decoded.claim(
            profile(&b),
            Hlc {
                wall_ms: 3_000,
                counter: 0,
            },
        );
        // Another member (without the admin) verifies the claim.
        assert_eq!(
            check_join(&roster, &decoded.invite, &join, b.id(), 3_000),
            Ok(())
        );
        assert_eq!(
            check_join(&roster, &decoded.invite, &join, key(5).id(), 3_000),
            Err(InviteError::BadClaim)
        );
        assert_eq!(
            check_join(&roster, &decoded.invite, &join, b.id(), 20_000),
            Err(InviteError::Expired)
        );
        roster.add([join]);
        assert!(roster.is_active(&b.id()));
        // The same token used by a second agency.
        let c = key(3);
        let join2 = decoded.claim(
            profile(&c),
            Hlc {
                wall_ms: 4_000,
                counter: 0,
            },
        );
        assert_eq!(
            check_join(&roster, &decoded.invite, &join2, c.id(), 4_000),
            Err(InviteError::AlreadyUsed)
        );
        // An "invite" signed by a plain member.
        let forged = Invitation::issue(
            &roster,
            &b,
            terms("C", Role::Admin),
            Hlc::default(),
            [7; 32],
        );
        assert_eq!(forged.unwrap_err(), InviteError::NotAdmin);
        assert_eq!(
            Invitation::from_token("tcinv1.xyz").unwrap_err(),
            InviteError::Malformed
        );
    }
}
