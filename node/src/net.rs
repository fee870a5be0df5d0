//! libp2p wiring: the network behaviour (sync and join request-response
//! protocols, gossipsub topics for live changes, identify, ping, optional
//! mDNS, rendezvous client), the swarm builder, and the
//! mapping between libp2p peer ids and agency ids (the same ed25519 key).

use std::time::Duration;

use crdt_model::agency::AgencyKey;
use crdt_model::engine::Message;
use crdt_model::ids::AgencyId;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    PeerId, StreamProtocol, Swarm, allow_block_list, connection_limits, gossipsub, identify,
    identity, mdns, noise, ping, relay, rendezvous, tcp, yamux,
};
use serde::{Deserialize, Serialize};

/// Largest sync message accepted, bytes.
pub const MAX_MESSAGE: u64 = 4 * 1024 * 1024;

/// Acknowledgement of a sync message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ack;

pub use crdt_model::engine::{JoinRequest, JoinResponse};

/// The node's network behaviour.
#[allow(missing_debug_implementations)]
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Signed-change sync (engine messages).
    pub sync: request_response::cbor::Behaviour<Message, Ack>,
    /// Admission handshake for agencies joining with a token.
    pub join: request_response::cbor::Behaviour<JoinRequest, JoinResponse>,
    /// Live changes on topics, one per owner (`crdt_model::engine::Topic`),
    /// passed on only once the engine has verified them.
    pub gossip: gossipsub::Behaviour<gossipsub::IdentityTransform, TopicFilter>,
    /// Address exchange.
    pub identify: identify::Behaviour,
    /// Liveness.
    pub ping: ping::Behaviour,
    /// LAN discovery.
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    /// Reaching and being reached through a bootstrap peer's relay
    /// (members behind NAT).
    pub relay: relay::client::Behaviour,
    /// Discovery of members in other cities through bootstrap peers.
    pub rendezvous: rendezvous::client::Behaviour,
    /// Bounds on connections: handshakes under way and established
    /// inbound connections, and per peer, so idle or rogue connections
    /// cannot exhaust the node's file descriptors.
    pub limits: connection_limits::Behaviour,
    /// Members this node's operator blocks: no connection either way.
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
}

/// Inbound connections beyond the members' share: room for peers being
/// vetted (a newcomer presenting its admission, a stranger cut within
/// 2 seconds).
pub const VETTING: usize = 16;

/// The connection limits of a node holding at most `max` connections to
/// members: at most 128 inbound handshakes under way, the inbound share of
/// `max` (`crdt_model::peers::Limits::inbound`) plus [`VETTING`]
/// established inbound (members beyond the share are closed by the node
/// itself; its own dials keep to the other share), and 4 per peer.
pub fn limits(max: usize) -> connection_limits::Behaviour {
    let inbound = crdt_model::peers::Limits::inbound(max) + VETTING;
    connection_limits::Behaviour::new(
        connection_limits::ConnectionLimits::default()
            .with_max_pending_incoming(Some(128))
            .with_max_established_incoming(Some(u32::try_from(inbound).unwrap_or(u32::MAX)))
            .with_max_established_per_peer(Some(4)),
    )
}

/// Most topics a peer may subscribe to: a node following everything
/// subscribes to every member's (a province has about 30,000 members).
pub const MAX_PEER_TOPICS: usize = 40_000;

/// The topics gossipsub takes subscriptions to: only Tongchou's, at most
/// [`MAX_PEER_TOPICS`] a peer (the default filter took 100, fewer than a
/// node following everything subscribes to in a network of 100 members).
pub type TopicFilter = gossipsub::MaxCountSubscriptionFilter<Ours>;

/// Tongchou's topics (`/tongchou/…`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Ours;

impl gossipsub::TopicSubscriptionFilter for Ours {
    fn can_subscribe(&mut self, topic: &gossipsub::TopicHash) -> bool {
        topic.as_str().starts_with("/tongchou/")
    }
}

