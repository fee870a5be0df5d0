//! Sample data (four agencies in four cities, a bilingual catalogue and
//! bookings in every state) for snapshot tests and the render benchmark.
//! Deterministic: the same arguments give the same state.

use std::collections::BTreeMap;

use api::{MemberEntry, PeerStatus, Status};
use crdt_model::agency::{AgencyKey, AgencyProfile, Text};
use crdt_model::booking::{Alternative, BookingRequest, Status as BookingStatus, Terms};
use crdt_model::calendar::Booking;
use crdt_model::hlc::Hlc;
use crdt_model::ids::{AgencyId, BookingId, DocId, ResourceId};
use crdt_model::ledger::{Refusal, RefuseReason};
use crdt_model::membership::{Member, MemberStatus, Role};
use crdt_model::resource::{
    BookingRules, Capacity, Location, OpeningHours, Resource, ResourceKind, Sharing,
};
use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::app::{Data, State};
use crate::i18n::Lang;

mod report;
mod warehouse;
pub use report::{report, with_report};
pub use warehouse::with_warehouse;

const AGENCIES: [(&str, &str, &str, &str); 4] = [
    (
        "深圳市机关事务管理局",
        "Shenzhen Government Affairs",
        "深圳",
        "Shenzhen",
    ),
    (
        "杭州市机关事务管理局",
        "Hangzhou Government Affairs",
        "杭州",
        "Hangzhou",
    ),
    (
        "河北省机关事务管理局",
        "Hebei Government Affairs",
        "石家庄",
        "Shijiazhuang",
    ),
    (
        "广西壮族自治区机关事务管理局",
        "Guangxi Government Affairs",
        "南宁",
        "Nanning",
    ),
];

const KINDS: [(ResourceKind, &str, &str, Capacity); 6] = [
    (
        ResourceKind::MeetingRoom,
        "大会议室",
        "Large meeting room",
        Capacity::People(40),
    ),
    (
        ResourceKind::MeetingRoom,
        "小会议室",
        "Small meeting room",
        Capacity::People(8),
    ),
    (
        ResourceKind::Office,
        "共享工位",
        "Shared desks",
        Capacity::Units(20),
    ),
    (
        ResourceKind::Parking,
        "访客停车位",
        "Visitor parking",
        Capacity::Units(10),
    ),
    (
        ResourceKind::EvCharger,
        "充电桩",
        "EV charger",
        Capacity::Units(4),
    ),
    (
        ResourceKind::Vehicle,
        "公务商务车",
        "Official van",
        Capacity::People(7),
    ),
];

/// Agency `i` of the fixture.
pub fn agency(i: usize) -> AgencyId {
    AgencyKey::from_secret(&[i as u8 + 1; 32]).id()
}

/// A state at `now` (Asia/Shanghai) holding `resources` resources and
/// `bookings` bookings, seen by agency 0.
pub fn state(lang: Lang, now: Timestamp, resources: usize, bookings: usize) -> State {
    let tz = TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC);
    let mut s = State::new(lang, tz.clone(), now);
    s.data = data(&tz, now, resources, bookings);
    s.connected = Some(true);
    s
}

