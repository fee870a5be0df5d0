//! The demo's step for interest: Nanning's node follows Shenzhen by name
//! (with its own city and the owners it booked from), says how many owners
//! that is and how much of the network it holds, then holds everything
//! again so that the scripted checks compare whole replicas.

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
        let view: FollowsView = nanning
            .api()
            .follow(&FollowRequest {
                follow: true,
                owners: vec![self.agencies[0]],
                ..Default::default()
            })
            .await?;
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
        let back: FollowsView = nanning
            .api()
            .follow(&FollowRequest {
                follow: true,
                all: true,
                ..Default::default()
            })
            .await?;
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
}
