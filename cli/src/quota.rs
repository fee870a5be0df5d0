//! Quotas (实物定额) from the command line: `quota set`, `quota clear` and
//! `quotas`. A quota lives in its resource's rules, so setting one is an
//! edit of the resource (by its owner); `--kind` sets it on each of this
//! agency's resources of that kind.

use anyhow::bail;
use api::*;
use crdt_model::quota::{Limit, Per, Quota};
use crdt_model::resource::Resource;

use crate::cli::*;
use crate::out::*;

/// The resources a `quota` command acts on: one, or this agency's of a kind.
async fn targets(
    c: &Client,
    out: &Out,
    resource: Option<&str>,
    kind: Option<&str>,
) -> anyhow::Result<Vec<Resource>> {
    let me = c.status().await?.agency;
    let list = match (resource, kind) {
        (Some(r), None) => vec![crate::pick::resource(c, out, r).await?],
        (None, Some(k)) => {
            c.resources(&ResourceFilter {
                kind: Some(k.to_string()),
                owner: Some(me),
                ..Default::default()
            })
            .await?
        }
        _ => bail!("give a resource or --kind, not both"),
    };
    if list.is_empty() {
        bail!("--kind: this agency has no resource of that kind");
    }
    if let Some(r) = list.iter().find(|r| r.owner() != me) {
        bail!("{}: only its owner sets its quotas", r.id);
    }
    Ok(list)
}

/// The limit the flags ask for (exactly one).
fn limit(a: &QuotaSetArgs) -> anyhow::Result<Limit> {
    let per = |p: &Option<String>| -> anyhow::Result<Per> {
        match p.as_deref() {
            Some("week") | Some("周") => Ok(Per::Week),
            Some("month") | Some("月") => Ok(Per::Month),
            Some(other) => bail!("--per: week or month, not {other:?}"),
            None => bail!("--max-bookings needs --per week|month"),
        }
    };
    let given = [
        a.hours_per_week.is_some(),
        a.hours_per_month.is_some(),
        a.max_concurrent.is_some(),
        a.max_bookings.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        bail!("give one of --hours-per-week, --hours-per-month, --max-concurrent, --max-bookings");
    }
    if a.per.is_some() && a.max_bookings.is_none() {
        bail!("--per goes with --max-bookings");
    }
    let positive = |n: u32, flag: &str| -> anyhow::Result<u32> {
        if n == 0 {
            bail!("{flag}: at least 1");
        }
        Ok(n)
    };
    Ok(match a {
        QuotaSetArgs {
            hours_per_week: Some(h),
            ..
        } => Limit::Hours {
            hours: positive(*h, "--hours-per-week")?,
            per: Per::Week,
        },
        QuotaSetArgs {
            hours_per_month: Some(h),
            ..
        } => Limit::Hours {
            hours: positive(*h, "--hours-per-month")?,
            per: Per::Month,
        },
        QuotaSetArgs {
            max_concurrent: Some(n),
            ..
        } => Limit::Concurrent {
            units: positive(*n, "--max-concurrent")?,
        },
        QuotaSetArgs {
            max_bookings: Some(n),
            ..
        } => Limit::Bookings {
            count: positive(*n, "--max-bookings")?,
            per: per(&a.per)?,
        },
        _ => bail!("no limit given"),
    })
}

/// Whether two limits are of the same sort (a new one replaces the old).
fn same_sort(a: &Limit, b: &Limit) -> bool {
    match (a, b) {
        (Limit::Hours { per: x, .. }, Limit::Hours { per: y, .. }) => x == y,
        (Limit::Concurrent { .. }, Limit::Concurrent { .. }) => true,
        (Limit::Bookings { per: x, .. }, Limit::Bookings { per: y, .. }) => x == y,
        _ => false,
    }
}

/// `tongchou quota set|clear`.
pub(crate) async fn quota(c: &Client, out: &Out, cmd: QuotaCmd) -> anyhow::Result<()> {
    let mut changed = Vec::new();
    match cmd {
        QuotaCmd::Set(a) => {
            let q = Quota {
                agency: a.agency,
                limit: limit(&a)?,
            };
            for mut r in targets(c, out, a.resource.as_deref(), a.kind.as_deref()).await? {
                r.rules
                    .quotas
                    .retain(|x| !(x.agency == q.agency && same_sort(&x.limit, &q.limit)));
                r.rules.quotas.push(q.clone());
                changed.push(c.put_resource(&r).await?);
            }
        }
        QuotaCmd::Clear(a) => {
            for mut r in targets(c, out, a.resource.as_deref(), a.kind.as_deref()).await? {
                let before = r.rules.quotas.len();
                r.rules
                    .quotas
                    .retain(|x| a.agency.is_some() && x.agency != a.agency);
                if r.rules.quotas.len() != before {
                    changed.push(c.put_resource(&r).await?);
                }
            }
            if changed.is_empty() {
                bail!("no quota to clear there");
            }
        }
    }
    show(c, out, &changed).await
}

/// `tongchou quotas`: every resource with a quota (this agency's with
/// `--mine`).
pub(crate) async fn quotas(c: &Client, out: &Out, a: QuotasArgs) -> anyhow::Result<()> {
    let owner = if a.mine {
        Some(c.status().await?.agency)
    } else {
        None
    };
    let list: Vec<Resource> = c
        .resources(&ResourceFilter {
            owner,
            ..Default::default()
        })
        .await?
        .into_iter()
        .filter(|r| !r.rules.quotas.is_empty())
        .collect();
    show(c, out, &list).await
}

async fn show(c: &Client, out: &Out, list: &[Resource]) -> anyhow::Result<()> {
    if out.json {
        let rows: Vec<serde_json::Value> = list
            .iter()
            .map(|r| serde_json::json!({"resource": r.id, "quotas": r.rules.quotas}))
            .collect();
        return out.json(&rows);
    }
    if list.iter().all(|r| r.rules.quotas.is_empty()) {
        println!("{}", out.t("没有配额", "no quota"));
        return Ok(());
    }
    let members = c.members().await.unwrap_or_default();
    let name = |a: &crdt_model::ids::AgencyId| {
        members.iter().find(|m| m.agency == *a).map_or_else(
            || a.short(),
            |m| out.text(&m.member.profile.name).into_owned(),
        )
    };
    let mut rows = vec![vec![
        out.t("资源", "resource").to_string(),
        out.t("所属单位", "owner").to_string(),
        out.t("适用于", "applies to").to_string(),
        out.t("配额", "quota").to_string(),
    ]];
    for r in list {
        for q in &r.rules.quotas {
            rows.push(vec![
                format!("{} ({})", out.text(&r.name), r.id.local),
                name(&r.owner()),
                q.agency.map_or_else(
                    || out.t("每个申请单位", "each requesting agency").to_string(),
                    |a| name(&a),
                ),
                out.text(&q.text()).into_owned(),
            ]);
        }
    }
    table(&rows);
    Ok(())
}
