//! Recurring bookings: the subset of RFC 5545 recurrence rules (RRULE) a
//! series of bookings may use, parsed and expanded into occurrences in the
//! resource's time zone. Pure: the caller passes the first start and the
//! zone.
//!
//! Supported: `FREQ=DAILY|WEEKLY|MONTHLY`, `INTERVAL`, `COUNT` or `UNTIL`
//! (one of them is required; `UNTIL` as `YYYYMMDD`, `YYYY-MM-DD` or
//! `YYYYMMDDTHHMMSSZ`), `BYDAY` (weekdays; with an ordinal such as `1MO` or
//! `-1FR` in a monthly rule), `BYMONTHDAY` (monthly; negative counts from
//! the month's end) and `WKST=MO`. The occurrences are the dates on or
//! after the first start's date that the rule selects, each at the first
//! start's local time (so a weekly meeting stays at 09:00 across a change
//! of daylight saving time). A month without the day asked (the 31st, the
//! 5th Friday) is skipped, as RFC 5545 says. At most
//! [`MAX_OCCURRENCES`] occurrences.

use jiff::Zoned;
use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, ToSpan};

/// The most occurrences one series may have.
pub const MAX_OCCURRENCES: usize = 366;

/// How often a series repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freq {
    /// Every `interval` days.
    Daily,
    /// Every `interval` weeks.
    Weekly,
    /// Every `interval` months.
    Monthly,
}

/// When a series stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// After this many occurrences.
    Count(u32),
    /// On this local date, included.
    UntilDate(Date),
    /// At this instant, included.
    UntilInstant(Timestamp),
}

/// A parsed recurrence rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Frequency.
    pub freq: Freq,
    /// Every how many periods (1 or more).
    pub interval: u32,
    /// When it stops.
    pub end: End,
    /// Weekdays, with an optional ordinal in the month (monthly rules).
    pub by_day: Vec<(Option<i8>, Weekday)>,
    /// Days of the month (monthly rules); negative from the month's end.
    pub by_month_day: Vec<i8>,
}

/// Why a rule cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecurError {
    /// Not the RRULE syntax, or a part outside the subset.
    #[error("repeat rule: {0}")]
    Syntax(String),
    /// Selects no date.
    #[error("repeat rule selects no date")]
    Empty,
    /// Selects more than [`MAX_OCCURRENCES`] dates.
    #[error("repeat rule selects more than {MAX_OCCURRENCES} dates")]
    TooMany,
}

fn syntax(s: impl Into<String>) -> RecurError {
    RecurError::Syntax(s.into())
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

fn weekday_code(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    }
}

fn parse_until(v: &str) -> Result<End, RecurError> {
    let bad = || {
        syntax(format!(
            "UNTIL={v} is not a date (YYYYMMDD or YYYYMMDDTHHMMSSZ)"
        ))
    };
    if let Some(t) = v.strip_suffix('Z') {
        let (d, hms) = t.split_once('T').ok_or_else(bad)?;
        if d.len() != 8 || hms.len() != 6 {
            return Err(bad());
        }
        let iso = format!(
            "{}-{}-{}T{}:{}:{}Z",
            &d[..4],
            &d[4..6],
            &d[6..],
            &hms[..2],
            &hms[2..4],
            &hms[4..]
        );
        return iso.parse().map(End::UntilInstant).map_err(|_| bad());
    }
    let iso = if v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..])
    } else {
        v.to_string()
    };
    iso.parse().map(End::UntilDate).map_err(|_| bad())
}

