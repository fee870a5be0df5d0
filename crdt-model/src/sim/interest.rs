//! A province in the simulator, at fixed interest: every agency publishes
//! one resource, follows a handful of owners and is linked only to them
//! (and to its own followers), and books only from them. Measures what each
//! node holds, receives and connects to, and how long a booking takes from
//! its acknowledgement to being visible at every interested node, as the
//! network grows (`tongchou bench interest`, `tests/sim_interest.rs`).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::{Sim, overbooking, test_resource};
use crate::engine::{LocalOp, LocalOutcome};
use crate::ids::{AgencyId, BookingId, DocKind, ResourceId};
use crate::interest::Follows;
use crate::resource::{Approval, Capacity};

/// The shape of a simulated province.
#[derive(Clone, Debug)]
pub struct Province {
    /// Agencies (each one node).
    pub agencies: usize,
    /// Owners each agency follows (and books from).
    pub follows: usize,
    /// Bookings each agency makes, spread over [`Province::period_ms`].
    pub bookings: usize,
    /// Virtual time the bookings are spread over, ms.
    pub period_ms: i64,
    /// One-way link latency, ms (each message takes 1..=this).
    pub latency_ms: i64,
    /// RNG seed.
    pub seed: u64,
    /// Connections a node holds at most ([`crate::peers::Limits::for_max`]).
    pub max_connections: usize,
    /// Every agency also follows agency 0 (one owner followed by all).
    pub popular: bool,
    /// After the bookings, the admin (agency 0) revokes the most followed
    /// other agency, which then books once more as if nothing happened.
    pub revoke: bool,
    /// Live changes go on publish-subscribe topics (as nodes send them),
    /// not by message.
    pub gossip: bool,
}

impl Province {
    /// `agencies` agencies following 3 owners each, 5 bookings each over a
    /// minute, 50 ms links.
    pub fn new(agencies: usize, seed: u64) -> Self {
        Self {
            agencies,
            follows: 3,
            bookings: 5,
            period_ms: 60_000,
            latency_ms: 50,
            seed,
            max_connections: 50,
            popular: false,
            revoke: false,
            gossip: false,
        }
    }
}

/// Figures of one run: per node, mean and maximum.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ProvinceStats {
    /// Agencies.
    pub agencies: usize,
    /// Changes held per node (requests and decisions: the interest).
    pub held_mean: f64,
    /// The most held by one node.
    pub held_max: u64,
    /// Catalogue changes held per node (every node holds every catalogue).
    pub catalogue_held: f64,
    /// Bytes received per node while booking (after the catalogues spread).
    pub bytes_mean: f64,
    /// The most bytes received by one node.
    pub bytes_max: u64,
    /// Open connections per node.
    pub connections_mean: f64,
    /// The most connections of one node.
    pub connections_max: usize,
    /// Acknowledgement → visible at an interested node, 50th percentile, ms.
    pub visible_p50_ms: i64,
    /// 99th percentile, ms.
    pub visible_p99_ms: i64,
    /// Pairs (booking, interested node) never visible by the end.
    pub never_visible: usize,
    /// Nodes that follow an owner and disagree with the owner on one of
    /// its resources' calendars.
    pub disagreeing: usize,
    /// Followers cut off from an owner through the followers of its
    /// documents (a connection plan that leaves islands).
    pub cut_off: usize,
    /// Largest overbooking seen on any replica (0: invariant 1 holds).
    pub overbooked: u32,
    /// With [`Province::revoke`]: the revoked agency's followers (the
    /// nodes holding its data).
    pub revoked_followers: usize,
    /// Nodes (the revoked agency aside) whose roster does not show the
    /// revocation by the end.
    pub revocation_unseen: usize,
    /// Whether the revoked agency's node made that request (it does not
    /// check its own standing).
    pub revoked_request_made: bool,
    /// Nodes (the revoked agency aside) holding the request the revoked
    /// agency made afterwards (a refused change is never held or
    /// forwarded).
    pub revoked_request_held: usize,
    /// Free/busy on demand, after the bookings: agencies that asked for
    /// that of an owner they do not follow.
    pub busy_asked: usize,
    /// Of them, those whose answer came (from the owner or a follower).
    pub busy_answered: usize,
    /// Those with no connected holder, for which the owner was dialled
    /// (the simulator opens the link).
    pub busy_dialled: usize,
    /// Those neither asked of a connected holder nor dialled.
    pub busy_unreachable: usize,
    /// Answers that differ from the owner's calendar.
    pub busy_wrong: usize,
    /// Question → answer, 99th percentile, ms.
    pub busy_p99_ms: i64,
    /// Bytes received per answered question (the answer and anything
    /// else that arrived meanwhile).
    pub busy_bytes_mean: f64,
    /// With [`Province::gossip`]: messages published on topics (the
    /// catalogues and the bookings).
    pub published: u64,
}

