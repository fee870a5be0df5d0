//! Whom a node keeps connections to, when it cannot connect to every
//! member: a few members at large (the mesh the roster and the catalogues
//! travel), then, for each owner it follows, the owner's node or peers
//! that follow the same owner (they hold its documents and pass them on),
//! within a bound on the connections it opens. A pure decision: the node
//! feeds it what the rendezvous found and what is connected, and dials or
//! closes what it answers; the simulator builds its links with it.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::AgencyId;

/// Bounds on the connections a node opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections this node opens itself (its dials), at most; as many
    /// again may be opened by others (the node refuses more).
    pub outbound: usize,
    /// Peers holding a followed owner's documents (the owner or its
    /// followers) to keep connected, each.
    pub per_owner: usize,
    /// Members at large kept connected whatever the interest.
    pub mesh: usize,
}

impl Limits {
    /// For a node holding at most `max` connections: half of them opened
    /// by itself, half by others ([`Limits::inbound`]).
    pub fn for_max(max: usize) -> Self {
        Self {
            outbound: (max / 2).max(1),
            per_owner: 2,
            mesh: 2,
        }
    }

    /// Connections others may open to a node holding at most `max`.
    pub fn inbound(max: usize) -> usize {
        max - Self::for_max(max).outbound
    }
}

/// What a node knows of the members it could connect to.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// Members found at large.
    pub members: BTreeSet<AgencyId>,
    /// By owner, the members registered as holding its documents (the
    /// owner itself among them when its node registered).
    pub holders: BTreeMap<AgencyId, BTreeSet<AgencyId>>,
}

/// The node's connections now.
#[derive(Clone, Copy, Debug)]
pub struct Connections<'a> {
    /// Members connected, whoever opened the connection.
    pub connected: &'a BTreeSet<AgencyId>,
    /// Those of them this node dialled.
    pub outbound: &'a BTreeSet<AgencyId>,
    /// Members not to dial now (refused or unreachable lately).
    pub unreachable: &'a BTreeSet<AgencyId>,
}

/// What to do with the connections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Members to dial, most useful first.
    pub dial: Vec<AgencyId>,
    /// Connections this node opened that serve nothing it follows, to
    /// close to make room for [`Plan::dial`].
    pub close: Vec<AgencyId>,
}

/// A per-node ranking of peers: each node prefers different ones, so
/// that the followers of a busy owner spread over each other.
fn spread(me: &AgencyId, peer: &AgencyId) -> u64 {
    u64::from_le_bytes(std::array::from_fn(|i| me.0[i + 8] ^ peer.0[i]))
}

/// The holders of `owner`'s documents in the order every node sees them
/// (the same at every node): the owner, then its registered holders by a
/// ranking of the owner's own. Position `p` hangs below position
/// `(p - 1) / 2`, a binary tree rooted at the owner, so that whatever the
/// number of followers each holder has at most two below it and every
/// holder is at most log₂(n) hops from the owner.
fn tree(owner: &AgencyId, found: &Found) -> Vec<AgencyId> {
    let mut hs: Vec<AgencyId> = found
        .holders
        .get(owner)
        .into_iter()
        .flatten()
        .filter(|h| *h != owner)
        .copied()
        .collect();
    hs.sort_by_key(|h| (spread(owner, h), *h));
    let mut out = Vec::with_capacity(hs.len() + 1);
    out.push(*owner);
    out.extend(hs);
    out
}

