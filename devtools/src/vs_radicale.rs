//! `tongchou bench radicale`: Tongchou side by side with the central server
//! an agency would otherwise deploy, Radicale (a CalDAV server, installed
//! from PyPI into a virtualenv and started on 127.0.0.1 by the bench):
//! bookings per second (one VEVENT PUT per booking, Radicale's defaults incl.
//! fsync, against Tongchou's durable acknowledged bookings), free/busy
//! latency for one resource-week as the history grows, full-calendar fetch,
//! and whether two clients racing for one slot end with a double booking.
//! The histories behind the queries are not timed: Radicale's are written
//! as .ics files straight into its storage folder, Tongchou's through its API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use api::{BookRequest, Status};
use crdt_model::booking::Status as BStatus;
use crdt_model::calendar::Booking;
use crdt_model::ids::ResourceId;
use crdt_model::resource::{
    Approval, BookingRules, Capacity, Location, Resource, ResourceKind, Sharing,
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::demo::{build_network, percentile, progress};
use harness::wait_until;

/// Figures of one run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Bookings written by each side.
    pub bookings: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Radicale: VEVENT PUTs per second.
    pub radicale_bookings_per_s: f64,
    /// Tongchou: durable acknowledged bookings per second.
    pub tongchou_bookings_per_s: f64,
    /// `(history size, Radicale ms, Tongchou ms)`: median time to get one
    /// resource's bookings of one week.
    pub week_query_ms: Vec<(usize, f64, f64)>,
    /// `(history size, Radicale ms, Tongchou ms)`: fetching a whole calendar.
    pub full_fetch_ms: Vec<(usize, f64, f64)>,
    /// Radicale stored both of two overlapping bookings of one room.
    pub radicale_double_booked: bool,
    /// Tongchou confirmed both of two overlapping requests (never).
    pub tongchou_double_booked: bool,
}

struct Radicale {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Radicale {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn venv_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache/tongchou/radicale-venv")
}

/// Installs Radicale into a cached virtualenv (once) and returns its python.
fn install(quiet: bool) -> anyhow::Result<PathBuf> {
    let venv = venv_dir();
    let python = venv.join("bin/python");
    let ok = python.exists()
        && Command::new(&python)
            .args(["-c", "import radicale"])
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        return Ok(python);
    }
    progress(
        quiet,
        &format!("installing Radicale into {}", venv.display()),
    );
    let st = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("python3 is needed to run Radicale (apt install python3 python3-venv)")?;
    if !st.success() {
        bail!("python3 -m venv {} failed", venv.display());
    }
    let st = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "radicale>=3,<4"])
        .status()
        .context("running pip")?;
    if !st.success() {
        bail!("pip install radicale failed (is PyPI reachable?)");
    }
    Ok(python)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn start(python: &Path, dir: &Path) -> anyhow::Result<Radicale> {
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("radicale.log"))?;
    let child = harness::dies_with_parent(&mut Command::new(python))
        .args(["-m", "radicale", "--storage-filesystem-folder"])
        .arg(dir.join("collections"))
        .args(["--auth-type", "none", "--rights-type", "authenticated"])
        .args(["--server-hosts", &format!("127.0.0.1:{port}")])
        .args(["--logging-level", "warning"])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting Radicale")?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let r = Radicale {
        child,
        base: format!("http://127.0.0.1:{port}/bench"),
        http,
    };
    wait_until("Radicale to answer", Duration::from_secs(30), || async {
        r.http
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .ok()
            .map(|_| ())
    })
    .await?;
    Ok(r)
}

fn method(m: &str) -> reqwest::Method {
    reqwest::Method::from_bytes(m.as_bytes()).expect("valid method")
}

fn ical(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn vevent(uid: &str, start: Timestamp, end: Timestamp) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tongchou//bench//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:bench\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        ical(start),
        ical(start),
        ical(end)
    )
}