/// The links the nodes open, each planning its dials
/// ([`crate::peers::plan`]) from a perfect rendezvous (every member, and
/// each owner's followers), in random order over three rounds, a node
/// refusing connections beyond its inbound bound; and how many holders of
/// an owner's documents are cut off from the owner through the others.
fn links_by_plan(
    owners: &[Vec<usize>],
    ids: &[AgencyId],
    max: usize,
    rng: &mut super::Rng,
) -> (BTreeSet<(usize, usize)>, usize) {
    use crate::peers::{Connections, Found, Limits, plan};
    let n = ids.len();
    let index: BTreeMap<AgencyId, usize> = ids.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let mut found = Found {
        members: ids.iter().copied().collect(),
        holders: BTreeMap::new(),
    };
    for (i, os) in owners.iter().enumerate() {
        for &o in os {
            let h = found.holders.entry(ids[o]).or_default();
            h.insert(ids[o]);
            h.insert(ids[i]);
        }
    }
    let limits = Limits::for_max(max);
    let cap_in = Limits::inbound(max);
    let mut connected = vec![BTreeSet::new(); n];
    let mut outbound = vec![BTreeSet::new(); n];
    let mut inbound = vec![0usize; n];
    let mut full: BTreeSet<AgencyId> = BTreeSet::new();
    let mut links = BTreeSet::new();
    for _ in 0..3 {
        let mut order: Vec<usize> = (0..n).collect();
        for k in (1..n).rev() {
            order.swap(k, rng.below(k as u64 + 1) as usize);
        }
        for i in order {
            let interest: BTreeSet<AgencyId> =
                owners[i].iter().map(|o| ids[*o]).chain([ids[i]]).collect();
            let conns = Connections {
                connected: &connected[i],
                outbound: &outbound[i],
                unreachable: &full,
            };
            let p = plan(ids[i], Some(&interest), &found, conns, limits);
            for c in p.close {
                let j = index[&c];
                links.remove(&(i.min(j), i.max(j)));
                connected[i].remove(&c);
                connected[j].remove(&ids[i]);
                outbound[i].remove(&c);
                inbound[j] -= 1;
                full.remove(&c);
            }
            for c in p.dial {
                let j = index[&c];
                if inbound[j] >= cap_in {
                    continue;
                }
                links.insert((i.min(j), i.max(j)));
                connected[i].insert(c);
                connected[j].insert(ids[i]);
                outbound[i].insert(c);
                inbound[j] += 1;
                if inbound[j] >= cap_in {
                    full.insert(c);
                }
            }
        }
    }
    // Holders cut off from their owner through holders of its documents.
    let mut cut_off = 0;
    for (o, hs) in &found.holders {
        let mut seen: BTreeSet<AgencyId> = [*o].into_iter().collect();
        let mut stack = vec![*o];
        while let Some(x) = stack.pop() {
            for y in &connected[index[&x]] {
                if hs.contains(y) && seen.insert(*y) {
                    stack.push(*y);
                }
            }
        }
        cut_off += hs.len() - seen.len();
    }
    (links, cut_off)
}

