//! `tongchou slots`: free-slot search.

use api::*;
use crdt_model::ids::AgencyId;
use crdt_model::resource::*;

use crate::cli::*;
use crate::out::*;
use crate::parse::*;
use crdt_model::availability::SlotQuery;

/// `tongchou slots`: free slots, best first.
pub(crate) async fn slots(c: &Client, out: &Out, a: SlotsArgs) -> anyhow::Result<()> {
    let SlotsArgs {
        duration,
        from,
        to,
        quantity,
        kind,
        city,
        feature,
    } = a;
    let q = SlotQuery {
        kind: kind.map(|k| k.parse().unwrap_or(ResourceKind::Other(k))),
        city,
        owner: None,
        quantity,
        features: feature.into_iter().collect(),
        duration_minutes: parse_minutes("--duration", &duration)?,
        from: parse_time("--from", &from)?,
        to: parse_time("--to", &to)?,
        step_minutes: 30,
        limit: 20,
        per_resource: 3,
        requester: AgencyId([0; 32]),
    };
    let list = c.slots(&q).await?;
    if out.json {
        return out.json(&list);
    }
    let zones = crate::booking::zones(c).await?;
    let mut rows = vec![vec![
        out.t("开始", "start").into(),
        out.t("结束", "end").into(),
        out.t("资源", "resource").into(),
        out.t("竞争", "competing").into(),
    ]];
    for cand in &list {
        rows.push(vec![
            local(cand.start, &zones.get(&cand.resource)),
            local(cand.end, &zones.get(&cand.resource)),
            cand.resource.to_string(),
            cand.competing.to_string(),
        ]);
    }
    table(&rows);
    // A node that follows some owners searches theirs exactly, and the
    // others by the free/busy it could fetch.
    if let Ok(f) = c.follows().await
        && let Some(owners) = f.owners
    {
        println!(
            "{} {} {}",
            out.t("按完整日历搜索本节点关注的", "searched: the calendars of the"),
            owners.len(),
            out.t(
                "个机构的资源；其余机构按向其获取的忙闲信息搜索，无法获取的不列出（`tongchou busy --owner …` 查看）",
                "owners this node follows, whole; other owners by the free/busy fetched from them, left out when it could not be (`tongchou busy --owner …` shows it)"
            )
        );
    }
    Ok(())
}
