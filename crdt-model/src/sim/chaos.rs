//! Chaos schedules for the simulator: one seed gives a random network (3 to
//! 7 agencies, skewed clocks, lossy links that duplicate and reorder
//! messages) and a random run of bookings, cancellations, decisions,
//! partitions, crashes, key rotations and a revocation. The invariants are
//! checked after every step (no replica shows an overbooking) and at the end
//! (every member holds the same changes and shows the same calendars, and
//! every request on an automatic resource is decided). The simulator test
//! runs a few hundred seeds; `tongchou bench chaos --seeds 10000` runs many.

use std::fmt;

use serde::Serialize;

use super::{Rng, Sim, overbooking, test_key, test_resource};
use crate::booking::Status;
use crate::engine::{LocalOp, LocalOutcome};
use crate::ids::{BookingId, ResourceId};
use crate::membership::RosterAction;
use crate::resource::{Approval, Capacity};

/// 2026-11-18, the simulated start.
const START_MS: i64 = 1_795_000_000_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Steps of one schedule.
pub const STEPS: usize = 60;

/// What one seed did (all counted at the end, on the admin's replica).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ChaosRun {
    /// The seed.
    pub seed: u64,
    /// Agencies in the network.
    pub nodes: usize,
    /// Requests made (accepted by their own node).
    pub requests: usize,
    /// Bookings confirmed at the end.
    pub confirmed: usize,
    /// Key rotations done.
    pub rotations: usize,
    /// Whether an agency was revoked.
    pub revoked: bool,
    /// Crashes (kill -9) done.
    pub crashes: usize,
    /// Partitions made.
    pub partitions: usize,
    /// Whether one agency's clock ran 30 days behind.
    pub clock_behind: bool,
    /// Messages delivered, lost and delivered twice.
    pub delivered: u64,
    /// Messages lost.
    pub lost: u64,
    /// Messages delivered a second time.
    pub duplicated: u64,
    /// Whether live changes went on topics (odd seeds), and how many
    /// messages were published there.
    pub gossip: Option<u64>,
}

/// An invariant that failed, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A replica showed more confirmed than capacity.
    Overbooking {
        /// The step after which it was seen (`STEPS` = at the end).
        step: usize,
        /// The node.
        node: usize,
        /// By how much.
        excess: u32,
    },
    /// Two members held different changes or showed different calendars.
    Diverged {
        /// The first node.
        a: usize,
        /// The other one.
        b: usize,
        /// "changes" or "calendars".
        what: &'static str,
        /// The first document (or resource) that differs, and how.
        detail: String,
    },
    /// A request on an automatic resource was left undecided by its owner.
    Undecided {
        /// The resource.
        resource: ResourceId,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Overbooking { step, node, excess } => {
                write!(f, "node {node} overbooked by {excess} after step {step}")
            }
            Self::Diverged { a, b, what, detail } => {
                write!(f, "nodes {a} and {b} hold different {what}: {detail}")
            }
            Self::Undecided { resource } => write!(f, "undecided requests on {resource}"),
        }
    }
}

/// Runs seed `seed`: `Ok` with what it did, or the first violation.
pub fn run(seed: u64) -> Result<ChaosRun, Violation> {
    let mut s = Schedule::new(seed);
    for step in 0..STEPS {
        s.step();
        let pause = s.rng.below(50) as i64;
        s.sim.advance(pause);
        s.check_capacity(step)?;
    }
    s.finish()
}

struct Schedule {
    rng: Rng,
    n: usize,
    sim: Sim,
    rooms: Vec<(ResourceId, usize)>,
    crashed: Vec<usize>,
    bookings: Vec<(usize, BookingId)>,
    revoked: Option<usize>,
    run: ChaosRun,
}

