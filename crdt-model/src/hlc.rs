//! Hybrid logical clocks: a timestamp that follows wall time but never goes
//! backwards and always moves past anything already observed.

use serde::{Deserialize, Serialize};

/// A hybrid-logical-clock timestamp: wall milliseconds plus a counter.
/// Ordered first by `wall_ms`, then `counter`. Ties between agencies are
/// broken by the caller (agency id, then record id).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (physical component).
    pub wall_ms: i64,
    /// Logical counter within the same millisecond.
    pub counter: u32,
}

/// A clock producing [`Hlc`] timestamps. The caller passes `now_ms`; this
/// type never reads a clock itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    /// A new clock that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next local timestamp: after everything seen, close to `now_ms`.
    pub fn tick(&mut self, now_ms: i64) -> Hlc {
        self.last = if now_ms > self.last.wall_ms {
            Hlc {
                wall_ms: now_ms,
                counter: 0,
            }
        } else {
            Hlc {
                wall_ms: self.last.wall_ms,
                counter: self.last.counter.saturating_add(1),
            }
        };
        self.last
    }

    /// The next local timestamp, also after `floor` whatever the wall clock
    /// says (a request made after another was seen sorts after it, even on
    /// a node whose clock runs behind).
    pub fn tick_after(&mut self, now_ms: i64, floor: Option<Hlc>) -> Hlc {
        if let Some(f) = floor
            && f > self.last
        {
            self.last = f;
        }
        self.tick(now_ms)
    }

    /// Takes a remote timestamp into account so later ticks sort after it.
    /// Remote clocks more than `max_skew_ms` ahead of `now_ms` are ignored,
    /// so one peer with a wrong clock cannot drag everyone into the future.
    pub fn observe(&mut self, remote: Hlc, now_ms: i64, max_skew_ms: i64) {
        if remote.wall_ms <= now_ms.saturating_add(max_skew_ms) && remote > self.last {
            self.last = remote;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_even_when_wall_clock_goes_back() {
        let mut c = HlcClock::new();
        let a = c.tick(1000);
        let b = c.tick(900);
        let d = c.tick(1000);
        assert!(a < b && b < d);
        c.observe(
            Hlc {
                wall_ms: 5000,
                counter: 3,
            },
            1001,
            10_000,
        );
        assert!(
            c.tick(1002)
                > Hlc {
                    wall_ms: 5000,
                    counter: 3
                }
        );
        let before = c.tick(1003);
        c.observe(
            Hlc {
                wall_ms: i64::MAX,
                counter: 0,
            },
            1003,
            10_000,
        );
        assert!(c.tick(1004) > before);
        assert!(c.tick(1005).wall_ms < i64::MAX);
    }
}
