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

/// A date as people say it (see [`crdt_model::when::parse_date`]):
/// `明天`, `+3`, `12-14`, `周二`, `下周五`, `2026-12-08`.
pub(super) fn parse_date(s: &str, today: Date) -> Option<Date> {
    crdt_model::when::parse_date(s, today)
}

pub(super) fn parse_hm(s: &str) -> Option<Time> {
    crdt_model::when::parse_hm(s)
}

/// Parses `2026-12-01 09:00`, `12-14 09:00`, `明天 09:00` (in the display
/// zone) or RFC 3339.
pub fn parse_instant(state: &State, s: &str) -> Option<Timestamp> {
    let today = state.now.to_zoned(state.tz.clone()).date();
    crdt_model::when::parse_instant(s, today, &state.tz)
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
