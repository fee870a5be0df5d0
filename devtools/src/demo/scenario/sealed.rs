//! The demo's step for sealed periods: Shenzhen's node is given last
//! quarter's meetings in its small room (written into its store while it
//! is stopped, as its node wrote them then), seals them when it starts
//! again, and still reports them, reading them from its store, while the
//! other cities are sent them by it.

use std::time::Duration;

use api::Status;
use crdt_model::report::{GroupBy, ReportQuery};
use harness::wait_until;
use jiff::{SignedDuration, Timestamp};

use super::Demo;
use crate::demo::progress;

/// Last quarter's meetings written for Shenzhen.
const PAST_MEETINGS: usize = 3;

impl Demo {
    /// Shenzhen seals last quarter's meetings and reports them from disk.
    pub(super) async fn seed_sealed(&mut self) -> anyhow::Result<()> {
        let room = self.room_of(0);
        self.nodes[0].stop();
        let past = crate::past::confirmed_bookings(&self.nodes[0].home, &room, 100, PAST_MEETINGS)?;
        self.nodes[0].start()?;
        let shenzhen = &self.nodes[0];
        let st: Status = wait_until(
            "深圳 sealing last quarter",
            Duration::from_secs(30),
            || async {
                let s: Status = shenzhen.api().status().await.ok()?;
                (s.sealed_docs > 0).then_some(s)
            },
        )
        .await?;
        let from = past.day.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp();
        let q = ReportQuery {
            from,
            to: from + SignedDuration::from_hours(24),
            by: GroupBy::Resource,
            kind: None,
            owner: None,
        };
        let report = shenzhen.api().report(&q).await?;
        let before = st
            .sealed_before
            .unwrap_or_else(Timestamp::now)
            .strftime("%Y-%m-%d");
        progress(
            self.quiet,
            &format!(
                "深圳 sealed {} documents of records that ended before {before} (last quarter's {PAST_MEETINGS} meetings on {}): out of memory, its report of that day still counts {} h, read from its store",
                st.sealed_docs, past.day, report.total.booked_hours
            ),
        );
        self.sealed = (st.sealed_docs, report.total.booked_hours);
        Ok(())
    }
}
