//! The demo's scripted scenario, one step per method: the four cities meet
//! through the bootstrap peer, publish a catalogue and book across cities
//! (measuring ack → visible everywhere); then, headless, a city is cut off
//! while both sides request the same slots, it rejoins, owners decide, a
//! forger with a member's key is refused, the member is revoked, and the
//! honest nodes must converge without overbooking.

use std::path::Path;
use std::time::{Duration, Instant};

use api::*;
use crdt_model::booking::Status as BStatus;
use crdt_model::calendar::Booking;
use crdt_model::ids::{AgencyId, BookingId, ResourceId};
use crdt_model::resource::{Capacity, Resource};
use harness::wait_until;
use jiff::{Timestamp, ToSpan};
use node::config::Home;

mod follow;
mod policy;
mod sealed;

use super::{
    AGENCIES, DemoNode, Lcg, Summary, all_bookings, book, build_network, percentile, progress,
    seed_resources,
};

/// The scenario's network and what it has done so far.
struct Demo {
    nodes: Vec<DemoNode>,
    quiet: bool,
    catalog: Vec<Resource>,
    agencies: Vec<AgencyId>,
    /// Bookings made (acknowledged).
    made: usize,
    /// Ack → visible on every other node, ms.
    latencies: Vec<f64>,
    /// Tomorrow, on the hour: the seeded bookings start from it.
    base: Timestamp,
    /// The requests made on both sides of the partition.
    conflict_ids: Vec<BookingId>,
    /// Trips requested across departments.
    trips: Vec<BookingId>,
    /// Warehouse loans made across agencies.
    loans: Vec<BookingId>,
    /// Recurring series (first occurrences, with the requester's node).
    series: Vec<(usize, BookingId)>,
    /// Their occurrences.
    occurrences: usize,
    /// Requests rejected for a quota.
    quota_rejected: usize,
    /// Waiting requests confirmed when room freed up.
    waitlist_confirmed: usize,
    /// Bookings checked in.
    checked_in: usize,
    /// Bookings released by an owner's hold.
    hold_released: usize,
    /// Bookings whose request and decision name the people who made them.
    people_named: usize,
    /// Owners Nanning's node followed (Shenzhen, its city, its bookings).
    follow_owners: usize,
    /// Documents it held following them, and holding everything.
    follow_docs: (u64, u64),
    /// Free/busy of an owner not followed: fetched, and its busy spans.
    busy: (bool, usize),
    /// Shenzhen's sealed documents, and its report's booked hours on the
    /// day sealed.
    sealed: (u64, f64),
    /// Nanning back after the partition: bytes of changes received until
    /// it held what the others held, and of those received again.
    rejoin: (u64, u64),
}

/// Runs the scenario in `dir`; `None` after an interactive session.
pub(super) async fn scenario(
    dir: &Path,
    headless: bool,
    quiet: bool,
    started: Instant,
    operator: bool,
    zh: bool,
) -> anyhow::Result<Option<Summary>> {
    let mut demo = Demo::start(dir, quiet).await?;
    demo.publish_catalogue().await?;
    demo.seed_sealed().await?;
    demo.seed_busy().await?;
    demo.seed_bookings().await?;
    demo.seed_trips().await?;
    demo.seed_warehouse().await?;
    demo.seed_policy().await?;
    demo.seed_follow().await?;
    if !headless {
        demo.interactive(operator, zh).await?;
        return Ok(None);
    }
    let slot = demo.partition().await?;
    demo.decide_queues().await?;
    let (forged_sent, refused_forged) = demo.forger(slot).await?;
    let late = demo.revoke_hebei(slot).await?;
    let mut summary = demo.check(late).await?;
    summary.forged_sent = forged_sent;
    summary.refused_forged = refused_forged;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(Some(summary))
}

