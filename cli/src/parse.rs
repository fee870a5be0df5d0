//! Reading times, durations and weekdays from the command line, with errors
//! that name the option.

use std::collections::BTreeSet;

use crdt_model::resource::DEFAULT_TZ;
use jiff::Timestamp;
use jiff::tz::TimeZone;

pub(crate) fn parse_days(s: &str) -> anyhow::Result<BTreeSet<u8>> {
    let mut out = BTreeSet::new();
    for part in s.split(',') {
        let bad = || anyhow::anyhow!("--days: expected e.g. 1-5 or 1,3,5 (1 = Monday), got {s:?}");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u8, u8) = (
                    a.trim().parse().map_err(|_| bad())?,
                    b.trim().parse().map_err(|_| bad())?,
                );
                if !(1..=7).contains(&a) || !(1..=7).contains(&b) || a > b {
                    return Err(bad());
                }
                out.extend(a..=b);
            }
            None => {
                let d: u8 = part.trim().parse().map_err(|_| bad())?;
                if !(1..=7).contains(&d) {
                    return Err(bad());
                }
                out.insert(d);
            }
        }
    }
    Ok(out)
}

/// The zone civil times on the command line are read in: `$TZ` when set,
/// else the product default Asia/Shanghai.
pub(crate) fn cli_zone() -> TimeZone {
    std::env::var("TZ")
        .ok()
        .and_then(|z| TimeZone::get(z.trim_start_matches(':')).ok())
        .unwrap_or_else(|| TimeZone::get(DEFAULT_TZ).unwrap_or(TimeZone::UTC))
}

/// Parses a time (see [`crdt_model::when::parse_instant`]): RFC 3339,
/// `2026-12-01T09:00`, `12-14T09:00` (the next 14 December), `tomorrow 09:00`,
/// `mon 9:00`, `+3`, in [`cli_zone`].
pub(crate) fn parse_time(field: &str, s: &str) -> anyhow::Result<Timestamp> {
    parse_time_in(field, s, &cli_zone())
}

/// Parses a time, reading civil times in `tz` and relative dates from today there.
pub(crate) fn parse_time_in(field: &str, s: &str, tz: &TimeZone) -> anyhow::Result<Timestamp> {
    let today = Timestamp::now().to_zoned(tz.clone()).date();
    crdt_model::when::parse_instant(s, today, tz).ok_or_else(|| {
        anyhow::anyhow!(
            "{field}: {s:?} is not a time (e.g. 2026-12-01T09:00, 12-14T09:00, \"tomorrow 09:00\", \"mon 9:00\", or RFC 3339)"
        )
    })
}

/// Parses `2h`, `90m`, `7d`, `1h30m`, `2天` into minutes.
pub(crate) fn parse_minutes(field: &str, s: &str) -> anyhow::Result<u32> {
    crdt_model::when::parse_minutes(s)
        .ok_or_else(|| anyhow::anyhow!("{field}: {s:?} is not a duration (e.g. 90m, 2h, 7d)"))
}

/// The start of a period: a date is its midnight, a time is itself.
pub(crate) fn period_start(field: &str, s: &str) -> anyhow::Result<Timestamp> {
    let tz = cli_zone();
    let today = Timestamp::now().to_zoned(tz.clone()).date();
    if let Some(d) = crdt_model::when::parse_date(s, today) {
        return Ok(d.to_zoned(tz)?.timestamp());
    }
    parse_time(field, s)
}

/// The end of a period: a date counts whole (its next midnight).
pub(crate) fn period_end(field: &str, s: &str) -> anyhow::Result<Timestamp> {
    let tz = cli_zone();
    let today = Timestamp::now().to_zoned(tz.clone()).date();
    if let Some(d) = crdt_model::when::parse_date(s, today) {
        return Ok(d.tomorrow()?.to_zoned(tz)?.timestamp());
    }
    parse_time(field, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_parse_or_name_the_field() {
        assert_eq!(parse_minutes("--d", "1h30m").unwrap(), 90);
        assert_eq!(parse_minutes("--d", "7d").unwrap(), 7 * 1440);
        assert!(
            parse_minutes("--d", "x")
                .unwrap_err()
                .to_string()
                .contains("--d")
        );
        assert!(parse_time("--from", "2026-12-01T09:00:00+08:00").is_ok());
        assert!(parse_time("--from", "2026-12-01T09:00").is_ok());
        assert!(parse_time("--from", "tomorrow 09:00").is_ok());
        assert!(parse_time("--from", "12-14T09:00").is_ok());
        assert!(
            parse_time("--from", "2026-13-01")
                .unwrap_err()
                .to_string()
                .contains("--from")
        );
        assert_eq!(parse_days("1-5").unwrap().len(), 5);
        assert!(parse_days("0-9").is_err());
    }
}