fn hours(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

/// The node data of [`state`].
pub fn data(tz: &TimeZone, now: Timestamp, n_resources: usize, n_bookings: usize) -> Data {
    let resources = resources(n_resources);
    let bookings = bookings(tz, now, &resources, n_bookings);
    Data {
        status: Some(status(now, n_resources, n_bookings)),
        resources,
        bookings,
        members: members(now),
        trips: Vec::new(),
        loans: Vec::new(),
        transfers: Vec::new(),
        inventory: Vec::new(),
        followed: None,
        busy: Vec::new(),
    }
}

/// `n` resources, owned in turn by each test agency, of each kind in turn.
fn resources(n_resources: usize) -> Vec<Resource> {
    let mut resources = Vec::new();
    for i in 0..n_resources {
        let owner = i % AGENCIES.len();
        let (kind, zh, en, capacity) = KINDS[(i / AGENCIES.len()) % KINDS.len()].clone();
        let n = i / (AGENCIES.len() * KINDS.len());
        let suffix = if n == 0 {
            String::new()
        } else {
            format!(" {}", n + 1)
        };
        let (_, _, czh, cen) = AGENCIES[owner];
        let features = match kind {
            ResourceKind::MeetingRoom => ["projector", "video"].map(String::from).into(),
            _ => Default::default(),
        };
        resources.push(Resource {
            id: ResourceId::new(agency(owner), &format!("r{i}")).expect("valid id"),
            kind: kind.clone(),
            name: Text::new(format!("{zh}{suffix}"), format!("{en}{suffix}")),
            location: Location {
                city: Text::new(czh, cen),
                site: format!("{czh}办公区"),
                building: "A".into(),
                floor: "3".into(),
            },
            capacity,
            features,
            attributes: BTreeMap::new(),
            sharing: Sharing::AllMembers,
            rules: BookingRules {
                opening: (kind == ResourceKind::MeetingRoom).then(|| OpeningHours {
                    days: (1..=5).collect(),
                    open: Time::constant(8, 30, 0, 0),
                    close: Time::constant(18, 0, 0, 0),
                }),
                // 6 hours a week for each requesting agency.
                quotas: vec![crdt_model::quota::Quota {
                    agency: None,
                    limit: crdt_model::quota::Limit::Hours {
                        hours: 6,
                        per: crdt_model::quota::Per::Week,
                    },
                }],
                ..Default::default()
            },
            retired: false,
            held_by: None,
        });
    }
    resources
}

/// `n` bookings over the week from today: confirmed, tentative (every sixth
/// on the slot of the one before it, so there are conflicts to review),
/// rejected with an alternative, cancelled.
fn bookings(
    tz: &TimeZone,
    now: Timestamp,
    resources: &[Resource],
    n_bookings: usize,
) -> Vec<Booking> {
    let day0 = now
        .to_zoned(tz.clone())
        .date()
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(now);
    let mut bookings = Vec::new();
    for k in 0..n_bookings {
        let j = if k % 6 == 3 { k - 1 } else { k };
        let Some(r) = resources.get((j * 7 + j / 6) % resources.len().max(1)) else {
            break;
        };
        let requester = k % AGENCIES.len();
        let start = day0 + hours(24 * ((j / 5) % 7) as i64 + 8 + (j % 10) as i64);
        let end = start + hours(1 + (k % 2) as i64);
        let id = BookingId::new(agency(requester), &format!("b{k}")).expect("valid id");
        let status = match k % 6 {
            0..=2 => BookingStatus::Confirmed,
            3 => BookingStatus::Tentative {
                rank: 1 + (k % 3) as u32,
                fits: k % 2 == 0,
                waiting: false,
            },
            4 => BookingStatus::Rejected {
                reason: Text::new("时段已满", "slot is full"),
                alternatives: vec![Alternative {
                    resource: r.id.clone(),
                    start: start + hours(2),
                    end: end + hours(2),
                }],
            },
            _ => BookingStatus::Cancelled,
        };
        let quantity = 1 + (k % 3) as u32;
        bookings.push(Booking {
            decided_by: None,
            checked_in: None,
            id: id.clone(),
            resource: r.id.clone(),
            terms: Terms {
                start,
                end,
                quantity,
            },
            request: Some(Box::new(BookingRequest {
                by: None,
                wait_list: false,
                // Every third is the first of a weekly series.
                series: (k % 3 == 0).then(|| {
                    Box::new(crdt_model::booking::Series {
                        first: id.clone(),
                        rule: "FREQ=WEEKLY;COUNT=4".into(),
                        index: 0,
                        count: 4,
                    })
                }),
                id,
                resource: r.id.clone(),
                contact: format!("联系人{k} 138000{k:05}").into(),
                purpose: [
                    "跨城协调会 / coordination",
                    "培训 / training",
                    "接待 / visitors",
                ][k % 3]
                    .into(),
                start,
                end,
                quantity,
                hlc: Hlc {
                    wall_ms: now.as_millisecond() - 3_600_000 + k as i64 * 1000,
                    counter: 0,
                },
            })),
            status,
        });
    }
    bookings.sort_by(|a, b| (a.terms.start, &a.id).cmp(&(b.terms.start, &b.id)));
    bookings
}

/// The test agencies as members; the fourth is revoked.
fn members(now: Timestamp) -> Vec<MemberEntry> {
    AGENCIES
        .iter()
        .enumerate()
        .map(|(i, (zh, en, czh, cen))| MemberEntry {
            agency: agency(i),
            member: Member {
                profile: AgencyProfile {
                    id: agency(i),
                    name: Text::new(*zh, *en),
                    city: Text::new(*czh, *cen),
                },
                role: if i == 0 { Role::Admin } else { Role::Member },
                rotations: Vec::new(),
                admitted_by: agency(0),
                admitted_at: Hlc {
                    wall_ms: now.as_millisecond() - 86_400_000,
                    counter: i as u32,
                },
                status: if i == 3 {
                    MemberStatus::Revoked {
                        by: agency(0),
                        hlc: Hlc {
                            wall_ms: now.as_millisecond() - 600_000,
                            counter: 0,
                        },
                        reason: "test".into(),
                        cutoffs: BTreeMap::new(),
                    }
                } else {
                    MemberStatus::Active
                },
            },
        })
        .collect()
}

/// This node's status: peers (the fourth disconnected and blocked, with refusals),
/// counts, one refused change.
fn status(now: Timestamp, n_resources: usize, n_bookings: usize) -> Status {
    let me = agency(0);
    let peers = (1..AGENCIES.len())
        .map(|i| PeerStatus {
            agency: agency(i),
            name: Text::new(AGENCIES[i].0, AGENCIES[i].1),
            connected: i != 3,
            lag: if i == 2 { 12 } else { 0 },
            messages_in: 40 * i as u64,
            messages_out: 90,
            refused: if i == 3 { 2 } else { 0 },
            bytes_in: 3_300_000 * i as u64,
            duplicate_bytes_in: if i == 2 { 52_000 } else { 0 },
            last_seen: Some(now - SignedDuration::from_secs(5 * i as i64)),
            blocked: (i == 3).then(|| api::BlockedPeer {
                agency: agency(i),
                since: now - SignedDuration::from_mins(20),
                until: None,
            }),
        })
        .collect();
    Status {
        user: None,
        agency: me,
        name: Text::new(AGENCIES[0].0, AGENCIES[0].1),
        network: "d655b909a552f00d".into(),
        network_name: "机关事务统筹网 / Government Affairs Network".into(),
        listen: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        peers,
        docs: BTreeMap::from([(DocId::catalog(me), 3)]),
        changes: 120,
        pending: vec![],
        refused_total: 2,
        refused: vec![Refusal {
            doc: DocId::catalog(agency(3)),
            seq: 9,
            signer: agency(3),
            hash: None,
            reason: RefuseReason::Signature,
        }],
        resources: n_resources,
        bookings: n_bookings,
        started: now - hours(2),
        transport_peers: vec![],
        storage_fault: None,
        revoked: None,
        refused_connections: 0,
        own_gaps: vec![],
        refused_by_reason: Default::default(),
        bookings_by_status: Default::default(),
        store_bytes: 0,
        api: Default::default(),
        webhook_backlog: 0,
        following: None,
        connections: api::ConnectionsView {
            max: 50,
            dialled: 3,
            accepted: 2,
            plan_dials: 4,
            closed: 0,
            found: 9,
        },
        topics: api::TopicsView {
            subscribed: 5,
            published: 12,
            received: 40,
            not_passed: 1,
        },
        sealed_docs: 18,
        sealed_before: Some(now - jiff::SignedDuration::from_hours(24 * 62)),
    }
}

/// Agency 0's fleet on top of [`state`]'s data: its van gets a class and a
/// plate, a sedan and two drivers join it, and three trips: a van and a
/// sedan asked for tomorrow by two agencies, and a van trip dispatched the
/// day after (holding the van and the second driver).
pub fn with_fleet(s: &mut State) {
    use crdt_model::fleet::attr;
    use crdt_model::resource::ResourceKind;
    use crdt_model::trip::{Trip, TripRequest, TripStatus};
    let me = agency(0);
    let tomorrow = s
        .now
        .to_zoned(s.tz.clone())
        .date()
        .tomorrow()
        .unwrap_or_default();
    let at = |days: i64, h: i8| {
        tomorrow
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(tomorrow)
            .at(h, 0, 0, 0)
            .to_zoned(s.tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(s.now)
    };
    let template = s.data.resources[20].clone();
    let vehicle = |local: &str, zh: &str, en: &str, seats: u32, class: &str, plate: &str| {
        let mut r = template.clone();
        r.id = ResourceId::new(me, local).expect("valid id");
        r.name = Text::new(zh, en);
        r.capacity = Capacity::People(seats);
        r.attributes.insert(attr::CLASS.into(), class.into());
        r.attributes.insert(attr::PLATE.into(), plate.into());
        r
    };
    let van = vehicle("van-1", "公务商务车", "Official van", 7, "van", "粤B10001");
    let car = vehicle("car-1", "新能源轿车", "EV sedan", 5, "sedan", "粤BD2345");
    let driver = |local: &str, zh: &str, en: &str| {
        let mut r = template.clone();
        r.id = ResourceId::new(me, local).expect("valid id");
        r.kind = ResourceKind::Driver;
        r.name = Text::new(zh, en);
        r.capacity = Capacity::People(1);
        r
    };
    let (d1, d2) = (
        driver("drv-1", "王师傅", "Driver Wang"),
        driver("drv-2", "李师傅", "Driver Li"),
    );
    let trip =
        |n: u32, who: usize, class: &str, from: (i64, i8), to: (i64, i8), pax: u32| TripRequest {
            id: BookingId::new(agency(who), &format!("t{n}")).expect("valid id"),
            owner: me,
            class: class.parse().ok(),
            vehicle: None,
            start: at(from.0, from.1),
            end: at(to.0, to.1),
            passengers: pax,
            destination: "广州 / Guangzhou".into(),
            purpose: "调研 / inspection".into(),
            contact: format!("联系人{n}").into(),
            hlc: Hlc::default(),
        };
    let view = |request: TripRequest, status: TripStatus| Trip {
        request,
        status,
        order: None,
        vehicle: None,
        driver: None,
        odometer_out: None,
        odometer_in: None,
        fuel_ml: None,
        charge_wh: None,
        note: String::new(),
        problem: None,
    };
    let mut out = view(
        trip(3, 2, "van", (1, 8), (1, 18), 6),
        TripStatus::Dispatched,
    );
    out.order = Some(7);
    out.vehicle = Some(van.id.clone());
    out.driver = Some(d2.id.clone());
    for (rid, q) in [(van.id.clone(), 6), (d2.id.clone(), 1)] {
        s.data.bookings.push(Booking {
            decided_by: None,
            checked_in: None,
            id: out.request.id.clone(),
            resource: rid,
            terms: Terms {
                start: out.request.start,
                end: out.request.end,
                quantity: q,
            },
            request: None,
            status: BookingStatus::Confirmed,
        });
    }
    s.data.trips = vec![
        view(trip(1, 1, "van", (0, 9), (0, 12), 6), TripStatus::Requested),
        view(
            trip(2, 3, "sedan", (0, 10), (0, 11), 3),
            TripStatus::Requested,
        ),
        out,
    ];
    s.data.resources.extend([van, car, d1, d2]);
}
