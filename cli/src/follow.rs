//! `tongchou follow`, `unfollow` and `follows`: what this node holds
//! beyond every catalogue (owners, cities, kinds), and what it holds now.

use anyhow::bail;
use api::{Client, FollowRequest, FollowsView, MemberEntry};
use crdt_model::ids::AgencyId;

use crate::cli::FollowArgs;
use crate::out::{Out, table};

/// An agency named by id, unique id prefix or name (zh or en).
pub(crate) fn agency(members: &[MemberEntry], out: &Out, name: &str) -> anyhow::Result<AgencyId> {
    if let Ok(a) = name.parse::<AgencyId>() {
        return Ok(a);
    }
    let n = name.trim().to_lowercase();
    let found: Vec<&MemberEntry> = members
        .iter()
        .filter(|m| {
            let p = &m.member.profile.name;
            m.agency.to_string().starts_with(&n)
                || p.zh.to_lowercase() == n
                || p.en.to_lowercase() == n
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.agency),
        [] => bail!(
            "{} {name:?}",
            out.t("网络中没有这个机构：", "no member of this network is named")
        ),
        many => bail!(
            "{} {name:?}: {}",
            out.t("有多个机构符合", "several members match"),
            many.iter()
                .map(|m| format!(
                    "{} ({})",
                    out.text(&m.member.profile.name),
                    m.agency.short()
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `tongchou follow` (`follow` true) and `unfollow`.
pub(crate) async fn follow(
    c: &Client,
    out: &Out,
    a: FollowArgs,
    follow: bool,
) -> anyhow::Result<()> {
    let members = if a.owners.is_empty() {
        Vec::new()
    } else {
        c.members().await?
    };
    let owners = a
        .owners
        .iter()
        .map(|o| agency(&members, out, o))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let v = c
        .follow(&FollowRequest {
            follow,
            owners,
            cities: a.cities,
            kinds: a.kinds,
            all: a.all,
        })
        .await?;
    print(out, &v)
}

/// `tongchou follows`.
pub(crate) async fn follows(c: &Client, out: &Out) -> anyhow::Result<()> {
    let v = c.follows().await?;
    print(out, &v)
}

fn print(out: &Out, v: &FollowsView) -> anyhow::Result<()> {
    if out.json {
        return out.json(v);
    }
    let f = &v.follows;
    if f.all {
        println!(
            "{}",
            out.t(
                "本节点保存整个网络的数据（尚未设置关注）",
                "this node holds the whole network (it follows nothing in particular)"
            )
        );
    } else {
        let list = |s: &std::collections::BTreeSet<String>| {
            if s.is_empty() {
                "-".to_string()
            } else {
                s.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        println!(
            "{}: {}",
            out.t("本市", "own city"),
            if f.own_city {
                out.t("关注", "followed")
            } else {
                out.t("不关注", "not followed")
            }
        );
        println!("{}: {}", out.t("关注的城市", "cities"), list(&f.cities));
        println!("{}: {}", out.t("关注的资源类型", "kinds"), list(&f.kinds));
    }
    if let Some(owners) = &v.owners {
        println!(
            "{} ({}):",
            out.t(
                "保存以下机构的预订与审批（含本机构、本市和预订过的机构）",
                "bookings and decisions held of these owners (ours, our city's, those we booked from, and those followed)"
            ),
            owners.len()
        );
        let mut rows = vec![vec![
            out.t("机构", "agency").to_string(),
            out.t("城市", "city").to_string(),
            "id".to_string(),
        ]];
        for o in owners {
            rows.push(vec![
                out.text(&o.name).into_owned(),
                out.text(&o.city).into_owned(),
                o.agency.short(),
            ]);
        }
        table(&rows);
    }
    println!(
        "{}: {} {}, {} {}",
        out.t("持有", "held"),
        v.docs_held,
        out.t("个文档", "documents"),
        v.changes_held,
        out.t("项变更", "changes")
    );
    Ok(())
}
