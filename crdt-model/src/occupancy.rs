//! Occupancy: the capacity in use over time on one resource, with fast peak
//! queries over a time range. Shared by the calendar, the decision policy
//! and free-slot search.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::ids::BookingId;

/// What names a booking in an [`Occupancy`]: its id, or for the
/// calendar's working lines its place in line, which takes less memory.
pub trait Occupant: Ord + Clone + std::fmt::Debug {
    /// The smallest value (for range queries).
    fn least() -> Self;
}

impl Occupant for BookingId {
    fn least() -> Self {
        BookingId::min()
    }
}

impl Occupant for u32 {
    fn least() -> Self {
        0
    }
}

/// Bookings holding capacity on one resource, by start time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupancy<K = BookingId> {
    items: BTreeMap<(Timestamp, K), (Timestamp, u32)>,
    max_len_s: i64,
}

impl<K> Default for Occupancy<K> {
    fn default() -> Self {
        Self {
            items: BTreeMap::new(),
            max_len_s: 0,
        }
    }
}

impl<K: Occupant> Occupancy<K> {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a booking holding `usage` over `[start, end)`.
    pub fn insert(&mut self, id: K, start: Timestamp, end: Timestamp, usage: u32) {
        self.max_len_s = self.max_len_s.max(end.as_second() - start.as_second() + 1);
        self.items.insert((start, id), (end, usage));
    }

    /// Removes a booking; returns whether it was there.
    pub fn remove(&mut self, id: &K, start: Timestamp) -> bool {
        self.items.remove(&(start, id.clone())).is_some()
    }

    /// Number of bookings held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Bookings overlapping `[start, end)`: `(start, end, usage, id)`.
    pub fn overlapping(
        &self,
        start: Timestamp,
        end: Timestamp,
    ) -> impl Iterator<Item = (Timestamp, Timestamp, u32, &K)> {
        let floor = Timestamp::from_second(
            start
                .as_second()
                .saturating_sub(self.max_len_s)
                .max(Timestamp::MIN.as_second()),
        )
        .unwrap_or(Timestamp::MIN);
        self.items
            .range((floor, K::least())..)
            .take_while(move |((s, _), _)| *s < end)
            .filter(move |(_, (e, _))| *e > start)
            .map(|((s, id), (e, u))| (*s, *e, *u, id))
    }

    /// Highest total usage at any instant of `[start, end)`.
    pub fn peak(&self, start: Timestamp, end: Timestamp) -> u32 {
        peak_of(self.spans(start, end), start, end)
    }

    /// Highest total usage of this and `other` together at any instant of
    /// `[start, end)`.
    pub fn peak_with<L: Occupant>(
        &self,
        other: &Occupancy<L>,
        start: Timestamp,
        end: Timestamp,
    ) -> u32 {
        peak_of(
            self.spans(start, end).chain(other.spans(start, end)),
            start,
            end,
        )
    }

    /// `(start, end, usage)` of the bookings overlapping `[start, end)`.
    fn spans(
        &self,
        start: Timestamp,
        end: Timestamp,
    ) -> impl Iterator<Item = (Timestamp, Timestamp, u32)> {
        self.overlapping(start, end).map(|(s, e, u, _)| (s, e, u))
    }

    /// The earliest end of a booking overlapping `[start, end)` (to skip past
    /// it when searching for a free slot).
    pub fn first_end_within(&self, start: Timestamp, end: Timestamp) -> Option<Timestamp> {
        self.overlapping(start, end).map(|(_, e, _, _)| e).min()
    }
}

/// The peak of `bookings` (all overlapping `[start, end)`) within it.
fn peak_of(
    bookings: impl Iterator<Item = (Timestamp, Timestamp, u32)>,
    start: Timestamp,
    end: Timestamp,
) -> u32 {
    let mut events: Vec<(Timestamp, i64)> = Vec::new();
    for (s, e, u) in bookings {
        events.push((s.max(start), i64::from(u)));
        events.push((e.min(end), -i64::from(u)));
    }
    // Ends sort before starts at the same instant: ranges are half-open.
    events.sort();
    let (mut cur, mut peak) = (0i64, 0i64);
    for (_, d) in events {
        cur += d;
        peak = peak.max(cur);
    }
    u32::try_from(peak).unwrap_or(u32::MAX)
}

impl BookingId {
    /// The smallest possible id (for range queries).
    pub(crate) fn min() -> Self {
        BookingId {
            requester: crate::ids::AgencyId([0; 32]),
            local: compact_str::CompactString::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AgencyId;

    fn t(h: i64) -> Timestamp {
        Timestamp::from_second(h * 3600).unwrap()
    }

    #[test]
    fn peak_counts_only_overlaps_and_half_open_ranges() {
        let a = AgencyId([1; 32]);
        let id = |s: &str| BookingId::new(a, s).unwrap();
        let mut o = Occupancy::new();
        o.insert(id("a"), t(0), t(10), 1);
        o.insert(id("b"), t(2), t(4), 2);
        o.insert(id("c"), t(4), t(6), 2);
        assert_eq!(o.peak(t(0), t(10)), 3);
        assert_eq!(o.peak(t(10), t(12)), 0);
        assert_eq!(o.peak(t(6), t(7)), 1);
        assert_eq!(o.first_end_within(t(3), t(5)), Some(t(4)));
        assert!(o.remove(&id("b"), t(2)));
        assert_eq!(o.peak(t(0), t(10)), 3);
        assert_eq!(o.peak(t(2), t(4)), 1);
    }
}