impl Demo {
    /// The network, every city connected to every other through the
    /// bootstrap peer.
    async fn start(dir: &Path, quiet: bool) -> anyhow::Result<Self> {
        let nodes = build_network(dir, AGENCIES.len(), false, quiet).await?;
        wait_until(
            "every city connected to every other through the bootstrap peer",
            Duration::from_secs(60),
            || async {
                for n in &nodes {
                    let s: Status = n.api().status().await.ok()?;
                    let up = s.peers.iter().filter(|p| p.connected).count();
                    if up < AGENCIES.len() - 1 {
                        return None;
                    }
                }
                Some(())
            },
        )
        .await?;
        progress(
            quiet,
            "the four cities found each other through the bootstrap peer",
        );
        let mut agencies = Vec::new();
        for n in &nodes {
            agencies.push(n.api().status().await?.agency);
        }
        Ok(Self {
            nodes,
            quiet,
            catalog: Vec::new(),
            agencies,
            made: 0,
            latencies: Vec::new(),
            base: Timestamp::now().round(jiff::Unit::Hour)? + 24.hours(),
            conflict_ids: Vec::new(),
            trips: Vec::new(),
            loans: Vec::new(),
            series: Vec::new(),
            occurrences: 0,
            quota_rejected: 0,
            waitlist_confirmed: 0,
            checked_in: 0,
            hold_released: 0,
            people_named: 0,
            follow_owners: 0,
            follow_docs: (0, 0),
            busy: (false, 0),
            sealed: (0, 0.0),
            rejoin: (0, 0),
        })
    }

    /// Every city publishes its resources; waits until all hold them all.
    async fn publish_catalogue(&mut self) -> anyhow::Result<()> {
        for (i, n) in self.nodes.iter().enumerate() {
            for r in seed_resources(self.agencies[i], i) {
                self.catalog.push(n.api().put_resource(&r).await?);
            }
        }
        progress(
            self.quiet,
            &format!(
                "published {} resources in Chinese and English",
                self.catalog.len()
            ),
        );
        let (nodes, want) = (&self.nodes, self.catalog.len());
        wait_until("catalogues replicated", Duration::from_secs(60), || async {
            for n in nodes {
                let list: Vec<Resource> = n.api().resources(&Default::default()).await.ok()?;
                if list.len() < want {
                    return None;
                }
            }
            Some(())
        })
        .await?;
        Ok(())
    }

