//! The warehouse (公物仓) from the command line: `loan handover | receive |
//! return`, `loans`, `resource repair | dispose`, `transfer offer | accept |
//! decline`, `transfers`, `inventory` and `inventory count`.

use anyhow::{Context, bail};
use api::*;
use crdt_model::asset::{
    Disposal, InventoryQuery, InventoryRow, Loan, LoanFilter, TransferFilter, TransferStatus,
    TransferView,
};
use crdt_model::engine::{AssetOp, LocalOutcome};
use crdt_model::ids::AgencyId;

use crate::cli::*;
use crate::out::*;
use crate::parse::cli_zone;
use crate::trip::Names;

/// `tongchou loan …`.
pub(crate) async fn loan(c: &Client, out: &Out, cmd: LoanCmd) -> anyhow::Result<()> {
    let op = match cmd {
        LoanCmd::Handover {
            booking,
            tags,
            note,
        } => AssetOp::Handover {
            booking,
            tags: tags
                .into_iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            note,
        },
        LoanCmd::Receive { booking } => AssetOp::Receive { booking },
        LoanCmd::Return {
            booking,
            units,
            damaged,
            damaged_tags,
            note,
        } => {
            if damaged > units {
                bail!(
                    "--damaged: {}",
                    out.t(
                        "损坏件数不能多于归还件数",
                        "cannot be more than the units returned"
                    )
                );
            }
            AssetOp::Return {
                booking,
                units,
                damaged,
                damaged_tags,
                note,
            }
        }
    };
    answer(c, out, c.asset_step(&op).await?).await
}

/// `tongchou resource repair`.
pub(crate) async fn repair(
    c: &Client,
    out: &Out,
    id: &str,
    units: u32,
    tags: Vec<String>,
    start: bool,
) -> anyhow::Result<()> {
    let resource = crate::pick::resource(c, out, id).await?.id;
    let units = units.max(tags.len() as u32);
    let op = AssetOp::Repair {
        resource,
        units,
        tags,
        start,
    };
    answer(c, out, c.asset_step(&op).await?).await
}

/// What `resource dispose` takes out.
pub(crate) struct Disposing {
    /// Units.
    pub(crate) units: u32,
    /// Which, by tag.
    pub(crate) tags: Vec<String>,
    /// Why.
    pub(crate) reason: String,
}

/// `tongchou resource dispose`.
pub(crate) async fn dispose(
    c: &Client,
    out: &Out,
    id: &str,
    how: Disposing,
    method: &str,
) -> anyhow::Result<()> {
    let method: Disposal = method
        .parse()
        .map_err(|e| anyhow::anyhow!("--method: {e}"))?;
    let resource = crate::pick::resource(c, out, id).await?.id;
    let op = AssetOp::Dispose {
        resource,
        units: how.units.max(how.tags.len() as u32),
        tags: how.tags,
        reason: how.reason,
        method,
    };
    answer(c, out, c.asset_step(&op).await?).await
}

/// `tongchou transfer …`.
pub(crate) async fn transfer(c: &Client, out: &Out, cmd: TransferCmd) -> anyhow::Result<()> {
    let op = match cmd {
        TransferCmd::Offer {
            asset,
            to,
            units,
            note,
        } => AssetOp::Offer {
            resource: crate::pick::resource(c, out, &asset).await?.id,
            to: crate::trip::agency(c, out, &to).await?,
            units,
            note,
        },
        TransferCmd::Accept { id } => {
            let t = offer_to_us(c, out, &id).await?;
            AssetOp::Answer {
                resource: t.resource,
                seq: t.seq,
                accept: true,
            }
        }
        TransferCmd::Decline { id } => {
            let t = offer_to_us(c, out, &id).await?;
            AssetOp::Answer {
                resource: t.resource,
                seq: t.seq,
                accept: false,
            }
        }
    };
    answer(c, out, c.asset_step(&op).await?).await
}

