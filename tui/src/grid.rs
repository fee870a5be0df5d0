//! Calendar grid geometry (which instant each column stands for, at a given
//! terminal width) and what a cell shows. Shared by `update` (cursor moves)
//! and `view` (drawing), and measured by the render benchmark.

use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::ids::AgencyId;
use crdt_model::resource::Resource;
use jiff::{SignedDuration, Timestamp};

use crate::app::State;

/// First hour shown each day (local).
pub const DAY_START_HOUR: i64 = 7;
/// Hours shown each day.
pub const DAY_HOURS: i64 = 14;

/// The columns of the calendar at one width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    /// Local midnight of the first day.
    pub start: Timestamp,
    /// Days shown.
    pub days: i64,
    /// Minutes per cell.
    pub cell_minutes: i64,
    /// Cells per day.
    pub per_day: usize,
    /// Width of the resource-name column.
    pub name_width: u16,
}

impl Grid {
    /// The grid for `state` drawn `width` cells wide (inside borders).
    pub fn new(state: &State, width: u16) -> Self {
        let (start, days) = state.calendar_window();
        let name_width = (width / 4).clamp(8, 22);
        // One column after the cells marks bookings outside the hours shown.
        let avail = i64::from(width.saturating_sub(name_width + 2)).max(7);
        let per_day_room = avail / days;
        let choices: &[i64] = if days == 1 {
            &[15, 30, 60, 120]
        } else {
            &[30, 60, 120, 210, 420, 840]
        };
        let cell_minutes = choices
            .iter()
            .copied()
            .find(|m| DAY_HOURS * 60 / m <= per_day_room)
            .unwrap_or(840);
        Self {
            start,
            days,
            cell_minutes,
            per_day: (DAY_HOURS * 60 / cell_minutes) as usize,
            name_width,
        }
    }

    /// Number of columns.
    pub fn cells(&self) -> usize {
        self.per_day * self.days as usize
    }

    /// The time range of column `col`.
    pub fn range(&self, col: usize) -> (Timestamp, Timestamp) {
        let day = (col / self.per_day) as i64;
        let within = (col % self.per_day) as i64;
        let minutes = day * 24 * 60 + DAY_START_HOUR * 60 + within * self.cell_minutes;
        let a = self
            .start
            .checked_add(SignedDuration::from_mins(minutes))
            .unwrap_or(self.start);
        let b = a
            .checked_add(SignedDuration::from_mins(self.cell_minutes))
            .unwrap_or(a);
        (a, b)
    }

    /// Column containing `t`, if shown.
    pub fn column_of(&self, t: Timestamp) -> Option<usize> {
        (0..self.cells()).find(|c| {
            let (a, b) = self.range(*c);
            a <= t && t < b
        })
    }
}

impl Grid {
    /// Whether a live booking of `bookings` falls outside the hours shown
    /// (before 07:00 or after 21:00) on one of the days shown.
    pub fn outside_hours(&self, bookings: &[&Booking]) -> bool {
        let live =
            |bk: &&&Booking| matches!(bk.status, Status::Confirmed | Status::Tentative { .. });
        (0..self.days).any(|day| {
            let at = |mins: i64| {
                self.start
                    .checked_add(SignedDuration::from_mins(day * 24 * 60 + mins))
                    .unwrap_or(self.start)
            };
            let shown_from = at(DAY_START_HOUR * 60);
            let shown_to = at((DAY_START_HOUR + DAY_HOURS) * 60);
            bookings.iter().filter(live).any(|bk| {
                bk.terms.overlaps(at(0), shown_from) || bk.terms.overlaps(shown_to, at(24 * 60))
            })
        })
    }
}

/// What one cell of a resource row shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Nothing booked, open.
    Free,
    /// Outside opening hours or in a blackout.
    Closed,
    /// Confirmed booking of another agency.
    Confirmed,
    /// A live booking of ours (confirmed or tentative).
    Ours,
    /// Tentative requests only; the best place in line.
    Tentative(u32),
    /// Taken, as the free/busy of an owner not followed says (who and why
    /// are not known here).
    Busy,
}

impl Cell {
    /// The symbol drawn (readable without colour).
    pub fn symbol(self) -> char {
        match self {
            Cell::Free => '·',
            Cell::Closed => '░',
            Cell::Confirmed => '█',
            Cell::Ours => '▓',
            Cell::Busy => '▒',
            Cell::Tentative(r) => char::from_digit(r.min(9), 10).unwrap_or('9'),
        }
    }
}

/// Classifies the cell `[a, b)` of resource `r` given its bookings.
pub fn classify(
    r: &Resource,
    bookings: &[&Booking],
    me: Option<AgencyId>,
    a: Timestamp,
    b: Timestamp,
) -> Cell {
    let mut best_rank: Option<u32> = None;
    let mut confirmed = false;
    for bk in bookings.iter().filter(|bk| bk.terms.overlaps(a, b)) {
        match &bk.status {
            Status::Confirmed | Status::Tentative { .. } if Some(bk.id.requester) == me => {
                return Cell::Ours;
            }
            Status::Confirmed => confirmed = true,
            Status::Tentative { rank, .. } => {
                best_rank = Some(best_rank.map_or(*rank, |x| x.min(*rank)));
            }
            _ => {}
        }
    }
    if confirmed {
        return Cell::Confirmed;
    }
    if let Some(rank) = best_rank {
        return Cell::Tentative(rank);
    }
    if r.rules.blackouts.iter().any(|x| x.start < b && a < x.end) {
        return Cell::Closed;
    }
    if r.rules.opening.is_some() {
        match r.opening_on(a) {
            Some((open, close)) if open <= a && b <= close => {}
            _ => return Cell::Closed,
        }
    }
    Cell::Free
}