impl Radicale {
    async fn mkcalendar(&self, name: &str) -> anyhow::Result<()> {
        let r = self
            .http
            .request(method("MKCALENDAR"), format!("{}/{name}/", self.base))
            .basic_auth("bench", Some("x"))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("MKCALENDAR {name}: {}", r.status());
        }
        Ok(())
    }

    async fn put(&self, cal: &str, uid: &str, start: Timestamp, end: Timestamp) -> bool {
        self.http
            .put(format!("{}/{cal}/{uid}.ics", self.base))
            .basic_auth("bench", Some("x"))
            .header("Content-Type", "text/calendar")
            .body(vevent(uid, start, end))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    async fn week(&self, cal: &str, from: Timestamp) -> anyhow::Result<()> {
        let to = from + SignedDuration::from_hours(24 * 7);
        let body = format!(
            r#"<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{}" end="{}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#,
            ical(from),
            ical(to)
        );
        let r = self
            .http
            .request(method("REPORT"), format!("{}/{cal}/", self.base))
            .basic_auth("bench", Some("x"))
            .header("Depth", "1")
            .header("Content-Type", "application/xml")
            .body(body)
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("REPORT: {}", r.status());
        }
        r.bytes().await?;
        Ok(())
    }

    /// Writes slots `0..n` as events of calendar `cal` directly into the
    /// storage folder (the calendar must exist).
    fn seed(&self, dir: &Path, cal: &str, base: Timestamp, n: usize) -> anyhow::Result<()> {
        let folder = dir.join("collections/collection-root/bench").join(cal);
        if !folder.is_dir() {
            bail!(
                "Radicale's folder for {cal} is missing: {}",
                folder.display()
            );
        }
        for i in 0..n {
            let (a, b) = slot(base, i);
            let uid = format!("e{i}");
            std::fs::write(folder.join(format!("{uid}.ics")), vevent(&uid, a, b))?;
        }
        Ok(())
    }

    /// GET on calendar `cal` (the whole collection), checked for success.
    async fn get_collection(&self, cal: &str) -> anyhow::Result<reqwest::Response> {
        let r = self
            .http
            .get(format!("{}/{cal}/", self.base))
            .basic_auth("bench", Some("x"))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("GET: {}", r.status());
        }
        Ok(r)
    }

    /// How many events Radicale serves for calendar `cal`.
    async fn count(&self, cal: &str) -> anyhow::Result<usize> {
        let body = self.get_collection(cal).await?.text().await?;
        Ok(body.matches("BEGIN:VEVENT").count())
    }

    async fn fetch_all(&self, cal: &str) -> anyhow::Result<()> {
        self.get_collection(cal).await?.bytes().await?;
        Ok(())
    }
}

/// Books slots `0..n` of a resource through the API with `clients`
/// concurrent clients; returns how many were acknowledged.
async fn book_all(
    api: &api::Client,
    rid: &ResourceId,
    base: Timestamp,
    n: usize,
    clients: usize,
) -> usize {
    let mut set = tokio::task::JoinSet::new();
    for c in 0..clients {
        let api = api.clone();
        let rid = rid.clone();
        set.spawn(async move {
            let mut ok = 0;
            for i in (c..n).step_by(clients) {
                let (a, b) = slot(base, i);
                let req = BookRequest {
                    wait_list: false,
                    resource: rid.clone(),
                    start: a,
                    end: b,
                    quantity: 1,
                    contact: String::new(),
                    purpose: format!("bench {i}"),
                };
                ok += usize::from(api.book(&req).await.is_ok());
            }
            ok
        });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        ok += r.unwrap_or(0);
    }
    ok
}

fn room(owner: crdt_model::ids::AgencyId, local: &str) -> Resource {
    Resource {
        id: ResourceId::new(owner, local).expect("valid id"),
        kind: ResourceKind::MeetingRoom,
        name: crdt_model::agency::Text::new("压测会议室", "Bench room"),
        location: Location {
            city: crdt_model::agency::Text::new("深圳", "Shenzhen"),
            ..Default::default()
        },
        capacity: Capacity::People(10),
        features: Default::default(),
        attributes: Default::default(),
        sharing: Sharing::AllMembers,
        rules: BookingRules {
            approval: Approval::Automatic,
            min_minutes: 1,
            ..Default::default()
        },
        retired: false,
        held_by: None,
    }
}

/// Slot `i` of a history: one hour, 8:00–20:00 each day, one after another.
fn slot(base: Timestamp, i: usize) -> (Timestamp, Timestamp) {
    let day = (i / 12) as i64;
    let hour = (i % 12) as i64;
    let a = base + SignedDuration::from_hours(24 * day + 8 + hour);
    (a, a + SignedDuration::from_hours(1))
}

async fn median_ms<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut v = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    v.sort_by(f64::total_cmp);
    Ok(percentile(&v, 0.5))
}

