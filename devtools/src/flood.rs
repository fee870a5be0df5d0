//! `tongchou bench flood`: a member node under a connection flood, on
//! 127.0.0.1. Two members run meshed; against the first, 300 rogue peers
//! (real libp2p identities that are not members, run by two child
//! processes) dial and redial as fast as they are let, and 20,000 idle TCP
//! connections are opened to its libp2p port (held by two more child
//! processes, 10,000 each, so no process needs more than its file limit).
//! The attackers run outside this process so that the `status` calls it
//! times are not queued behind them. Measured while it lasts: `status` answer times,
//! whether the other member stays connected, and how many connections the
//! node refused; and the same status times before the flood as a baseline.

use std::time::{Duration, Instant};

use anyhow::Context;
use api::Status;
use crdt_model::agency::AgencyKey;
use futures::StreamExt;
use libp2p::Multiaddr;
use libp2p::swarm::SwarmEvent;
use serde::Serialize;

use crate::demo::{build_network, percentile, progress};

/// Figures of a flood.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Rogue libp2p peers dialing.
    pub rogue_peers: usize,
    /// Their dials.
    pub rogue_dials: u64,
    /// Of those, connections established (then cut by the node).
    pub rogue_connected: u64,
    /// Idle TCP connections asked for.
    pub idle_asked: usize,
    /// Idle TCP connections the children opened (and held).
    pub idle_opened: usize,
    /// `status` answer times before the flood, ms: p50, p99, max.
    pub status_before_ms: (f64, f64, f64),
    /// The same during the flood.
    pub status_during_ms: (f64, f64, f64),
    /// Whether the other member stayed connected through every sample.
    pub member_connected_throughout: bool,
    /// Connections the node refused at once (non-members in backoff), at the end.
    pub refused_connections: u64,
    /// Seconds the flood lasted.
    pub seconds: f64,
}

const IDLE_ENV: &str = "TONGCHOU_FLOOD_HOLD";

/// The child's part (`bench flood-hold`, with `TONGCHOU_FLOOD_HOLD` =
/// `ADDR:PORT COUNT SECONDS`): opens COUNT idle connections, prints how
/// many it got, holds them SECONDS.
pub async fn hold() -> anyhow::Result<()> {
    let spec = std::env::var(IDLE_ENV).context("flood-hold is started by `bench flood`")?;
    let mut it = spec.split_whitespace();
    let (addr, count, secs) = (
        it.next().context("address")?.to_string(),
        it.next().context("count")?.parse::<usize>()?,
        it.next().context("seconds")?.parse::<u64>()?,
    );
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        match tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(&addr),
        )
        .await
        {
            Ok(Ok(s)) => held.push(s),
            _ => break,
        }
    }
    println!("{}", held.len());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    drop(held);
    Ok(())
}

const ROGUE_ENV: &str = "TONGCHOU_FLOOD_ROGUE";

/// The child's part (`bench flood-rogue`, with `TONGCHOU_FLOOD_ROGUE` =
/// `MULTIADDR FIRST COUNT SECONDS`): COUNT rogue peers (identities FIRST
/// on) dial the node and redial as soon as they are cut, for SECONDS;
/// then prints `DIALS CONNECTIONS`.
pub async fn rogue() -> anyhow::Result<()> {
    let spec = std::env::var(ROGUE_ENV).context("flood-rogue is started by `bench flood`")?;
    let mut it = spec.split_whitespace();
    let target: Multiaddr = it.next().context("address")?.parse()?;
    let first = it.next().context("first")?.parse::<usize>()?;
    let count = it.next().context("count")?.parse::<usize>()?;
    let secs = it.next().context("seconds")?.parse::<u64>()?;
    let (dials, conns) = (
        std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)),
        std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let mut rogues = tokio::task::JoinSet::new();
    for i in first..first + count {
        let (target, dials, conns) = (target.clone(), dials.clone(), conns.clone());
        rogues.spawn(async move {
            let mut secret = [0u8; 32];
            secret[..8].copy_from_slice(&(i as u64 + 7_000).to_le_bytes());
            secret[31] = 0x5a;
            let Ok(mut swarm) = node::net::swarm(&AgencyKey::from_secret(&secret), false, 50)
            else {
                return;
            };
            let redial = |swarm: &mut libp2p::Swarm<node::net::Behaviour>| {
                dials.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let _ = swarm.dial(target.clone());
            };
            redial(&mut swarm);
            while let Ok(ev) = tokio::time::timeout_at(deadline, swarm.select_next_some()).await {
                match ev {
                    SwarmEvent::ConnectionEstablished { .. } => {
                        conns.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    SwarmEvent::ConnectionClosed { .. }
                    | SwarmEvent::OutgoingConnectionError { .. } => {
                        redial(&mut swarm);
                    }
                    _ => {}
                }
            }
        });
    }
    while rogues.join_next().await.is_some() {}
    println!(
        "{} {}",
        dials.load(std::sync::atomic::Ordering::Relaxed),
        conns.load(std::sync::atomic::Ordering::Relaxed)
    );
    Ok(())
}

/// Runs the flood for `secs` seconds.
pub async fn run(secs: u64, json: bool) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("tongchou-flood-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = flood(&dir, secs, json).await;
    let _ = std::fs::remove_dir_all(&dir);
    let r = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "{} rogue peers ({} dials, {} connections cut), {} of {} idle TCP connections held, {:.0} s\nstatus p50/p99/max ms: before {:.1}/{:.1}/{:.1}, during {:.1}/{:.1}/{:.1}; member connected throughout: {}; refused at once: {}",
            r.rogue_peers,
            r.rogue_dials,
            r.rogue_connected,
            r.idle_opened,
            r.idle_asked,
            r.seconds,
            r.status_before_ms.0,
            r.status_before_ms.1,
            r.status_before_ms.2,
            r.status_during_ms.0,
            r.status_during_ms.1,
            r.status_during_ms.2,
            r.member_connected_throughout,
            r.refused_connections
        );
    }
    Ok(())
}