impl Rule {
    /// Parses RRULE text (`FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10`, with or
    /// without a leading `RRULE:`; case-insensitive).
    pub fn parse(text: &str) -> Result<Rule, RecurError> {
        let text = text.trim();
        let upper = text.to_ascii_uppercase();
        let body = upper.strip_prefix("RRULE:").unwrap_or(&upper);
        if body.is_empty() {
            return Err(syntax("empty"));
        }
        let (mut freq, mut interval, mut end) = (None, 1u32, None);
        let (mut by_day, mut by_month_day) = (Vec::new(), Vec::new());
        for part in body.split(';').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| syntax(format!("{part} is not NAME=VALUE")))?;
            match k {
                "FREQ" => {
                    freq = Some(match v {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        _ => return Err(syntax(format!("FREQ={v}: use DAILY, WEEKLY or MONTHLY"))),
                    })
                }
                "INTERVAL" => {
                    interval = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=366).contains(n))
                        .ok_or_else(|| syntax(format!("INTERVAL={v}: 1 to 366")))?
                }
                "COUNT" | "UNTIL" if end.is_some() => {
                    return Err(syntax("COUNT and UNTIL together"));
                }
                "COUNT" => {
                    let n: u32 = v
                        .parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| syntax(format!("COUNT={v}: a number from 1")))?;
                    if n as usize > MAX_OCCURRENCES {
                        return Err(RecurError::TooMany);
                    }
                    end = Some(End::Count(n));
                }
                "UNTIL" => end = Some(parse_until(v)?),
                "BYDAY" => {
                    for d in v.split(',') {
                        let split = d.len().saturating_sub(2);
                        let (n, w) = d.split_at(split);
                        let w = weekday(w).ok_or_else(|| syntax(format!("BYDAY {d}")))?;
                        let n = if n.is_empty() {
                            None
                        } else {
                            Some(
                                n.trim_start_matches('+')
                                    .parse::<i8>()
                                    .ok()
                                    .filter(|n| *n != 0 && (-5..=5).contains(n))
                                    .ok_or_else(|| syntax(format!("BYDAY {d}")))?,
                            )
                        };
                        by_day.push((n, w));
                    }
                }
                "BYMONTHDAY" => {
                    for d in v.split(',') {
                        by_month_day.push(
                            d.parse::<i8>()
                                .ok()
                                .filter(|n| *n != 0 && (-31..=31).contains(n))
                                .ok_or_else(|| syntax(format!("BYMONTHDAY {d}")))?,
                        );
                    }
                }
                "WKST" if v == "MO" => {}
                _ => return Err(syntax(format!("{part} is not supported"))),
            }
        }
        let freq = freq.ok_or_else(|| syntax("FREQ is required"))?;
        let end = end.ok_or_else(|| syntax("COUNT or UNTIL is required"))?;
        if freq != Freq::Monthly {
            if !by_month_day.is_empty() {
                return Err(syntax("BYMONTHDAY is for FREQ=MONTHLY"));
            }
            if by_day.iter().any(|(n, _)| n.is_some()) {
                return Err(syntax("a numbered BYDAY (1MO) is for FREQ=MONTHLY"));
            }
        } else if !by_day.is_empty() && !by_month_day.is_empty() {
            return Err(syntax("BYDAY or BYMONTHDAY, not both"));
        }
        by_day.sort_by_key(|(n, w)| (*n, w.to_monday_zero_offset()));
        by_day.dedup();
        by_month_day.sort_unstable();
        by_month_day.dedup();
        Ok(Rule {
            freq,
            interval,
            end,
            by_day,
            by_month_day,
        })
    }

    /// The rule as RRULE text, canonical (what the `.ics` export writes).
    pub fn to_text(&self) -> String {
        let mut parts = vec![format!(
            "FREQ={}",
            match self.freq {
                Freq::Daily => "DAILY",
                Freq::Weekly => "WEEKLY",
                Freq::Monthly => "MONTHLY",
            }
        )];
        if self.interval != 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|(n, w)| {
                    format!(
                        "{}{}",
                        n.map(|n| n.to_string()).unwrap_or_default(),
                        weekday_code(*w)
                    )
                })
                .collect();
            parts.push(format!("BYDAY={}", days.join(",")));
        }
        if !self.by_month_day.is_empty() {
            let days: Vec<String> = self.by_month_day.iter().map(|d| d.to_string()).collect();
            parts.push(format!("BYMONTHDAY={}", days.join(",")));
        }
        parts.push(match self.end {
            End::Count(n) => format!("COUNT={n}"),
            End::UntilDate(d) => format!("UNTIL={}", d.strftime("%Y%m%d")),
            End::UntilInstant(t) => format!("UNTIL={}", t.strftime("%Y%m%dT%H%M%SZ")),
        });
        parts.join(";")
    }

    /// The dates one period selects, sorted, from the period starting on
    /// `first` (a day, the Monday of a week, the 1st of a month).
    fn dates_in(&self, first: Date, start: &Zoned) -> Vec<Date> {
        match self.freq {
            Freq::Daily => {
                let ok = self.by_day.is_empty()
                    || self.by_day.iter().any(|(_, w)| *w == first.weekday());
                if ok { vec![first] } else { vec![] }
            }
            Freq::Weekly => {
                let days: Vec<Weekday> = if self.by_day.is_empty() {
                    vec![start.weekday()]
                } else {
                    self.by_day.iter().map(|(_, w)| *w).collect()
                };
                let mut out: Vec<Date> = days
                    .into_iter()
                    .filter_map(|w| {
                        first
                            .checked_add((w.to_monday_zero_offset() as i64).days())
                            .ok()
                    })
                    .collect();
                out.sort_unstable();
                out.dedup();
                out
            }
            Freq::Monthly => {
                let mut out = Vec::new();
                let len = first.days_in_month();
                if !self.by_day.is_empty() {
                    for (n, w) in &self.by_day {
                        match n {
                            Some(n) => {
                                if let Ok(d) = first.nth_weekday_of_month(*n, *w) {
                                    out.push(d);
                                }
                            }
                            None => {
                                let mut d = first;
                                while d.month() == first.month() {
                                    if d.weekday() == *w {
                                        out.push(d);
                                    }
                                    match d.tomorrow() {
                                        Ok(x) => d = x,
                                        Err(_) => break,
                                    }
                                }
                            }
                        }
                    }
                } else {
                    let days = if self.by_month_day.is_empty() {
                        vec![start.day()]
                    } else {
                        self.by_month_day.clone()
                    };
                    for d in days {
                        let day = if d > 0 { d } else { len + 1 + d };
                        if (1..=len).contains(&day)
                            && let Ok(x) = first.with().day(day).build()
                        {
                            out.push(x);
                        }
                    }
                }
                out.sort_unstable();
                out.dedup();
                out
            }
        }
    }

    /// The occurrences' starts: the dates the rule selects on or after
    /// `start`'s date, each at `start`'s local time in its zone.
    pub fn occurrences(&self, start: &Zoned) -> Result<Vec<Zoned>, RecurError> {
        let d0 = start.date();
        let mut period = match self.freq {
            Freq::Daily => d0,
            Freq::Weekly => d0
                .checked_sub((d0.weekday().to_monday_zero_offset() as i64).days())
                .map_err(|_| RecurError::Empty)?,
            Freq::Monthly => d0.first_of_month(),
        };
        let step = match self.freq {
            Freq::Daily => (self.interval as i64).days(),
            Freq::Weekly => (self.interval as i64 * 7).days(),
            Freq::Monthly => (self.interval as i64).months(),
        };
        let mut out = Vec::new();
        // Enough periods for any rule that can still select a date.
        for _ in 0..(MAX_OCCURRENCES * 31) {
            for d in self.dates_in(period, start) {
                if d < d0 {
                    continue;
                }
                let at = d
                    .to_datetime(start.time())
                    .to_zoned(start.time_zone().clone())
                    .map_err(|_| RecurError::Empty)?;
                let past = match self.end {
                    End::Count(n) => out.len() >= n as usize,
                    End::UntilDate(u) => d > u,
                    End::UntilInstant(u) => at.timestamp() > u,
                };
                if past {
                    return finish(out);
                }
                if out.len() >= MAX_OCCURRENCES {
                    return Err(RecurError::TooMany);
                }
                out.push(at);
            }
            period = match period.checked_add(step) {
                Ok(p) => p,
                Err(_) => break,
            };
        }
        finish(out)
    }
}