/// Runs the province; deterministic for a seed.
pub fn run(p: &Province) -> ProvinceStats {
    let n = p.agencies;
    let start_ms = 1_795_000_000_000;
    let mut rng = super::Rng::new(p.seed);
    // Whom each agency follows.
    let mut owners: Vec<Vec<usize>> = Vec::with_capacity(n);
    for i in 0..n {
        let mut set = BTreeSet::new();
        if p.popular && i != 0 {
            set.insert(0);
        }
        while set.len() < (p.follows + usize::from(p.popular && i != 0)).min(n - 1) {
            let o = rng.below(n as u64) as usize;
            if o != i {
                set.insert(o);
            }
        }
        owners.push(set.into_iter().collect());
    }
    // Keys are deterministic (`test_key`), so the follows can name them
    // before the simulator exists.
    let ids: Vec<AgencyId> = (0..n).map(|i| super::test_key(i).id()).collect();
    let (links, cut_off) = links_by_plan(&owners, &ids, p.max_connections, &mut rng);
    let follows = owners
        .iter()
        .map(|os| Follows {
            owners: os.iter().map(|o| ids[*o]).collect(),
            own_city: false,
            ..Follows::defaults()
        })
        .collect();
    let links: Vec<(usize, usize)> = links.into_iter().collect();
    let mut sim = Sim::with_links(p.seed, n, start_ms, &links, follows);
    sim.max_latency_ms = p.latency_ms;
    if p.gossip {
        sim.enable_gossip();
    }
    sim.run_until_quiet(10_000_000);
    let rooms: Vec<ResourceId> = (0..n)
        .map(|i| {
            let r = test_resource(sim.id(i), "room", Capacity::People(4), Approval::Automatic);
            let id = r.id.clone();
            sim.local(i, LocalOp::PutResource(Box::new(r)))
                .expect("publish");
            id
        })
        .collect();
    sim.run_until_quiet(10_000_000);
    for node in &mut sim.nodes {
        node.received_bytes = 0;
    }
    // The bookings, in time order: (at, who, owner).
    let mut plan: Vec<(i64, usize, usize)> = Vec::new();
    for (i, os) in owners.iter().enumerate() {
        for _ in 0..p.bookings {
            let at = rng.below(p.period_ms as u64) as i64;
            let o = os[rng.below(os.len() as u64) as usize];
            plan.push((at, i, o));
        }
    }
    plan.sort();
    let interested: Vec<Vec<usize>> = (0..n)
        .map(|o| {
            (0..n)
                .filter(|i| *i == o || owners[*i].contains(&o))
                .collect()
        })
        .collect();
    let t0 = sim.now_ms;
    let step = 10;
    // (booking, acknowledged at, nodes it is not visible at yet)
    let mut waiting: Vec<(BookingId, usize, i64, Vec<usize>)> = Vec::new();
    let mut delays: Vec<i64> = Vec::new();
    let mut next = 0;
    let end = t0 + p.period_ms + 30_000;
    while sim.now_ms < end {
        while next < plan.len() && t0 + plan[next].0 <= sim.now_ms {
            let (_, who, owner) = plan[next];
            next += 1;
            let from = sim.now_ms + 3_600_000 + rng.below(48) as i64 * 1_800_000;
            let op = LocalOp::Book {
                resource: rooms[owner].clone(),
                start: Timestamp::from_millisecond(from).expect("instant"),
                end: Timestamp::from_millisecond(from + 3_600_000).expect("instant"),
                quantity: 1 + rng.below(2) as u32,
                contact: String::new(),
                purpose: String::new(),
                wait_list: false,
            };
            if let Ok(LocalOutcome::Booking(b)) = sim.local(who, op) {
                let others = interested[owner]
                    .iter()
                    .copied()
                    .filter(|j| *j != who)
                    .collect();
                waiting.push((b.id, owner, sim.now_ms, others));
            }
        }
        sim.run_unsettled(step, usize::MAX);
        for (id, _, acked, nodes) in &mut waiting {
            nodes.retain(|j| {
                let seen = sim.nodes[*j]
                    .engine
                    .as_ref()
                    .is_some_and(|e| e.ledger().index().requests.contains_key(id));
                if seen {
                    delays.push(sim.now_ms - *acked);
                }
                !seen
            });
        }
        waiting.retain(|w| !w.3.is_empty());
    }
    sim.run_until_quiet(10_000_000);
    // Bytes received while booking (not what a revocation costs after).
    let received: Vec<u64> = sim.nodes.iter().map(|n| n.received_bytes).collect();
    let published = sim.published();
    let busy = free_busy(&mut sim, &owners, &rooms);
    let revoked = p
        .revoke
        .then(|| revoke_most_followed(&mut sim, &owners, &rooms));
    let revoked_agency = revoked.as_ref().map(|r| r.0);
    delays.sort_unstable();
    let pct = |q: f64| -> i64 {
        if delays.is_empty() {
            0
        } else {
            delays[((delays.len() - 1) as f64 * q).round() as usize]
        }
    };
    let mut st = ProvinceStats {
        published,
        agencies: n,
        visible_p50_ms: pct(0.5),
        visible_p99_ms: pct(0.99),
        never_visible: waiting.iter().map(|w| w.3.len()).sum(),
        cut_off,
        ..busy
    };
    let mut degree: BTreeMap<usize, usize> = BTreeMap::new();
    for (a, b) in &links {
        *degree.entry(*a).or_default() += 1;
        *degree.entry(*b).or_default() += 1;
    }
    let (mut held, mut cat, mut bytes) = (0u64, 0u64, 0u64);
    for (i, node) in sim.nodes.iter().enumerate() {
        let e = node.engine.as_ref().expect("running");
        let mut h = 0;
        for (doc, log) in e.ledger().docs() {
            if doc.kind == DocKind::Catalog {
                cat += log.len();
            } else {
                h += log.len();
            }
        }
        held += h;
        st.held_max = st.held_max.max(h);
        bytes += received[i];
        st.bytes_max = st.bytes_max.max(received[i]);
        let d = degree.get(&i).copied().unwrap_or(0);
        st.connections_max = st.connections_max.max(d);
        // Every follower shows the owner's calendars as the owner does
        // (the revoked agency's node is cut off, and goes on as if not
        // revoked).
        let members = owners[i].iter().filter(|o| Some(**o) != revoked_agency);
        for &o in members.filter(|_| Some(i) != revoked_agency) {
            let mine = e.calendars().get(&rooms[o]);
            let theirs = sim.engine(o).calendars().get(&rooms[o]);
            if mine != theirs {
                st.disagreeing += 1;
                break;
            }
        }
    }
    st.held_mean = held as f64 / n as f64;
    st.catalogue_held = cat as f64 / n as f64;
    st.bytes_mean = bytes as f64 / n as f64;
    st.connections_mean = links.len() as f64 * 2.0 / n as f64;
    st.overbooked = sim
        .nodes
        .iter()
        .filter_map(|n| n.engine.as_ref())
        .map(|e| overbooking(&e.ledger().index().resources, e.calendars()))
        .max()
        .unwrap_or(0);
    if let Some((target, late)) = revoked {
        st.revoked_followers = owners.iter().filter(|os| os.contains(&target)).count();
        let others = (0..n).filter(|i| *i != target);
        let revoked_at = |i: &usize| {
            sim.engine(*i)
                .ledger()
                .roster()
                .member(&sim.id(target))
                .is_some_and(|m| {
                    matches!(m.status, crate::membership::MemberStatus::Revoked { .. })
                })
        };
        st.revocation_unseen = others.clone().filter(|i| !revoked_at(i)).count();
        st.revoked_request_made = late.is_some();
        st.revoked_request_held = late.map_or(0, |id| {
            others
                .filter(|i| sim.engine(*i).ledger().index().requests.contains_key(&id))
                .count()
        });
    }
    st
}

