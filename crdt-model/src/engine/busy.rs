//! Free/busy of owners this replica does not follow (see [`crate::busy`]):
//! asking the owner or a peer that follows it, answering such questions,
//! and the cache the calendar and the free-slot search read.

use serde::{Deserialize, Serialize};

use super::*;
use crate::busy::{BusyView, OwnerBusy, blocks_of, check_window, sanitize};

/// How long a question waits for its answer before another holder may be
/// asked, ms.
pub const BUSY_ASK_TIMEOUT_MS: i64 = 5_000;

/// Most owners dialled for one question.
const BUSY_DIALS: usize = 8;

/// How long an owner dialled for its free/busy in vain is not dialled
/// again, ms.
const BUSY_REDIAL_MS: i64 = 60_000;

/// Most owners whose free/busy is cached; the oldest answers go first.
const BUSY_CACHED: usize = 1_024;

/// Most free/busy questions answered per peer in [`BUSY_PERIOD_MS`]:
/// each may settle the calendars of 64 owners, and a member asking
/// without end would hold up the engine. Beyond it a question is refused.
pub(super) const BUSY_ASKS_PER_PERIOD: u32 = 30;
/// The period of [`BUSY_ASKS_PER_PERIOD`], ms.
pub(super) const BUSY_PERIOD_MS: i64 = 10_000;

/// A question sent, waiting for its answer.
#[derive(Clone, Debug)]
pub(super) struct PendingAsk {
    peer: AgencyId,
    owners: Vec<AgencyId>,
    from: Timestamp,
    to: Timestamp,
    at_ms: i64,
}

/// What [`Engine::ask_busy`] did for each owner.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyAsked {
    /// Owners this replica follows: their calendars are exact here.
    pub followed: Vec<AgencyId>,
    /// Owners whose cached free/busy covers the window and is recent enough.
    pub fresh: Vec<AgencyId>,
    /// Owners asked (or already being asked), with the peer asked.
    pub asked: Vec<(AgencyId, AgencyId)>,
    /// Owners no connected peer holds, dialled ([`Output::Dial`]): asked
    /// once connected.
    #[serde(default)]
    pub dialled: Vec<AgencyId>,
    /// Owners no connected peer holds, dialled lately in vain: neither
    /// the owner nor a peer that follows it is connected.
    pub unreachable: Vec<AgencyId>,
}

impl BusyAsked {
    /// Whether an answer is on its way for some owner.
    pub fn waiting(&self) -> bool {
        !self.asked.is_empty() || !self.dialled.is_empty()
    }
}

impl Engine {
    /// Whether this replica holds `owner`'s requests and decisions whole.
    pub fn follows_owner(&self, owner: &AgencyId) -> bool {
        *owner == self.me || self.interest.as_ref().is_none_or(|s| s.contains(owner))
    }

    /// The cached free/busy of an owner not followed.
    pub fn busy(&self, owner: &AgencyId) -> Option<&BusyView> {
        self.busy.get(owner)
    }

    /// Every cached free/busy.
    pub fn busy_views(&self) -> impl Iterator<Item = &BusyView> {
        self.busy.values()
    }

    /// Asks for the free/busy of `owners` over `[from, to)`, for those this
    /// replica does not follow and whose cached answer is missing, does not
    /// cover the window or is older than `max_age_ms`. Each goes to the
    /// owner if it is connected, else to a connected peer that follows it;
    /// one message per peer asked. The answers come as
    /// [`Event::Busy`] and are read with [`Engine::busy`].
    pub fn ask_busy(
        &mut self,
        now: Timestamp,
        owners: &[AgencyId],
        from: Timestamp,
        to: Timestamp,
        max_age_ms: i64,
    ) -> Result<(BusyAsked, Vec<Output>), String> {
        check_window(from, to).map_err(str::to_string)?;
        let mut out = Vec::new();
        let done = self.ask_busy_into(now, owners, (from, to), max_age_ms, &mut out);
        Ok((done, self.route(out)))
    }