impl Schedule {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0xC4A0_5EED);
        let n = 3 + rng.below(5) as usize;
        let mut sim = Sim::new(seed, n, START_MS);
        // Odd seeds publish live changes on topics, as nodes do; even ones
        // send them by message only (the draws below are the same).
        if seed % 2 == 1 {
            sim.enable_gossip();
        }
        sim.loss = [0.0, 0.01, 0.05][rng.below(3) as usize];
        sim.duplicate = 0.05;
        sim.straggle = 0.05;
        let mut run = ChaosRun {
            seed,
            nodes: n,
            ..ChaosRun::default()
        };
        for i in 0..n {
            sim.nodes[i].clock_offset_ms = rng.below(600_000) as i64 - 300_000;
        }
        if rng.chance(0.2) {
            let i = rng.below(n as u64) as usize;
            sim.nodes[i].clock_offset_ms = -30 * DAY_MS;
            run.clock_behind = true;
        }
        let mut rooms = Vec::new();
        for k in 0..(2 + rng.below(3)) {
            let owner = rng.below(n as u64) as usize;
            let cap = if rng.chance(0.5) {
                Capacity::People(6)
            } else {
                Capacity::Units(1 + rng.below(3) as u32)
            };
            let approval = if rng.chance(0.7) {
                Approval::Automatic
            } else {
                Approval::Required
            };
            let r = test_resource(sim.id(owner), &format!("r{k}"), cap, approval);
            let rid = r.id.clone();
            if sim.local(owner, LocalOp::PutResource(Box::new(r))).is_ok() {
                rooms.push((rid, owner));
            }
        }
        sim.run_until_quiet(100_000);
        Self {
            rng,
            n,
            sim,
            rooms,
            crashed: Vec::new(),
            bookings: Vec::new(),
            revoked: None,
            run,
        }
    }

    fn alive(&self, i: usize) -> bool {
        !self.crashed.contains(&i)
    }

    fn step(&mut self) {
        let alive: Vec<usize> = (0..self.n).filter(|i| self.alive(*i)).collect();
        let node = alive[self.rng.below(alive.len() as u64) as usize];
        match self.rng.below(12) {
            0..=3 => self.book(node),
            4 => self.cancel(),
            5 => self.decide(),
            6 => {
                let size = 1 + self.rng.below(self.n as u64 - 1) as usize;
                let group: Vec<usize> = (0..size)
                    .map(|_| self.rng.below(self.n as u64) as usize)
                    .collect();
                self.sim.partition(&group);
                self.run.partitions += 1;
            }
            7 => self.sim.heal(),
            8 => self.crash_or_restart(node),
            9 => self.rotate(node),
            10 => self.revoke(),
            _ => {
                let steps = self.rng.below(200) as usize;
                self.sim.run_until_quiet(steps);
            }
        }
    }

    fn book(&mut self, node: usize) {
        if self.rooms.is_empty() {
            return;
        }
        let (rid, _) = self.rooms[self.rng.below(self.rooms.len() as u64) as usize].clone();
        let from = self.rng.below(8) as i64;
        let len = 1 + self.rng.below(3) as i64;
        let at = |h: i64| {
            jiff::Timestamp::from_millisecond(START_MS + HOUR_MS * (24 + h))
                .expect("simulated time in range")
        };
        let op = LocalOp::Book {
            wait_list: false,
            resource: rid,
            start: at(from),
            end: at(from + len),
            quantity: 1 + self.rng.below(2) as u32,
            contact: "王工".into(),
            purpose: "会议".into(),
        };
        if let Ok(LocalOutcome::Booking(b)) = self.sim.local(node, op) {
            self.bookings.push((node, b.id));
            self.run.requests += 1;
        }
    }

    fn cancel(&mut self) {
        let i = self.rng.below(self.bookings.len().max(1) as u64) as usize;
        if let Some((node, b)) = self.bookings.get(i).cloned()
            && self.alive(node)
        {
            let op = LocalOp::Cancel {
                booking: b,
                reason: String::new(),
            };
            let _ = self.sim.local(node, op);
        }
    }

    /// The owner decides the first request in line.
    fn decide(&mut self) {
        if self.rooms.is_empty() {
            return;
        }
        let (rid, owner) = self.rooms[self.rng.below(self.rooms.len() as u64) as usize].clone();
        if !self.alive(owner) {
            return;
        }
        let first = self
            .sim
            .engine(owner)
            .calendar(&rid)
            .and_then(|c| c.tentative.first())
            .map(|b| b.id.clone());
        if let Some(t) = first {
            let op = LocalOp::Decide {
                booking: t,
                approve: self.rng.chance(0.7),
                reason: None,
            };
            let _ = self.sim.local(owner, op);
        }
    }

    fn crash_or_restart(&mut self, node: usize) {
        if self.crashed.len() + 1 < self.n && self.rng.chance(0.5) {
            self.sim.crash(node);
            self.crashed.push(node);
            self.run.crashes += 1;
        } else if let Some(c) = self.crashed.pop() {
            self.sim.restart(c);
        }
    }

    /// At most two rotations a run, by running nodes.
    fn rotate(&mut self, node: usize) {
        if self.run.rotations >= 2 || Some(node) == self.revoked {
            return;
        }
        let key = test_key(10_000 + self.run.rotations);
        if self.sim.rotate_key(node, key).is_ok() {
            self.run.rotations += 1;
        }
    }

    /// Once a run, the admin (node 0) revokes another agency, which goes on
    /// acting as if nothing happened.
    fn revoke(&mut self) {
        if self.revoked.is_some() || !self.alive(0) {
            return;
        }
        let target = 1 + self.rng.below(self.n as u64 - 1) as usize;
        let action = RosterAction::Revoke {
            agency: self.sim.id(target),
            reason: "chaos".into(),
            cutoffs: Default::default(),
        };
        if self.sim.roster_act(0, action).is_ok() {
            self.revoked = Some(target);
            self.run.revoked = true;
        }
    }

    fn check_capacity(&self, step: usize) -> Result<(), Violation> {
        for (node, cals) in self.sim.views() {
            let res = &self.sim.engine(node).ledger().index().resources;
            let excess = overbooking(res, cals);
            if excess > 0 {
                return Err(Violation::Overbooking { step, node, excess });
            }
        }
        Ok(())
    }

    /// Everyone back and connected, then the end checks.
    fn finish(mut self) -> Result<ChaosRun, Violation> {
        for c in std::mem::take(&mut self.crashed) {
            self.sim.restart(c);
        }
        self.sim.heal();
        self.sim.run_until_quiet(1_000_000);
        // A few anti-entropy rounds (30 s each): what a lost message failed
        // to carry, the next summary asks for again.
        for _ in 0..4 {
            self.sim.run_for(31_000, 1_000_000);
            self.sim.run_until_quiet(1_000_000);
        }
        self.check_capacity(STEPS)?;
        self.check_converged()?;
        self.check_decided()?;
        let admin = self.sim.engine(0);
        self.run.confirmed = admin.calendars().values().map(|c| c.confirmed.len()).sum();
        debug_assert!(
            admin
                .calendars()
                .values()
                .all(|c| c.confirmed.iter().all(|b| b.status == Status::Confirmed))
        );
        self.run.delivered = self.sim.delivered;
        self.run.lost = self.sim.lost;
        self.run.duplicated = self.sim.duplicated;
        self.run.gossip = self.sim.gossip().then(|| self.sim.published());
        Ok(self.run)
    }

    /// Every member (the revoked agency aside) holds the same changes and
    /// shows the same calendars.
    fn check_converged(&self) -> Result<(), Violation> {
        let members: Vec<usize> = (0..self.n).filter(|i| Some(*i) != self.revoked).collect();
        let first = members[0];
        let e0 = self.sim.engine(first);
        for &i in &members[1..] {
            let e = self.sim.engine(i);
            let (h0, h1) = (e0.ledger().heads(), e.ledger().heads());
            if let Some(doc) = h0
                .keys()
                .chain(h1.keys())
                .find(|d| h0.get(*d) != h1.get(*d))
            {
                return Err(Violation::Diverged {
                    a: first,
                    b: i,
                    what: "changes",
                    detail: format!(
                        "{doc:?}: {:?} against {:?} changes",
                        h0.get(doc),
                        h1.get(doc)
                    ),
                });
            }
            let (c0, c1) = (e0.calendars(), e.calendars());
            if let Some(rid) = c0
                .keys()
                .chain(c1.keys())
                .find(|r| c0.get(*r) != c1.get(*r))
            {
                return Err(Violation::Diverged {
                    a: first,
                    b: i,
                    what: "calendars",
                    detail: rid.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Owners that are still members have decided every request on their
    /// automatic resources.
    fn check_decided(&self) -> Result<(), Violation> {
        for (rid, owner) in &self.rooms {
            if Some(*owner) == self.revoked {
                continue;
            }
            let e = self.sim.engine(*owner);
            let Some(res) = e.ledger().index().resources.get(rid) else {
                continue;
            };
            if res.rules.approval == Approval::Automatic
                && e.calendar(rid).is_some_and(|c| !c.tentative.is_empty())
            {
                return Err(Violation::Undecided {
                    resource: rid.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Runs seeds `from..from + count`, calling `progress` after each; stops at
/// the first violation and returns its seed with it.
pub fn run_many(
    from: u64,
    count: u64,
    mut progress: impl FnMut(&ChaosRun),
) -> Result<Vec<ChaosRun>, (u64, Violation)> {
    let mut runs = Vec::new();
    for seed in from..from + count {
        let r = run(seed).map_err(|v| (seed, v))?;
        progress(&r);
        runs.push(r);
    }
    Ok(runs)
}