/// The pending offer to this agency that `arg` names: its id, or an asset
/// (id, prefix or name) with exactly one such offer.
async fn offer_to_us(c: &Client, out: &Out, arg: &str) -> anyhow::Result<TransferView> {
    let me = c.status().await?.agency;
    let waiting: Vec<TransferView> = c
        .transfers(&TransferFilter {
            mine: true,
            pending: true,
        })
        .await?
        .into_iter()
        .filter(|t| t.to == me)
        .collect();
    if let Some(t) = waiting.iter().find(|t| t.id == arg.trim()) {
        return Ok(t.clone());
    }
    let resources: Vec<_> = c.resources(&ResourceFilter::default()).await?;
    let named = crdt_model::query::named(&resources, arg);
    let found: Vec<&TransferView> = waiting
        .iter()
        .filter(|t| named.iter().any(|r| r.id == t.resource))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!(
            "{} {arg:?} {}",
            out.t(
                "没有待本单位接收的调剂",
                "no offer waiting for this agency:"
            ),
            out.t("（见 `tongchou transfers`）", "(see `tongchou transfers`)")
        ),
        _ => bail!(
            "{arg:?} {}",
            out.t(
                "对应多个调剂，请用 `tongchou transfers` 显示的标识",
                "names several offers; give the id `tongchou transfers` shows"
            )
        ),
    }
}

/// Prints what a step answered.
async fn answer(c: &Client, out: &Out, o: LocalOutcome) -> anyhow::Result<()> {
    if out.json {
        return out.json(&o);
    }
    let names = Names::fetch(c).await?;
    match o {
        LocalOutcome::Loan(l) => print_loans(out, &names, std::slice::from_ref(&*l)),
        LocalOutcome::Inventory(row) => print_inventory(out, &names, std::slice::from_ref(&*row)),
        LocalOutcome::Transfer(t) => print_transfers(out, &names, std::slice::from_ref(&*t)),
        other => println!("{other:?}"),
    }
    Ok(())
}

/// `tongchou loans`.
pub(crate) async fn loans(c: &Client, out: &Out, a: LoansArgs) -> anyhow::Result<()> {
    let asset = match &a.asset {
        Some(x) => Some(crate::pick::resource(c, out, x).await?.id),
        None => None,
    };
    let list = c
        .loans(&LoanFilter {
            overdue: a.overdue,
            mine: a.mine,
            lent: a.lent,
            open: a.open,
            asset,
            id: None,
        })
        .await?;
    if out.json {
        return out.json(&list);
    }
    let names = Names::fetch(c).await?;
    print_loans(out, &names, &list);
    Ok(())
}

fn print_loans(out: &Out, names: &Names, list: &[Loan]) {
    let tz = cli_zone();
    let mut rows = vec![vec![
        out.t("资产", "asset").into(),
        out.t("借用单位", "borrower").into(),
        out.t("件数", "units").into(),
        out.t("借出", "from").into(),
        out.t("应还", "due").into(),
        out.t("状态", "status").into(),
        out.t("预订标识", "booking").into(),
    ]];
    for l in list {
        let mut status = out.text(&l.status.text()).into_owned();
        if l.overdue {
            status = format!("{status} · {}", out.t("逾期", "OVERDUE"));
        }
        if let Some(r) = &l.returned
            && let crdt_model::asset::LoanStep::Return { damaged, note, .. } = &r.step
            && *damaged > 0
        {
            status = format!(
                "{status} · {damaged} {} {}",
                out.t("件损坏", "damaged"),
                crdt_model::record::sanitize(note)
            );
        }
        rows.push(vec![
            names.resource(out, &l.resource),
            names.agency(out, &l.booking.requester),
            l.units.to_string(),
            local(l.start, &tz),
            local(l.end, &tz),
            status,
            l.booking.to_string(),
        ]);
    }
    table(&rows);
}

/// `tongchou transfers`.
pub(crate) async fn transfers(c: &Client, out: &Out, a: TransfersArgs) -> anyhow::Result<()> {
    let list = c
        .transfers(&TransferFilter {
            mine: !a.all,
            pending: a.pending,
        })
        .await?;
    if out.json {
        return out.json(&list);
    }
    let names = Names::fetch(c).await?;
    print_transfers(out, &names, &list);
    Ok(())
}

