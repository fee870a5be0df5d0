//! The join handshake: a newcomer presents its invitation and join event;
//! any member checks them, records them and answers with the roster.

use super::*;

impl Actor {
    pub(super) fn on_join(&mut self, e: request_response::Event<JoinRequest, JoinResponse>) {
        match e {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.join_request(peer, request, channel),
            request_response::Event::Message {
                peer,
                message: request_response::Message::Response { response, .. },
                ..
            } => self.join_answer(peer, response),
            _ => {}
        }
    }

    /// A peer presents what makes it a member (an invitation and its
    /// claim, or the rotations of its key): any member checks, records and
    /// answers with the roster; a stranger is refused.
    fn join_request(
        &mut self,
        peer: PeerId,
        request: JoinRequest,
        channel: request_response::ResponseChannel<JoinResponse>,
    ) {
        let Some(mut agency) = self.agency_of_peer(&peer) else {
            return;
        };
        // A member that rotated its key proves it with the rotation
        // events (signed by its earlier keys, checked by the roster).
        if !self.engine.ledger().roster().is_active(&agency) && !request.rotations.is_empty() {
            let out = self
                .engine
                .add_roster_events(Timestamp::now(), request.rotations);
            self.apply(out);
            if let Some(a) = self.agency_of_peer(&peer) {
                agency = a;
            }
            if self.engine.ledger().roster().is_active(&agency) {
                info!(peer = %agency.short(), "member reconnected with its rotated key");
            }
        }
        let roster = self.engine.ledger().roster();
        let checked = match &request.admission {
            _ if roster.is_active(&agency) => Ok(()),
            Some((invite, join)) => bootstrap::invite::check_join(
                roster,
                invite,
                join,
                agency,
                Timestamp::now().as_millisecond(),
            ),
            None => Err(bootstrap::invite::InviteError::NotMember),
        };
        let resp = match checked {
            Ok(()) => {
                if !roster.is_active(&agency)
                    && let Some((invite, join)) = request.admission
                {
                    info!(peer = %agency.short(), "admitting a new member by invitation");
                    let out = self
                        .engine
                        .add_roster_events(Timestamp::now(), vec![invite, join]);
                    self.apply(out);
                }
                let all = self
                    .engine
                    .ledger()
                    .roster()
                    .events()
                    .map(|(_, e)| e.clone())
                    .collect();
                JoinResponse {
                    error: None,
                    roster: all,
                }
            }
            Err(e) => {
                warn!(peer = %agency.short(), error = %e, "join refused");
                JoinResponse {
                    error: Some(e.to_string()),
                    roster: Vec::new(),
                }
            }
        };
        let ok = resp.error.is_none();
        let _ = self.swarm.behaviour_mut().join.send_response(channel, resp);
        if ok && self.engine.ledger().roster().is_active(&agency) {
            self.admit(peer, agency);
        }
    }

    /// The answer to our own join request: the roster, or why not.
    fn join_answer(&mut self, peer: PeerId, response: JoinResponse) {
        match response.error {
            Some(err) => {
                if self.join.is_none() || self.join == Some(Err(err.clone())) {
                    self.join = Some(Err(err));
                }
            }
            None => {
                let out = self
                    .engine
                    .add_roster_events(Timestamp::now(), response.roster);
                self.apply(out);
                self.join = Some(Ok(()));
                if let Some(agency) = self.agency_of_peer(&peer)
                    && self.engine.ledger().roster().is_active(&agency)
                {
                    self.admit(peer, agency);
                }
            }
        }
    }
}
