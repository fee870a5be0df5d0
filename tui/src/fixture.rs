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
                ..Default::default()
            },
            retired: false,
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
            id: id.clone(),
            resource: r.id.clone(),
            terms: Terms {
                start,
                end,
                quantity,
            },
            request: Some(Box::new(BookingRequest {
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

/// This node's status: peers (the fourth disconnected, with refusals),
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
            bytes_in: 1000,
            last_seen: Some(now - SignedDuration::from_secs(5 * i as i64)),
        })
        .collect();
    Status {
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
    }
}