/// The plan of `me`, following `interest` (`None`: everything, so every
/// member is an owner to cover). In order of need:
/// 1. as an owner, the first holders below it in its tree;
/// 2. for each followed owner not reached yet through a holder above
///    `me` in the owner's tree, `me`'s parent there (or, refused, the
///    parent's parent, up to the owner, then any holder above `me`);
/// 3. the mesh: [`Limits::mesh`] members this node ranks first;
/// 4. more holders, the one holding most owners still short of
///    [`Limits::per_owner`] first.
///
/// Within [`Limits::outbound`], closing connections this node opened that
/// serve none of these to make room.
pub fn plan(
    me: AgencyId,
    interest: Option<&BTreeSet<AgencyId>>,
    found: &Found,
    conns: Connections<'_>,
    limits: Limits,
) -> Plan {
    let owners: BTreeSet<AgencyId> = match interest {
        Some(set) => set.iter().filter(|o| **o != me).copied().collect(),
        None => found
            .members
            .iter()
            .filter(|o| **o != me)
            .copied()
            .collect(),
    };
    let reachable = |c: &AgencyId| *c != me && !conns.unreachable.contains(c);
    let mut wanted: Vec<AgencyId> = Vec::new();
    let mut keep: BTreeSet<AgencyId> = BTreeSet::new();
    let want = |c: AgencyId, wanted: &mut Vec<AgencyId>| {
        if !conns.connected.contains(&c) && !wanted.contains(&c) {
            wanted.push(c);
        }
    };
    // 1. Below us in our own tree.
    if found.holders.contains_key(&me) {
        for c in tree(&me, found).into_iter().skip(1).take(2) {
            keep.insert(c);
            if reachable(&c) {
                want(c, &mut wanted);
            }
        }
    }
    // 2. Above us in each followed owner's tree.
    let mut covers: BTreeMap<AgencyId, Vec<AgencyId>> = BTreeMap::new();
    for o in &owners {
        let t = tree(o, found);
        for h in &t {
            covers.entry(*h).or_default().push(*o);
        }
        let pos = t.iter().position(|h| *h == me).unwrap_or(t.len());
        let reached: Vec<AgencyId> = t[..pos]
            .iter()
            .copied()
            .filter(|h| conns.connected.contains(h))
            .collect();
        if !reached.is_empty() {
            keep.extend(reached);
            continue;
        }
        let mut chain = Vec::new();
        let mut p = pos;
        while p > 0 {
            p = (p - 1) / 2;
            chain.push(p);
        }
        // Refused all the way up: any holder above us, nearest first.
        chain.extend((0..pos).rev());
        if let Some(p) = chain.into_iter().find(|p| reachable(&t[*p])) {
            want(t[p], &mut wanted);
        }
    }
    covers.remove(&me);
    // 3. The mesh.
    let mut at_large: Vec<&AgencyId> = found
        .members
        .iter()
        .chain(conns.connected)
        .filter(|m| **m != me)
        .collect();
    at_large.sort_by_key(|m| (spread(&me, m), **m));
    at_large.dedup();
    for m in at_large
        .into_iter()
        .filter(|m| conns.connected.contains(*m) || reachable(m))
        .take(limits.mesh)
    {
        keep.insert(*m);
        want(*m, &mut wanted);
    }
    // 4. More holders, as room allows.
    let useless: Vec<AgencyId> = conns
        .outbound
        .iter()
        .filter(|c| !keep.contains(*c) && !covers.contains_key(*c))
        .copied()
        .collect();
    let room = (limits.outbound + useless.len()).saturating_sub(conns.outbound.len());
    let mut need: BTreeMap<AgencyId, usize> =
        owners.iter().map(|o| (*o, limits.per_owner)).collect();
    let cover = |c: &AgencyId, need: &mut BTreeMap<AgencyId, usize>| {
        for o in covers.get(c).into_iter().flatten() {
            if let Some(n) = need.get_mut(o) {
                *n = n.saturating_sub(1);
            }
        }
    };
    for c in conns.connected.iter().chain(&wanted) {
        cover(c, &mut need);
    }
    let mut candidates: Vec<AgencyId> = covers
        .keys()
        .filter(|c| reachable(c) && !conns.connected.contains(*c) && !wanted.contains(*c))
        .copied()
        .collect();
    while wanted.len() < room {
        let best = candidates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let os = covers.get(c).map_or(&[][..], Vec::as_slice);
                let gain = os
                    .iter()
                    .filter(|o| need.get(*o).is_some_and(|n| *n > 0))
                    .count();
                (gain, std::cmp::Reverse(spread(&me, c)), i)
            })
            .max();
        let Some((gain, _, i)) = best else { break };
        if gain == 0 {
            break;
        }
        let c = candidates.swap_remove(i);
        cover(&c, &mut need);
        wanted.push(c);
    }
    wanted.truncate(room);
    let over = (conns.outbound.len() + wanted.len()).saturating_sub(limits.outbound);
    let close = useless.into_iter().take(over).collect();
    Plan {
        dial: wanted,
        close,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(i: u8) -> AgencyId {
        let mut b = [0; 32];
        b[0] = i;
        b[31] = i.wrapping_mul(37);
        AgencyId(b)
    }

    fn set(v: &[u8]) -> BTreeSet<AgencyId> {
        v.iter().map(|i| a(*i)).collect()
    }

    /// Members found at large, no holders registered.
    fn members(v: &[u8]) -> Found {
        Found {
            members: set(v),
            holders: BTreeMap::new(),
        }
    }

    static NONE: BTreeSet<AgencyId> = BTreeSet::new();

    /// No connection yet, nobody refused.
    fn fresh() -> Connections<'static> {
        Connections {
            connected: &NONE,
            outbound: &NONE,
            unreachable: &NONE,
        }
    }

    fn no_mesh(outbound: usize) -> Limits {
        Limits {
            outbound,
            per_owner: 1,
            mesh: 0,
        }
    }

    #[test]
    fn a_follower_dials_its_owners_and_not_the_rest() {
        let found = members(&[1, 2, 3, 4, 5, 6]);
        let conns = fresh();
        let interest = set(&[0, 2, 5]);
        let p = plan(a(0), Some(&interest), &found, conns, no_mesh(10));
        assert_eq!(
            p.dial.iter().copied().collect::<BTreeSet<_>>(),
            set(&[2, 5])
        );
        assert!(p.close.is_empty());
        // Following everything: every member, within the bound.
        let p = plan(a(0), None, &found, conns, no_mesh(4));
        assert_eq!(p.dial.len(), 4);
    }

    #[test]
    fn a_full_owner_is_covered_by_a_follower_holding_several_owners() {
        // Owners 1 and 2 refuse; 7 holds both, 8 holds only 1.
        let found = Found {
            members: set(&[1, 2, 7, 8]),
            holders: [(a(1), set(&[1, 7, 8])), (a(2), set(&[2, 7]))]
                .into_iter()
                .collect(),
        };
        let refused = set(&[1, 2]);
        let conns = Connections {
            unreachable: &refused,
            ..fresh()
        };
        let interest = set(&[1, 2]);
        let p = plan(a(0), Some(&interest), &found, conns, no_mesh(1));
        assert_eq!(p.dial, vec![a(7)]);
    }

    #[test]
    fn a_useless_connection_makes_room_for_an_owner() {
        let found = members(&[1, 2, 3]);
        let connected = set(&[3]);
        let conns = Connections {
            connected: &connected,
            outbound: &connected,
            ..fresh()
        };
        let interest = set(&[1]);
        let p = plan(a(0), Some(&interest), &found, conns, no_mesh(1));
        assert_eq!(p.dial, vec![a(1)]);
        assert_eq!(p.close, vec![a(3)]);
        // Covered already: nothing to do.
        let connected = set(&[1, 3]);
        let outbound = set(&[1]);
        let conns = Connections {
            connected: &connected,
            outbound: &outbound,
            ..fresh()
        };
        assert_eq!(
            plan(a(0), Some(&interest), &found, conns, no_mesh(1)),
            Plan::default()
        );
    }

    #[test]
    fn the_mesh_is_kept_whatever_the_interest() {
        let found = members(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let conns = fresh();
        let interest = set(&[0]);
        let limits = Limits {
            outbound: 5,
            per_owner: 2,
            mesh: 2,
        };
        let p = plan(a(0), Some(&interest), &found, conns, limits);
        assert_eq!(p.dial.len(), 2);
        // Once connected, the mesh is not closed for room.
        let mesh: BTreeSet<AgencyId> = p.dial.iter().copied().collect();
        let interest = set(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let conns = Connections {
            connected: &mesh,
            outbound: &mesh,
            ..fresh()
        };
        let p = plan(a(0), Some(&interest), &found, conns, limits);
        assert!(p.close.is_empty());
        assert_eq!(p.dial.len(), 3);
    }
}