/// The gossipsub behaviour: messages carry no signature of their own
/// (every change in them is signed) and are known by the SHA-256 of their
/// content, so a change published twice is one message; a message is
/// passed on only once the engine has verified it (`validate_messages`);
/// as large as a sync message.
pub fn gossip() -> anyhow::Result<gossipsub::Behaviour<gossipsub::IdentityTransform, TopicFilter>> {
    use sha2::Digest;
    let cfg = gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|m: &gossipsub::Message| {
            gossipsub::MessageId::from(sha2::Sha256::digest(&m.data).to_vec())
        })
        .max_transmit_size(usize::try_from(MAX_MESSAGE).unwrap_or(usize::MAX))
        .build()
        .map_err(|e| anyhow::anyhow!("gossipsub configuration: {e}"))?;
    let filter = gossipsub::MaxCountSubscriptionFilter {
        filter: Ours,
        max_subscribed_topics: MAX_PEER_TOPICS,
        max_subscriptions_per_request: MAX_PEER_TOPICS,
    };
    gossipsub::Behaviour::new_with_subscription_filter(
        gossipsub::MessageAuthenticity::Anonymous,
        cfg,
        filter,
    )
    .map_err(|e| anyhow::anyhow!("gossipsub: {e}"))
}

/// The libp2p keypair of an agency (its agency key).
pub fn keypair(key: &AgencyKey) -> identity::Keypair {
    let mut secret = key.secret();
    let sk =
        identity::ed25519::SecretKey::try_from_bytes(&mut secret).expect("32-byte ed25519 secret");
    identity::Keypair::from(identity::ed25519::Keypair::from(sk))
}

/// The peer id of a key (an agency's current key: see
/// `Roster::current_key`).
pub fn peer_of(key: &AgencyId) -> Option<PeerId> {
    let pk = identity::ed25519::PublicKey::try_from_bytes(key.as_bytes()).ok()?;
    Some(identity::PublicKey::from(pk).to_peer_id())
}

/// The key of a peer id (ed25519 peer ids embed the public key); the
/// agency it signs for comes from the roster (`Roster::agency_of_key`).
pub fn key_of(peer: &PeerId) -> Option<AgencyId> {
    let pk = identity::PublicKey::try_decode_protobuf(peer.as_ref().digest()).ok()?;
    let ed = pk.try_into_ed25519().ok()?;
    Some(AgencyId(ed.to_bytes()))
}

pub use bootstrap::peer::is_unspecified;

/// Whether an address goes through a relay (`/p2p-circuit`).
pub fn is_circuit(ma: &libp2p::Multiaddr) -> bool {
    ma.iter()
        .any(|p| matches!(p, libp2p::multiaddr::Protocol::P2pCircuit))
}

/// Builds the swarm of a node holding at most `max_connections`
/// connections to members.
pub fn swarm(
    key: &AgencyKey,
    use_mdns: bool,
    max_connections: usize,
) -> anyhow::Result<Swarm<Behaviour>> {
    let kp = keypair(key);
    let swarm = libp2p::SwarmBuilder::with_existing_identity(kp)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )?
        .with_relay_client(noise::Config::new, yamux::Config::default)?
        .with_behaviour(
            |kp, relay| -> Result<Behaviour, Box<dyn std::error::Error + Send + Sync>> {
                let rr_cfg = request_response::Config::default()
                    .with_request_timeout(Duration::from_secs(30))
                    .with_max_concurrent_streams(256);
                let codec = request_response::cbor::codec::Codec::default()
                    .set_request_size_maximum(MAX_MESSAGE)
                    .set_response_size_maximum(MAX_MESSAGE);
                let sync = request_response::Behaviour::with_codec(
                    codec,
                    [(
                        StreamProtocol::new("/tongchou/sync/1"),
                        ProtocolSupport::Full,
                    )],
                    rr_cfg.clone(),
                );
                let join = request_response::cbor::Behaviour::new(
                    [(
                        StreamProtocol::new("/tongchou/join/1"),
                        ProtocolSupport::Full,
                    )],
                    rr_cfg,
                );
                let mdns = if use_mdns {
                    mdns::tokio::Behaviour::new(mdns::Config::default(), kp.public().to_peer_id())
                        .ok()
                } else {
                    None
                };
                Ok(Behaviour {
                    sync,
                    join,
                    gossip: gossip()?,
                    identify: identify::Behaviour::new(identify::Config::new(
                        "/tongchou/1".into(),
                        kp.public(),
                    )),
                    ping: ping::Behaviour::new(ping::Config::new()),
                    mdns: Toggle::from(mdns),
                    relay,
                    rendezvous: rendezvous::client::Behaviour::new(kp.clone()),
                    limits: limits(max_connections),
                    blocked: Default::default(),
                })
            },
        )?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    Ok(swarm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ids_and_agency_ids_are_the_same_key() {
        let key = AgencyKey::from_secret(&[8; 32]);
        let peer = keypair(&key).public().to_peer_id();
        assert_eq!(peer_of(&key.id()), Some(peer));
        assert_eq!(key_of(&peer), Some(key.id()));
    }
}
