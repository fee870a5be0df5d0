//! Reading what people type: dates as they say them (`明天`, `下周二`,
//! `+3`, `tue`), times, kinds and numbers.

use super::*;

pub(super) fn parse_kind(s: &str) -> Option<ResourceKind> {
    let l = s.to_lowercase();
    ResourceKind::BUILT_IN
        .iter()
        .find(|k| k.to_string() == l || k.label().zh == s || k.label().en.to_lowercase() == l)
        .cloned()
        .or_else(|| match l.parse::<ResourceKind>() {
            Ok(ResourceKind::Other(_)) | Err(_) => None,
            Ok(k) => Some(k),
        })
}

/// `today`, `tomorrow`, `+3`, `2026-12-08`, or a weekday: `tue`,
/// `tuesday`, `周二`, `星期二` mean the coming one, `下周二` next week's.
pub(super) fn parse_date(s: &str, today: Date) -> Option<Date> {
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
    let l = s.to_lowercase();
    // 下周五: Friday of next week; 周五 / fri / next fri: the coming Friday.
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

pub(super) fn parse_hm(s: &str) -> Option<Time> {
    let (h, m) = s.split_once(':').unwrap_or((s, "0"));
    let t = Time::new(h.trim().parse().ok()?, m.trim().parse().ok()?, 0, 0).ok()?;
    Some(t)
}

/// Parses `2026-12-01 09:00`, `2026-12-01T09:00` (in the display zone) or RFC 3339.
pub fn parse_instant(state: &State, s: &str) -> Option<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let dt: jiff::civil::DateTime = s.replacen(' ', "T", 1).parse().ok()?;
    dt.to_zoned(state.tz.clone()).ok().map(|z| z.timestamp())
}

pub(super) fn positive(s: &str) -> Option<u32> {
    s.parse::<u32>().ok().filter(|n| *n > 0)
}

pub(super) fn fmt_input(state: &State, t: Timestamp) -> String {
    t.to_zoned(state.tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub(super) fn shift(d: Date, days: i64) -> Date {
    d.checked_add(days.days()).unwrap_or(d)
}
