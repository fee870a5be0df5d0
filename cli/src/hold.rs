//! Check-in and the owner's holds from the command line: `checkin`,
//! `hold create` and `holds`.

use anyhow::bail;
use api::*;
use crdt_model::agency::Text;
use crdt_model::query::{HoldView, HoldsQuery};

use crate::cli::*;
use crate::out::*;
use crate::parse::*;

/// `tongchou checkin BOOKING`.
pub(crate) async fn checkin(c: &Client, out: &Out, a: CheckinArgs) -> anyhow::Result<()> {
    let b = c.checkin(&CheckInRequest { booking: a.id }).await?;
    crate::booking::show_booking(c, out, &b).await
}

/// `tongchou hold …`.
pub(crate) async fn hold(c: &Client, out: &Out, cmd: HoldCmd) -> anyhow::Result<()> {
    let HoldCmd::Create(a) = cmd;
    let mut resources = Vec::new();
    for r in &a.resources {
        resources.push(crate::pick::resource(c, out, r.trim()).await?);
    }
    let Some(first) = resources.first() else {
        bail!("--resources: name at least one resource");
    };
    let tz = first.tz();
    let start = parse_time_in("--from", &a.from, &tz)?;
    let end = parse_time_in("--to", &a.to, &tz)?;
    if end <= start {
        bail!("--to: must be after --from");
    }
    if a.reason.trim().is_empty() {
        bail!("--reason: say why the resources are held");
    }
    let reason = Text::new(&a.reason, a.reason_en.as_deref().unwrap_or(&a.reason));
    let holds = c
        .hold(&HoldRequest {
            resources: resources.iter().map(|r| r.id.clone()).collect(),
            start,
            end,
            reason,
        })
        .await?;
    show(c, out, &holds).await
}

/// `tongchou holds`.
pub(crate) async fn holds(c: &Client, out: &Out, a: HoldsArgs) -> anyhow::Result<()> {
    let owner = if a.mine {
        Some(c.status().await?.agency)
    } else {
        None
    };
    let holds = c.holds(&HoldsQuery { owner }).await?;
    show(c, out, &holds).await
}

/// The holds as a table, with each released booking under its hold.
async fn show(c: &Client, out: &Out, holds: &[HoldView]) -> anyhow::Result<()> {
    if out.json {
        return out.json(&holds);
    }
    if holds.is_empty() {
        println!("{}", out.t("没有占用", "no holds"));
        return Ok(());
    }
    let resources = c.resources(&ResourceFilter::default()).await?;
    let zones = Zones::of(&resources);
    let name = |id: &crdt_model::ids::ResourceId| {
        resources
            .iter()
            .find(|r| &r.id == id)
            .map(|r| out.text(&r.name).to_string())
            .unwrap_or_else(|| id.to_string())
    };
    let mut rows = vec![vec![
        out.t("资源", "resource").to_string(),
        out.t("开始", "from").to_string(),
        out.t("结束", "to").to_string(),
        out.t("原因", "reason").to_string(),
        out.t("释放的预约", "bookings released").to_string(),
    ]];
    for h in holds {
        let tz = zones.get(&h.resource);
        rows.push(vec![
            name(&h.resource),
            local(h.hold.from, &tz),
            h.hold.until.map(|u| local(u, &tz)).unwrap_or_default(),
            crdt_model::record::sanitize(&h.hold.note).to_string(),
            h.released
                .iter()
                .map(|b| b.id.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    table(&rows);
    Ok(())
}
