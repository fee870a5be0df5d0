//! Quotas (实物定额): limits an owner sets on how much of a resource one
//! requesting agency may hold, checked by the owner's policy against the
//! confirmed bookings of the log, so every replica shows the same outcome
//! and the same figures in the rejection. Periods (weeks from Monday,
//! months) are the resource's own, in its time zone; a booking counts in
//! the period its start falls in. The owner's own bookings are not counted.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::calendar::Booking;
use crate::ids::AgencyId;

/// A limit on one requesting agency's bookings of a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// Only this agency's requests (none: each requesting agency's,
    /// counted separately).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<AgencyId>,
    /// The limit.
    #[serde(flatten)]
    pub limit: Limit,
}

/// A period quotas are counted over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

/// What a quota limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "limit")]
pub enum Limit {
    /// Hours booked per week or month.
    Hours {
        /// Most hours.
        hours: u32,
        /// Over what.
        per: Per,
    },
    /// Units (or people) held at any one instant.
    Concurrent {
        /// Most units.
        units: u32,
    },
    /// Bookings per week or month.
    Bookings {
        /// Most bookings.
        count: u32,
        /// Over what.
        per: Per,
    },
}

impl Quota {
    /// Whether it counts `requester`'s bookings.
    pub fn applies_to(&self, requester: &AgencyId) -> bool {
        self.agency.is_none_or(|a| a == *requester)
    }

    /// The quota in words.
    pub fn text(&self) -> Text {
        let (zh, en) = match &self.limit {
            Limit::Hours { hours, per } => (
                format!("每{}{hours}小时", per_zh(*per)),
                format!("{hours} h a {}", per_en(*per)),
            ),
            Limit::Concurrent { units } => (format!("同时至多{units}"), format!("{units} at once")),
            Limit::Bookings { count, per } => (
                format!("每{}{count}次", per_zh(*per)),
                format!("{count} bookings a {}", per_en(*per)),
            ),
        };
        Text::new(zh, en)
    }
}

fn per_zh(p: Per) -> &'static str {
    match p {
        Per::Week => "周",
        Per::Month => "月",
    }
}

fn per_en(p: Per) -> &'static str {
    match p {
        Per::Week => "week",
        Per::Month => "month",
    }
}

/// The first day of the period `t` falls in.
fn period_of(t: Timestamp, per: Per, tz: &TimeZone) -> Date {
    let d = t.to_zoned(tz.clone()).date();
    match per {
        Per::Week => d
            .checked_sub((d.weekday().to_monday_zero_offset() as i64).days())
            .unwrap_or(d),
        Per::Month => d.first_of_month(),
    }
}

fn hours(b: &Booking) -> f64 {
    (b.terms.end.as_second() - b.terms.start.as_second()) as f64 / 3600.0
}

/// Checks `b` against `resource`'s quotas (see [`check`]); a resource
/// without quotas needs no counting.
pub fn within<'a>(
    resource: &crate::resource::Resource,
    held: impl Iterator<Item = &'a Booking> + Clone,
    b: &Booking,
) -> Result<(), Text> {
    if resource.rules.quotas.is_empty() {
        return Ok(());
    }
    check(
        &resource.rules.quotas,
        &resource.owner(),
        &resource.tz(),
        held,
        b,
    )
}

