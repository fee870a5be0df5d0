//! Booking from the command line: book, bookings, cancel, decide.

use anyhow::bail;
use api::*;
use crdt_model::agency::Text;
use crdt_model::booking::Status as BStatus;
use crdt_model::calendar::Booking;
use crdt_model::engine::SeriesScope;
use std::time::Duration;

use crate::cli::*;
use crate::out::*;
use crate::parse::*;

/// `tongchou book`: requests a booking (civil times in the resource's zone).
pub(crate) async fn book(c: &Client, out: &Out, a: BookArgs) -> anyhow::Result<()> {
    let BookArgs {
        resource,
        from,
        to,
        quantity,
        purpose,
        contact,
        wait,
        repeat,
        until,
        wait_list,
    } = a;
    let res = crate::pick::resource(c, out, &resource).await?;
    // Civil times are read in the resource's own time zone.
    let tz = res.tz();
    let resource = res.id;
    let start = parse_time_in("--from", &from, &tz)?;
    let end = parse_time_in("--to", &to, &tz)?;
    if end <= start {
        bail!("--to: must be after --from");
    }
    if let Some(rule) = repeat {
        let rule = match until {
            None => rule,
            Some(u) => {
                let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
                let d = crdt_model::when::parse_date(&u, today)
                    .ok_or_else(|| anyhow::anyhow!("--until: {u:?} is not a date"))?;
                format!(
                    "{};UNTIL={}",
                    rule.trim_end_matches(';'),
                    d.strftime("%Y%m%d")
                )
            }
        };
        // Checked here too, so a typo is told before anything is sent.
        crdt_model::recur::Rule::parse(&rule).map_err(|e| anyhow::anyhow!("--repeat: {e}"))?;
        let list = c
            .book_series(&SeriesRequest {
                book: BookRequest {
                    wait_list: false,
                    resource,
                    start,
                    end,
                    quantity,
                    contact,
                    purpose,
                },
                repeat: rule,
            })
            .await?;
        let list = wait_series(c, list, wait).await?;
        return show_series(c, out, &list).await;
    }
    let mut b = c
        .book(&BookRequest {
            wait_list,
            resource,
            start,
            end,
            quantity,
            contact,
            purpose,
        })
        .await?;
    if let Some(secs) = wait {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        while matches!(b.status, BStatus::Tentative { .. }) && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
            b = c.booking(&b.id).await?;
        }
    }
    show_booking(c, out, &b).await
}

/// `tongchou bookings`.
pub(crate) async fn bookings(c: &Client, out: &Out, a: BookingsArgs) -> anyhow::Result<()> {
    let BookingsArgs {
        resource,
        mine,
        pending,
        from,
        to,
    } = a;
    let from = from
        .map(|s| crate::parse::period_start("--from", &s))
        .transpose()?;
    let to = to
        .map(|s| crate::parse::period_end("--to", &s))
        .transpose()?;
    let resource = match resource {
        Some(r) => Some(crate::pick::resource(c, out, &r).await?.id),
        None => None,
    };
    let list = c
        .bookings(&BookingFilter {
            resource,
            mine,
            pending,
            from,
            to,
            ..Default::default()
        })
        .await?;
    if out.json {
        return out.json(&list);
    }
    let resources = c.resources(&ResourceFilter::default()).await?;
    let zones = Zones::of(&resources);
    let members = c.members().await?;
    let agency = |a: &crdt_model::ids::AgencyId| {
        members
            .iter()
            .find(|m| m.agency == *a)
            .map(|m| out.text(&m.member.profile.name).into_owned())
            .unwrap_or_else(|| a.short())
    };
    let resource = |id: &crdt_model::ids::ResourceId| {
        resources
            .iter()
            .find(|r| r.id == *id)
            .map(|r| format!("{} · {}", out.text(&r.name), out.text(&r.location.city)))
            .unwrap_or_else(|| id.local.to_string())
    };
    let mut rows = vec![vec![
        out.t("开始", "start").into(),
        out.t("结束", "end").into(),
        out.t("状态", "status").into(),
        out.t("资源", "resource").into(),
        out.t("申请单位", "requester").into(),
        out.t("数量", "qty").into(),
        out.t("用途", "purpose").into(),
        "id".into(),
    ]];
    for b in &list {
        let purpose = b
            .request
            .as_ref()
            .map(|r| r.purpose.to_string())
            .unwrap_or_default();
        rows.push(vec![
            local(b.terms.start, &zones.get(&b.resource)),
            local(b.terms.end, &zones.get(&b.resource)),
            status_text(out, &b.status),
            resource(&b.resource),
            agency(&b.id.requester),
            b.terms.quantity.to_string(),
            purpose,
            b.id.to_string(),
        ]);
    }
    table(&rows);
    Ok(())
}

