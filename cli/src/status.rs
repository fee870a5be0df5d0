//! `tongchou status`.

use api::*;

use crate::out::*;

/// `tongchou status`: peers, lag, pending and refused changes.
pub(crate) async fn status(c: &Client, out: &Out) -> anyhow::Result<()> {
    let s = c.status().await?;
    if out.json {
        return out.json(&s);
    }
    println!(
        "{}: {} ({})",
        out.t("本单位", "agency"),
        out.text(&s.name),
        s.agency
    );
    println!(
        "{}: {} ({})",
        out.t("网络", "network"),
        s.network_name,
        s.network
    );
    for l in &s.listen {
        println!("{}: {l}", out.t("监听", "listening"));
    }
    if let Some(fault) = &s.storage_fault {
        eprintln!(
            "{}: {fault}",
            out.t(
                "存储故障（节点只读，修复磁盘后重启）",
                "STORAGE FAILED (read-only until restarted)"
            )
        );
    }
    if !s.own_gaps.is_empty() {
        eprintln!(
            "{}",
            out.t(
                "存储丢失了已确认的本单位变更：节点拒绝写入，直到对等节点补回（保持与对等节点的连接；无人持有时从备份恢复）",
                "STORE LOST ACKNOWLEDGED CHANGES: writes are refused until peers give them back (keep the node connected; if no peer holds them, restore from a backup)"
            )
        );
        for g in &s.own_gaps {
            eprintln!(
                "  {}: {} {} / {} {}",
                g.doc,
                out.t("现有", "held"),
                g.held,
                out.t("已确认", "acknowledged"),
                g.acknowledged
            );
        }
    }
    if let Some(r) = &s.revoked {
        eprintln!(
            "{} {}: {}",
            out.t(
                "本单位已被撤销，不能再预约或发布；撤销者",
                "THIS AGENCY WAS REVOKED and can no longer book or publish; by"
            ),
            out.text(&r.by_name),
            crdt_model::record::sanitize(&r.reason)
        );
    }
    println!(
        "{}: {} / {}  {}: {}  {}: {}",
        out.t("文档/变更", "docs/changes"),
        s.docs.len(),
        s.changes,
        out.t("资源", "resources"),
        s.resources,
        out.t("预约", "bookings"),
        s.bookings
    );
    let c = &s.connections;
    let line = out.t(
        "连接：{n}/{max}（本节点拨出 {o}，其他成员连入 {i}；按计划拨号 {p} 次，为守上限关闭 {x} 个；在引导节点找到成员 {f} 个）",
        "connections: {n} of {max} ({o} dialled, {i} accepted; {p} dials planned, {x} closed to keep the bound; {f} members found at the bootstrap peers)",
    );
    println!(
        "{}",
        line.replace("{n}", &(c.dialled + c.accepted).to_string())
            .replace("{max}", &c.max.to_string())
            .replace("{o}", &c.dialled.to_string())
            .replace("{i}", &c.accepted.to_string())
            .replace("{p}", &c.plan_dials.to_string())
            .replace("{x}", &c.closed.to_string())
            .replace("{f}", &c.found.to_string())
    );
    println!(
        "{}: {}  {}: {}  {}: {}",
        out.t("待处理", "pending"),
        s.pending.len(),
        out.t("已拒收", "refused"),
        s.refused_total,
        out.t("拒绝的非成员连接", "non-member connections refused"),
        s.refused_connections
    );
    if !s.bookings_by_status.is_empty() {
        let by: Vec<String> = s
            .bookings_by_status
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!(
            "{}: {}",
            out.t("预约状态", "bookings by status"),
            by.join(" · ")
        );
    }
    if !s.refused_by_reason.is_empty() {
        let by: Vec<String> = s
            .refused_by_reason
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!(
            "{}: {}",
            out.t("拒收原因", "refused by reason"),
            by.join(" · ")
        );
    }
    println!(
        "{}: {:.1} MiB  API: {} {} ({} {}) p50 {:.1} ms · p99 {:.1} ms  {}",
        out.t("数据库", "store"),
        s.store_bytes as f64 / 1_048_576.0,
        s.api.requests,
        out.t("次请求", "requests"),
        s.api.errors,
        out.t("次出错", "errors"),
        s.api.p50_us as f64 / 1000.0,
        s.api.p99_us as f64 / 1000.0,
        out.t(
            "（/metrics 提供同样的数字）",
            "(the same figures at /metrics)"
        )
    );
    println!(
        "{}",
        out.t(
            "实时主题 {t} 个（本节点发布 {p} 条，收到 {r} 条，未转发 {x} 条）",
            "{t} live topics ({p} published, {r} received, {x} not passed on)",
        )
        .replace("{t}", &s.topics.subscribed.to_string())
        .replace("{p}", &s.topics.published.to_string())
        .replace("{r}", &s.topics.received.to_string())
        .replace("{x}", &s.topics.not_passed.to_string())
    );
    if let Some(before) = s.sealed_before.filter(|_| s.sealed_docs > 0) {
        let line = out.t(
            "已封存：{n} 份文档（{d} 前结束的记录，留在磁盘，报表照样读取）",
            "sealed: {n} documents (records that ended before {d}; kept on disk, reports still read them)",
        );
        println!(
            "{}",
            line.replace("{n}", &s.sealed_docs.to_string())
                .replace("{d}", &before.strftime("%Y-%m-%d").to_string())
        );
    }
    if s.webhook_backlog > 0 {
        println!(
            "{}: {} ({})",
            out.t("网络回调待送", "webhook deliveries waiting"),
            s.webhook_backlog,
            out.t("见 `tongchou webhook list`", "see `tongchou webhook list`")
        );
    }
    println!(
        "{}: {}",
        out.t("关注范围", "following"),
        match s.following {
            None => out
                .t(
                    "全网（未设置关注）",
                    "the whole network (nothing in particular)"
                )
                .to_string(),
            Some(n) => format!(
                "{n} {}",
                out.t(
                    "个机构（见 `tongchou follows`）",
                    "owners (see `tongchou follows`)"
                )
            ),
        }
    );
    let mut rows = vec![vec![
        out.t("对等节点", "peer").into(),
        out.t("连接", "connected").into(),
        out.t("落后", "lag").into(),
        out.t("收/发", "in/out").into(),
        out.t("收到变更（其中重复）", "changes received (again)")
            .into(),
        out.t("拒收", "refused").into(),
    ]];
    for p in &s.peers {
        rows.push(vec![
            out.text(&p.name).to_string(),
            if p.blocked.is_some() {
                out.t("✗ 已屏蔽", "✗ blocked").into()
            } else if p.connected {
                "✓".into()
            } else {
                "✗".into()
            },
            p.lag.to_string(),
            format!("{}/{}", p.messages_in, p.messages_out),
            format!(
                "{} ({})",
                api::size(p.bytes_in),
                api::size(p.duplicate_bytes_in)
            ),
            p.refused.to_string(),
        ]);
    }
    table(&rows);
    Ok(())
}