/// Free/busy on demand: each agency asks for that of one owner it does
/// not follow (the next one by index), over the two days the bookings
/// fall in; checked against the owner's calendar.
fn free_busy(sim: &mut Sim, owners: &[Vec<usize>], rooms: &[ResourceId]) -> ProvinceStats {
    let n = owners.len();
    let mut st = ProvinceStats::default();
    let (from, to) = (sim.now_ms, sim.now_ms + 50 * 3_600_000);
    let at = |ms| Timestamp::from_millisecond(ms).expect("instant");
    let asked_at = sim.now_ms;
    let before: u64 = sim.nodes.iter().map(|n| n.received_bytes).sum();
    let mut pending = Vec::new();
    for (i, mine) in owners.iter().enumerate() {
        let Some(o) = (1..n).map(|k| (i + k) % n).find(|o| !mine.contains(o)) else {
            continue;
        };
        st.busy_asked += 1;
        let owner = sim.id(o);
        match sim.ask_busy(i, &[owner], at(from), at(to), 0) {
            Ok(a) if !a.asked.is_empty() => pending.push((i, o)),
            Ok(a) if !a.dialled.is_empty() => {
                st.busy_dialled += 1;
                pending.push((i, o));
            }
            _ => st.busy_unreachable += 1,
        }
    }
    let mut delays = Vec::new();
    let deadline = sim.now_ms + 10_000;
    while !pending.is_empty() && sim.now_ms < deadline {
        sim.run_unsettled(10, usize::MAX);
        pending.retain(|(i, o)| {
            let got = sim.engine(*i).busy(&sim.id(*o)).is_some();
            if got {
                delays.push(sim.now_ms - asked_at);
            }
            !got
        });
    }
    sim.run_until_quiet(10_000_000);
    st.busy_answered = delays.len();
    let after: u64 = sim.nodes.iter().map(|n| n.received_bytes).sum();
    st.busy_bytes_mean = (after - before) as f64 / delays.len().max(1) as f64;
    delays.sort_unstable();
    st.busy_p99_ms = delays
        .get(((delays.len().max(1) - 1) as f64 * 0.99).round() as usize)
        .copied()
        .unwrap_or(0);
    // Each answer holds the owner's confirmed and waiting spans.
    for i in 0..n {
        for v in sim.engine(i).busy_views() {
            let o = (0..n).find(|o| sim.id(*o) == v.owner).expect("a member");
            let cal = sim.engine(o).calendars().get(&rooms[o]);
            let want = cal.map_or(0, |c| {
                c.occupancy.overlapping(at(from), at(to)).count()
                    + c.tentative
                        .iter()
                        .filter(|b| b.terms.overlaps(at(from), at(to)))
                        .count()
            });
            let got = v.resources.get(&rooms[o]).map_or(0, Vec::len);
            if got != want {
                st.busy_wrong += 1;
            }
        }
    }
    st
}