/// `status` answer times over `n` calls, ms (p50, p99, max), and whether
/// `member` was among the connected peers each time.
async fn sample(
    c: &api::Client,
    member: &crdt_model::ids::AgencyId,
    n: usize,
) -> anyhow::Result<((f64, f64, f64), bool)> {
    let mut t = Vec::with_capacity(n);
    let mut connected = true;
    for _ in 0..n {
        let t0 = Instant::now();
        let s: Status = c.status().await?;
        t.push(t0.elapsed().as_secs_f64() * 1000.0);
        connected &= s.peers.iter().any(|p| p.agency == *member && p.connected);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t.sort_by(f64::total_cmp);
    let max = t.last().copied().unwrap_or(0.0);
    Ok(((percentile(&t, 0.5), percentile(&t, 0.99), max), connected))
}

async fn flood(dir: &std::path::Path, secs: u64, quiet: bool) -> anyhow::Result<Report> {
    const ROGUES: usize = 300;
    const IDLE: usize = 20_000;
    progress(quiet, "starting 2 member nodes");
    let nodes = build_network(dir, 2, true, quiet).await?;
    let target: Multiaddr = nodes[0].addr().parse()?;
    let tcp = tcp_of(&target).context("the node's address has no tcp port")?;
    let client = nodes[0].api().clone();
    let member = nodes[1].api().status().await?.agency;
    let mut r = Report {
        rogue_peers: ROGUES,
        idle_asked: IDLE,
        ..Report::default()
    };
    progress(quiet, "baseline: 100 status calls");
    let (before, _) = sample(&client, &member, 100).await?;
    r.status_before_ms = before;

    progress(
        quiet,
        &format!("flood: {IDLE} idle TCP connections and {ROGUES} rogue peers for {secs} s"),
    );
    let started = Instant::now();
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for _ in 0..2 {
        children.push(
            std::process::Command::new(&exe)
                .args(["bench", "flood-hold"])
                .env(IDLE_ENV, format!("{tcp} {} {}", IDLE / 2, secs + 30))
                .stdout(std::process::Stdio::piped())
                .spawn()?,
        );
    }
    // Each child says how many connections it holds once it has opened them.
    let mut counts = tokio::task::JoinSet::new();
    for c in &mut children {
        if let Some(out) = c.stdout.take() {
            counts.spawn_blocking(move || {
                use std::io::BufRead;
                let mut line = String::new();
                let _ = std::io::BufReader::new(out).read_line(&mut line);
                line.trim().parse::<usize>().unwrap_or(0)
            });
        }
    }
    // The rogues run in two child processes too, so that the status calls
    // measured here are not queued behind 300 swarms in this process.
    let mut rogue_children = Vec::new();
    for half in 0..2 {
        rogue_children.push(
            std::process::Command::new(&exe)
                .args(["bench", "flood-rogue"])
                .env(
                    ROGUE_ENV,
                    format!("{target} {} {} {secs}", half * ROGUES / 2, ROGUES / 2),
                )
                .stdout(std::process::Stdio::piped())
                .spawn()?,
        );
    }
    let mut rogue_counts = tokio::task::JoinSet::new();
    for c in &mut rogue_children {
        if let Some(out) = c.stdout.take() {
            rogue_counts.spawn_blocking(move || {
                use std::io::BufRead;
                let mut line = String::new();
                let _ = std::io::BufReader::new(out).read_line(&mut line);
                let mut it = line
                    .split_whitespace()
                    .map(|x| x.parse::<u64>().unwrap_or(0));
                (it.next().unwrap_or(0), it.next().unwrap_or(0))
            });
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    // Let the flood build up, then sample until it ends.
    tokio::time::sleep(Duration::from_secs(secs.min(20) / 2)).await;
    let mut during = Vec::new();
    let mut throughout = true;
    while tokio::time::Instant::now() + Duration::from_secs(6) < deadline {
        let (t, connected) = sample(&client, &member, 100).await?;
        during.push(t);
        throughout &= connected;
    }
    while let Some(n) = rogue_counts.join_next().await {
        let (d, c) = n.unwrap_or((0, 0));
        r.rogue_dials += d;
        r.rogue_connected += c;
    }
    for c in &mut rogue_children {
        let _ = c.wait();
    }
    while let Some(n) = counts.join_next().await {
        r.idle_opened += n.unwrap_or(0);
    }
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    r.seconds = started.elapsed().as_secs_f64();
    r.status_during_ms = during.iter().fold((0.0, 0.0, 0.0), |a, t| {
        (f64::max(a.0, t.0), f64::max(a.1, t.1), f64::max(a.2, t.2))
    });
    r.member_connected_throughout = throughout;
    r.refused_connections = client.status().await?.refused_connections;
    Ok(r)
}

/// `host:port` of a `/ip4/…/tcp/…` address.
fn tcp_of(a: &Multiaddr) -> Option<String> {
    use libp2p::multiaddr::Protocol;
    let mut ip = None;
    let mut port = None;
    for p in a.iter() {
        match p {
            Protocol::Ip4(x) => ip = Some(x.to_string()),
            Protocol::Tcp(x) => port = Some(x),
            _ => {}
        }
    }
    Some(format!("{}:{}", ip?, port?))
}
