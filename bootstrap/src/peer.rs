//! The bootstrap peer: identify, ping, a libp2p rendezvous server and a
//! circuit relay for members behind NAT. Member
//! nodes register their addresses under their network's namespace and
//! discover each other there; the bootstrap peer never sees a change or a
//! roster, so it cannot forge or drop one (members verify everything they
//! receive from each other, and a bootstrap peer that hides registrations
//! only slows discovery, which configured peers and LAN discovery cover).

use std::time::Duration;

use libp2p::{Swarm, identify, identity, noise, ping, relay, rendezvous, tcp, yamux};

/// The rendezvous namespace of a network (its id, prefixed).
pub fn namespace(network_id: &str) -> Option<rendezvous::Namespace> {
    rendezvous::Namespace::new(format!("tongchou/{network_id}")).ok()
}

pub use behaviour::{Behaviour, BehaviourEvent};

#[allow(missing_docs)] // the derive's generated event enum
mod behaviour {
    use libp2p::swarm::NetworkBehaviour;
    use libp2p::{identify, ping, relay, rendezvous};

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
                rendezvous::server::Config::default().with_max_registration_total(100_000),
            ),
            identify: identify::Behaviour::new(identify::Config::new(
                "/tongchou-bootstrap/1".into(),
                kp.public(),
            )),
            ping: ping::Behaviour::new(ping::Config::new()),
            relay: relay::Behaviour::new(kp.public().to_peer_id(), relay_config()),
        })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    Ok(swarm)
}
