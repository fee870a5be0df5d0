//! `tongchou resource blackout add|remove|list`: the closed periods (停用时段)
//! of one of this agency's resources, edited in its rules; reopening a range
//! cuts longer closures around it.

use anyhow::bail;
use api::*;
use crdt_model::agency::Text;
use crdt_model::ids::AgencyId;
use crdt_model::resource::Blackout;
use jiff::Timestamp;

use crate::cli::*;
use crate::out::*;
use crate::parse::*;
use crate::resource::own_resource;

/// `tongchou resource blackout add|remove|list`.
pub(crate) async fn blackout(
    c: &Client,
    out: &Out,
    me: AgencyId,
    cmd: BlackoutCmd,
) -> anyhow::Result<()> {
    let id = match &cmd {
        BlackoutCmd::Add { id, .. } | BlackoutCmd::Remove { id, .. } | BlackoutCmd::List { id } => {
            id.clone()
        }
    };
    let mut r = own_resource(c, me, &id).await?;
    let tz = r.tz();
    let range = |from: &str, to: &str| -> anyhow::Result<(Timestamp, Timestamp)> {
        let start = parse_time_in("--from", from, &tz)?;
        let end = parse_time_in("--to", to, &tz)?;
        if end <= start {
            bail!("--to: the end must be after the start");
        }
        Ok((start, end))
    };
    let mut kept = Vec::new();
    match cmd {
        BlackoutCmd::List { .. } => {}
        BlackoutCmd::Add {
            from, to, reason, ..
        } => {
            let (start, end) = range(&from, &to)?;
            r.rules.blackouts.push(Blackout {
                start,
                end,
                reason: Text::new(reason.clone(), reason),
            });
            r = c.put_resource(&r).await?;
            // Confirmed bookings are not undone by a closure: say which stay.
            kept = c
                .bookings(&BookingFilter {
                    resource: Some(r.id.clone()),
                    from: Some(start),
                    to: Some(end),
                    ..Default::default()
                })
                .await?
                .into_iter()
                .filter(|b| {
                    b.status == crdt_model::booking::Status::Confirmed
                        && b.terms.overlaps(start, end)
                })
                .collect();
        }
        BlackoutCmd::Remove { from, to, .. } => {
            let (start, end) = range(&from, &to)?;
            let before = r.rules.blackouts.len();
            let mut next = Vec::new();
            let mut touched = false;
            for b in std::mem::take(&mut r.rules.blackouts) {
                if b.end <= start || end <= b.start {
                    next.push(b);
                    continue;
                }
                touched = true;
                if b.start < start {
                    next.push(Blackout {
                        end: start,
                        ..b.clone()
                    });
                }
                if end < b.end {
                    next.push(Blackout { start: end, ..b });
                }
            }
            if !touched {
                bail!(
                    "{}: no closed period between {} and {} ({before} in all; see `resource blackout list`)",
                    r.id,
                    local(start, &tz),
                    local(end, &tz)
                );
            }
            r.rules.blackouts = next;
            r = c.put_resource(&r).await?;
        }
    }
    if out.json {
        return out.json(&serde_json::json!({
            "resource": r.id,
            "blackouts": r.rules.blackouts,
            "confirmed_inside": kept,
        }));
    }
    let mut rows = vec![vec![
        out.t("停用开始", "closed from").to_string(),
        out.t("结束", "to").to_string(),
        out.t("原因", "why").to_string(),
    ]];
    for b in &r.rules.blackouts {
        rows.push(vec![
            local(b.start, &tz),
            local(b.end, &tz),
            out.text(&b.reason).into_owned(),
        ]);
    }
    println!("{} {}", out.t("资源", "resource"), r.id);
    if r.rules.blackouts.is_empty() {
        println!("{}", out.t("没有停用时段", "no closed period"));
    } else {
        table(&rows);
    }
    if !kept.is_empty() {
        println!(
            "{} {}",
            kept.len(),
            out.t(
                "项已确认的预订在停用时段内，仍然有效（如需腾出，请与申请单位联系取消）：",
                "confirmed bookings fall in the closed period and stay (ask their requesters to cancel to free it):"
            )
        );
        for b in &kept {
            println!(
                "  {} {} → {}",
                b.id,
                local(b.terms.start, &tz),
                local(b.terms.end, &tz)
            );
        }
    }
    Ok(())
}