/// The admin (node 0) revokes the agency most followed after it; that
/// agency then books from one of its owners as if nothing happened. Runs
/// until quiet; returns the agency and the booking it made, if its node
/// accepted it.
fn revoke_most_followed(
    sim: &mut Sim,
    owners: &[Vec<usize>],
    rooms: &[ResourceId],
) -> (usize, Option<BookingId>) {
    let n = owners.len();
    let target = (1..n)
        .max_by_key(|t| (owners.iter().filter(|os| os.contains(t)).count(), n - t))
        .expect("two agencies at least");
    let action = crate::membership::RosterAction::Revoke {
        agency: sim.id(target),
        reason: "simulated".into(),
        cutoffs: Default::default(),
    };
    sim.roster_act(0, action).expect("the admin revokes");
    sim.run_until_quiet(10_000_000);
    let from = sim.now_ms + 7 * 24 * 3_600_000;
    let op = LocalOp::Book {
        resource: rooms[owners[target][0]].clone(),
        start: Timestamp::from_millisecond(from).expect("instant"),
        end: Timestamp::from_millisecond(from + 3_600_000).expect("instant"),
        quantity: 1,
        contact: String::new(),
        purpose: String::new(),
        wait_list: false,
    };
    let late = match sim.local(target, op) {
        Ok(LocalOutcome::Booking(b)) => Some(b.id),
        _ => None,
    };
    sim.run_until_quiet(10_000_000);
    (target, late)
}
