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
    /// claim, or the rotations of its key): the engine checks and records
    /// it and answers with the roster; a stranger is refused.
    fn join_request(
        &mut self,
        peer: PeerId,
        request: JoinRequest,
        channel: request_response::ResponseChannel<JoinResponse>,
    ) {
        let Some(key) = net::key_of(&peer) else {
            return;
        };
        let was_active = self
            .engine
            .ledger()
            .roster()
            .is_active(&self.engine.agency_of_key(&key));
        let outcome = self.engine.on_join_request(Timestamp::now(), key, request);
        self.apply(outcome.outputs);
        match (&outcome.response.error, outcome.admitted) {
            (Some(e), _) => warn!(peer = %key.short(), error = %e, "join refused"),
            (None, Some(a)) if !was_active => {
                info!(peer = %a.short(), "admitted a new member, or a member with its rotated key")
            }
            _ => {}
        }
        let _ = self
            .swarm
            .behaviour_mut()
            .join
            .send_response(channel, outcome.response);
        if let Some(agency) = outcome.admitted {
            self.admit(peer, agency);
        }
    }

    /// The answer to our own join request: the roster, or why not (with
    /// the roster that says so, for a revoked agency).
    fn join_answer(&mut self, peer: PeerId, response: JoinResponse) {
        let (out, result) = self.engine.on_join_response(Timestamp::now(), response);
        self.apply(out);
        match result {
            Err(err) => {
                if let Some(why) = self.engine.revoked() {
                    warn!(reason = %why, "a member says this agency was revoked: local writes are refused");
                }
                if self.join.is_none() || self.join == Some(Err(err.clone())) {
                    self.join = Some(Err(err));
                }
            }
            Ok(()) => {
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
