//! The demo's step for the owner's policy over time: a waiting list served
//! by a cancellation, a check-in, an owner's hold for an emergency that
//! releases a booking in its way with the reason, and people acting for
//! their agencies (a staff member books, an approver decides, the records
//! name them).

use std::time::Duration;

use api::*;
use crdt_model::booking::Status as BStatus;
use crdt_model::ids::{BookingId, ResourceId};
use crdt_model::resource::{Approval, ResourceKind};
use harness::wait_until;
use jiff::{Timestamp, ToSpan};

use super::Demo;
use crate::demo::{book, progress};

impl Demo {
    /// The first automatic meeting room of agency `i`.
    fn auto_room(&self, i: usize) -> Option<ResourceId> {
        let owner = self.agencies[i];
        self.catalog
            .iter()
            .find(|r| {
                r.id.owner == owner
                    && r.kind == ResourceKind::MeetingRoom
                    && r.rules.approval == Approval::Automatic
            })
            .map(|r| r.id.clone())
    }

    /// Waits until node `who` shows `id` with a status `ok` accepts.
    async fn wait_status(
        &self,
        who: usize,
        id: &BookingId,
        what: &str,
        ok: impl Fn(&BStatus) -> bool,
    ) -> anyhow::Result<()> {
        let api = self.nodes[who].api();
        wait_until(what, Duration::from_secs(30), || async {
            api.booking(id)
                .await
                .ok()
                .filter(|b| ok(&b.status))
                .map(|_| ())
        })
        .await?;
        Ok(())
    }

    /// Guangxi books Shenzhen's room, Hangzhou asks for the same slot on
    /// the waiting list and gets it when Guangxi cancels; Hangzhou checks
    /// in to a meeting starting in ten minutes; Hangzhou holds its room for
    /// a flood emergency, releasing Guangxi's booking with the reason.
    pub(super) async fn seed_policy(&mut self) -> anyhow::Result<()> {
        let (Some(sz_room), Some(hz_room)) = (self.auto_room(0), self.auto_room(1)) else {
            return Ok(());
        };
        // The waiting list.
        let slot = self.base + (33 * 24 + 1).hours();
        let purpose = "跨城协调会 / coordination";
        let Some(first) = book(&self.nodes[2], &sz_room, slot, 2, 1, purpose).await else {
            return Ok(());
        };
        let waiting = self.nodes[1]
            .api()
            .book(&BookRequest {
                resource: sz_room.clone(),
                start: slot,
                end: slot + 2.hours(),
                quantity: 1,
                contact: "陈 0571-8888".into(),
                purpose: "候补 / waiting list".into(),
                wait_list: true,
            })
            .await?;
        self.wait_status(1, &waiting.id, "Hangzhou on the waiting list", |s| {
            matches!(s, BStatus::Tentative { waiting: true, .. })
        })
        .await?;
        self.nodes[2]
            .api()
            .cancel(&CancelRequest {
                booking: first.id,
                reason: "改期 / moved".into(),
            })
            .await?;
        self.wait_status(1, &waiting.id, "the waiting request confirmed", |s| {
            *s == BStatus::Confirmed
        })
        .await?;
        self.waitlist_confirmed += 1;

        // A check-in, ten minutes before a meeting.
        let soon = Timestamp::now() + 10.minutes();
        if let Some(b) = book(&self.nodes[1], &sz_room, soon, 1, 1, "签到 / check-in").await {
            self.wait_status(1, &b.id, "the meeting confirmed", |s| {
                *s == BStatus::Confirmed
            })
            .await?;
            let b = self.nodes[1]
                .api()
                .checkin(&CheckInRequest { booking: b.id })
                .await?;
            self.checked_in += usize::from(b.checked_in.is_some());
        }

        // The owner's hold for an emergency.
        let day = self.base + (35 * 24).hours();
        let Some(taken) = book(&self.nodes[2], &hz_room, day + 2.hours(), 2, 1, purpose).await
        else {
            return Ok(());
        };
        self.wait_status(1, &taken.id, "Guangxi's booking at Hangzhou", |s| {
            *s == BStatus::Confirmed
        })
        .await?;
        let holds = self.nodes[1]
            .api()
            .hold(&HoldRequest {
                resources: vec![hz_room.clone()],
                start: day,
                end: day + 10.hours(),
                reason: crdt_model::agency::Text::new("防汛应急指挥", "flood emergency command"),
            })
            .await?;
        self.hold_released = holds.iter().map(|h| h.released.len()).sum();
        self.wait_status(2, &taken.id, "the release at Guangxi", |s| {
            matches!(s, BStatus::Released { .. })
        })
        .await?;
        self.people().await?;
        progress(
            self.quiet,
            &format!(
                "policy: {} waiting request confirmed after a cancellation · {} check-in · a hold released {} booking · {} booking asked and decided by named people",
                self.waitlist_confirmed, self.checked_in, self.hold_released, self.people_named
            ),
        );
        Ok(())
    }

    /// Hangzhou's staff member 张三 asks for Shenzhen's auditorium (it
    /// needs approval); Shenzhen's approver 李四, who decides for it,
    /// approves; both names are on the records every node holds.
    async fn people(&mut self) -> anyhow::Result<()> {
        let hall = ResourceId::new(self.agencies[0], "hall")?;
        if !self.catalog.iter().any(|r| r.id == hall) {
            return Ok(());
        }
        let approver = self.nodes[0]
            .api()
            .add_user(&UserAdd {
                name: "李四".into(),
                role: Role::Approver,
                resources: vec![hall.clone()],
            })
            .await?;
        let staff = self.nodes[1]
            .api()
            .add_user(&UserAdd {
                name: "张三".into(),
                role: Role::Staff,
                resources: Vec::new(),
            })
            .await?;
        let as_staff = {
            let c = self.nodes[1].api();
            c.rebind(c.addr(), &staff.token)
        };
        let start = self.base + (37 * 24 + 5).hours();
        let asked = as_staff
            .book(&BookRequest {
                resource: hall.clone(),
                start,
                end: start + 2.hours(),
                quantity: 80,
                contact: "张三 0571-8888".into(),
                purpose: "培训 / training".into(),
                wait_list: false,
            })
            .await?;
        self.wait_status(0, &asked.id, "张三's request at Shenzhen", |s| {
            matches!(s, BStatus::Tentative { .. })
        })
        .await?;
        let as_approver = {
            let c = self.nodes[0].api();
            c.rebind(c.addr(), &approver.token)
        };
        as_approver
            .decide(&DecideRequest {
                booking: asked.id.clone(),
                approve: true,
                reason: None,
            })
            .await?;
        self.wait_status(1, &asked.id, "李四's decision at Hangzhou", |s| {
            *s == BStatus::Confirmed
        })
        .await?;
        let seen = self.nodes[1].api().booking(&asked.id).await?;
        let named = seen.request.as_ref().and_then(|r| r.by.as_deref()) == Some("张三")
            && seen.decided_by.as_deref() == Some("李四");
        self.people_named += usize::from(named);
        Ok(())
    }
}
