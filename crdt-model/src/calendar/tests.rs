//! Unit tests of `calendar`.

use super::*;
use crate::ids::AgencyId;
use crate::resource::Capacity;

fn t(h: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + h * 3600).unwrap()
}

#[test]
fn buffers_keep_time_free_between_bookings() {
    let a = AgencyId([1; 32]);
    let mut cal = ResourceCalendar::default();
    cal.occupancy
        .insert(BookingId::new(a, "x").unwrap(), t(10), t(12), 1);
    let right_after = Terms {
        start: t(12),
        end: t(13),
        quantity: 1,
    };
    assert!(fits(&cal, Capacity::People(5), &right_after, 0));
    assert!(!fits(&cal, Capacity::People(5), &right_after, 15 * 60));
    let later = Terms {
        start: t(13),
        end: t(14),
        quantity: 1,
    };
    assert!(fits(&cal, Capacity::People(5), &later, 15 * 60));
    // Units add up; people are one booking at a time.
    assert!(fits(
        &cal,
        Capacity::Units(2),
        &Terms {
            start: t(11),
            end: t(12),
            quantity: 1
        },
        0
    ));
    assert!(!fits(
        &cal,
        Capacity::Units(2),
        &Terms {
            start: t(11),
            end: t(12),
            quantity: 2
        },
        0
    ));
    assert!(!fits(
        &cal,
        Capacity::People(9),
        &Terms {
            start: t(11),
            end: t(12),
            quantity: 1
        },
        0
    ));
}
