//! Admission: the check any member makes of a newcomer's invitation and
//! join claim, so an agency can join while the inviting admin is offline.
//!
//! An admin signs an `Invite` naming a fresh one-time key; the newcomer signs
//! a `Join` with that key, binding the invitation to its own agency key. Any
//! member holding the admin's invite checks the pair here and, if it holds,
//! adds both events to its roster (resolution accepts only the first `Join`
//! per invitation).

use super::{Roster, RosterAction, RosterEvent, SignedRosterEvent};
use crate::agency::{AgencyKey, AgencyProfile};
use crate::hlc::Hlc;
use crate::ids::AgencyId;

/// Why an invitation or a join was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    /// Not a token.
    #[error("not a Tongchou invitation token (copy the whole line, from tcinv2.)")]
    Malformed,
    /// A token whose signatures do not verify: altered or damaged.
    #[error("invitation token altered or damaged: its signatures do not verify")]
    Tampered,
    /// A token of the first format, which this version no longer reads.
    #[error("invitation token of an older format (tcinv1); ask the admin for a new one")]
    OldFormat,
    /// Withdrawn by an admin.
    #[error("invitation withdrawn by an admin")]
    Withdrawn,
    /// Only admins invite.
    #[error("only an admin can invite (this agency is not an active admin)")]
    NotAdmin,
    /// Past its expiry.
    #[error("invitation expired")]
    Expired,
    /// Already used by another agency.
    #[error("invitation already used")]
    AlreadyUsed,
    /// Not signed by an admin of this network.
    #[error("invitation not signed by an admin of this network")]
    NotByAdmin,
    /// For another network.
    #[error("invitation is for another network")]
    OtherNetwork,
    /// The join event is not signed by the invitation key or names another agency.
    #[error("join claim does not match the invitation or the connecting agency")]
    BadClaim,
    /// Neither a member nor presenting an admission.
    #[error("not a member of this network, and no invitation presented")]
    NotMember,
}

/// A member's check of a join request from the connecting agency `peer`:
/// the invite is by an admin of this network, unexpired at `now_ms`, unused,
/// not withdrawn,
/// and the claim is signed by the invitation key and names `peer`.
pub fn check_join(
    roster: &Roster,
    invite: &SignedRosterEvent,
    join: &SignedRosterEvent,
    peer: AgencyId,
    now_ms: i64,
) -> Result<(), InviteError> {
    let inv = invite.open().map_err(|_| InviteError::Malformed)?;
    let claim = join.open().map_err(|_| InviteError::BadClaim)?;
    if inv.network != roster.network_id() || claim.network != roster.network_id() {
        return Err(InviteError::OtherNetwork);
    }
    let RosterAction::Invite {
        invitation,
        expires_ms,
        ..
    } = inv.action
    else {
        return Err(InviteError::Malformed);
    };
    let RosterAction::Join {
        invitation: claimed,
        profile,
    } = claim.action
    else {
        return Err(InviteError::BadClaim);
    };
    if claimed != invitation || claim.by != invitation || profile.id != peer {
        return Err(InviteError::BadClaim);
    }
    if now_ms > expires_ms {
        return Err(InviteError::Expired);
    }
    if roster
        .invitations()
        .get(&invitation)
        .is_some_and(|i| i.used_by.is_some_and(|u| u != peer))
    {
        return Err(InviteError::AlreadyUsed);
    }
    // A withdrawn invitation admits nobody new here, whatever clock the
    // claim shows (the newcomer chooses it): only a join already in the
    // roster, ordered before the withdrawal, stands.
    if roster
        .invitations()
        .get(&invitation)
        .is_some_and(|i| i.withdrawn.is_some() && i.used_by != Some(peer))
    {
        return Err(InviteError::Withdrawn);
    }
    let mut trial = roster.clone();
    trial.add([invite.clone(), join.clone()]);
    if trial.is_active(&peer) {
        return Ok(());
    }
    match trial.invitations().get(&invitation) {
        None => return Err(InviteError::NotByAdmin),
        Some(i) if i.withdrawn.is_some() => return Err(InviteError::Withdrawn),
        Some(_) => {}
    }
    Err(InviteError::AlreadyUsed)
}

/// The newcomer's claim: a `Join` event naming `profile`, signed with the
/// invitation's one-time key.
pub fn claim(
    network: &str,
    one_time: &AgencyKey,
    profile: AgencyProfile,
    now: Hlc,
) -> SignedRosterEvent {
    let ev = RosterEvent {
        network: network.to_string(),
        by: one_time.id(),
        signing_key: None,
        hlc: now,
        action: RosterAction::Join {
            invitation: one_time.id(),
            profile,
        },
    };
    SignedRosterEvent::sign(one_time, &ev)
}
