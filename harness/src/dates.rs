//! Dates computed from now: the suite passes on any day the system clock
//! says it is.

/// The zone the tests' command line runs in (`TZ` of [`crate::cli`]):
/// local times given to `--from`/`--to` are read in it.
pub const ZONE: &str = "Asia/Shanghai";

/// A local `YYYY-MM-DDTHH:MM` on the `n`-th working day (Monday to Friday)
/// after today in [`ZONE`], at `hh_mm`; a weekday keeps resources open
/// Monday to Friday bookable.
pub fn workday(n: usize, hh_mm: &str) -> String {
    use jiff::civil::Weekday;
    let tz = jiff::tz::TimeZone::get(ZONE).expect("the test zone is in the tz database");
    let mut day = jiff::Timestamp::now().to_zoned(tz).date();
    let mut left = n.max(1);
    while left > 0 {
        day = day.tomorrow().expect("a date before 9999");
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    format!("{day}T{hh_mm}")
}

/// The instant of [`workday`]`(n, hh_mm)`.
pub fn workday_instant(n: usize, hh_mm: &str) -> jiff::Timestamp {
    let tz = jiff::tz::TimeZone::get(ZONE).expect("the test zone is in the tz database");
    workday(n, hh_mm)
        .parse::<jiff::civil::DateTime>()
        .and_then(|dt| dt.to_zoned(tz))
        .expect("a valid local time")
        .timestamp()
}
