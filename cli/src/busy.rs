//! `tongchou busy`: the free/busy of owners this node does not follow,
//! fetched from the owner or a peer following it (and cached), with who
//! answered and how long ago.

use api::{BusyRequest, Client};
use jiff::{SignedDuration, Timestamp};

use crate::cli::BusyArgs;
use crate::out::{Out, Zones, local, table};
use crate::parse::parse_time;

/// `tongchou busy`.
pub(crate) async fn busy(c: &Client, out: &Out, a: BusyArgs) -> anyhow::Result<()> {
    let from = if a.from == "now" {
        Timestamp::now()
    } else {
        parse_time("--from", &a.from)?
    };
    let to = match &a.to {
        Some(t) => parse_time("--to", t)?,
        None => from + SignedDuration::from_hours(24 * 7),
    };
    let members = c.members().await?;
    let owners = a
        .owners
        .iter()
        .map(|o| crate::follow::agency(&members, out, o))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let answer = c
        .busy(&BusyRequest {
            owners,
            from,
            to,
            max_age_s: Some(a.max_age),
            wait_ms: None,
        })
        .await?;
    if out.json {
        return out.json(&answer);
    }
    let name = |a: &crdt_model::ids::AgencyId| {
        members
            .iter()
            .find(|m| m.agency == *a)
            .map(|m| out.text(&m.member.profile.name).into_owned())
            .unwrap_or_else(|| a.short())
    };
    for o in &answer.asked.followed {
        println!(
            "{}: {}",
            name(o),
            out.t(
                "本节点关注该机构，日历完整（`tongchou bookings --resource …`）",
                "followed: its calendars are whole here (`tongchou bookings --resource …`)"
            )
        );
    }
    for o in &answer.asked.unreachable {
        println!(
            "{}: {}",
            name(o),
            out.t(
                "无法获取：该机构及关注它的节点均未连接，拨号也未成功",
                "unreachable: neither it nor a node following it is connected, and dialling it failed"
            )
        );
    }
    for o in &answer.silent {
        println!(
            "{}: {}",
            name(o),
            out.t("未及时答复", "did not answer in time")
        );
    }
    let resources = c.resources(&Default::default()).await?;
    let zones = Zones::of(&resources);
    let now = Timestamp::now();
    for v in &answer.views {
        println!(
            "{} — {} {}, {} {}",
            name(&v.owner),
            out.t("忙闲信息来自", "free/busy from"),
            name(&v.source),
            v.age_s(now),
            out.t("秒前", "s ago"),
        );
        let mut rows = vec![vec![
            out.t("资源", "resource").to_string(),
            out.t("开始", "start").into(),
            out.t("结束", "end").into(),
            out.t("占用", "taken").into(),
            out.t("状态", "state").into(),
        ]];
        for (rid, blocks) in &v.resources {
            let tz = zones.get(rid);
            for b in blocks {
                rows.push(vec![
                    rid.to_string(),
                    local(b.start, &tz),
                    local(b.end, &tz),
                    b.usage.to_string(),
                    if b.tentative {
                        out.t("待审批", "waiting").into()
                    } else {
                        out.t("已占用", "busy").into()
                    },
                ]);
            }
        }
        if rows.len() == 1 {
            println!("  {}", out.t("该时段全部空闲", "free throughout"));
        } else {
            table(&rows);
        }
        if v.truncated {
            println!(
                "  {}",
                out.t("（结果过多，已截断）", "(too many, cut short)")
            );
        }
    }
    Ok(())
}