    /// A few weeks of plausible cross-city bookings; every sixth is timed
    /// from its acknowledgement until every other node shows it.
    async fn seed_bookings(&mut self) -> anyhow::Result<()> {
        let mut rng = Lcg(2026);
        for k in 0..60 {
            let who = k % 4;
            // Drivers are dispatched with their vehicles, never booked.
            let bookable: Vec<&Resource> = self.catalog.iter().filter(|r| !r.is_driver()).collect();
            let r = bookable[rng.below(bookable.len() as u64) as usize];
            let start = self.base + ((rng.below(21) * 24 + 1 + rng.below(9)) as i64).hours();
            let q = match r.capacity {
                Capacity::People(n) => 1 + rng.below(u64::from(n)) as u32,
                Capacity::Units(n) => 1 + rng.below(u64::from(n.min(3))) as u32,
            };
            let hours = 1 + rng.below(3) as i64;
            let t0 = Instant::now();
            let purpose = "跨城协调会 / cross-city meeting";
            let Some(b) = book(&self.nodes[who], &r.id, start, hours, q, purpose).await else {
                continue;
            };
            self.made += 1;
            if k % 6 == 0 {
                self.wait_visible(who, &b.id).await?;
                self.latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        progress(
            self.quiet,
            &format!("made {} cross-city bookings", self.made),
        );
        self.seed_series().await?;
        self.seed_quota().await
    }

    /// Shenzhen allows each agency two charger bookings a week (实物定额);
    /// Hangzhou asks for three on one day: the third is rejected, saying so.
    async fn seed_quota(&mut self) -> anyhow::Result<()> {
        use crdt_model::quota::{Limit, Per, Quota};
        let rid = ResourceId::new(self.agencies[0], "charger")?;
        let Some(mut charger) = self.catalog.iter().find(|r| r.id == rid).cloned() else {
            return Ok(());
        };
        charger.rules.quotas = vec![Quota {
            agency: None,
            limit: Limit::Bookings {
                count: 2,
                per: Per::Week,
            },
        }];
        self.nodes[0].api().put_resource(&charger).await?;
        let (nodes, want) = (&self.nodes, &charger);
        wait_until("the quota replicated", Duration::from_secs(30), || async {
            let list: Vec<Resource> = nodes[1].api().resources(&Default::default()).await.ok()?;
            list.iter()
                .any(|r| r.id == want.id && !r.rules.quotas.is_empty())
                .then_some(())
        })
        .await?;
        // A Monday at 08:00 in the charger's time zone, a month ahead: the
        // three requests fall in one quota week whatever day and hour the
        // demo runs (from a Sunday evening they once straddled two weeks).
        let tz = charger.tz();
        let d = (self.base + (30 * 24).hours()).to_zoned(tz.clone()).date();
        let to_monday = (7 - i64::from(d.weekday().to_monday_zero_offset())) % 7;
        let day = d
            .checked_add(to_monday.days())?
            .at(8, 0, 0, 0)
            .to_zoned(tz)?
            .timestamp();
        let mut asked = Vec::new();
        for k in 0..3i64 {
            let start = day + (1 + 2 * k).hours();
            let purpose = "新能源车充电 / charging";
            if let Some(b) = book(&self.nodes[1], &rid, start, 1, 1, purpose).await {
                asked.push(b.id);
            }
        }
        let api = self.nodes[1].api();
        let rejected = wait_until(
            "the charger requests decided",
            Duration::from_secs(30),
            || async {
                let mut n = 0;
                for id in &asked {
                    match api.booking(id).await.ok()?.status {
                        BStatus::Tentative { .. } => return None,
                        BStatus::Rejected { reason, .. } if reason.en.contains("over quota") => {
                            n += 1
                        }
                        _ => {}
                    }
                }
                Some(n)
            },
        )
        .await?;
        self.quota_rejected = rejected;
        progress(
            self.quiet,
            &format!(
                "quota: 2 charger bookings a week; of Hangzhou's 3, {rejected} rejected as over quota"
            ),
        );
        Ok(())
    }

    /// Each city holds a weekly meeting, four Mondays… at the same hour, in
    /// the next city's first automatic meeting room (a recurring series).
    async fn seed_series(&mut self) -> anyhow::Result<()> {
        use crdt_model::resource::{Approval, ResourceKind};
        let n = self.nodes.len();
        for who in 0..n {
            let owner = self.agencies[(who + 1) % n];
            let Some(room) = self.catalog.iter().find(|r| {
                r.id.owner == owner
                    && r.kind == ResourceKind::MeetingRoom
                    && r.rules.approval == Approval::Automatic
            }) else {
                continue;
            };
            let start = self.base + (26 * 24 + 2 + who as i64).hours();
            let req = SeriesRequest {
                book: BookRequest {
                    wait_list: false,
                    resource: room.id.clone(),
                    start,
                    end: start + 1.hours(),
                    quantity: 1,
                    contact: "周 0571-8888".into(),
                    purpose: "周例会 / weekly meeting".into(),
                },
                repeat: "FREQ=WEEKLY;COUNT=4".into(),
            };
            let list = self.nodes[who].api().book_series(&req).await?;
            if let Some(first) = list.first() {
                self.series.push((who, first.id.clone()));
                self.occurrences += list.len();
            }
        }
        progress(
            self.quiet,
            &format!(
                "{} weekly meetings booked as recurring series ({} occurrences)",
                self.series.len(),
                self.occurrences
            ),
        );
        Ok(())
    }

    /// Official vehicle trips across departments: each city asks the next
    /// one's fleet for a sedan (dispatched by the owner's node at once: its
    /// sedans are set to automatic dispatch) and for the van (dispatched by
    /// its dispatcher); Shenzhen's first trip goes out and comes back.
    async fn seed_trips(&mut self) -> anyhow::Result<()> {
        use crdt_model::engine::{TripCommand, TripDraft};
        use crdt_model::fleet::VehicleClass;
        use crdt_model::trip::TripStatus;
        let n = self.nodes.len();
        for owner in 0..n {
            let who = (owner + 1) % n;
            let day = self.base + ((owner as i64 + 1) * 24).hours();
            let ask = |class, from: i64, to: i64, passengers| TripDraft {
                owner: self.agencies[owner],
                class: Some(class),
                vehicle: None,
                start: day + from.hours(),
                end: day + to.hours(),
                passengers,
                destination: "市政务服务中心 / city service centre".into(),
                purpose: "跨部门调研 / joint inspection".into(),
                contact: "赵 0755-1234".into(),
            };
            let api = self.nodes[who].api();
            let sedan = api.request_trip(&ask(VehicleClass::Sedan, 1, 4, 3)).await?;
            let van = api.request_trip(&ask(VehicleClass::Van, 5, 9, 6)).await?;
            self.trips.push(sedan.request.id.clone());
            self.trips.push(van.request.id.clone());
            // The owner's dispatcher sends the van once the request is there.
            let fleet = &self.nodes[owner];
            let (van_id, agency) = (van.request.id.clone(), self.agencies[owner]);
            wait_until("the trip at its fleet", Duration::from_secs(30), || async {
                let pending = fleet
                    .api()
                    .trips(&crdt_model::trip::TripFilter {
                        pending: true,
                        ..Default::default()
                    })
                    .await
                    .ok()?;
                pending.iter().any(|t| t.request.id == van_id).then_some(())
            })
            .await?;
            let rid = |local| ResourceId::new(agency, local).expect("valid id");
            fleet
                .api()
                .trip_step(&TripStep {
                    trip: van_id.clone(),
                    command: TripCommand::Dispatch {
                        vehicle: rid("van"),
                        driver: rid("drv-2"),
                    },
                })
                .await?;
            if owner == 0 {
                // The sedan was dispatched by Shenzhen's node itself.
                let sedan_id = sedan.request.id.clone();
                wait_until("the sedan dispatched", Duration::from_secs(30), || async {
                    let t = fleet
                        .api()
                        .trips(&crdt_model::trip::TripFilter {
                            id: Some(sedan_id.clone()),
                            ..Default::default()
                        })
                        .await
                        .ok()?;
                    (t.first()?.status == TripStatus::Dispatched).then_some(())
                })
                .await?;
                for command in [
                    TripCommand::Start {
                        odometer_km: 12_000,
                    },
                    TripCommand::Finish {
                        odometer_km: 12_086,
                        fuel_ml: None,
                        charge_wh: Some(14_500),
                        note: "顺利 / on time".into(),
                    },
                ] {
                    fleet
                        .api()
                        .trip_step(&TripStep {
                            trip: sedan.request.id.clone(),
                            command,
                        })
                        .await?;
                }
            }
        }
        progress(
            self.quiet,
            &format!(
                "made {} cross-department vehicle trips; sedans dispatched automatically, vans by their dispatchers",
                self.trips.len()
            ),
        );
        Ok(())
    }

    /// The warehouses (公物仓): each city lends two projectors to the next
    /// and four folding tables to the one after; Shenzhen's loan to
    /// Hangzhou is handed over, countersigned and comes back with a cracked
    /// lens, then the unit is repaired; Guangxi's idle folding tables are
    /// transferred to Shenzhen.
    async fn seed_warehouse(&mut self) -> anyhow::Result<()> {
        use crdt_model::asset::{InventoryQuery, LoanFilter, LoanStatus, TransferFilter};
        use crdt_model::engine::AssetOp;
        let n = self.nodes.len();
        let asset = |i: usize, local: &str| ResourceId::new(self.agencies[i], local);
        let soon = Timestamp::now() + 2.seconds();
        let mut first_loan = None;
        for owner in 0..n {
            let day = self.base + ((owner as i64 + 3) * 24).hours();
            let (first, second) = ((owner + 1) % n, (owner + 2) % n);
            // Shenzhen's projectors go out at once, the rest tomorrow on.
            let start = if owner == 0 { soon } else { day };
            let purpose = "跨部门借用 / borrowed across departments";
            if let Some(b) = book(
                &self.nodes[first],
                &asset(owner, "projectors")?,
                start,
                2,
                3,
                purpose,
            )
            .await
            {
                if owner == 0 {
                    first_loan = Some(b.id.clone());
                }
                self.loans.push(b.id);
            }
            if let Some(b) = book(
                &self.nodes[second],
                &asset(owner, "tables")?,
                day,
                4,
                4,
                purpose,
            )
            .await
            {
                self.loans.push(b.id);
            }
        }
        let Some(loan) = first_loan else {
            anyhow::bail!("Hangzhou could not borrow Shenzhen's projectors");
        };
        let (sz, hz) = (&self.nodes[0], &self.nodes[1]);
        for who in [sz, hz] {
            wait_until("the loan confirmed", Duration::from_secs(30), || async {
                let b: Booking = who.api().booking(&loan).await.ok()?;
                (b.status == BStatus::Confirmed).then_some(())
            })
            .await?;
        }
        let step = |op| async move { sz.api().asset_step(&op).await };
        let tags = (1..=3).map(|k| format!("粤B-P{k}")).collect();
        step(AssetOp::Handover {
            booking: loan.clone(),
            tags,
            note: "完好 / in good order".into(),
        })
        .await?;
        wait_until(
            "the handover at Hangzhou",
            Duration::from_secs(30),
            || async {
                let l = hz
                    .api()
                    .loans(&LoanFilter {
                        id: Some(loan.clone()),
                        ..Default::default()
                    })
                    .await
                    .ok()?;
                (l.first()?.status == LoanStatus::HandedOver).then_some(())
            },
        )
        .await?;
        hz.api()
            .asset_step(&AssetOp::Receive {
                booking: loan.clone(),
            })
            .await?;
        wait_until(
            "the receipt at Shenzhen",
            Duration::from_secs(30),
            || async {
                let l = sz
                    .api()
                    .loans(&LoanFilter {
                        id: Some(loan.clone()),
                        ..Default::default()
                    })
                    .await
                    .ok()?;
                (l.first()?.status == LoanStatus::Received).then_some(())
            },
        )
        .await?;
        let projectors = asset(0, "projectors")?;
        step(AssetOp::Return {
            booking: loan.clone(),
            units: 3,
            damaged: 1,
            damaged_tags: vec!["粤B-P2".into()],
            note: "镜头裂 / cracked lens".into(),
        })
        .await?;
        // Sent to be repaired, then back in service (修旧利废).
        for start in [true, false] {
            step(AssetOp::Repair {
                resource: projectors.clone(),
                units: 1,
                tags: vec!["粤B-P2".into()],
                start,
            })
            .await?;
        }
        // Guangxi's idle folding tables, to Shenzhen.
        let (gx, tables) = (n - 1, asset(n - 1, "tables")?);
        let offer = self.nodes[gx]
            .api()
            .asset_step(&AssetOp::Offer {
                resource: tables.clone(),
                to: self.agencies[0],
                units: None,
                note: "闲置调剂 / idle, transferred".into(),
            })
            .await?;
        let crdt_model::engine::LocalOutcome::Transfer(offer) = offer else {
            anyhow::bail!("the offer answered {offer:?}");
        };
        wait_until("the offer at Shenzhen", Duration::from_secs(30), || async {
            let t = sz
                .api()
                .transfers(&TransferFilter {
                    mine: true,
                    pending: true,
                })
                .await
                .ok()?;
            t.iter().any(|t| t.id == offer.id).then_some(())
        })
        .await?;
        sz.api()
            .asset_step(&AssetOp::Answer {
                resource: tables,
                seq: offer.seq,
                accept: true,
            })
            .await?;
        let nodes = &self.nodes;
        wait_until("the repair everywhere", Duration::from_secs(30), || async {
            for node in nodes {
                let rows = node
                    .api()
                    .inventory(&InventoryQuery {
                        asset: Some(projectors.clone()),
                        ..Default::default()
                    })
                    .await
                    .ok()?;
                (rows.first()?.damaged == 0 && rows[0].on_loan == 0).then_some(())?;
            }
            Some(())
        })
        .await?;
        progress(
            self.quiet,
            &format!(
                "lent {} warehouse assets across agencies; one came back damaged and was repaired; Guangxi's idle folding tables went to Shenzhen",
                self.loans.len()
            ),
        );
        Ok(())
    }

    /// Waits until every node but `from` shows booking `id`.
    async fn wait_visible(&self, from: usize, id: &BookingId) -> anyhow::Result<()> {
        let others: Vec<&DemoNode> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != from)
            .map(|(_, n)| n)
            .collect();
        wait_until(
            "booking visible everywhere",
            Duration::from_secs(30),
            || async {
                for n in &others {
                    let _: Booking = n.api().booking(id).await.ok()?;
                }
                Some(())
            },
        )
        .await?;
        Ok(())
    }

    /// Leaves the network running for a person: the TUI on Shenzhen's node
    /// (its approval queue for an operator), or until Ctrl-C without a terminal.
    async fn interactive(&self, operator: bool, zh: bool) -> anyhow::Result<()> {
        println!(
            "\nTongchou demo network is running: four agencies, {} resources, {} bookings.",
            self.catalog.len(),
            self.made
        );
        for n in &self.nodes {
            println!(
                "  {:<16} tongchou --home {} status",
                n.name,
                n.home.display()
            );
        }
        println!(
            "\nTry:  tongchou --home {} slots --duration 2h --from tomorrow… (see README)",
            self.nodes[0].home.display()
        );
        use std::io::IsTerminal;
        if std::io::stdout().is_terminal() {
            let start = if operator {
                tui::app::Screen::Approvals
            } else {
                tui::app::Screen::Resources
            };
            progress(
                self.quiet,
                "opening the terminal UI (q quits and stops the network)",
            );
            // The demo's agencies are in China: its times are Beijing time.
            let tz = jiff::tz::TimeZone::get(crdt_model::resource::DEFAULT_TZ)
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let lang = if zh { tui::Lang::Zh } else { tui::Lang::En };
            tui::run_home(self.nodes[0].home.clone(), lang, tz, start, None).await?;
            progress(
                self.quiet,
                &format!(
                    "stopping the {} nodes and the bootstrap peer",
                    self.nodes.len()
                ),
            );
        } else {
            println!("No terminal: press Ctrl-C to stop every node and clean up.");
            let _ = tokio::signal::ctrl_c().await;
        }
        Ok(())
    }

    /// The small meeting room of agency `i`.
    fn room_of(&self, i: usize) -> ResourceId {
        ResourceId::new(self.agencies[i], "room-small").expect("valid id")
    }

    /// Books `room` for `slot` on node `who`, as one of the conflicting requests.
    async fn conflict(&mut self, who: usize, room: &ResourceId, slot: Timestamp, why: &str) {
        if let Some(b) = book(&self.nodes[who], room, slot, 2, 6, why).await {
            self.made += 1;
            self.conflict_ids.push(b.id);
        }
    }

    /// Nanning is cut off; both sides request the same slots; it rejoins.
    /// Returns the slot.
    async fn partition(&mut self) -> anyhow::Result<Timestamp> {
        progress(self.quiet, "partition: 南宁 (Nanning) is cut off");
        self.nodes[3].stop();
        let slot = self.base + (22 * 24 + 2).hours();
        let nanning_room = self.room_of(3);
        for who in 0..3 {
            let why = "冲突测试 / conflict while the owner is away";
            self.conflict(who, &nanning_room, slot, why).await;
        }
        // Nanning keeps working on its own side of the cut: same slot,
        // Shenzhen's room, alone on a fresh port nobody knows.
        let listen = std::mem::replace(&mut self.nodes[3].listen, "/ip4/127.0.0.1/tcp/0".into());
        let peers = std::mem::take(&mut self.nodes[3].peers);
        self.nodes[3].start()?;
        let shenzhen_room = self.room_of(0);
        self.conflict(
            3,
            &shenzhen_room,
            slot,
            "南宁离线时的请求 / Nanning, offline",
        )
        .await;
        self.conflict(
            1,
            &shenzhen_room,
            slot,
            "杭州同时段请求 / Hangzhou, same slot",
        )
        .await;
        self.nodes[3].stop();
        progress(self.quiet, "heal: 南宁 rejoins");
        let mut target = 0;
        for n in &self.nodes[..3] {
            target = target.max(n.api().status().await?.changes);
        }
        self.nodes[3].listen = listen;
        self.nodes[3].peers = peers;
        self.nodes[3].start()?;
        // What it received catching up, and how much of it came twice.
        let node = &self.nodes[3];
        if let Ok(s) = wait_until(
            "南宁 holds what the others held",
            Duration::from_secs(30),
            || async {
                let s: Status = node.api().status().await.ok()?;
                (s.changes >= target).then_some(s)
            },
        )
        .await
        {
            let (bytes, again) = s.changes_received();
            self.rejoin = (bytes, again);
            progress(
                self.quiet,
                &format!(
                    "南宁 caught up: {} received, {} of it again",
                    api::size(bytes),
                    api::size(again)
                ),
            );
        }
        Ok(slot)
    }

    /// Every owner works through its approval queue (one in three rejected).
    async fn decide_queues(&self) -> anyhow::Result<()> {
        for n in &self.nodes {
            let pending = n
                .api()
                .bookings(&BookingFilter {
                    pending: true,
                    ..Default::default()
                })
                .await?;
            for (j, b) in pending.iter().enumerate() {
                let _: Result<Booking, _> = n
                    .api()
                    .decide(&DecideRequest {
                        booking: b.id.clone(),
                        approve: j % 3 != 2,
                        reason: None,
                    })
                    .await;
            }
        }
        progress(self.quiet, "owners decided their approval queues");
        Ok(())
    }

    /// An attacker holding Hebei's key (its node stopped meanwhile) connects
    /// to Shenzhen and sends a forged change, an unauthorized confirmation
    /// and a write into Hangzhou's document: all three must be refused;
    /// then publishes them on their gossipsub topics: Shenzhen must pass
    /// none on. Returns (sent, refused).
    async fn forger(&mut self, slot: Timestamp) -> anyhow::Result<(u64, u64)> {
        let refused_before = self.nodes[0].api().status().await?.refused_total;
        self.nodes[2].stop();
        let hebei_key = Home::new(self.nodes[2].home.clone()).load_key()?;
        let shenzhen: libp2p::Multiaddr = self.nodes[0].addr().parse()?;
        let hebei_catalog = crate::forger::catalog_history(&self.nodes[2].home, &hebei_key)?;
        let forged = crate::forger::bad_changes(
            &hebei_key,
            &self.room_of(1),
            slot + 24.hours(),
            &hebei_catalog,
        )?;
        let sent = forged.len() as u64;
        let before = self.nodes[0].api().status().await?;
        crate::forger::send(&hebei_key, shenzhen.clone(), forged.clone()).await?;
        let node = &self.nodes[0];
        let refused = wait_until(
            "Shenzhen refuses the forged changes",
            Duration::from_secs(30),
            || async {
                let s: Status = node.api().status().await.ok()?;
                let n = s.refused_total - refused_before;
                (n >= sent).then_some(n)
            },
        )
        .await
        .unwrap_or(0);
        // The same changes on their gossipsub topics.
        let link = crate::forger::publish(&hebei_key, shenzhen, &before.network, forged).await?;
        let held_back = wait_until(
            "Shenzhen passes none of the forged messages on",
            Duration::from_secs(30),
            || async {
                let s: Status = node.api().status().await.ok()?;
                let n = s.topics.not_passed - before.topics.not_passed;
                (n >= sent).then_some(n)
            },
        )
        .await
        .unwrap_or(0);
        link.abort();
        self.nodes[2].start()?;
        progress(
            self.quiet,
            &format!(
                "forger with Hebei's key: {refused} of {sent} bad changes refused; {held_back} of {sent} published on topics not passed on"
            ),
        );
        Ok((sent, refused))
    }

    /// The founding admin revokes Hebei; its request made afterwards must
    /// reach nobody. Returns that request, if its node took it.
    async fn revoke_hebei(&self, slot: Timestamp) -> anyhow::Result<Option<Booking>> {
        let hebei = self.agencies[2];
        self.nodes[0]
            .api()
            .revoke(&RevokeRequest {
                agency: hebei,
                reason: "演示撤销 / demo revocation".into(),
            })
            .await?;
        let nodes = &self.nodes;
        wait_until(
            "revocation known to every other node",
            Duration::from_secs(30),
            || async {
                for i in [1, 3] {
                    let m: Vec<MemberEntry> = nodes[i].api().members().await.ok()?;
                    if !m.iter().any(|e| {
                        e.agency == hebei
                            && e.member.status != crdt_model::membership::MemberStatus::Active
                    }) {
                        return None;
                    }
                }
                Some(())
            },
        )
        .await?;
        let why = "撤销后的请求 / after revocation";
        let late = book(
            &self.nodes[2],
            &self.room_of(0),
            slot + 48.hours(),
            1,
            2,
            why,
        )
        .await;
        progress(
            self.quiet,
            "河北 (Hebei) revoked; its later request stays local",
        );
        Ok(late)
    }

    /// Waits for the honest nodes to converge with every conflicting request
    /// decided, and reports the invariants and figures.
    async fn check(&mut self, late: Option<Booking>) -> anyhow::Result<Summary> {
        let honest = [0usize, 1, 3];
        // Bookings that ended before a node's seal cut may be on its disk
        // only: the nodes are compared from the latest cut on.
        let mut cut = None;
        for &i in &honest {
            cut = cut.max(self.nodes[i].api().status().await?.sealed_before);
        }
        let open = |v: Vec<Booking>| -> Vec<Booking> {
            v.into_iter()
                .filter(|b| cut.is_none_or(|c| b.terms.end >= c))
                .collect()
        };
        let (nodes, conflict_ids) = (&self.nodes, &self.conflict_ids);
        let views = wait_until("honest nodes converge", Duration::from_secs(60), || async {
            let mut views = Vec::new();
            for &i in &honest {
                views.push(open(all_bookings(&nodes[i]).await.ok()?));
            }
            let decided = views.iter().all(|v| {
                v.iter()
                    .filter(|b| conflict_ids.contains(&b.id))
                    .all(|b| !matches!(b.status, BStatus::Tentative { .. }))
            });
            (decided && views.windows(2).all(|w| w[0] == w[1])).then_some(views)
        })
        .await;
        let (converged, views) = match views {
            Ok(v) => (true, v),
            Err(_) => {
                let mut v = Vec::new();
                for &i in &honest {
                    v.push(open(all_bookings(&self.nodes[i]).await?));
                }
                (false, v)
            }
        };
        let max_overbooking = views
            .iter()
            .map(|v| u64::from(harness::overbooking(&self.catalog, v)))
            .max()
            .unwrap_or(0);
        let accepted_after_revocation = late.map_or(0, |b| {
            views
                .iter()
                .filter(|v| v.iter().any(|x| x.id == b.id))
                .count()
        });
        self.latencies.sort_by(f64::total_cmp);
        let v0 = &views[0];
        use crdt_model::trip::TripStatus;
        let trips = self.nodes[0].api().trips(&Default::default()).await?;
        let mut series_confirmed = 0;
        for (who, id) in &self.series {
            series_confirmed += self.nodes[*who]
                .api()
                .series(id)
                .await?
                .iter()
                .filter(|b| b.status == BStatus::Confirmed)
                .count();
        }
        // Connections to members against each node's bound, and the live
        // topics' messages.
        let (mut connections_max, mut connections_bound) = (0, usize::MAX);
        let (mut topics_published, mut topics_received, mut topics_not_passed) = (0, 0, 0);
        for n in &self.nodes {
            if let Ok(s) = n.api().status().await {
                let c = &s.connections;
                connections_max = connections_max.max(c.dialled + c.accepted);
                connections_bound = connections_bound.min(c.max);
                topics_published += s.topics.published;
                topics_received += s.topics.received;
                topics_not_passed += s.topics.not_passed;
            }
        }
        Ok(Summary {
            topics_published,
            topics_received,
            topics_not_passed,
            connections_max,
            connections_bound,
            series: self.series.len(),
            series_occurrences: self.occurrences,
            series_confirmed,
            quota_rejected: self.quota_rejected,
            waitlist_confirmed: self.waitlist_confirmed,
            checked_in: self.checked_in,
            hold_released: self.hold_released,
            people_named: self.people_named,
            follow_owners: self.follow_owners,
            rejoin_bytes: self.rejoin.0,
            rejoin_again_bytes: self.rejoin.1,
            busy_fetched: self.busy.0,
            busy_spans: self.busy.1,
            sealed_docs: self.sealed.0,
            sealed_report_hours: self.sealed.1,
            follow_docs_held: self.follow_docs.0,
            docs_held: self.follow_docs.1,
            agencies: self.nodes.len(),
            bookings: self.made,
            confirmed: v0.iter().filter(|b| b.status == BStatus::Confirmed).count(),
            rejected: v0
                .iter()
                .filter(|b| matches!(b.status, BStatus::Rejected { .. }))
                .count(),
            converged,
            max_overbooking,
            forged_sent: 0,
            refused_forged: 0,
            accepted_after_revocation,
            convergence_p50_ms: percentile(&self.latencies, 0.5),
            convergence_p99_ms: percentile(&self.latencies, 0.99),
            seconds: 0.0,
            trips: self.trips.len(),
            trips_dispatched: trips
                .iter()
                .filter(|t| {
                    self.trips.contains(&t.request.id)
                        && matches!(
                            t.status,
                            TripStatus::Dispatched | TripStatus::Started | TripStatus::Finished
                        )
                })
                .count(),
            trips_finished: trips
                .iter()
                .filter(|t| t.status == TripStatus::Finished)
                .count(),
            loans: self.loans.len(),
            loans_returned: self.nodes[0]
                .api()
                .loans(&Default::default())
                .await?
                .iter()
                .filter(|l| l.status == crdt_model::asset::LoanStatus::Returned)
                .count(),
            projectors_available: {
                let mut seen = Vec::new();
                for node in &self.nodes {
                    let rows = node
                        .api()
                        .inventory(&crdt_model::asset::InventoryQuery {
                            asset: Some(ResourceId::new(self.agencies[0], "projectors")?),
                            ..Default::default()
                        })
                        .await?;
                    seen.push(rows.first().map_or(0, |r| r.total - r.damaged - r.disposed));
                }
                seen
            },
            transfers: self.nodes[0]
                .api()
                .transfers(&crdt_model::asset::TransferFilter::default())
                .await?
                .iter()
                .filter(|t| t.status == crdt_model::asset::TransferStatus::Accepted)
                .count(),
        })
    }
}
