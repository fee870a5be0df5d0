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
    /// The request this node sends to a peer on connecting, if it has
    /// anything to present: `admission` (the invite and its claim, held by
    /// the driver until the node is a member) and the roster events of this
    /// agency's own key rotations.
    pub fn join_request(
        &self,
        admission: Option<(SignedRosterEvent, SignedRosterEvent)>,
    ) -> Option<JoinRequest> {
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
        (admission.is_some() || !rotations.is_empty()).then_some(JoinRequest {
            admission,
            rotations,
        })
    }

    /// The agency a transport key speaks for (itself unless it is a
    /// rotated key of a member).
    pub fn agency_of_key(&self, key: &AgencyId) -> AgencyId {
        self.ledger.roster().agency_of_key(key).unwrap_or(*key)
    }

    /// A peer authenticated by the transport as `key` presents `request`:
    /// its rotations are applied, its invitation checked against this
    /// replica's roster, and on success the invite and claim are recorded
    /// and the whole roster is sent back; a stranger is refused.
    pub fn on_join_request(
        &mut self,
        now: Timestamp,
        key: AgencyId,
        request: JoinRequest,
    ) -> JoinOutcome {
        let mut outputs = Vec::new();
        if !self.ledger.roster().is_active(&self.agency_of_key(&key))
            && !request.rotations.is_empty()
        {
            outputs.extend(self.add_roster_events(now, request.rotations));
        }
        let agency = self.agency_of_key(&key);
        let roster = self.ledger.roster();
        let checked = match request.admission {
            _ if roster.is_active(&agency) => Ok(None),
            Some((invite, join)) => {
                check_join(roster, &invite, &join, agency, now.as_millisecond())
                    .map(|()| Some(vec![invite, join]))
            }
            None => Err(InviteError::NotMember),
        };
        let response = match checked {
            Ok(events) => {
                if let Some(events) = events {
                    outputs.extend(self.add_roster_events(now, events));
                }
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
        };
        let admitted =
            (response.error.is_none() && self.ledger.roster().is_active(&agency)).then_some(agency);
        JoinOutcome {
            response,
            admitted,
            outputs,
        }
    }

    /// The answer to this node's own join request: the roster is added (the
    /// outputs), or the refusal reason is returned.
    pub fn on_join_response(
        &mut self,
        now: Timestamp,
        response: JoinResponse,
    ) -> Result<Vec<Output>, String> {
        match response.error {
            Some(err) => Err(err),
            None => Ok(self.add_roster_events(now, response.roster)),
        }
    }
}