    /// [`Engine::ask_busy`] with a checked window, into `out`.
    fn ask_busy_into(
        &mut self,
        now: Timestamp,
        owners: &[AgencyId],
        (from, to): (Timestamp, Timestamp),
        max_age_ms: i64,
        out: &mut Vec<Output>,
    ) -> BusyAsked {
        let mut done = BusyAsked::default();
        let mut dials = 0;
        let mut by_peer: BTreeMap<AgencyId, Vec<AgencyId>> = BTreeMap::new();
        let owners: BTreeSet<AgencyId> = owners.iter().copied().collect();
        for owner in owners {
            if self.follows_owner(&owner) {
                done.followed.push(owner);
                continue;
            }
            if self
                .busy
                .get(&owner)
                .is_some_and(|v| v.covers(from, to) && ms(now) - ms(v.fetched) <= max_age_ms.max(0))
            {
                done.fresh.push(owner);
                continue;
            }
            let pending = self.busy_asks.values().find(|a| {
                a.owners.contains(&owner)
                    && a.from <= from
                    && to <= a.to
                    && ms(now) - a.at_ms < BUSY_ASK_TIMEOUT_MS
            });
            if let Some(a) = pending {
                done.asked.push((owner, a.peer));
                continue;
            }
            // A holder asked before and silent since is passed over.
            let silent: BTreeSet<AgencyId> = self
                .busy_asks
                .values()
                .filter(|a| a.owners.contains(&owner))
                .map(|a| a.peer)
                .collect();
            match self.busy_holder(&owner, &silent) {
                Some(peer) => {
                    done.asked.push((owner, peer));
                    by_peer.entry(peer).or_default().push(owner);
                }
                // None connected: the owner is dialled, unless it was
                // dialled lately in vain.
                None => match self.busy_dialling.get_mut(&owner) {
                    Some(d) if ms(now) - d.2 < BUSY_REDIAL_MS => {
                        if ms(now) - d.2 < BUSY_ASK_TIMEOUT_MS {
                            // Asked once connected, over both windows
                            // (within the longest allowed).
                            let wider = (d.0.min(from), d.1.max(to));
                            if check_window(wider.0, wider.1).is_ok() {
                                (d.0, d.1) = wider;
                            }
                            done.dialled.push(owner);
                        } else {
                            done.unreachable.push(owner);
                        }
                    }
                    _ if dials < BUSY_DIALS => {
                        dials += 1;
                        self.busy_dialling.insert(owner, (from, to, ms(now)));
                        out.push(Output::Dial(owner));
                        done.dialled.push(owner);
                    }
                    _ => done.unreachable.push(owner),
                },
            }
        }
        // Questions long unanswered are forgotten.
        self.busy_asks
            .retain(|_, a| ms(now) - a.at_ms < 12 * BUSY_ASK_TIMEOUT_MS);
        self.busy_dialling
            .retain(|_, d| ms(now) - d.2 < BUSY_REDIAL_MS);
        for (peer, owners) in by_peer {
            for chunk in owners.chunks(crate::busy::MAX_OWNERS) {
                self.busy_next += 1;
                let id = self.busy_next;
                self.busy_asks.insert(
                    id,
                    PendingAsk {
                        peer,
                        owners: chunk.to_vec(),
                        from,
                        to,
                        at_ms: ms(now),
                    },
                );
                out.push(Output::Send {
                    to: peer,
                    msg: Message::BusyAsk {
                        id,
                        owners: chunk.to_vec(),
                        from,
                        to,
                    },
                    id: 0,
                });
            }
        }
        done
    }

    /// A peer connected: if it was dialled for a free/busy question, the
    /// question goes to it now.
    pub(super) fn on_busy_connected(
        &mut self,
        now: Timestamp,
        peer: AgencyId,
        out: &mut Vec<Output>,
    ) {
        if let Some((from, to, _)) = self.busy_dialling.remove(&peer) {
            self.ask_busy_into(now, &[peer], (from, to), 0, out);
        }
    }

