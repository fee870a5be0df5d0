//! The bootstrap peer: identify, ping, a libp2p rendezvous server and a
//! circuit relay for members behind NAT. Member
//! nodes register their addresses under their network's namespace and
//! discover each other there; the bootstrap peer never sees a change or a
//! roster, so it cannot forge or drop one (members verify everything they
//! receive from each other, and a bootstrap peer that hides registrations
//! only slows discovery, which configured peers and LAN discovery cover).

use std::time::Duration;

use std::future::Future;

use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{
    Multiaddr, Swarm, connection_limits, identify, identity, noise, ping, relay, rendezvous, tcp,
    yamux,
};

/// The rendezvous namespace of a network (its id, prefixed).
pub fn namespace(network_id: &str) -> Option<rendezvous::Namespace> {
    rendezvous::Namespace::new(format!("tongchou/{network_id}")).ok()
}

/// The rendezvous namespace where the nodes holding an owner's bookings
/// register (the owner's node and its followers): the network's, then the
/// owner's agency id.
pub fn owner_namespace(network_id: &str, owner: &str) -> Option<rendezvous::Namespace> {
    rendezvous::Namespace::new(format!("tongchou/{network_id}/{owner}")).ok()
}

/// Registrations a bootstrap peer keeps per member: the network's
/// namespace, the member's own and those of up to 62 owners it follows.
pub const MAX_REGISTRATIONS_PER_PEER: usize = 64;

pub use behaviour::{Behaviour, BehaviourEvent};

#[allow(missing_docs)] // the derive's generated event enum
mod behaviour {
    use libp2p::swarm::NetworkBehaviour;
    use libp2p::{connection_limits, identify, ping, relay, rendezvous};

    /// What a bootstrap peer runs.
    #[allow(missing_debug_implementations)]
    #[derive(NetworkBehaviour)]
    pub struct Behaviour {
        /// Registrations and discovery.
        pub rendezvous: rendezvous::server::Behaviour,
        /// Tells peers the address they were seen at.
        pub identify: identify::Behaviour,
        /// Liveness.
        pub ping: ping::Behaviour,
        /// Circuit relay (v2) for members that cannot be dialled (behind
        /// NAT): end-to-end encrypted streams it only forwards.
        pub relay: relay::Behaviour,
        /// Bounds on connections, so idle or rogue ones cannot exhaust the
        /// peer's file descriptors.
        pub limits: connection_limits::Behaviour,
    }
}

/// Relay limits: libp2p's defaults (2 minutes, 128 KiB per circuit) suit
/// hole punching only; a relayed member syncs through the circuit, so
/// circuits may last a day and carry 1 GiB, for at most 1,024 of them.
fn relay_config() -> relay::Config {
    relay::Config {
        max_reservations: 1_024,
        max_circuits: 1_024,
        max_circuits_per_peer: 64,
        max_circuit_duration: Duration::from_secs(24 * 3600),
        max_circuit_bytes: 1 << 30,
        ..Default::default()
    }
}

/// Builds a bootstrap peer's swarm with identity `key`.
pub fn swarm(key: identity::Keypair) -> Result<Swarm<Behaviour>, Box<dyn std::error::Error>> {
    let swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )?
        .with_behaviour(|kp| Behaviour {
            rendezvous: rendezvous::server::Behaviour::new(
                rendezvous::server::Config::default()
                    .with_max_registration_total(100_000)
                    .with_max_registration_per_peer(MAX_REGISTRATIONS_PER_PEER),
            ),
            identify: identify::Behaviour::new(identify::Config::new(
                "/tongchou-bootstrap/1".into(),
                kp.public(),
            )),
            ping: ping::Behaviour::new(ping::Config::new()),
            relay: relay::Behaviour::new(kp.public().to_peer_id(), relay_config()),
            limits: connection_limits::Behaviour::new(
                connection_limits::ConnectionLimits::default()
                    .with_max_pending_incoming(Some(256))
                    .with_max_established_incoming(Some(4_096))
                    .with_max_established_per_peer(Some(8)),
            ),
        })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    Ok(swarm)
}

/// Whether an address listens on every interface (0.0.0.0 or ::), so
/// nobody can dial it as written.
pub fn is_unspecified(ma: &Multiaddr) -> bool {
    ma.iter().any(|p| {
        matches!(p, libp2p::multiaddr::Protocol::Ip4(ip) if ip.is_unspecified())
            || matches!(p, libp2p::multiaddr::Protocol::Ip6(ip) if ip.is_unspecified())
    })
}

/// Runs a bootstrap peer's swarm until `shutdown` completes. Each concrete
/// listen address is announced to the members it relays for and handed,
/// ending in `/p2p/<id>`, to `on_listen` (an error from it stops the peer).
pub async fn serve(
    mut swarm: Swarm<Behaviour>,
    shutdown: impl Future<Output = ()>,
    mut on_listen: impl FnMut(Multiaddr) -> std::io::Result<()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            ev = swarm.select_next_some() => match ev {
                SwarmEvent::NewListenAddr { address, .. } => {
                    // The relay hands its concrete addresses to the members
                    // it relays for.
                    if !is_unspecified(&address) {
                        swarm.add_external_address(address.clone());
                    }
                    on_listen(address.with_p2p(*swarm.local_peer_id()).unwrap_or_else(|a| a))?;
                }
                SwarmEvent::Behaviour(BehaviourEvent::Rendezvous(e)) => {
                    tracing::debug!(event = ?e, "rendezvous");
                }
                SwarmEvent::Behaviour(BehaviourEvent::Relay(e)) => {
                    tracing::debug!(event = ?e, "relay");
                }
                _ => {}
            }
        }
    }
}
