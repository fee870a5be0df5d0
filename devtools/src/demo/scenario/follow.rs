//! The demo's step for interest: Nanning's node follows Shenzhen by name
//! (with its own city and the owners it booked from), says how many owners
//! that is and how much of the network it holds, then holds everything
//! again so that the scripted checks compare whole replicas. Before the
//! bookings, it fetches the free/busy of an owner it does not follow.

use std::time::Duration;

use api::*;
use harness::wait_until;

use super::Demo;
use crate::demo::progress;

impl Demo {
    /// Nanning follows Shenzhen, then everything again.
    pub(super) async fn seed_follow(&mut self) -> anyhow::Result<()> {
        let (nanning, shenzhen) = (&self.nodes[3], &self.nodes[0]);
        let all: FollowsView = nanning.api().follows().await?;
        let view: FollowsView = nanning.api().follow(&only_shenzhen(&self.agencies)).await?;
        let owners = view.owners.as_ref().map_or(self.agencies.len(), Vec::len);
        progress(
            self.quiet,
            &format!(
                "南宁 follows 深圳 (and its own city, and the owners it booked from): {owners} owners, {} of {} documents held",
                view.docs_held, all.docs_held
            ),
        );
        let st: Status = nanning.api().status().await?;
        let c = &st.connections;
        progress(
            self.quiet,
            &format!(
                "南宁 holds {} of at most {} connections to members ({} it dialled for what it follows, {} opened by others)",
                c.dialled + c.accepted,
                c.max,
                c.dialled,
                c.accepted
            ),
        );
        self.follow_owners = owners;
        self.follow_docs = (view.docs_held, all.docs_held);
        let back: FollowsView = nanning.api().follow(&EVERYTHING).await?;
        // Holding everything again, it catches up with what it let go.
        let target: Status = shenzhen.api().status().await?;
        wait_until(
            "南宁 holds the whole network again",
            Duration::from_secs(60),
            || async {
                let s: Status = nanning.api().status().await.ok()?;
                (s.changes >= target.changes).then_some(())
            },
        )
        .await?;
        progress(
            self.quiet,
            &format!(
                "南宁 follows everything again: {} documents held",
                back.docs_held.max(all.docs_held)
            ),
        );
        Ok(())
    }

    /// Before anyone books, Nanning follows Shenzhen (so not Hangzhou) and
    /// fetches Hangzhou's free/busy on demand; then it holds everything
    /// again. (Later every node books from every owner, and so follows
    /// them all.)
    pub(super) async fn seed_busy(&mut self) -> anyhow::Result<()> {
        let nanning = &self.nodes[3];
        let view = nanning.api().follow(&only_shenzhen(&self.agencies)).await?;
        let busy = self.show_busy(3, &view).await?;
        nanning.api().follow(&EVERYTHING).await?;
        self.busy = busy;
        Ok(())
    }

    /// Node `i`, following `view`, asks for the free/busy of the first
    /// owner it does not follow, over the next two weeks, and says who
    /// answered; `(false, 0)` when it follows every owner.
    async fn show_busy(&self, i: usize, view: &FollowsView) -> anyhow::Result<(bool, usize)> {
        let node = &self.nodes[i];
        let followed: Vec<_> = view.owners.iter().flatten().map(|o| o.agency).collect();
        let Some(other) = self
            .agencies
            .iter()
            .find(|a| !followed.contains(a))
            .copied()
        else {
            return Ok((false, 0));
        };
        let now = jiff::Timestamp::now();
        let answer = node
            .api()
            .busy(&BusyRequest {
                owners: vec![other],
                from: now,
                to: now + jiff::SignedDuration::from_hours(24 * 14),
                max_age_s: Some(0),
                wait_ms: Some(10_000),
            })
            .await?;
        let name = |a: &crdt_model::ids::AgencyId| {
            self.agencies
                .iter()
                .position(|x| x == a)
                .map_or_else(|| a.short(), |i| self.nodes[i].name.clone())
        };
        match answer.views.first() {
            Some(v) => {
                let spans = v.resources.values().map(Vec::len).sum::<usize>();
                progress(
                    self.quiet,
                    &format!(
                        "{} does not follow {}: its free/busy fetched on demand from {}, {spans} busy spans over two weeks",
                        node.name,
                        name(&other),
                        name(&v.source)
                    ),
                );
                Ok((true, spans))
            }
            None => {
                progress(
                    self.quiet,
                    &format!(
                        "{} could not fetch the free/busy of {}",
                        node.name,
                        name(&other)
                    ),
                );
                Ok((false, 0))
            }
        }
    }
}

/// Follow Shenzhen (the first agency) by name.
fn only_shenzhen(agencies: &[crdt_model::ids::AgencyId]) -> FollowRequest {
    FollowRequest {
        follow: true,
        owners: agencies.iter().take(1).copied().collect(),
        ..FollowRequest::default()
    }
}

/// Hold everything again.
const EVERYTHING: FollowRequest = FollowRequest {
    follow: true,
    owners: Vec::new(),
    cities: Vec::new(),
    kinds: Vec::new(),
    all: true,
};
