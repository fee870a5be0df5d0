//! Invitations: one line of text that lets one new agency join once, before
//! it expires, verified by any member without the inviting admin online.
//!
//! The token carries the network's genesis, the events that made the
//! inviting admin an admin, the admin-signed `Invite` event naming a fresh
//! one-time public key, and that key's secret. Joining signs a `Join` event
//! with the one-time secret, binding the invitation to the new agency's own
//! key. Roster resolution accepts only the first `Join` per invitation, and
//! none after the admin withdrew the invitation.
//!
//! The token's text is [`token`]'s compact binary format (`tcinv2.`).

mod token;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crdt_model::agency::{AgencyKey, AgencyProfile};
use crdt_model::hlc::Hlc;
use crdt_model::ids::AgencyId;
use crdt_model::membership::{Role, Roster, RosterAction, RosterEvent, SignedRosterEvent};

pub use crdt_model::membership::admission::{InviteError, check_join};

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
#[derive(Clone)]
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

    /// The one-line token (see [`token`] for its format).
    pub fn to_token(&self) -> String {
        format!(
            "{}{}",
            token::PREFIX,
            URL_SAFE_NO_PAD.encode(token::encode(self))
        )
    }

    /// Decodes a token (whitespace around it, and line breaks a mail or
    /// chat client put in it, are ignored) and checks it with nothing but
    /// itself: every signature, the invite signed by an admin of the
    /// network the token shows, the secret matching the invite. An altered
    /// token is refused ([`InviteError::Tampered`]), as is one of the first
    /// format ([`InviteError::OldFormat`]).
    pub fn from_token(text: &str) -> Result<Self, InviteError> {
        let text: String = text.split_whitespace().collect();
        if text.starts_with(token::OLD_PREFIX) {
            return Err(InviteError::OldFormat);
        }
        let body = text
            .strip_prefix(token::PREFIX)
            .ok_or(InviteError::Malformed)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| InviteError::Malformed)?;
        let inv = token::decode(&bytes)?;
        inv.verify()?;
        Ok(inv)
    }

    /// The checks of [`Invitation::from_token`] once decoded.
    fn verify(&self) -> Result<(), InviteError> {
        for e in self.roster.iter().chain([&self.invite]) {
            e.open().map_err(|_| InviteError::Tampered)?;
        }
        let ev = self.invite.open().map_err(|_| InviteError::Tampered)?;
        let RosterAction::Invite { invitation, .. } = ev.action else {
            return Err(InviteError::Malformed);
        };
        if invitation != self.invitation_id() {
            return Err(InviteError::Tampered);
        }
        let roster = self.roster()?;
        if roster
            .invitations()
            .get(&invitation)
            .is_none_or(|i| i.by != ev.by)
        {
            return Err(InviteError::NotByAdmin);
        }
        Ok(())
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
                RosterAction::Revoke { .. } | RosterAction::WithdrawInvite { .. } => false,
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
        assert!(!token.contains(' ') && token.starts_with(token::PREFIX));
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
            InviteError::OldFormat
        );
        assert_eq!(
            Invitation::from_token("tcinv2.xyz").unwrap_err(),
            InviteError::Malformed
        );
    }

    /// A network as an operator creates one: Chinese names, an English
    /// name, a real-looking bootstrap address, dates from now.
    fn realistic() -> (Roster, AgencyKey, Invitation) {
        let admin = AgencyKey::from_secret(&[41; 32]);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let founder = AgencyProfile {
            id: admin.id(),
            name: Text::new(
                "浙江省机关事务管理局",
                "Zhejiang Provincial Government Offices Administration",
            ),
            city: Text::new("杭州", "Hangzhou"),
        };
        let (roster, _) =
            crate::genesis::create_network(&admin, "长三角政务资源共享网", founder, now);
        let peer = libp2p::identity::Keypair::ed25519_from_bytes([7; 32])
            .expect("key")
            .public()
            .to_peer_id();
        let inv = Invitation::issue(
            &roster,
            &admin,
            Terms {
                name: "杭州市机关事务管理局".into(),
                role: Role::Member,
                expires_ms: now + 7 * 24 * 3_600_000,
                bootstrap: vec![format!("/ip4/203.0.113.10/tcp/4001/p2p/{peer}")],
            },
            Hlc {
                wall_ms: now + 5,
                counter: 3,
            },
            [42; 32],
        )
        .expect("admin invites");
        (roster, admin, inv)
    }

    #[test]
    fn a_realistic_token_is_under_600_characters_and_decodes_to_the_same() {
        let (_, _, inv) = realistic();
        let token = inv.to_token();
        println!("token: {} characters", token.len());
        assert!(token.len() < 600, "{} characters: {token}", token.len());
        let back = Invitation::from_token(&token).expect("decodes");
        assert_eq!(back.roster, inv.roster);
        assert_eq!(back.invite, inv.invite);
        assert_eq!(back.bootstrap, inv.bootstrap);
        assert_eq!(back.network, inv.network);
        assert_eq!(back.invitation_id(), inv.invitation_id());
        // Line breaks a mail client puts in a long line are ignored.
        let (head, tail) = token.split_at(100);
        assert!(Invitation::from_token(&format!("  {head}\n{tail}\n")).is_ok());
    }

    #[test]
    fn a_tampered_token_is_refused_never_a_panic() {
        let (_, _, inv) = realistic();
        let bytes = token::encode(&inv);
        let secret_len = 32;
        // The bootstrap addresses, last, are hints that are not signed
        // (whoever answers there must still prove a member's key).
        let signed_len = token::encode(&Invitation {
            bootstrap: vec![],
            ..inv.clone()
        })
        .len()
            - 1;
        let mut refused_as_tampered = 0;
        for i in 0..signed_len {
            let mut altered = bytes.clone();
            altered[i] ^= 0x01;
            let text = format!("{}{}", token::PREFIX, URL_SAFE_NO_PAD.encode(&altered));
            match Invitation::from_token(&text) {
                Ok(_) => panic!("byte {i} altered, token accepted"),
                Err(InviteError::Tampered) => refused_as_tampered += 1,
                Err(_) => {}
            }
        }
        // Changing any field that is signed fails a signature.
        assert!(
            refused_as_tampered > signed_len / 2,
            "{refused_as_tampered}"
        );
        // Truncated anywhere, or with bytes added.
        for n in 0..bytes.len() {
            let text = format!("{}{}", token::PREFIX, URL_SAFE_NO_PAD.encode(&bytes[..n]));
            assert!(Invitation::from_token(&text).is_err(), "cut at {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        let text = format!("{}{}", token::PREFIX, URL_SAFE_NO_PAD.encode(&longer));
        assert_eq!(
            Invitation::from_token(&text).unwrap_err(),
            InviteError::Malformed
        );
        // Another secret with the same invite: not the invitation's key.
        let mut other = bytes;
        other[..secret_len].copy_from_slice(&[1; 32]);
        let text = format!("{}{}", token::PREFIX, URL_SAFE_NO_PAD.encode(&other));
        assert_eq!(
            Invitation::from_token(&text).unwrap_err(),
            InviteError::Tampered
        );
    }

    #[test]
    fn an_invite_by_a_founder_whose_key_was_rotated_decodes() {
        let (mut roster, founder, _) = realistic();
        let new = AgencyKey::from_secret(&[45; 32]).acting_for(founder.id());
        let proof = new.sign(
            "rotate",
            &crdt_model::membership::rotation_message(
                roster.network_id(),
                &founder.id(),
                &new.public(),
            ),
        );
        let at = roster
            .member(&founder.id())
            .map_or(0, |m| m.admitted_at.wall_ms);
        roster.act(
            &founder,
            Hlc {
                wall_ms: at + 1,
                counter: 0,
            },
            RosterAction::RotateKey {
                new_key: new.public(),
                cutoffs: Default::default(),
                proof,
            },
        );
        assert_eq!(roster.current_key(&founder.id()), new.public());
        let inv = Invitation::issue(
            &roster,
            &new,
            terms("C", Role::Member),
            Hlc {
                wall_ms: at + 2,
                counter: 0,
            },
            [46; 32],
        )
        .expect("the founder invites with its new key");
        assert_eq!(inv.roster.len(), 2, "the genesis and the rotation");
        let token = inv.to_token();
        let back = Invitation::from_token(&token).expect("decodes");
        assert_eq!(back.invite, inv.invite);
        assert!(back.roster().is_ok());
    }

    #[test]
    fn an_invite_from_an_admin_who_joined_by_invitation_decodes() {
        let (mut roster, founder, _) = realistic();
        let one_time = [43; 32];
        let second = key(5);
        let first = Invitation::issue(
            &roster,
            &founder,
            Terms {
                name: "宁波市机关事务管理局".into(),
                role: Role::Admin,
                expires_ms: i64::MAX,
                bootstrap: vec!["not a multiaddr".into()],
            },
            Hlc {
                wall_ms: i64::MAX / 2,
                counter: 0,
            },
            one_time,
        )
        .expect("invite");
        roster.add([first.invite.clone()]);
        roster.add([first.claim(
            profile(&second),
            Hlc {
                wall_ms: i64::MAX / 2 + 1,
                counter: 0,
            },
        )]);
        assert!(roster.is_admin(&second.id()));
        let inv = Invitation::issue(
            &roster,
            &second,
            terms("C", Role::Member),
            Hlc {
                wall_ms: i64::MAX / 2 + 2,
                counter: 0,
            },
            [44; 32],
        )
        .expect("second admin invites");
        let back = Invitation::from_token(&inv.to_token()).expect("decodes");
        assert_eq!(back.roster.len(), 3);
        assert_eq!(back.invite, inv.invite);
        // Whatever order the chain is in, the genesis is written first.
        let mut reordered = inv.clone();
        reordered.roster.reverse();
        let back = Invitation::from_token(&reordered.to_token()).expect("decodes");
        assert_eq!(back.network, inv.network);
        assert_eq!(back.invite, inv.invite);
        assert_eq!(
            Invitation::from_token(&first.to_token())
                .expect("decodes")
                .bootstrap,
            ["not a multiaddr"]
        );
    }
}
