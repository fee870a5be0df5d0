//! Unit tests of `resource` (and a sample resource other tests use).

use super::*;
use crate::ids::AgencyId;

pub(crate) fn room(owner: AgencyId, local: &str, people: u32) -> Resource {
    Resource {
        id: ResourceId::new(owner, local).unwrap(),
        kind: ResourceKind::MeetingRoom,
        name: Text::new("第一会议室", "Room 1"),
        location: Location {
            city: Text::new("杭州", "Hangzhou"),
            ..Default::default()
        },
        capacity: Capacity::People(people),
        features: ["projector".to_string()].into(),
        attributes: BTreeMap::new(),
        sharing: Sharing::AllMembers,
        rules: BookingRules::default(),
        retired: false,
        held_by: None,
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn duration_window_and_blackouts() {
    let a = AgencyId([1; 32]);
    let mut r = room(a, "r1", 10);
    r.rules.min_minutes = 30;
    r.rules.max_minutes = 240;
    r.rules.max_advance_days = 30;
    r.rules.blackouts.push(Blackout {
        start: ts("2026-12-24T00:00:00Z"),
        end: ts("2026-12-26T00:00:00Z"),
        reason: Text::default(),
    });
    let now = ts("2026-12-01T00:00:00Z");
    let ok = r.check(
        &a,
        ts("2026-12-02T01:00:00Z"),
        ts("2026-12-02T02:00:00Z"),
        5,
        now,
    );
    assert_eq!(ok, Ok(()));
    let check = |s, e| r.check(&a, ts(s), ts(e), 5, now);
    assert_eq!(
        check("2026-12-02T01:00:00Z", "2026-12-02T01:10:00Z"),
        Err(RuleViolation::TooShort { min: 30 })
    );
    assert_eq!(
        check("2026-12-02T01:00:00Z", "2026-12-02T09:00:00Z"),
        Err(RuleViolation::TooLong { max: 240 })
    );
    assert_eq!(
        check("2027-02-02T01:00:00Z", "2027-02-02T02:00:00Z"),
        Err(RuleViolation::TooFarAhead { days: 30 })
    );
    assert_eq!(
        check("2026-12-24T01:00:00Z", "2026-12-24T02:00:00Z"),
        Err(RuleViolation::Blackout)
    );
    assert_eq!(
        check("2026-11-30T01:00:00Z", "2026-11-30T02:00:00Z"),
        Err(RuleViolation::InPast)
    );
    assert_eq!(
        check("2026-12-02T02:00:00Z", "2026-12-02T01:00:00Z"),
        Err(RuleViolation::EmptyRange)
    );
    assert!(matches!(
        r.check(
            &a,
            ts("2026-12-02T01:00:00Z"),
            ts("2026-12-02T02:00:00Z"),
            11,
            now
        ),
        Err(RuleViolation::Quantity { .. })
    ));
}

#[test]
fn opening_hours_in_shanghai_and_new_york_across_dst() {
    let a = AgencyId([1; 32]);
    let mut r = room(a, "r1", 10);
    r.rules.opening = Some(OpeningHours {
        days: (1..=5).collect(),
        open: Time::constant(8, 0, 0, 0),
        close: Time::constant(18, 0, 0, 0),
    });
    let now = ts("2026-01-01T00:00:00Z");
    // Shanghai is UTC+8 all year: 09:00-10:00 local on Wed 2026-03-11 is 01:00Z.
    assert_eq!(
        r.check_range(ts("2026-03-11T01:00:00Z"), ts("2026-03-11T02:00:00Z"), now),
        Ok(())
    );
    // 07:00 local is before opening.
    assert_eq!(
        r.check_range(ts("2026-03-10T23:00:00Z"), ts("2026-03-11T01:00:00Z"), now),
        Err(RuleViolation::Closed)
    );
    // Ending exactly at closing time is allowed; a Saturday is not.
    assert_eq!(
        r.check_range(ts("2026-03-11T09:00:00Z"), ts("2026-03-11T10:00:00Z"), now),
        Ok(())
    );
    assert_eq!(
        r.check_range(ts("2026-03-14T01:00:00Z"), ts("2026-03-14T02:00:00Z"), now),
        Err(RuleViolation::Closed)
    );
    // New York switches to EDT on 2026-03-08: 08:30 local is 13:30Z before, 12:30Z after.
    r.rules.time_zone = "America/New_York".to_string();
    assert_eq!(
        r.check_range(ts("2026-03-06T13:30:00Z"), ts("2026-03-06T14:30:00Z"), now),
        Ok(())
    );
    assert_eq!(
        r.check_range(ts("2026-03-06T12:30:00Z"), ts("2026-03-06T13:30:00Z"), now),
        Err(RuleViolation::Closed)
    );
    assert_eq!(
        r.check_range(ts("2026-03-09T12:30:00Z"), ts("2026-03-09T13:30:00Z"), now),
        Ok(())
    );
    let (o, c) = r.opening_on(ts("2026-03-09T15:00:00Z")).unwrap();
    assert_eq!(
        (o, c),
        (ts("2026-03-09T12:00:00Z"), ts("2026-03-09T22:00:00Z"))
    );
}

#[test]
fn sharing_policy() {
    let a = AgencyId([1; 32]);
    let b = AgencyId([2; 32]);
    let mut r = room(a, "r1", 4);
    assert!(r.shared_with(&b));
    r.sharing = Sharing::OwnerOnly;
    assert!(!r.shared_with(&b) && r.shared_with(&a));
    r.sharing = Sharing::Agencies([b].into());
    assert!(r.shared_with(&b));
}