fn print_transfers(out: &Out, names: &Names, list: &[TransferView]) {
    let tz = cli_zone();
    let mut rows = vec![vec![
        out.t("资产", "asset").into(),
        out.t("调出", "from").into(),
        out.t("调入", "to").into(),
        out.t("件数", "units").into(),
        out.t("状态", "status").into(),
        out.t("时间", "offered").into(),
        out.t("备注", "note").into(),
        out.t("标识", "id").into(),
    ]];
    for t in list {
        let when = jiff::Timestamp::from_millisecond(t.hlc.wall_ms)
            .map(|w| local(w, &tz))
            .unwrap_or_default();
        rows.push(vec![
            names.resource(out, &t.resource),
            names.agency(out, &t.from),
            names.agency(out, &t.to),
            t.units
                .map_or_else(|| out.t("整项", "whole").to_string(), |n| n.to_string()),
            out.text(&t.status.text()).into_owned(),
            when,
            crdt_model::record::sanitize(&t.note).into_owned(),
            t.id.clone(),
        ]);
    }
    table(&rows);
    if list.iter().any(|t| t.status == TransferStatus::Pending) {
        eprintln!(
            "{}",
            out.t(
                "接收：tongchou transfer accept 标识；谢绝：tongchou transfer decline 标识",
                "accept: tongchou transfer accept ID; decline: tongchou transfer decline ID"
            )
        );
    }
}

/// `tongchou inventory` and `inventory count`.
pub(crate) async fn inventory(c: &Client, out: &Out, cmd: InventoryCmd) -> anyhow::Result<()> {
    if let Some(InventoryAction::Count {
        asset,
        counted,
        note,
    }) = cmd.action
    {
        let resource = crate::pick::resource(c, out, &asset).await?.id;
        let o = c
            .asset_step(&AssetOp::Count {
                resource,
                counted,
                note,
            })
            .await?;
        return answer(c, out, o).await;
    }
    let owner: Option<AgencyId> = match &cmd.owner {
        Some(o) => Some(crate::trip::agency(c, out, o).await?),
        None => None,
    };
    let asset = match &cmd.asset {
        Some(x) => Some(crate::pick::resource(c, out, x).await?.id),
        None => None,
    };
    let rows = c
        .inventory(&InventoryQuery {
            owner,
            asset,
            discrepancies: cmd.discrepancies,
        })
        .await
        .context("inventory")?;
    if out.json {
        return out.json(&rows);
    }
    let names = Names::fetch(c).await?;
    print_inventory(out, &names, &rows);
    if cmd.asset.is_some() {
        for r in rows.iter().filter(|r| !r.units.is_empty()) {
            let units: Vec<String> = r
                .units
                .iter()
                .map(|u| {
                    format!(
                        "{} {}",
                        crdt_model::record::sanitize(&u.tag),
                        out.text(&u.state.text())
                    )
                })
                .collect();
            println!("{}: {}", out.t("各件状况", "units"), units.join(" · "));
        }
    }
    Ok(())
}

fn print_inventory(out: &Out, names: &Names, list: &[InventoryRow]) {
    let mut rows = vec![vec![
        out.t("资产", "asset").into(),
        out.t("所属单位", "owner").into(),
        out.t("总数", "total").into(),
        out.t("可用", "available").into(),
        out.t("借出", "on loan").into(),
        out.t("损坏/维修", "damaged/repair").into(),
        out.t("处置", "disposed").into(),
        out.t("调出", "transferred").into(),
        out.t("盘点", "counted").into(),
        out.t("差异", "discrepancy").into(),
    ]];
    for r in list {
        rows.push(vec![
            names.resource(out, &r.resource),
            names.agency(out, &r.owner),
            r.total.to_string(),
            r.available.to_string(),
            r.on_loan.to_string(),
            format!("{}/{}", r.damaged, r.under_repair),
            r.disposed.to_string(),
            r.transferred.to_string(),
            r.counted.map(|n| n.to_string()).unwrap_or_default(),
            match r.discrepancy {
                Some(0) => out.t("相符", "none").into(),
                Some(d) => format!("{d:+}"),
                None => String::new(),
            },
        ]);
    }
    table(&rows);
}
