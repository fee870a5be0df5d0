//! Whom the node connects to: what the rendezvous found (members at large,
//! and by owner the nodes holding its bookings), the connections this node
//! opened, the members that refused it lately; each housekeeping round the
//! engine-side rule (`crdt_model::peers::plan`) says whom to dial and which
//! connections to close, and this applies it.

use super::*;
use crdt_model::peers::{self, Connections, Found, Limits};
use libp2p::rendezvous::Namespace;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};

/// A refused or failed dial waits this long before the next, doubling.
const DIAL_BACKOFF: Duration = Duration::from_secs(30);
/// The longest wait between dials of one member.
const DIAL_BACKOFF_MAX: Duration = Duration::from_secs(600);
/// A connection this node opened that the other side closes within this
/// counts as refused (the other side holds all the connections it takes).
const REFUSED_WITHIN: Duration = Duration::from_secs(5);
/// Owners' namespaces a node registers under, besides the network's and
/// its own (the bootstrap peer keeps 64 per member).
pub(super) const MAX_OWNER_NAMESPACES: usize = 60;

/// What the node knows of whom it could connect to, and how its dials went.
#[derive(Default)]
pub(super) struct Peering {
    /// Members found, and by owner the holders of its bookings.
    pub(super) found: Found,
    /// Addresses found for members' nodes.
    pub(super) addrs: BTreeMap<PeerId, Vec<Multiaddr>>,
    /// Connected peers this node dialled, and when the connection came up.
    pub(super) outbound: BTreeMap<PeerId, Instant>,
    /// Connected peers that dialled this node, and when.
    pub(super) inbound: BTreeMap<PeerId, Instant>,
    /// Members not to dial until the instant, and the backoff that set it.
    pub(super) backoff: BTreeMap<AgencyId, (Instant, Duration)>,
    /// Namespaces registered at each bootstrap peer.
    pub(super) registered: BTreeMap<PeerId, std::collections::HashSet<Namespace>>,
    /// Dials and closes the plans asked for, for `status`.
    pub(super) dials: u64,
    /// Connections closed to make room.
    pub(super) closed: u64,
    /// The interest the namespaces were last registered and asked for.
    pub(super) interest: Option<Option<BTreeSet<AgencyId>>>,
    /// What each bootstrap peer's pages answered so far for a namespace,
    /// since it was last asked from the first page.
    pub(super) pages: std::collections::HashMap<(PeerId, Namespace), BTreeSet<AgencyId>>,
}

impl Actor {
    /// The limits of this node's connections.
    pub(super) fn limits(&self) -> Limits {
        Limits::for_max(self.cfg.max_connections)
    }

    /// The owners whose namespaces this node registers under: itself,
    /// and what it follows (none when it holds everything: it is found in
    /// the network's namespace).
    pub(super) fn owner_namespaces(&self) -> Vec<Namespace> {
        let roster = self.engine.ledger().roster();
        let net = roster.network_id();
        let me = self.engine.id();
        let mut out: Vec<Namespace> = bootstrap::peer::owner_namespace(net, &me.to_string())
            .into_iter()
            .collect();
        if let Some(set) = self.engine.interest() {
            out.extend(
                set.iter()
                    .filter(|o| **o != me)
                    .take(MAX_OWNER_NAMESPACES)
                    .filter_map(|o| bootstrap::peer::owner_namespace(net, &o.to_string())),
            );
        }
        out
    }

    /// The owner an owner's namespace names.
    pub(super) fn owner_of_namespace(&self, ns: &Namespace) -> Option<AgencyId> {
        let net = self.engine.ledger().roster().network_id();
        let rest = ns.to_string();
        let owner = rest
            .strip_prefix("tongchou/")?
            .strip_prefix(net)?
            .strip_prefix('/')?;
        owner.parse().ok()
    }

