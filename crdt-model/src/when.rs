//! Dates, times and durations as people write them, for the command line
//! and the TUI alike: `2026-12-14`, `12-14` (the next 14 December),
//! `12月14日`, `today`/`今天`, `tomorrow`/`明天`, `后天`, `+3`, a weekday
//! (`tue`, `周二`, `星期二`: the coming one; `下周二`: next week's), each
//! optionally followed by a time (`明天 09:00`, `12-14T14:30`); durations
//! `90`, `90m`, `2h`, `1h30m`, `2d`, `2天`, `3小时`, `30分钟`. Pure: the
//! caller passes today and the zone.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A date as people write it, relative to `today` (see the module doc).
pub fn parse_date(s: &str, today: Date) -> Option<Date> {
    let s = s.trim();
    match s {
        "" | "today" | "今天" => return Some(today),
        "tomorrow" | "明天" => return today.tomorrow().ok(),
        "后天" => return today.checked_add(2.days()).ok(),
        _ => {}
    }
    if let Some(n) = s.strip_prefix('+') {
        let n: i64 = n.parse().ok()?;
        return today.checked_add(n.days()).ok();
    }
    if let Ok(d) = s.parse() {
        return Some(d);
    }
    if let Some(d) = month_day(s, today) {
        return Some(d);
    }
    weekday(s, today)
}

/// `12-14`, `12/14`, `12月14日`: the next such date from `today` (today
/// itself included).
fn month_day(s: &str, today: Date) -> Option<Date> {
    let s = s.trim_end_matches(['日', '号']);
    let (m, d) = s.split_once(['-', '/', '月'])?;
    let (m, d): (i8, i8) = (m.trim().parse().ok()?, d.trim().parse().ok()?);
    // Checked against a leap year, so 02-29 waits for the next one.
    Date::new(2024, m, d).ok()?;
    (0..=8)
        .filter_map(|y| Date::new(today.year().checked_add(y)?, m, d).ok())
        .find(|c| *c >= today)
}

/// `tue`, `tuesday`, `周二`, `星期二`, `next tue`: the coming one (a week
/// on when it is today); `下周二`: Tuesday of next week.
fn weekday(s: &str, today: Date) -> Option<Date> {
    let l = s.to_lowercase();
    let next_week = l.starts_with('下');
    let l = l
        .trim_start_matches("next ")
        .trim_start_matches('下')
        .trim_start_matches("星期")
        .trim_start_matches('周');
    const EN: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const ZH: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    let i = EN
        .iter()
        .position(|d| l.starts_with(d))
        .or_else(|| ZH.iter().position(|d| l == *d || (l == "天" && *d == "日")))?;
    let offset = i64::from(today.weekday().to_monday_zero_offset());
    let ahead = if next_week {
        7 - offset + i as i64
    } else {
        match (i as i64 - offset + 7) % 7 {
            0 => 7,
            n => n,
        }
    };
    today.checked_add(ahead.days()).ok()
}

/// `09:00`, `9:30`, `14`: a time of day.
pub fn parse_hm(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':').unwrap_or((s.trim(), "0"));
    Time::new(h.trim().parse().ok()?, m.trim().parse().ok()?, 0, 0).ok()
}

/// An instant: RFC 3339 (`2026-12-01T09:00:00+08:00`), or a date as
/// [`parse_date`] reads it with an optional time (`T` or a space between),
/// in `tz`; a date alone is its midnight.
pub fn parse_instant(s: &str, today: Date, tz: &TimeZone) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    if let Ok(dt) = s.replacen(' ', "T", 1).parse::<DateTime>() {
        return dt.to_zoned(tz.clone()).ok().map(|z| z.timestamp());
    }
    // "明天 09:00", "12-14T14:30", "mon 9:00": the time is the last part.
    let (date, time) = match s.rsplit_once([' ', 'T']) {
        Some((d, t)) if parse_hm(t).is_some() => (d, parse_hm(t)?),
        _ => (s, Time::midnight()),
    };
    let d = parse_date(date, today)?;
    d.to_datetime(time)
        .to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

