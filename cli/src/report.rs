//! `tongchou report`: utilisation and activity over a period (统计直报), as
//! a table, CSV, JSON or an Excel workbook.

use anyhow::{Context, bail};
use api::*;
use crdt_model::report::{GroupBy, Report, ReportQuery, ReportRow};

use crate::cli::*;
use crate::out::*;
use crate::parse::{cli_zone, period_end, period_start};

/// `tongchou report`.
pub(crate) async fn report(c: &Client, out: &Out, a: ReportArgs) -> anyhow::Result<()> {
    let from = period_start("--from", &a.from)?;
    let to = period_end("--to", &a.to)?;
    if to <= from {
        bail!(
            "--to: {}",
            out.t("结束须晚于开始", "the end must be after the start")
        );
    }
    let by: GroupBy = a.by.parse().map_err(|e| anyhow::anyhow!("--by: {e}"))?;
    let owner = match &a.owner {
        Some(o) => Some(crate::trip::agency(c, out, o).await?),
        None => None,
    };
    let format = if out.json { "json" } else { a.format.as_str() };
    if !["table", "csv", "json", "xlsx"].contains(&format) {
        bail!("--format: table, csv, json or xlsx, not {format:?}");
    }
    if format == "xlsx" && a.out.is_none() {
        bail!(
            "--format xlsx: {}",
            out.t(
                "请用 --out 文件.xlsx 指定文件",
                "give the file with --out FILE.xlsx"
            )
        );
    }
    let r = c
        .report(&ReportQuery {
            from,
            to,
            by,
            kind: a.kind.clone(),
            owner,
        })
        .await?;
    let text = match format {
        "json" => serde_json::to_string_pretty(&r)? + "\n",
        "csv" => csv_text(out, &r)?,
        "xlsx" => {
            let path = a.out.as_deref().context("--out")?;
            xlsx(out, &r, path)?;
            eprintln!(
                "{} {} ({} {})",
                out.t("已写入", "written:"),
                path.display(),
                r.rows.len(),
                out.t("行", "rows")
            );
            return Ok(());
        }
        _ => {
            print_table(out, &r);
            return Ok(());
        }
    };
    match &a.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| path.display().to_string())?;
            eprintln!("{} {}", out.t("已写入", "written:"), path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Column headers, in the chosen language.
fn headers(out: &Out) -> Vec<String> {
    [
        ("分组", "group"),
        ("标识", "key"),
        ("资源数", "resources"),
        ("开放时长", "open h"),
        ("已订时长", "booked h"),
        ("利用率%", "utilisation %"),
        ("跨单位%", "cross-agency %"),
        ("确认", "confirmed"),
        ("拒绝", "rejected"),
        ("取消", "cancelled"),
        ("释放", "released"),
        ("未签到", "no-show"),
        ("出车", "trips"),
        ("公里", "km"),
        ("油(升)", "fuel l"),
        ("电(kWh)", "charge kWh"),
        ("借出", "loans"),
        ("借出件数", "units lent"),
    ]
    .iter()
    .map(|(zh, en)| out.t(zh, en).to_string())
    .collect()
}

/// One row's cells (text, for the table and CSV).
fn cells(out: &Out, x: &ReportRow) -> Vec<String> {
    let n1 = |v: f64| format!("{v:.1}");
    vec![
        crdt_model::record::sanitize(&out.text(&x.label)).into_owned(),
        x.key.clone(),
        x.resources.to_string(),
        n1(x.open_hours),
        n1(x.booked_hours),
        n1(x.utilisation * 100.0),
        n1(x.cross_agency_share * 100.0),
        x.confirmed.to_string(),
        x.rejected.to_string(),
        x.cancelled.to_string(),
        x.released.to_string(),
        x.no_show.to_string(),
        x.trips.to_string(),
        x.km.to_string(),
        n1(x.fuel_l),
        n1(x.charge_kwh),
        x.loans.to_string(),
        x.units_lent.to_string(),
    ]
}

fn print_table(out: &Out, r: &Report) {
    let tz = cli_zone();
    println!(
        "{} {} → {}",
        out.t("统计期间", "period"),
        local(r.query.from, &tz),
        local(r.query.to, &tz)
    );
    let mut rows = vec![headers(out)];
    for x in r.rows.iter().chain(std::iter::once(&r.total)) {
        let mut c = cells(out, x);
        c.remove(1); // ids stay in CSV, JSON and Excel
        rows.push(c);
    }
    rows[0].remove(1);
    table(&rows);
    if !r.peak_hours.is_empty() {
        let hours: Vec<String> = r.peak_hours.iter().map(|h| format!("{h:02}:00")).collect();
        println!("{}: {}", out.t("高峰时段", "peak hours"), hours.join(", "));
    }
    println!(
        "{}: {}",
        out.t("闲置资源（期间无预订）", "idle resources (nothing booked)"),
        r.idle.len()
    );
}

fn csv_text(out: &Out, r: &Report) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers(out))?;
    for x in r.rows.iter().chain(std::iter::once(&r.total)) {
        w.write_record(cells(out, x))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The report as an Excel workbook: the figures (utilisation and shares as
/// percentages) and the idle resources.
fn xlsx(out: &Out, r: &Report, path: &std::path::Path) -> anyhow::Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let one = Format::new().set_num_format("0.0");
    let sheet = book.add_worksheet();
    sheet.set_name(out.t("统计", "Report"))?;
    for (col, h) in headers(out).iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, h, &bold)?;
    }
    for (i, x) in r.rows.iter().chain(std::iter::once(&r.total)).enumerate() {
        let row = i as u32 + 1;
        let label = crdt_model::record::sanitize(&out.text(&x.label)).into_owned();
        sheet.write_string(row, 0, &label)?;
        sheet.write_string(row, 1, &x.key)?;
        sheet.write_number(row, 2, x.resources)?;
        sheet.write_number_with_format(row, 3, x.open_hours, &one)?;
        sheet.write_number_with_format(row, 4, x.booked_hours, &one)?;
        sheet.write_number_with_format(row, 5, x.utilisation, &pct)?;
        sheet.write_number_with_format(row, 6, x.cross_agency_share, &pct)?;
        for (col, v) in [
            x.confirmed,
            x.rejected,
            x.cancelled,
            x.released,
            x.no_show,
            x.trips,
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write_number(row, 7 + col as u16, v)?;
        }
        sheet.write_number(row, 13, x.km as f64)?;
        sheet.write_number_with_format(row, 14, x.fuel_l, &one)?;
        sheet.write_number_with_format(row, 15, x.charge_kwh, &one)?;
        sheet.write_number(row, 16, x.loans)?;
        sheet.write_number(row, 17, x.units_lent)?;
    }
    sheet.autofit();
    let idle = book.add_worksheet();
    idle.set_name(out.t("闲置", "Idle"))?;
    idle.write_string_with_format(0, 0, out.t("闲置资源", "idle resource"), &bold)?;
    for (i, id) in r.idle.iter().enumerate() {
        idle.write_string(i as u32 + 1, 0, id.to_string())?;
    }
    book.save(path)
        .with_context(|| path.display().to_string())?;
    Ok(())
}
