//! Network membership from the command line: create, join, members, revoke,
//! rotate-key (invitations are in `invite.rs`).

use api::*;
use crdt_model::agency::Text;
use jiff::tz::TimeZone;
use std::time::Duration;

use crate::cli::*;
use crate::out::*;
use crdt_model::membership::Role;
use node::config::Home;

/// `tongchou members`: the roster.
pub(crate) async fn members(c: &Client, out: &Out) -> anyhow::Result<()> {
    let m = c.members().await?;
    if out.json {
        return out.json(&m);
    }
    let mut rows = vec![vec![
        out.t("单位", "agency").into(),
        out.t("城市", "city").into(),
        out.t("角色", "role").into(),
        out.t("状态", "status").into(),
        "id".into(),
        out.t("当前密钥", "current key").into(),
    ]];
    for e in &m {
        let status = match &e.member.status {
            crdt_model::membership::MemberStatus::Active => out.t("正常", "active").to_string(),
            crdt_model::membership::MemberStatus::Revoked { reason, .. } => {
                format!("{} {reason}", out.t("已撤销", "revoked"))
            }
        };
        let role = if e.member.role == Role::Admin {
            out.t("管理员", "admin")
        } else {
            out.t("成员", "member")
        };
        let key = match e.member.rotations.len() {
            0 => out.t("= id", "= id").to_string(),
            n => format!(
                "{} ({} {n})",
                e.member.current_key().short(),
                out.t("轮换次数", "rotations")
            ),
        };
        rows.push(vec![
            out.text(&e.member.profile.name).into(),
            out.text(&e.member.profile.city).into(),
            role.into(),
            status,
            e.agency.to_string(),
            key,
        ]);
    }
    table(&rows);
    Ok(())
}

/// `tongchou revoke`: revokes a member (admins).
pub(crate) async fn revoke(c: &Client, out: &Out, a: RevokeArgs) -> anyhow::Result<()> {
    let RevokeArgs { agency, reason } = a;
    let v = c.revoke(&RevokeRequest { agency, reason }).await?;
    if out.json {
        return out.json(&v);
    }
    println!("{} {agency}", out.t("已撤销", "revoked"));
    Ok(())
}

/// `tongchou block` and `unblock`: stops (or resumes) all traffic with a
/// member on this node; lists every member blocked afterwards.
pub(crate) async fn block(
    c: &Client,
    out: &Out,
    agency: crdt_model::ids::AgencyId,
    block: bool,
    minutes: Option<u64>,
) -> anyhow::Result<()> {
    let list = c
        .block(&BlockRequest {
            agency,
            block,
            minutes,
        })
        .await?;
    if out.json {
        return out.json(&list);
    }
    let members = c.members().await.unwrap_or_default();
    let name = |a: &crdt_model::ids::AgencyId| {
        members.iter().find(|m| m.agency == *a).map_or_else(
            || a.short(),
            |m| out.text(&m.member.profile.name).to_string(),
        )
    };
    if block {
        println!(
            "{} {}{}",
            out.t("已屏蔽", "blocked"),
            name(&agency),
            match minutes {
                Some(m) => format!(" ({m} {})", out.t("分钟", "min")),
                None => format!(" ({})", out.t("直到解除", "until unblocked")),
            }
        );
    } else {
        println!("{} {}", out.t("已解除屏蔽", "unblocked"), name(&agency));
    }
    if list.is_empty() {
        println!("{}", out.t("现无屏蔽的成员", "no member is blocked now"));
        return Ok(());
    }
    let mut rows = vec![vec![
        out.t("屏蔽的成员", "blocked member").into(),
        out.t("自", "since").into(),
        out.t("至", "until").into(),
    ]];
    for b in &list {
        rows.push(vec![
            name(&b.agency),
            local(b.since, &TimeZone::system()),
            b.until.map_or_else(
                || out.t("解除为止", "unblocked").to_string(),
                |u| local(u, &TimeZone::system()),
            ),
        ]);
    }
    table(&rows);
    Ok(())
}

/// `tongchou rotate-key`: a new signing key for this agency.
pub(crate) async fn rotate_key(c: &Client, out: &Out) -> anyhow::Result<()> {
    let r = c.rotate_key().await?;
    if out.json {
        return out.json(&r);
    }
    println!("{} {}", out.t("机构", "agency"), r.agency);
    println!("{} {}", out.t("旧密钥", "old key"), r.old_key);
    println!("{} {}", out.t("新密钥", "new key"), r.new_key);
    println!(
        "{}",
        out.t(
            "密钥已轮换：此前的记录仍可验证；旧密钥此后签名的变更将被拒绝。其他节点配置中含本节点旧 peer id 的 --peer 地址需更新（通过引导节点发现则无需改动）。",
            "key rotated: earlier history stays verifiable; changes signed by the old key from now on are refused. Other nodes' --peer addresses that name this node's old peer id must be updated (discovery through a bootstrap peer needs nothing)."
        )
    );
    Ok(())
}

/// `tongchou network create`: a new network with this home's agency as its first admin.
pub(crate) fn network(home: &Home, out: &Out, cmd: NetworkCmd) -> anyhow::Result<()> {
    let NetworkCmd::Create {
        name,
        agency,
        agency_en,
        city,
        city_en,
    } = cmd;
    let (network, id) = node::daemon::create_network(
        home,
        &name,
        Text::new(agency, agency_en),
        Text::new(city, city_en),
    )?;
    if out.json {
        return out
            .json(&serde_json::json!({"network": network, "agency": id, "home": home.dir()}));
    }
    println!("{}: {network}", out.t("网络已创建", "network created"));
    println!("{}: {id}", out.t("本单位", "this agency"));
    println!("{}", out.t("下一步: tongchou run", "next: tongchou run"));
    Ok(())
}

/// `tongchou join`: joins a network with an invitation token.
pub(crate) async fn join(home: &Home, out: &Out, a: JoinArgs) -> anyhow::Result<()> {
    let network = node::daemon::join(
        home,
        &a.token,
        Text::new(a.agency, a.agency_en),
        Text::new(a.city, a.city_en),
        a.bootstrap,
        Duration::from_secs(a.timeout),
    )
    .await?;
    if out.json {
        return out.json(&serde_json::json!({"network": network, "joined": true}));
    }
    println!("{}: {network}", out.t("已加入网络", "joined network"));
    Ok(())
}
