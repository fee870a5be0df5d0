//! `tongchou bench interest`: the simulator's province at fixed interest
//! (`crdt_model::sim::interest`) as the network grows, 10 → 100 → 1,000
//! agencies (`--full`; 10 → 100 without): each agency follows 3 owners,
//! connects as `crdt_model::peers::plan` has it (at most 50 connections),
//! and books 5 times from them over a minute of virtual time on 50 ms
//! links, live changes on gossipsub topics as nodes send them
//! (`--by-message`: by message to each peer, the baseline). Prints per-node held changes, bytes received, connections and
//! acknowledgement → visible, and the growth from 100 to the largest
//! size; then the largest size again with one owner followed by every
//! agency (its node cannot take them all: they reach it through each
//! other), where afterwards the admin revokes the most followed agency
//! after it (the revocation must reach every node).

use std::time::Instant;

use anyhow::bail;
use crdt_model::sim::interest::{Province, ProvinceStats, run as run_province};
use serde::Serialize;

/// Figures of every size, and the growth between the last two.
#[derive(Debug, Serialize)]
pub struct Report {
    /// One row per size.
    pub sizes: Vec<Row>,
    /// Held changes per node at the largest size over 100 agencies.
    pub held_growth: f64,
    /// Bytes received per node, the same ratio.
    pub bytes_growth: f64,
    /// Connections per node, the same ratio.
    pub connections_growth: f64,
    /// The largest size, every agency also following agency 0.
    pub busy_owner: Row,
}

/// One size.
#[derive(Debug, Serialize)]
pub struct Row {
    /// The figures.
    #[serde(flatten)]
    pub stats: ProvinceStats,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
}

/// Runs the sizes and prints the table (or JSON).
pub fn run(full: bool, by_message: bool, json: bool) -> anyhow::Result<()> {
    let sizes: &[usize] = if full { &[10, 100, 1_000] } else { &[10, 100] };
    let province = |n: usize| Province {
        gossip: !by_message,
        ..Province::new(n, 1)
    };
    if !json {
        println!(
            "tongchou bench interest: agencies following 3 owners each, 5 bookings each over a minute, 50 ms links, live changes {} (simulator, virtual time)",
            if by_message {
                "by message to each peer"
            } else {
                "on gossipsub topics"
            }
        );
        println!(
            "{:>9} {:>10} {:>9} {:>10} {:>12} {:>12} {:>7} {:>7} {:>9} {:>9} {:>7}",
            "agencies",
            "held/node",
            "held max",
            "catalogue",
            "bytes/node",
            "bytes max",
            "conns",
            "max",
            "p50 ms",
            "p99 ms",
            "secs"
        );
    }
    let mut rows = Vec::new();
    for &n in sizes {
        rows.push(one(&province(n), json, &n.to_string())?);
    }
    let largest = sizes.last().copied().unwrap_or(10);
    let busy_owner = one(
        &Province {
            popular: true,
            revoke: true,
            ..province(largest)
        },
        json,
        &format!("{largest}+busy"),
    )?;
    let growth = |f: fn(&ProvinceStats) -> f64| -> f64 {
        let base = rows.iter().find(|r| r.stats.agencies == 100);
        match (base, rows.last()) {
            (Some(b), Some(l)) if f(&b.stats) > 0.0 => f(&l.stats) / f(&b.stats),
            _ => 1.0,
        }
    };
    let report = Report {
        held_growth: growth(|s| s.held_mean),
        bytes_growth: growth(|s| s.bytes_mean),
        connections_growth: growth(|s| s.connections_mean),
        sizes: rows,
        busy_owner,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "100 → {} agencies, per node: held ×{:.2}, bytes ×{:.2}, connections ×{:.2}",
            sizes.last().copied().unwrap_or(0),
            report.held_growth,
            report.bytes_growth,
            report.connections_growth
        );
        println!(
            "{largest}+busy: every agency also follows agency 0, whose node takes at most 25 of them; every node holds at most {} connections (bound 50)",
            report.busy_owner.stats.connections_max
        );
        let busy_label = format!("{largest}+busy");
        let labelled = report
            .sizes
            .iter()
            .map(|r| (r.stats.agencies.to_string(), r))
            .chain([(busy_label, &report.busy_owner)]);
        for (label, r) in labelled {
            let s = &r.stats;
            println!(
                "free/busy on demand at {label} agencies: {} asked that of an owner they do not follow, {} answered (p99 {} ms, {:.0} bytes received per answer); {} had no connected holder and dialled the owner, {} unanswerable",
                s.busy_asked,
                s.busy_answered,
                s.busy_p99_ms,
                s.busy_bytes_mean,
                s.busy_dialled,
                s.busy_unreachable
            );
        }
        let b = &report.busy_owner.stats;
        println!(
            "{largest}+busy, then the most followed agency after 0 revoked ({} followers): the revocation reached {} of {} nodes; its next request held by {} nodes",
            b.revoked_followers,
            b.agencies - 1 - b.revocation_unseen,
            b.agencies - 1,
            b.revoked_request_held
        );
    }
    Ok(())
}

/// Runs one province, fails if a booking never reached an interested node
/// or a follower is cut off, and prints its row.
fn one(p: &Province, json: bool, label: &str) -> anyhow::Result<Row> {
    let t = Instant::now();
    let stats = run_province(p);
    let seconds = t.elapsed().as_secs_f64();
    if stats.revocation_unseen > 0 || stats.revoked_request_held > 0 {
        bail!(
            "{label} agencies: {} nodes never saw the revocation, {} hold what the revoked agency wrote after it",
            stats.revocation_unseen,
            stats.revoked_request_held
        );
    }
    if stats.busy_wrong > 0 || stats.busy_answered + stats.busy_unreachable < stats.busy_asked {
        bail!(
            "{label} agencies: {} free/busy answers differ from the owner's calendar, {} of {} asked came",
            stats.busy_wrong,
            stats.busy_answered,
            stats.busy_asked - stats.busy_unreachable
        );
    }
    if stats.never_visible > 0 || stats.disagreeing > 0 || stats.overbooked > 0 || stats.cut_off > 0
    {
        bail!(
            "{label} agencies: {} bookings never reached an interested node, {} followers disagree with an owner, {} cut off from an owner, overbooked by {}",
            stats.never_visible,
            stats.disagreeing,
            stats.cut_off,
            stats.overbooked
        );
    }
    if !json {
        println!(
            "{:>9} {:>10.1} {:>9} {:>10.0} {:>12.0} {:>12} {:>7.1} {:>7} {:>9} {:>9} {:>7.1}",
            label,
            stats.held_mean,
            stats.held_max,
            stats.catalogue_held,
            stats.bytes_mean,
            stats.bytes_max,
            stats.connections_mean,
            stats.connections_max,
            stats.visible_p50_ms,
            stats.visible_p99_ms,
            seconds
        );
    }
    Ok(Row { stats, seconds })
}