    /// A member dialled for a free/busy question could not be reached: the
    /// questions waiting on it end, and until it may be dialled again it is
    /// unreachable at once (not "being dialled").
    pub(super) fn on_busy_unreachable(
        &mut self,
        now: Timestamp,
        agency: AgencyId,
        out: &mut Vec<Output>,
    ) {
        if let Some(d) = self.busy_dialling.get_mut(&agency) {
            d.2 = d.2.min(ms(now) - BUSY_ASK_TIMEOUT_MS);
            out.push(Output::Notify(Event::Busy {
                owners: vec![agency],
            }));
        }
    }

    /// The peer to ask for `owner`'s free/busy: the owner itself when
    /// connected, else a peer whose summary says it follows the owner (not
    /// one of `passed`, when another will do).
    fn busy_holder(&self, owner: &AgencyId, passed: &BTreeSet<AgencyId>) -> Option<AgencyId> {
        let holders: Vec<AgencyId> = self
            .peers
            .iter()
            .filter(|(a, p)| {
                *a == owner
                    || (p.summarised && p.interest.as_ref().is_none_or(|s| s.contains(owner)))
            })
            .map(|(a, _)| *a)
            .collect();
        let fresh = |a: &&AgencyId| !passed.contains(*a);
        holders
            .iter()
            .find(|a| *a == owner && fresh(a))
            .or_else(|| holders.iter().find(fresh))
            .or_else(|| holders.iter().find(|a| *a == owner))
            .or_else(|| holders.first())
            .copied()
    }

    /// A peer's question: answered with the free/busy of the owners asked
    /// that this replica follows, over the window; a malformed one is
    /// refused with the reason.
    pub(super) fn on_busy_ask(
        &mut self,
        now: Timestamp,
        from: AgencyId,
        id: u64,
        owners: Vec<AgencyId>,
        window: (Timestamp, Timestamp),
        out: &mut Vec<Output>,
    ) {
        let (start, end) = window;
        let over = self.peers.get_mut(&from).is_some_and(|p| {
            if ms(now) - p.busy_asked.0 >= BUSY_PERIOD_MS || ms(now) < p.busy_asked.0 {
                p.busy_asked = (ms(now), 0);
            }
            p.busy_asked.1 += 1;
            p.busy_asked.1 > BUSY_ASKS_PER_PERIOD
        });
        let refused = match check_window(start, end) {
            _ if over => Some(format!(
                "more than {BUSY_ASKS_PER_PERIOD} questions in {} s; ask again later",
                BUSY_PERIOD_MS / 1_000
            )),
            Err(why) => Some(why.to_string()),
            Ok(()) if owners.len() > crate::busy::MAX_OWNERS => Some(format!(
                "more than {} owners in one question",
                crate::busy::MAX_OWNERS
            )),
            Ok(()) => None,
        };
        let mut answers = Vec::new();
        if refused.is_none() {
            let owners: BTreeSet<AgencyId> = owners
                .into_iter()
                .filter(|o| self.follows_owner(o))
                .collect();
            let mut budget = crate::busy::MAX_BLOCKS;
            for owner in owners {
                let rids: Vec<ResourceId> = self
                    .ledger
                    .index()
                    .resources
                    .values()
                    .filter(|r| r.owner() == owner && r.shared_with(&from))
                    .map(|r| r.id.clone())
                    .collect();
                let stale: BTreeSet<ResourceId> = rids
                    .iter()
                    .filter(|r| self.dirty.contains_key(*r))
                    .cloned()
                    .collect();
                self.refresh(stale, &BTreeMap::new());
                let mut answer = OwnerBusy {
                    owner: Some(owner),
                    ..Default::default()
                };
                for rid in rids {
                    let Some(capacity) =
                        self.ledger.index().resources.get(&rid).map(|r| r.capacity)
                    else {
                        continue;
                    };
                    let Some(cal) = self.calendar_owned(&rid) else {
                        continue;
                    };
                    let blocks = blocks_of(&cal, capacity, start, end, &mut budget);
                    if !blocks.is_empty() {
                        answer.resources.insert(rid, blocks);
                    }
                    if budget == 0 {
                        answer.truncated = true;
                        break;
                    }
                }
                answers.push(answer);
            }
        }
        out.push(Output::Send {
            to: from,
            msg: Message::Busy {
                id,
                owners: answers,
                refused,
            },
            id: 0,
        });
    }