/// `tongchou cancel`: cancels one of this agency's requests.
pub(crate) async fn cancel(c: &Client, out: &Out, a: CancelArgs) -> anyhow::Result<()> {
    let CancelArgs {
        id,
        reason,
        occurrence,
        from_date,
        series,
    } = a;
    let date = |field: &str, s: &str| {
        let today = jiff::Timestamp::now().to_zoned(cli_zone()).date();
        crdt_model::when::parse_date(s, today)
            .ok_or_else(|| anyhow::anyhow!("{field}: {s:?} is not a date"))
    };
    let scope = match (occurrence, from_date, series) {
        (Some(d), _, _) => Some(SeriesScope::Occurrence(date("--occurrence", &d)?)),
        (None, Some(d), _) => Some(SeriesScope::FromDate(date("--from-date", &d)?)),
        (None, None, true) => Some(SeriesScope::Series),
        (None, None, false) => None,
    };
    if let Some(scope) = scope {
        let list = c
            .cancel_series(&SeriesCancelRequest {
                booking: id,
                scope,
                reason,
            })
            .await?;
        return show_series(c, out, &list).await;
    }
    let b = c
        .cancel(&CancelRequest {
            booking: id,
            reason,
        })
        .await?;
    show_booking(c, out, &b).await
}

/// `tongchou decide`: approves or rejects a request (owners).
pub(crate) async fn decide(c: &Client, out: &Out, a: DecideArgs) -> anyhow::Result<()> {
    let DecideArgs {
        id,
        verdict,
        reason,
    } = a;
    let approve = match verdict.as_str() {
        "approve" | "confirm" | "yes" => true,
        "reject" | "no" => false,
        other => bail!("verdict: expected approve or reject, got {other:?}"),
    };
    let reason = reason.map(|r| Text::new(r.clone(), r));
    let b = c
        .decide(&DecideRequest {
            booking: id,
            approve,
            reason,
        })
        .await?;
    show_booking(c, out, &b).await
}

/// Every known resource's zone (times are shown in the resource's own).
pub(crate) async fn zones(c: &Client) -> anyhow::Result<Zones> {
    Ok(Zones::of(&c.resources(&ResourceFilter::default()).await?))
}

/// A booking as `--json`, or printed with its times in its resource's zone.
/// Waits up to `secs` for the owner to decide every occurrence.
async fn wait_series(
    c: &Client,
    mut list: Vec<Booking>,
    secs: Option<u64>,
) -> anyhow::Result<Vec<Booking>> {
    let (Some(secs), Some(first)) = (secs, list.first().map(|b| b.id.clone())) else {
        return Ok(list);
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while list
        .iter()
        .any(|b| matches!(b.status, BStatus::Tentative { .. }))
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
        list = c.series(&first).await?;
    }
    Ok(list)
}

/// A series: one line per occurrence (date, time, status, why).
async fn show_series(c: &Client, out: &Out, list: &[Booking]) -> anyhow::Result<()> {
    if out.json {
        return out.json(&list);
    }
    let zones = zones(c).await?;
    if let Some(s) = list
        .first()
        .and_then(|b| b.request.as_ref())
        .and_then(|r| r.series.as_ref())
    {
        println!(
            "{} {} ({} {}, {})",
            out.t("周期预约", "series"),
            s.first,
            s.count,
            out.t("次", "occurrences"),
            s.rule
        );
    }
    let mut rows = vec![vec![
        out.t("时间", "time").to_string(),
        out.t("状态", "status").to_string(),
        out.t("原因", "why").to_string(),
        "id".to_string(),
    ]];
    for b in list {
        let tz = zones.get(&b.resource);
        let why = match &b.status {
            BStatus::Rejected { reason, .. } => out.text(reason).into_owned(),
            _ => String::new(),
        };
        rows.push(vec![
            format!(
                "{} → {}",
                local(b.terms.start, &tz),
                local(b.terms.end, &tz)
            ),
            status_text(out, &b.status),
            why,
            b.id.to_string(),
        ]);
    }
    table(&rows);
    Ok(())
}

pub(crate) async fn show_booking(c: &Client, out: &Out, b: &Booking) -> anyhow::Result<()> {
    if out.json {
        return out.json(b);
    }
    print_booking(out, b, &zones(c).await?);
    Ok(())
}