/// Checks `b` against every quota of a resource, given the requester's
/// bookings already confirmed there (`held`: other agencies' are ignored).
/// The error names the quota and the figures.
pub fn check<'a>(
    quotas: &[Quota],
    owner: &AgencyId,
    tz: &TimeZone,
    held: impl Iterator<Item = &'a Booking> + Clone,
    b: &Booking,
) -> Result<(), Text> {
    let who = b.id.requester;
    if who == *owner {
        return Ok(());
    }
    for q in quotas.iter().filter(|q| q.applies_to(&who)) {
        let mine = held
            .clone()
            .filter(|x| x.id.requester == who && x.id != b.id);
        let over = match &q.limit {
            Limit::Hours { hours: max, per } => {
                let p = period_of(b.terms.start, *per, tz);
                let used: f64 = mine
                    .filter(|x| period_of(x.terms.start, *per, tz) == p)
                    .map(hours)
                    .sum();
                (used + hours(b) > f64::from(*max)).then(|| {
                    Text::new(
                        format!("已用{used:.1}小时，本次{:.1}小时", hours(b)),
                        format!("{used:.1} h used, this asks {:.1} h", hours(b)),
                    )
                })
            }
            Limit::Bookings { count, per } => {
                let p = period_of(b.terms.start, *per, tz);
                let used = mine
                    .filter(|x| period_of(x.terms.start, *per, tz) == p)
                    .count();
                (used + 1 > *count as usize)
                    .then(|| Text::new(format!("已有{used}次"), format!("{used} already")))
            }
            Limit::Concurrent { units } => {
                // The most units held at once during the request: at the
                // start of the request or of any booking that begins in it.
                let overlapping: Vec<&Booking> = mine
                    .filter(|x| x.terms.overlaps(b.terms.start, b.terms.end))
                    .collect();
                let peak = std::iter::once(b.terms.start)
                    .chain(overlapping.iter().map(|x| x.terms.start.max(b.terms.start)))
                    .map(|t| {
                        overlapping
                            .iter()
                            .filter(|x| x.terms.start <= t && t < x.terms.end)
                            .map(|x| x.terms.quantity)
                            .sum::<u32>()
                    })
                    .max()
                    .unwrap_or(0);
                (peak + b.terms.quantity > *units).then(|| {
                    Text::new(
                        format!("同时已有{peak}，本次{}", b.terms.quantity),
                        format!("{peak} held then, this asks {}", b.terms.quantity),
                    )
                })
            }
        };
        if let Some(figures) = over {
            let name = q.text();
            return Err(Text::new(
                format!("超出配额（{}）：{}", name.zh, figures.zh),
                format!("over quota ({}): {}", name.en, figures.en),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::{Status, Terms};
    use crate::ids::{BookingId, ResourceId};
    use proptest::prelude::*;

    fn agency(n: u8) -> AgencyId {
        AgencyId([n; 32])
    }

    fn booking(who: u8, n: usize, start: Timestamp, hours: i64, quantity: u32) -> Booking {
        Booking {
            decided_by: None,
            checked_in: None,
            id: BookingId::new(agency(who), &format!("b{n}")).expect("id"),
            resource: ResourceId::new(agency(1), "room").expect("id"),
            terms: Terms {
                start,
                end: start + jiff::SignedDuration::from_hours(hours),
                quantity,
            },
            request: None,
            status: Status::Confirmed,
        }
    }

    fn monday() -> Timestamp {
        "2027-03-01T01:00:00Z"
            .parse()
            .expect("a Monday, 09:00 in Shanghai")
    }

    fn tz() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("zone")
    }

    #[test]
    fn hours_a_week_count_the_requester_alone_and_say_the_figures() {
        let q = [Quota {
            agency: None,
            limit: Limit::Hours {
                hours: 4,
                per: Per::Week,
            },
        }];
        let day = |d: i64| monday() + jiff::SignedDuration::from_hours(24 * d);
        let held = [
            booking(2, 1, day(0), 2, 1),
            booking(2, 2, day(2), 1, 1),
            booking(3, 3, day(1), 8, 1),
            // Last week: another period.
            booking(2, 4, day(-3), 3, 1),
        ];
        let ok = booking(2, 9, day(4), 1, 1);
        assert_eq!(check(&q, &agency(1), &tz(), held.iter(), &ok), Ok(()));
        let over = booking(2, 9, day(4), 2, 1);
        let e = check(&q, &agency(1), &tz(), held.iter(), &over).expect_err("over");
        assert_eq!(e.en, "over quota (4 h a week): 3.0 h used, this asks 2.0 h");
        // The owner is not counted; another agency has its own allowance.
        assert_eq!(
            check(
                &q,
                &agency(1),
                &tz(),
                held.iter(),
                &booking(1, 9, day(4), 9, 1)
            ),
            Ok(())
        );
        let q3 = [Quota {
            agency: Some(agency(3)),
            ..q[0].clone()
        }];
        assert_eq!(check(&q3, &agency(1), &tz(), held.iter(), &over), Ok(()));
        assert!(
            check(
                &q3,
                &agency(1),
                &tz(),
                held.iter(),
                &booking(3, 9, day(5), 1, 1)
            )
            .is_err()
        );
    }

    #[test]
    fn bookings_a_month_and_units_at_once() {
        let q = [
            Quota {
                agency: None,
                limit: Limit::Bookings {
                    count: 2,
                    per: Per::Month,
                },
            },
            Quota {
                agency: None,
                limit: Limit::Concurrent { units: 3 },
            },
        ];
        let held = [booking(2, 1, monday(), 4, 2)];
        let later = monday() + jiff::SignedDuration::from_hours(2);
        assert_eq!(
            check(
                &q,
                &agency(1),
                &tz(),
                held.iter(),
                &booking(2, 2, later, 4, 1)
            ),
            Ok(())
        );
        let e = check(
            &q,
            &agency(1),
            &tz(),
            held.iter(),
            &booking(2, 2, later, 4, 2),
        )
        .expect_err("4 at once");
        assert!(e.en.contains("3 at once"), "{e:?}");
        let two = [
            held[0].clone(),
            booking(2, 2, monday() + jiff::SignedDuration::from_hours(100), 1, 1),
        ];
        let e = check(
            &q,
            &agency(1),
            &tz(),
            two.iter(),
            &booking(2, 3, monday() + jiff::SignedDuration::from_hours(200), 1, 1),
        )
        .expect_err("third this month");
        assert_eq!(e.en, "over quota (2 bookings a month): 2 already");
    }

    proptest! {
        /// Whatever order the owner meets requests in, granting each that
        /// passes leaves every agency within its weekly hours.
        #[test]
        fn granting_what_passes_never_exceeds_the_hours(
            asks in proptest::collection::vec((2u8..5, 0i64..14, 1i64..5), 1..40),
            limit in 1u32..12,
        ) {
            let q = [Quota { agency: None, limit: Limit::Hours { hours: limit, per: Per::Week } }];
            let mut held: Vec<Booking> = Vec::new();
            for (n, (who, day, h)) in asks.into_iter().enumerate() {
                let b = booking(who, n, monday() + jiff::SignedDuration::from_hours(24 * day), h, 1);
                if check(&q, &agency(1), &tz(), held.iter(), &b).is_ok() {
                    held.push(b);
                }
            }
            for who in 2u8..5 {
                for week in 0..2 {
                    let start = monday() + jiff::SignedDuration::from_hours(24 * 7 * week);
                    let end = start + jiff::SignedDuration::from_hours(24 * 7);
                    let used: f64 = held.iter()
                        .filter(|x| x.id.requester == agency(who) && x.terms.start >= start && x.terms.start < end)
                        .map(hours).sum();
                    prop_assert!(used <= f64::from(limit));
                }
            }
        }
    }
}