/// Runs the comparison; `full` uses the sizes the issue names.
pub async fn run(full: bool, json: bool) -> anyhow::Result<()> {
    let quiet = json;
    let dir = std::env::temp_dir().join(format!("tongchou-vs-radicale-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = compare(&dir, full, quiet).await;
    let _ = std::fs::remove_dir_all(&dir);
    let r = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!(
        "bookings per second ({} bookings, {} clients): Radicale {:.0}/s · Tongchou {:.0}/s · ratio {:.1}×",
        r.bookings,
        r.clients,
        r.radicale_bookings_per_s,
        r.tongchou_bookings_per_s,
        r.tongchou_bookings_per_s / r.radicale_bookings_per_s.max(1e-9)
    );
    for (n, a, b) in &r.week_query_ms {
        println!(
            "one resource-week with {n} bookings of history: Radicale {a:.1} ms · Tongchou {b:.1} ms · ratio {:.4} ({:.0}× faster)",
            b / a.max(1e-9),
            a / b.max(1e-9)
        );
    }
    for (n, a, b) in &r.full_fetch_ms {
        println!(
            "whole calendar of {n} bookings: Radicale {a:.1} ms · Tongchou {b:.1} ms · ratio {:.4} ({:.0}× faster)",
            b / a.max(1e-9),
            a / b.max(1e-9)
        );
    }
    println!(
        "two clients race for one slot: Radicale double-booked {} · Tongchou double-booked {}",
        r.radicale_double_booked, r.tongchou_double_booked
    );
    Ok(())
}

/// What the comparison's steps share: both servers, the first node's
/// agency, the first slot.
struct Ctx {
    rad: std::sync::Arc<Radicale>,
    nodes: Vec<crate::demo::DemoNode>,
    agency: crdt_model::ids::AgencyId,
    base: Timestamp,
}

async fn compare(dir: &Path, full: bool, quiet: bool) -> anyhow::Result<Report> {
    let python = install(quiet)?;
    let rad = std::sync::Arc::new(start(&python, dir).await?);
    let nodes = build_network(&dir.join("net"), 2, true, quiet).await?;
    let st: Status = nodes[0].api().status().await?;
    let ctx = Ctx {
        rad,
        nodes,
        agency: st.agency,
        base: Timestamp::now() + SignedDuration::from_hours(48),
    };
    let mut report = Report {
        bookings: if full { 2_000 } else { 500 },
        clients: 8,
        ..Default::default()
    };
    throughput(&ctx, &mut report, quiet).await?;
    histories(&ctx, dir, full, &mut report, quiet).await?;
    race(&ctx, &mut report, quiet).await?;
    Ok(report)
}

/// Step 1, throughput: one booking per request, 8 clients, one room each
/// side (the slots do not overlap, so every booking succeeds on both).
async fn throughput(ctx: &Ctx, report: &mut Report, quiet: bool) -> anyhow::Result<()> {
    progress(
        quiet,
        &format!("throughput: {} bookings each side", report.bookings),
    );
    ctx.rad.mkcalendar("load").await?;
    let load = room(ctx.agency, "load");
    let _: Resource = ctx.nodes[0].api().put_resource(&load).await?;
    let n = report.bookings;
    let base = ctx.base;
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for c in 0..report.clients {
        let rad = ctx.rad.clone();
        set.spawn(async move {
            let mut ok = 0;
            for i in (c..n).step_by(8) {
                let (a, b) = slot(base, i);
                ok += usize::from(rad.put("load", &format!("e{i}"), a, b).await);
            }
            ok
        });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        ok += r.unwrap_or(0);
    }
    report.radicale_bookings_per_s = ok as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let ok = book_all(ctx.nodes[0].api(), &load.id, base, n, report.clients).await;
    report.tongchou_bookings_per_s = ok as f64 / t.elapsed().as_secs_f64();

    Ok(())
}

/// Step 2: a week of one resource, and the whole calendar, as history grows.
async fn histories(
    ctx: &Ctx,
    dir: &Path,
    full: bool,
    report: &mut Report,
    quiet: bool,
) -> anyhow::Result<()> {
    let sizes: &[usize] = if full {
        &[20, 1_000, 10_000]
    } else {
        &[20, 1_000]
    };
    for &size in sizes {
        progress(
            quiet,
            &format!("history of {size} bookings on one resource"),
        );
        let name = format!("h{size}");
        ctx.rad.mkcalendar(&name).await?;
        let r = room(ctx.agency, &name);
        let _: Resource = ctx.nodes[0].api().put_resource(&r).await?;
        // The history is not what is timed: Radicale's is written straight
        // into its storage folder (one .ics file per event, as its PUT
        // writes them), which a 10,000-event history needs, since its PUTs
        // slow down as a collection grows; Tongchou's goes through the API.
        ctx.rad.seed(dir, &name, ctx.base, size)?;
        let listed = ctx.rad.count(&name).await?;
        if listed != size {
            bail!("Radicale lists {listed} of the {size} events written for {name}");
        }
        let booked = book_all(ctx.nodes[0].api(), &r.id, ctx.base, size, 8).await;
        if booked != size {
            bail!("Tongchou acknowledged {booked} of the {size} bookings for {name}");
        }
        // The week in the middle of the history.
        let (mid, _) = slot(ctx.base, size / 2);
        let week_from = mid - SignedDuration::from_hours(24 * 3);
        let runs = if size >= 10_000 { 5 } else { 20 };
        let rad_ms = median_ms(runs, || ctx.rad.week(&name, week_from)).await?;
        let api = ctx.nodes[0].api();
        let q = api::BookingFilter {
            resource: Some(r.id.clone()),
            from: Some(week_from),
            to: Some(week_from + SignedDuration::from_hours(24 * 7)),
            ..Default::default()
        };
        let tc_ms = median_ms(runs, || async {
            api.bookings(&q).await?;
            Ok(())
        })
        .await?;
        report.week_query_ms.push((size, rad_ms, tc_ms));
        let rad_all = median_ms(runs, || ctx.rad.fetch_all(&name)).await?;
        let tc_all = median_ms(runs, || async {
            api.calendar(&r.id).await?;
            Ok(())
        })
        .await?;
        report.full_fetch_ms.push((size, rad_all, tc_all));
    }

    Ok(())
}

/// Step 3: two clients race for the same slot of one room.
async fn race(ctx: &Ctx, report: &mut Report, quiet: bool) -> anyhow::Result<()> {
    progress(quiet, "race: two clients book the same slot");
    ctx.rad.mkcalendar("race").await?;
    let (a, b) = slot(ctx.base, 3);
    let (x, y) = tokio::join!(
        ctx.rad.put("race", "alice", a, b),
        ctx.rad
            .put("race", "bob", a + SignedDuration::from_mins(30), b)
    );
    report.radicale_double_booked = x && y;
    let race = room(ctx.agency, "race");
    let _: Resource = ctx.nodes[0].api().put_resource(&race).await?;
    wait_until(
        "the race room on the second node",
        Duration::from_secs(30),
        || async {
            let l: Vec<Resource> = ctx.nodes[1]
                .api()
                .resources(&Default::default())
                .await
                .ok()?;
            l.iter().any(|r| r.id == race.id).then_some(())
        },
    )
    .await?;
    let req = |start: Timestamp| BookRequest {
        wait_list: false,
        resource: race.id.clone(),
        start,
        end: b,
        quantity: 10,
        contact: String::new(),
        purpose: "race".into(),
    };
    let (ra, rb) = (req(a), req(a + SignedDuration::from_mins(30)));
    let (p, q) = tokio::join!(ctx.nodes[0].api().book(&ra), ctx.nodes[1].api().book(&rb));
    let ids: Vec<_> = [p, q]
        .into_iter()
        .filter_map(|r| r.ok())
        .map(|b| b.id)
        .collect();
    let decided = wait_until(
        "the owner decides both",
        Duration::from_secs(30),
        || async {
            let list: Vec<Booking> = ctx.nodes[1]
                .api()
                .bookings(&api::BookingFilter {
                    resource: Some(race.id.clone()),
                    ..Default::default()
                })
                .await
                .ok()?;
            let mine: Vec<&Booking> = list.iter().filter(|b| ids.contains(&b.id)).collect();
            (mine.len() == ids.len()
                && mine
                    .iter()
                    .all(|b| !matches!(b.status, BStatus::Tentative { .. })))
            .then(|| {
                mine.iter()
                    .filter(|b| b.status == BStatus::Confirmed)
                    .count()
            })
        },
    )
    .await?;
    report.tongchou_double_booked = decided > 1;
    Ok(())
}
