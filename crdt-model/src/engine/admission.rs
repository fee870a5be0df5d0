//! Admission: the handshake by which a peer the other side may not know
//! yet (a newcomer with an invitation, or a member that rotated its key)
//! presents what makes it a member, and the member's answer. Any member
//! can answer, so an agency joins while the inviting admin is offline.

use serde::{Deserialize, Serialize};

use super::*;
use crate::membership::admission::{InviteError, check_join};

/// What a connecting agency presents: a joining agency its admission, an
/// agency that rotated its key the roster events of its rotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The admin-signed invite and the claim signed by the invitation key.
    #[serde(default)]
    pub admission: Option<(SignedRosterEvent, SignedRosterEvent)>,
    /// Roster events of this agency's key rotations.
    #[serde(default)]
    pub rotations: Vec<SignedRosterEvent>,
}

/// The member's answer: the whole roster when admitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinResponse {
    /// Refusal reason, if refused.
    pub error: Option<String>,
    /// All roster events (when admitted).
    pub roster: Vec<SignedRosterEvent>,
}

/// What answering a join request produced.
#[derive(Debug)]
pub struct JoinOutcome {
    /// The answer to send back.
    pub response: JoinResponse,
    /// The agency the peer now is an active member as, if it is one: the
    /// driver opens the sync session with it.
    pub admitted: Option<AgencyId>,
    /// Outputs of the roster change, as for [`Engine::handle`].
    pub outputs: Vec<Output>,
}

impl Engine {
    /// The request this node sends to every peer on connecting: what it
    /// presents to a peer that may not know its key yet (`admission`, the
    /// invite and claim the driver holds until the node is a member, and
    /// the roster events of this agency's own key rotations), and in any
    /// case who it is, so that a member that knows this agency was revoked
    /// tells it so.
    pub fn join_request(
        &self,
        admission: Option<(SignedRosterEvent, SignedRosterEvent)>,
    ) -> JoinRequest {
        let roster = self.ledger.roster();
        let rotations: Vec<SignedRosterEvent> = if roster.current_key(&self.me) != self.me {
            roster
                .events()
                .filter(|(_, e)| {
                    e.open().is_ok_and(|ev| {
                        ev.by == self.me && matches!(ev.action, RosterAction::RotateKey { .. })
                    })
                })
                .map(|(_, e)| e.clone())
                .collect()
        } else {
            Vec::new()
        };
        JoinRequest {
            admission,
            rotations,
        }
    }

    /// Why this agency may no longer write, if it was revoked (as this
    /// replica's roster says).
    pub fn revoked(&self) -> Option<String> {
        let roster = self.ledger.roster();
        let (by, reason) = roster.member(&self.me)?.revocation()?;
        let name = roster
            .member(by)
            .map(|m| m.profile.name.zh.clone())
            .unwrap_or_else(|| by.short());
        Some(format!(
            "this agency was revoked from the network by {name}: {reason}"
        ))
    }

    /// The agency a transport key speaks for (itself unless it is a
    /// rotated key of a member).
    pub fn agency_of_key(&self, key: &AgencyId) -> AgencyId {
        self.ledger.roster().agency_of_key(key).unwrap_or(*key)
    }

    /// A peer authenticated by the transport as `key` presents `request`:
    /// its rotations are applied, its invitation checked against this
    /// replica's roster, and on success the invite and claim are recorded
    /// and the whole roster is sent back; a member that only says who it is
    /// gets an empty answer (its sync session carries the roster); a
    /// revoked agency is refused with the roster that revoked it; a
    /// stranger is refused.
    pub fn on_join_request(
        &mut self,
        now: Timestamp,
        key: AgencyId,
        request: JoinRequest,
    ) -> JoinOutcome {
        let mut outputs = Vec::new();
        let presented = request.admission.is_some() || !request.rotations.is_empty();
        if !self.ledger.roster().is_active(&self.agency_of_key(&key))
            && !request.rotations.is_empty()
        {
            outputs.extend(self.add_roster_events(now, request.rotations));
        }
        let agency = self.agency_of_key(&key);
        let roster = self.ledger.roster();
        let everything = || roster.events().map(|(_, e)| e.clone()).collect();
        let revoked = roster
            .member(&agency)
            .and_then(|m| m.revocation())
            .map(|(_, reason)| reason.to_string());
        let response = if let Some(reason) = revoked {
            JoinResponse {
                error: Some(format!("revoked: {reason}")),
                roster: everything(),
            }
        } else if roster.is_active(&agency) {
            JoinResponse {
                error: None,
                roster: if presented { everything() } else { Vec::new() },
            }
        } else {
            let checked = match request.admission {
                Some((invite, join)) => {
                    check_join(roster, &invite, &join, agency, now.as_millisecond())
                        .map(|()| vec![invite, join])
                }
                None => Err(InviteError::NotMember),
            };
            match checked {
                Ok(events) => {
                    outputs.extend(self.add_roster_events(now, events));
                    JoinResponse {
                        error: None,
                        roster: self
                            .ledger
                            .roster()
                            .events()
                            .map(|(_, e)| e.clone())
                            .collect(),
                    }
                }
                Err(e) => JoinResponse {
                    error: Some(e.to_string()),
                    roster: Vec::new(),
                },
            }
        };
        let admitted =
            (response.error.is_none() && self.ledger.roster().is_active(&agency)).then_some(agency);
        JoinOutcome {
            response,
            admitted,
            outputs,
        }
    }

    /// The answer to this node's own join request: the roster it carries is
    /// added (the outputs; events are checked like any roster event), and a
    /// refusal's reason is returned. A revoked agency learns its
    /// revocation this way, from the roster sent with the refusal.
    pub fn on_join_response(
        &mut self,
        now: Timestamp,
        response: JoinResponse,
    ) -> (Vec<Output>, Result<(), String>) {
        let outputs = if response.roster.is_empty() {
            Vec::new()
        } else {
            self.add_roster_events(now, response.roster)
        };
        (outputs, response.error.map_or(Ok(()), Err))
    }
}