    /// Applies the plan: dials what it asks for (where an address is
    /// known), closes what it gives up.
    pub(super) fn follow_plan(&mut self) {
        let now = Instant::now();
        self.peering
            .backoff
            .retain(|_, (until, b)| *until + *b > now);
        let connected: BTreeSet<AgencyId> = self.connected.values().copied().collect();
        let outbound: BTreeSet<AgencyId> = self
            .peering
            .outbound
            .keys()
            .filter_map(|p| self.connected.get(p).copied())
            .collect();
        let unreachable: BTreeSet<AgencyId> = self
            .peering
            .backoff
            .iter()
            .filter(|(_, (until, _))| *until > now)
            .map(|(a, _)| *a)
            .chain(
                self.engine
                    .ledger()
                    .roster()
                    .members()
                    .keys()
                    .copied()
                    .filter(|a| self.is_blocked(a)),
            )
            .collect();
        // Members admitted beyond the inbound share (newcomers that
        // joined through this node): the newest are closed.
        let share = Limits::inbound(self.cfg.max_connections);
        for peer in self.inbound_members().into_iter().skip(share) {
            debug!(%peer, "closing an inbound connection beyond the share");
            self.peering.inbound.remove(&peer);
            self.peering.closed += 1;
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        let plan = peers::plan(
            self.engine.id(),
            self.engine.interest(),
            &self.peering.found,
            Connections {
                connected: &connected,
                outbound: &outbound,
                unreachable: &unreachable,
            },
            self.limits(),
        );
        for agency in plan.close {
            if let Some(peer) = self.peer_of_agency(&agency) {
                debug!(peer = %agency.short(), "closing a connection to make room");
                self.peering.closed += 1;
                self.peering.outbound.remove(&peer);
                let _ = self.swarm.disconnect_peer_id(peer);
            }
        }
        for agency in plan.dial {
            let Some(peer) = self.peer_of_agency(&agency) else {
                continue;
            };
            let Some(addrs) = self.peering.addrs.get(&peer).cloned() else {
                continue;
            };
            debug!(peer = %agency.short(), "dialing a member the plan asks for");
            self.peering.dials += 1;
            self.backoff(agency);
            let opts = DialOpts::peer_id(peer)
                .addresses(addrs)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            let _ = self.swarm.dial(opts);
        }
    }

    /// Dials a member for a free/busy question no connected peer can
    /// answer, as the engine asks ([`Output::Dial`]): where an address is
    /// known and no backoff holds it off; whether it was dialled. The plan
    /// may close such a connection later, once the answer came.
    pub(super) fn dial_for_busy(&mut self, agency: &AgencyId) -> bool {
        let now = Instant::now();
        if self.is_blocked(agency)
            || self
                .peering
                .backoff
                .get(agency)
                .is_some_and(|(until, _)| *until > now)
        {
            return false;
        }
        let Some(peer) = self.peer_of_agency(agency) else {
            return false;
        };
        let Some(addrs) = self.peering.addrs.get(&peer).cloned() else {
            return false;
        };
        debug!(peer = %agency.short(), "dialing an owner for its free/busy");
        self.backoff(*agency);
        let opts = DialOpts::peer_id(peer)
            .addresses(addrs)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        self.swarm.dial(opts).is_ok()
    }

    /// Holds off dialling `agency` again: a dial that succeeds clears it
    /// once the connection has lasted.
    fn backoff(&mut self, agency: AgencyId) {
        let now = Instant::now();
        let next = self
            .peering
            .backoff
            .get(&agency)
            .map_or(DIAL_BACKOFF, |(_, b)| (*b * 2).min(DIAL_BACKOFF_MAX));
        self.peering.backoff.insert(agency, (now + next, next));
    }

    /// The connections to members against the bound, for `status`.
    pub(super) fn connections_view(&self) -> api::ConnectionsView {
        api::ConnectionsView {
            max: self.cfg.max_connections,
            dialled: self
                .peering
                .outbound
                .keys()
                .filter(|p| self.connected.contains_key(*p))
                .count(),
            accepted: self.inbound_members().len(),
            plan_dials: self.peering.dials,
            closed: self.peering.closed,
            found: self.peering.found.members.len(),
        }
    }

    /// A connection came up: remembered by who opened it.
    pub(super) fn on_established(&mut self, peer: PeerId, dialer: bool) {
        if self.bootstrap_peers.contains(&peer) {
            return;
        }
        let side = if dialer {
            &mut self.peering.outbound
        } else {
            &mut self.peering.inbound
        };
        side.entry(peer).or_insert_with(Instant::now);
    }

    /// Admitted members connected only because they dialled this node,
    /// newest first.
    fn inbound_members(&self) -> Vec<PeerId> {
        let mut v: Vec<(Instant, PeerId)> = self
            .peering
            .inbound
            .iter()
            .filter(|(p, _)| {
                self.connected.contains_key(*p) && !self.peering.outbound.contains_key(*p)
            })
            .map(|(p, t)| (*t, *p))
            .collect();
        v.sort_by(|a, b| b.cmp(a));
        v.into_iter().map(|(_, p)| p).collect()
    }

    /// Whether a member that dialled this node finds it full: it holds the
    /// members' inbound share already (the member then dials another
    /// holder of what it follows).
    pub(super) fn full_for(&self, peer: &PeerId) -> bool {
        self.peering.inbound.contains_key(peer)
            && !self.peering.outbound.contains_key(peer)
            && self.inbound_members().len() >= Limits::inbound(self.cfg.max_connections)
    }

    /// The last connection to `peer` closed: one this node opened and the
    /// other side closed at once was refused (its node is full).
    pub(super) fn on_closed(&mut self, peer: PeerId) {
        self.peering.inbound.remove(&peer);
        if let Some(since) = self.peering.outbound.remove(&peer)
            && since.elapsed() >= REFUSED_WITHIN
            && let Some(agency) = self.agency_of_peer(&peer)
        {
            // It lasted: a later dial starts afresh.
            self.peering.backoff.remove(&agency);
        }
    }
}