fn finish(out: Vec<Zoned>) -> Result<Vec<Zoned>, RecurError> {
    if out.is_empty() {
        Err(RecurError::Empty)
    } else {
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> Zoned {
        format!("{s}[Asia/Shanghai]").parse().expect("zoned")
    }

    fn dates(rule: &str, start: &str) -> Vec<String> {
        Rule::parse(rule)
            .and_then(|r| r.occurrences(&at(start)))
            .expect("rule")
            .iter()
            .map(|z| z.strftime("%Y-%m-%d %a %H:%M").to_string())
            .collect()
    }

    #[test]
    fn weekly_on_two_days_counts_from_the_first_start() {
        // 2026-12-01 is a Tuesday: the first Monday is skipped.
        assert_eq!(
            dates("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4", "2026-12-01T09:00"),
            [
                "2026-12-02 Wed 09:00",
                "2026-12-07 Mon 09:00",
                "2026-12-09 Wed 09:00",
                "2026-12-14 Mon 09:00"
            ]
        );
    }

    #[test]
    fn every_other_week_until_a_date() {
        assert_eq!(
            dates("freq=weekly;interval=2;until=20261231", "2026-12-01T14:00"),
            [
                "2026-12-01 Tue 14:00",
                "2026-12-15 Tue 14:00",
                "2026-12-29 Tue 14:00"
            ]
        );
    }

    #[test]
    fn monthly_by_weekday_and_by_day() {
        assert_eq!(
            dates("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "2026-12-01T10:00"),
            [
                "2026-12-25 Fri 10:00",
                "2027-01-29 Fri 10:00",
                "2027-02-26 Fri 10:00"
            ]
        );
        // The 31st: months without one are skipped.
        assert_eq!(
            dates("FREQ=MONTHLY;COUNT=3", "2027-01-31T10:00"),
            [
                "2027-01-31 Sun 10:00",
                "2027-03-31 Wed 10:00",
                "2027-05-31 Mon 10:00"
            ]
        );
        assert_eq!(
            dates("FREQ=MONTHLY;BYMONTHDAY=1,-1;COUNT=3", "2027-02-01T08:30"),
            [
                "2027-02-01 Mon 08:30",
                "2027-02-28 Sun 08:30",
                "2027-03-01 Mon 08:30"
            ]
        );
    }

    #[test]
    fn daily_on_workdays_keeps_local_time_across_daylight_saving() {
        let r = Rule::parse("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=6").expect("rule");
        let z: Zoned = "2027-03-12T09:00[Europe/Berlin]".parse().expect("zoned");
        let got: Vec<String> = r
            .occurrences(&z)
            .expect("dates")
            .iter()
            .map(|z| z.strftime("%m-%d %H:%M %z").to_string())
            .collect();
        assert_eq!(
            got,
            [
                "03-12 09:00 +0100",
                "03-15 09:00 +0100",
                "03-16 09:00 +0100",
                "03-17 09:00 +0100",
                "03-18 09:00 +0100",
                "03-19 09:00 +0100"
            ]
        );
        let z: Zoned = "2027-03-26T09:00[Europe/Berlin]".parse().expect("zoned");
        let r = Rule::parse("FREQ=DAILY;COUNT=4").expect("rule");
        let offsets: Vec<String> = r
            .occurrences(&z)
            .expect("dates")
            .iter()
            .map(|z| z.strftime("%H:%M %z").to_string())
            .collect();
        assert_eq!(
            offsets,
            ["09:00 +0100", "09:00 +0100", "09:00 +0200", "09:00 +0200"]
        );
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        for bad in [
            "",
            "FREQ=YEARLY;COUNT=2",
            "FREQ=WEEKLY",
            "FREQ=WEEKLY;COUNT=2;UNTIL=20270101",
            "FREQ=WEEKLY;BYDAY=XX;COUNT=2",
            "FREQ=WEEKLY;BYDAY=1MO;COUNT=2",
            "FREQ=DAILY;BYMONTHDAY=3;COUNT=2",
            "FREQ=MONTHLY;BYDAY=MO;BYMONTHDAY=1;COUNT=2",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;COUNT=400",
            "FREQ=DAILY;INTERVAL=0;COUNT=2",
            "FREQ=DAILY;UNTIL=tomorrow",
            "FREQ=DAILY;BYSETPOS=1;COUNT=2",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad:?} accepted");
        }
        // Until before the start selects nothing; a daily rule for ten
        // years selects too much.
        let r = Rule::parse("FREQ=DAILY;UNTIL=20200101").expect("parses");
        assert_eq!(
            r.occurrences(&at("2026-12-01T09:00")),
            Err(RecurError::Empty)
        );
        let r = Rule::parse("FREQ=DAILY;UNTIL=20361231").expect("parses");
        assert_eq!(
            r.occurrences(&at("2026-12-01T09:00")),
            Err(RecurError::TooMany)
        );
    }

    #[test]
    fn the_canonical_text_parses_to_the_same_rule() {
        for t in [
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR,2TU;UNTIL=20271231",
            "FREQ=DAILY;UNTIL=20270101T000000Z",
        ] {
            let r = Rule::parse(t).expect("rule");
            assert_eq!(Rule::parse(&r.to_text()), Ok(r));
        }
    }

    fn weekdays() -> impl Strategy<Value = Vec<Weekday>> {
        proptest::collection::btree_set(0i8..7, 1..4).prop_map(|s| {
            s.into_iter()
                .map(|i| Weekday::from_monday_zero_offset(i).expect("0..7"))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn weekly_occurrences_follow_the_rule(
            days in weekdays(),
            interval in 1u32..4,
            count in 1u32..60,
            offset in 0i64..400,
            hour in 6i8..20,
        ) {
            let codes: Vec<&str> = days.iter().map(|w| weekday_code(*w)).collect();
            let text = format!("FREQ=WEEKLY;INTERVAL={interval};BYDAY={};COUNT={count}", codes.join(","));
            let rule = Rule::parse(&text).expect("rule");
            let start = at("2026-12-01T00:00")
                .checked_add(offset.days()).expect("date")
                .with().hour(hour).build().expect("hour");
            let occ = rule.occurrences(&start).expect("dates");
            prop_assert_eq!(occ.len(), count as usize);
            let monday = |d: Date| d.checked_sub((d.weekday().to_monday_zero_offset() as i64).days()).expect("date");
            let week0 = monday(start.date());
            for (i, z) in occ.iter().enumerate() {
                prop_assert!(z.date() >= start.date());
                prop_assert_eq!(z.time(), start.time());
                prop_assert!(days.contains(&z.weekday()));
                let weeks = (monday(z.date()) - week0).get_days() / 7;
                prop_assert_eq!(weeks % interval as i32, 0);
                if i > 0 {
                    prop_assert!(occ[i - 1] < *z);
                }
            }
        }

        #[test]
        fn until_bounds_every_occurrence_and_misses_none(
            offset in 0i64..200,
            span in 1i64..120,
            interval in 1u32..3,
        ) {
            let start = at("2026-12-01T09:00").checked_add(offset.days()).expect("date");
            let until = start.date().checked_add(span.days()).expect("date");
            let text = format!("FREQ=DAILY;INTERVAL={interval};UNTIL={}", until.strftime("%Y%m%d"));
            let occ = Rule::parse(&text).expect("rule").occurrences(&start).expect("dates");
            prop_assert!(occ.iter().all(|z| z.date() <= until));
            prop_assert_eq!(occ.len() as i64, span / interval as i64 + 1);
        }
    }
}