    /// A peer's answer to our question `id`: cached per owner, cleaned of
    /// anything outside the question; an answer to no question of ours (or
    /// from another peer than the one asked) is ignored.
    pub(super) fn on_busy(
        &mut self,
        now: Timestamp,
        from: AgencyId,
        id: u64,
        owners: Vec<OwnerBusy>,
        out: &mut Vec<Output>,
    ) {
        let Some(ask) = self.busy_asks.get(&id).filter(|a| a.peer == from).cloned() else {
            return;
        };
        self.busy_asks.remove(&id);
        let mut answered = Vec::new();
        for answer in owners {
            let Some(owner) = answer.owner.filter(|o| ask.owners.contains(o)) else {
                continue;
            };
            if answered.contains(&owner) {
                continue;
            }
            let index = self.ledger.index();
            // Resources the owner holds now (a transferred asset keeps
            // its creator's id).
            let clean = sanitize(owner, answer, ask.from, ask.to, |r| {
                index.resources.get(r).is_some_and(|x| x.owner() == owner)
            });
            self.busy.insert(
                owner,
                BusyView {
                    owner,
                    source: from,
                    fetched: now,
                    from: ask.from,
                    to: ask.to,
                    resources: clean.resources,
                    truncated: clean.truncated,
                },
            );
            answered.push(owner);
        }
        while self.busy.len() > BUSY_CACHED {
            let oldest = self
                .busy
                .values()
                .min_by_key(|v| (v.fetched, v.owner))
                .map(|v| v.owner);
            match oldest {
                Some(o) => self.busy.remove(&o),
                None => break,
            };
        }
        // Every owner asked: those left out or refused come no more, and
        // whoever waits for them stops waiting.
        out.push(Output::Notify(Event::Busy { owners: ask.owners }));
    }

    /// A resource's calendar for a reader: with the free/busy of its
    /// owner, when this replica does not follow the owner and has it.
    pub(super) fn with_busy(&self, rid: &ResourceId, cal: &mut ResourceCalendar) {
        let owner = self.ledger.index().owner_of(rid);
        if self.follows_owner(&owner) || !cal.is_blank() {
            return;
        }
        if let Some(v) = self.busy.get(&owner) {
            v.of(rid).fill(cal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Sim;

    /// A member asking without end is answered 30 times in 10 s, then
    /// refused with the reason; the next period it is answered again.
    #[test]
    fn questions_beyond_the_rate_are_refused() {
        let mut sim = Sim::new(4, 2, 1_795_000_000_000);
        sim.run_until_quiet(10_000);
        let (asker, owner) = (sim.id(1), sim.id(0));
        let now = sim.now();
        let engine = sim.nodes[0].engine.as_mut().expect("running");
        let ask = |engine: &mut Engine, now: Timestamp, id: u64| -> Option<String> {
            let msg = Message::BusyAsk {
                id,
                owners: vec![owner],
                from: now,
                to: now + jiff::SignedDuration::from_hours(1),
            };
            let mut out = engine.handle(now, Input::Received { from: asker, msg });
            out.extend(engine.handle(now, Input::Committed));
            out.into_iter()
                .find_map(|o| match o {
                    Output::Send {
                        msg: Message::Busy { id: i, refused, .. },
                        ..
                    } if i == id => Some(refused),
                    _ => None,
                })
                .expect("answered")
        };
        for id in 1..=BUSY_ASKS_PER_PERIOD {
            assert_eq!(ask(engine, now, u64::from(id)), None, "question {id}");
        }
        let refused = ask(engine, now, 99).expect("refused");
        assert!(refused.contains("ask again later"), "{refused}");
        let later = now + jiff::SignedDuration::from_millis(BUSY_PERIOD_MS);
        assert_eq!(ask(engine, later, 100), None);
    }
}
