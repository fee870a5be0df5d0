//! A random booking history, and the hand-made pieces the ledger tests
//! feed it: an in-memory archive and raw changes built as a malicious member
//! could.

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, Change, ROOT};
use crdt_model::agency::AgencyKey;
use crdt_model::calendar::{ResourceCalendar, calendar};
use crdt_model::doc::actor_of;
use crdt_model::engine::LocalOp;
use crdt_model::ids::{DocId, ResourceId};
use crdt_model::ledger::{Archive, ArchiveError, Ledger};
use crdt_model::membership::Roster;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::signed::SignedChange;
use crdt_model::sim::{Rng, Sim, test_resource};
use jiff::Timestamp;

use super::START;

pub(crate) fn at(h: i64) -> Timestamp {
    Timestamp::from_millisecond(START + 3_600_000 * (24 + h)).unwrap()
}

/// Three rooms of random owners among the `agencies`, published
/// and known to all: the first for 8 people, the others of 1 to
/// `max_units` units; automatic with probability `automatic`, else
/// approved by hand. `(room, owner)` each.
pub(crate) fn random_rooms(
    sim: &mut Sim,
    rng: &mut Rng,
    agencies: usize,
    (max_units, automatic): (u64, f64),
) -> Vec<(ResourceId, usize)> {
    let mut rooms = Vec::new();
    for k in 0..3 {
        let owner = rng.below(agencies as u64) as usize;
        let cap = if k == 0 {
            Capacity::People(8)
        } else {
            Capacity::Units(1 + rng.below(max_units) as u32)
        };
        let approval = if rng.chance(automatic) {
            Approval::Automatic
        } else {
            Approval::Required
        };
        let r = test_resource(sim.id(owner), &format!("r{k}"), cap, approval);
        rooms.push((r.id.clone(), owner));
        sim.local(owner, LocalOp::PutResource(Box::new(r))).unwrap();
    }
    sim.run_until_quiet(100_000);
    rooms
}

/// Runs a random history on a connected simulated network and returns the
/// roster and every accepted change (from node 0, which holds them all).
pub(crate) fn history(seed: u64, agencies: usize, steps: usize) -> (Roster, Vec<SignedChange>) {
    let mut rng = Rng::new(seed);
    let mut sim = Sim::new(seed, agencies, START);
    let rooms = random_rooms(&mut sim, &mut rng, agencies, (3, 0.8));
    let mut made = Vec::new();
    for _ in 0..steps {
        let node = rng.below(agencies as u64) as usize;
        match rng.below(6) {
            0..=3 => {
                let (rid, _) = rooms[rng.below(3) as usize].clone();
                let from = rng.below(6) as i64;
                let op = LocalOp::Book {
                    wait_list: false,
                    resource: rid,
                    start: at(from),
                    end: at(from + 1 + rng.below(2) as i64),
                    quantity: 1 + rng.below(2) as u32,
                    contact: String::new(),
                    purpose: String::new(),
                };
                if let Ok(crdt_model::engine::LocalOutcome::Booking(b)) = sim.local(node, op) {
                    made.push((node, b.id));
                }
            }
            4 => {
                if let Some((n, b)) = made
                    .get(rng.below(made.len().max(1) as u64) as usize)
                    .cloned()
                {
                    let _ = sim.local(
                        n,
                        LocalOp::Cancel {
                            booking: b,
                            reason: String::new(),
                        },
                    );
                }
            }
            _ => {
                let (rid, owner) = rooms[rng.below(3) as usize].clone();
                if let Some(t) = sim
                    .engine(owner)
                    .calendar(&rid)
                    .and_then(|c| c.tentative.first())
                    .map(|b| b.id.clone())
                {
                    let _ = sim.local(
                        owner,
                        LocalOp::Decide {
                            booking: t,
                            approve: rng.chance(0.5),
                            reason: None,
                        },
                    );
                }
            }
        }
        if rng.chance(0.3) {
            sim.run_until_quiet(rng.below(100) as usize);
        }
    }
    sim.run_until_quiet(1_000_000);
    let e = sim.engine(0);
    let changes = e.ledger().all_changes().expect("in memory");
    (e.ledger().roster().clone(), changes)
}

pub(crate) fn views(ledger: &Ledger) -> BTreeMap<ResourceId, ResourceCalendar> {
    let idx = ledger.index();
    let ids: std::collections::BTreeSet<ResourceId> = idx
        .resources
        .keys()
        .chain(idx.by_resource.keys())
        .cloned()
        .collect();
    ids.into_iter()
        .map(|r| (r.clone(), calendar(idx, ledger.roster(), &r)))
        .collect()
}

/// An in-memory [`Archive`] for the tests.
#[derive(Debug, Default)]
pub(crate) struct MemArchive(std::sync::Mutex<BTreeMap<(DocId, u64), SignedChange>>);

impl MemArchive {
    pub(crate) fn store(&self, changes: &[SignedChange]) {
        let mut m = self.0.lock().unwrap();
        for c in changes {
            m.insert((c.doc.clone(), c.number()), c.clone());
        }
    }

    /// Loses what is stored of `doc`, as a damaged store would.
    pub(crate) fn lose(&self, doc: &DocId) {
        self.0.lock().unwrap().retain(|(d, _), _| d != doc);
    }
}

impl Archive for MemArchive {
    fn change_bytes(&self, doc: &DocId, seq: u64) -> Result<Vec<u8>, ArchiveError> {
        self.0
            .lock()
            .unwrap()
            .get(&(doc.clone(), seq))
            .map(|c| c.change.clone())
            .ok_or_else(|| ArchiveError {
                doc: doc.clone(),
                seq,
                detail: "not stored".into(),
            })
    }

    fn signed_change(&self, doc: &DocId, seq: u64) -> Result<SignedChange, ArchiveError> {
        self.0
            .lock()
            .unwrap()
            .get(&(doc.clone(), seq))
            .cloned()
            .ok_or_else(|| ArchiveError {
                doc: doc.clone(),
                seq,
                detail: "not stored".into(),
            })
    }
}

/// Builds a change by hand, as a malicious member could, bypassing the
/// checks of `DocWriter`.
pub(crate) fn raw_change(
    key: &AgencyKey,
    doc: DocId,
    history: &[SignedChange],
    entries: &[(&str, String)],
    delete: Option<&str>,
) -> SignedChange {
    let mut am = AutoCommit::new().with_actor(actor_of(&key.id()));
    am.apply_changes(
        history
            .iter()
            .map(|c| Change::from_bytes(c.change.clone()).unwrap()),
    )
    .unwrap();
    for (k, v) in entries {
        am.put(ROOT, *k, v.clone()).unwrap();
    }
    if let Some(k) = delete {
        am.delete(ROOT, k).unwrap();
    }
    let h = am.commit_with(CommitOptions::default()).unwrap();
    let change = am.get_change_by_hash(&h).unwrap();
    SignedChange::sign(key, doc, &change)
}