/// Minutes in `90`, `90m`, `2h`, `1h30m`, `7d`, `2天`, `3小时`, `30分钟`
/// (a bare number is minutes); `None` for zero or anything else.
pub fn parse_minutes(s: &str) -> Option<u32> {
    let s = s
        .trim()
        .replace("分钟", "m")
        .replace("小时", "h")
        .replace('天', "d");
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        if c == ' ' {
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        total = total.checked_add(n.checked_mul(match c {
            'm' => 1,
            'h' => 60,
            'd' => 1440,
            _ => return None,
        })?)?;
    }
    if !num.is_empty() {
        total = total.checked_add(num.parse::<u64>().ok()?)?;
    }
    u32::try_from(total).ok().filter(|m| *m > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Tuesday, given: these functions never read the clock.
    fn tue() -> Date {
        Date::new(2026, 12, 1).expect("date")
    }

    #[test]
    fn dates_read_as_people_write_them() {
        let t = tue();
        assert_eq!(
            parse_date("明天", t),
            Some(Date::new(2026, 12, 2).expect("d"))
        );
        assert_eq!(
            parse_date("+7", t),
            Some(Date::new(2026, 12, 8).expect("d"))
        );
        assert_eq!(
            parse_date("12-14", t),
            Some(Date::new(2026, 12, 14).expect("d"))
        );
        assert_eq!(
            parse_date("12月14日", t),
            Some(Date::new(2026, 12, 14).expect("d"))
        );
        // A month-day already past is next year's; today is today.
        assert_eq!(
            parse_date("11-30", t),
            Some(Date::new(2027, 11, 30).expect("d"))
        );
        assert_eq!(parse_date("12-01", t), Some(t));
        assert_eq!(
            parse_date("2-29", t),
            Some(Date::new(2028, 2, 29).expect("d"))
        );
        assert_eq!(parse_date("13-01", t), None);
        // Weekdays: the coming one; today's is a week on; 下 is next week's.
        assert_eq!(
            parse_date("fri", t),
            Some(Date::new(2026, 12, 4).expect("d"))
        );
        assert_eq!(
            parse_date("周二", t),
            Some(Date::new(2026, 12, 8).expect("d"))
        );
        assert_eq!(
            parse_date("下周五", t),
            Some(Date::new(2026, 12, 11).expect("d"))
        );
        assert_eq!(parse_date("someday", t), None);
    }

    #[test]
    fn instants_take_a_date_and_a_time_in_the_zone() {
        let tz = TimeZone::get("Asia/Shanghai").expect("zone");
        let at = |s: &str| parse_instant(s, tue(), &tz).map(|t| t.to_zoned(tz.clone()).datetime());
        let want = |m: i8, d: i8, h: i8| Some(Date::new(2026, m, d).expect("d").at(h, 0, 0, 0));
        assert_eq!(at("2026-12-14T09:00"), want(12, 14, 9));
        assert_eq!(at("2026-12-14 09:00"), want(12, 14, 9));
        assert_eq!(at("12-14T09:00"), want(12, 14, 9));
        assert_eq!(at("明天 14:00"), want(12, 2, 14));
        assert_eq!(at("mon 9:00"), want(12, 7, 9));
        assert_eq!(at("tomorrow"), want(12, 2, 0));
        assert_eq!(at("2026-12-01T01:00:00Z"), want(12, 1, 9));
        assert_eq!(at("明天 25:00"), None);
        assert_eq!(at(""), None, "an empty field is no time, not today");
        assert_eq!(at("nonsense 09:00"), None);
    }

    #[test]
    fn durations_in_either_language() {
        assert_eq!(parse_minutes("90"), Some(90));
        assert_eq!(parse_minutes("1h30m"), Some(90));
        assert_eq!(parse_minutes("2d"), Some(2880));
        assert_eq!(parse_minutes("2天"), Some(2880));
        assert_eq!(parse_minutes("3小时"), Some(180));
        assert_eq!(parse_minutes("30分钟"), Some(30));
        assert_eq!(parse_minutes("0"), None);
        assert_eq!(parse_minutes("2x"), None);
        assert_eq!(parse_minutes("99999999999d"), None);
    }
}
