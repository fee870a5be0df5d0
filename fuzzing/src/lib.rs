//! # fuzzing
//!
//! Every input a node takes from outside, as a function of bytes that must
//! never panic, loop or allocate without bound, whatever the bytes:
//! - [`sync_message`]: a sync message or join request off the wire (CBOR, as
//!   the libp2p codec decodes it), or a message on a gossipsub topic, handed
//!   to a member's engine;
//! - [`ingest`]: a change signed by a member but with arbitrary content
//!   (record keys and JSON values of the fuzzer's choice), or arbitrary bytes
//!   as a change, received by another member;
//! - [`invite_token`]: an invitation token;
//! - [`config_toml`]: a `config.toml`;
//! - [`import_rows`]: a CSV or TOML file for `resource import` (the CLI's
//!   own parser, `cli/src/import.rs`);
//! - [`api_json`]: the JSON body of a write route, run through the engine
//!   as the server does.
//!
//! `fuzz/` holds the cargo-fuzz targets (nightly: `cargo +nightly fuzz run
//! TARGET` from `fuzzing/fuzz`) and `corpus/` their committed corpus, which
//! `tests/replay.rs` runs through these functions on stable Rust in CI.

use automerge::transaction::CommitOptions;
use automerge::{AutoCommit, Change, ROOT, transaction::Transactable};
use crdt_model::doc::actor_of;
use crdt_model::engine::{Input, JoinRequest, LocalOp, Message};
use crdt_model::ids::{DocId, DocKind, shard_of};
use crdt_model::signed::SignedChange;
use crdt_model::sim::Sim;

#[path = "../../cli/src/import.rs"]
mod import;

/// The names of the targets, as in `fuzz/fuzz_targets` and `corpus/`.
pub const TARGETS: [&str; 6] = [
    "sync_message",
    "ingest",
    "invite_token",
    "config_toml",
    "import_rows",
    "api_json",
];

/// Runs target `name` on `data`; false for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "sync_message" => sync_message(data),
        "ingest" => ingest(data),
        "invite_token" => invite_token(data),
        "config_toml" => config_toml(data),
        "import_rows" => import_rows(data),
        "api_json" => api_json(data),
        _ => return false,
    }
    true
}

/// 2026-11-18, as the simulator tests.
const START_MS: i64 = 1_795_000_000_000;

fn start() -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(START_MS).unwrap_or_default()
}

/// Two members, agency 0 holding a room of agency 1's.
fn network() -> Sim {
    let mut sim = Sim::new(1, 2, START_MS);
    let room = crdt_model::sim::test_resource(
        sim.id(1),
        "room",
        crdt_model::resource::Capacity::People(4),
        crdt_model::resource::Approval::Automatic,
    );
    let _ = sim.local(1, LocalOp::PutResource(Box::new(room)));
    sim.run_until_quiet(10_000);
    sim
}

/// Hands `msg` from node 1 to node 0's engine and settles it.
fn receive(sim: &mut Sim, msg: Message) {
    let from = sim.id(1);
    let now = sim.now();
    if let Some(e) = sim.nodes[0].engine.as_mut() {
        let _ = e.handle(now, Input::Received { from, msg });
        e.settle();
    }
}

/// A sync message (first byte even) or a join request (odd) as CBOR; with
/// first byte 255, a message on a gossipsub topic (the next byte picks the
/// topic: odd agency 1's, even agency 0's) from agency 1.
pub fn sync_message(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let mut sim = network();
    if kind == 255 {
        use crdt_model::engine::Topic;
        let Some((&t, body)) = body.split_first() else {
            return;
        };
        let topic = Topic::Owner(sim.id(usize::from(t % 2 == 1)));
        if let Ok(changes) = cbor4ii::serde::from_slice::<Vec<SignedChange>>(body) {
            let (from, now) = (sim.id(1), sim.now());
            if let Some(e) = sim.nodes[0].engine.as_mut() {
                let _ = e.gossip(now, from, topic, changes);
                e.settle();
            }
        }
    } else if kind % 2 == 0 {
        if let Ok(msg) = cbor4ii::serde::from_slice::<Message>(body) {
            receive(&mut sim, msg);
        }
    } else if let Ok(req) = cbor4ii::serde::from_slice::<JoinRequest>(body) {
        let (key, now) = (sim.id(1), sim.now());
        if let Some(e) = sim.nodes[0].engine.as_mut() {
            let _ = e.on_join_request(now, key, req);
        }
    }
}

/// A change by agency 1 with arbitrary content. The first byte picks the
/// document; the rest is lines of `key<TAB>json` put at the document's root
/// (the records the ledger decodes and checks), or, when the first byte is
/// 255, arbitrary bytes sent as the change itself.
pub fn ingest(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let mut sim = network();
    let (author, other) = (sim.id(1), sim.id(0));
    let kind = match pick % 4 {
        0 => DocKind::Catalog,
        1 => DocKind::Requests,
        2 => DocKind::Decisions,
        _ => DocKind::Requests,
    };
    let doc = match kind {
        DocKind::Catalog => DocId::catalog(author),
        DocKind::Requests => DocId::requests(author, other, shard_of(start())),
        _ => DocId::decisions(author, shard_of(start())),
    };
    let key = sim.nodes[1].key.clone();
    let history = sim
        .engine(1)
        .ledger()
        .changes_after(&doc, 0, 10_000)
        .unwrap_or_default();
    let signed = if pick == 255 {
        SignedChange {
            v: 1,
            doc,
            signer: author,
            sig: [7; 64],
            change: body.to_vec(),
            seq: 0,
        }
    } else {
        let mut am = AutoCommit::new().with_actor(actor_of(&author));
        let prior: Vec<Change> = history
            .iter()
            .filter_map(|c| Change::from_bytes(c.change.clone()).ok())
            .collect();
        if am.apply_changes(prior).is_err() {
            return;
        }
        let text = String::from_utf8_lossy(body);
        for line in text.lines().take(64) {
            let (k, v) = line.split_once('\t').unwrap_or((line, ""));
            if am.put(ROOT, k, v.to_string()).is_err() {
                return;
            }
        }
        let Some(h) = am.commit_with(CommitOptions::default()) else {
            return;
        };
        let Some(change) = am.get_change_by_hash(&h) else {
            return;
        };
        SignedChange::sign(&key, doc, &change)
    };
    receive(
        &mut sim,
        Message::Changes {
            changes: vec![signed],
            n: 1,
        },
    );
    // Whatever was accepted shows in calendars without panicking.
    let _ = sim.engine(0).calendars();
}

/// An invitation token.
pub fn invite_token(data: &[u8]) {
    let _ = bootstrap::invite::Invitation::from_token(&String::from_utf8_lossy(data));
}

/// A `config.toml`.
pub fn config_toml(data: &[u8]) {
    let _ = node::config::Config::parse(&String::from_utf8_lossy(data));
}

/// A resource file for `resource import`: CSV when the first byte is even.
pub fn import_rows(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let _ = import::rows(&String::from_utf8_lossy(body), kind % 2 == 0);
}

/// The JSON body of a write route (the first byte picks the route), run
/// through a member's engine as the server does.
pub fn api_json(data: &[u8]) {
    use crdt_model::engine::{AssetOp, TripDraft};
    use crdt_model::resource::Resource;
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    let op = match route % 8 {
        0 => serde_json::from_slice::<Resource>(body).ok().map(|mut r| {
            r.normalize_features();
            LocalOp::PutResource(Box::new(r))
        }),
        1 => serde_json::from_slice::<api::BookRequest>(body)
            .ok()
            .map(LocalOp::from),
        2 => serde_json::from_slice::<api::CancelRequest>(body)
            .ok()
            .map(LocalOp::from),
        3 => serde_json::from_slice::<api::DecideRequest>(body)
            .ok()
            .map(LocalOp::from),
        4 => serde_json::from_slice::<AssetOp>(body)
            .ok()
            .map(|a| LocalOp::Asset(Box::new(a))),
        5 => serde_json::from_slice::<TripDraft>(body)
            .ok()
            .map(|d| LocalOp::RequestTrip(Box::new(d))),
        6 => {
            let _ = serde_json::from_slice::<api::InviteRequest>(body);
            let _ = serde_json::from_slice::<api::WebhookAdd>(body);
            None
        }
        _ => {
            if let Ok(q) = serde_json::from_slice::<crdt_model::availability::SlotQuery>(body) {
                use crdt_model::query::Query;
                let sim = network();
                let _ = q.answer(sim.engine(0), sim.now());
            }
            None
        }
    };
    if let Some(op) = op {
        let mut sim = network();
        let _ = sim.local(0, op);
        let _ = sim.engine(0).calendars();
    }
}

/// Valid inputs of every target, made from a small real network (what the
/// fuzzer starts from; `cargo run -p fuzzing --example seed` writes them to
/// `corpus/`).
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let mut sim = network();
    let (requester, owner) = (sim.id(0), sim.id(1));
    let room = crdt_model::ids::ResourceId::new(owner, "room").ok();
    let at = |h: i64| {
        jiff::Timestamp::from_millisecond(START_MS + 3_600_000 * (24 + h)).unwrap_or_default()
    };
    if let Some(room) = room.clone() {
        let _ = sim.local(
            0,
            LocalOp::Book {
                wait_list: false,
                resource: room,
                start: at(2),
                end: at(3),
                quantity: 2,
                contact: "王工".into(),
                purpose: "会议".into(),
            },
        );
        sim.run_until_quiet(10_000);
    }
    let cbor = |kind: u8, v: &dyn erased::Cbor| {
        let mut b = vec![kind];
        b.extend(v.cbor());
        b
    };
    out.push(("sync_message", cbor(0, &sim.engine(0).summary())));
    let changes: Vec<SignedChange> = sim
        .engine(0)
        .ledger()
        .docs()
        .keys()
        .flat_map(|d| {
            sim.engine(0)
                .ledger()
                .changes_after(d, 0, 4)
                .unwrap_or_default()
        })
        .collect();
    out.push((
        "sync_message",
        cbor(
            0,
            &Message::Changes {
                changes: changes.clone(),
                n: 1,
            },
        ),
    ));
    // The same changes on agency 1's topic (those of agency 0's requests to
    // it; the others are misplaced there).
    let mut on_topic = vec![255, 1];
    on_topic.extend(cbor4ii::serde::to_vec(Vec::new(), &changes).unwrap_or_default());
    out.push(("sync_message", on_topic));
    out.push((
        "sync_message",
        cbor(
            1,
            &JoinRequest {
                admission: None,
                rotations: Vec::new(),
            },
        ),
    ));
    for c in &changes {
        let pick = match c.doc.kind {
            DocKind::Catalog => 0u8,
            DocKind::Requests => 1,
            _ => 2,
        };
        if let Ok(change) = Change::from_bytes(c.change.clone())
            && let Ok(writes) = crdt_model::doc::decode_writes(&c.doc, &change)
        {
            let mut b = vec![pick];
            for w in writes {
                if let Ok(json) = serde_json::to_string(&w.record) {
                    b.extend(format!("{}\t{json}\n", w.key).into_bytes());
                }
            }
            out.push(("ingest", b));
        }
        let mut raw = vec![255u8];
        raw.extend(&c.change);
        out.push(("ingest", raw));
    }
    out.push(("invite_token", b"tc2-not-a-token".to_vec()));
    let terms = bootstrap::invite::Terms {
        name: "杭州市机关事务管理局".into(),
        role: crdt_model::membership::Role::Member,
        expires_ms: START_MS + 7 * 86_400_000,
        bootstrap: vec!["/ip4/127.0.0.1/tcp/4001".into()],
    };
    let hlc = crdt_model::hlc::Hlc {
        wall_ms: START_MS + 1_000,
        counter: 0,
    };
    let admin = sim.nodes[0].key.clone();
    if let Ok(inv) = bootstrap::invite::Invitation::issue(
        sim.engine(0).ledger().roster(),
        &admin,
        terms,
        hlc,
        [9; 32],
    ) {
        out.push(("invite_token", inv.to_token().into_bytes()));
    }
    out.push((
        "config_toml",
        include_bytes!("../../example.config.toml").to_vec(),
    ));
    out.push((
        "import_rows",
        b"\x00id,name,name_en,city,people,feature,open,days\nroom-1,\xe7\xac\xac\xe4\xb8\x80\xe4\xbc\x9a\xe8\xae\xae\xe5\xae\xa4,Room 1,Shenzhen,12,video;whiteboard,08:30-18:00,1-5\n".to_vec(),
    ));
    out.push((
        "import_rows",
        b"\x01[[resource]]\nid = \"room-2\"\nname = \"Room 2\"\ncity = \"Shenzhen\"\npeople = 8\nfeature = [\"video\"]\n".to_vec(),
    ));
    if let Some(r) = sim.engine(1).ledger().index().resources.values().next()
        && let Ok(json) = serde_json::to_vec(r)
    {
        out.push(("api_json", [vec![0u8], json].concat()));
    }
    if let Some(room) = room {
        let book = api::BookRequest {
            wait_list: false,
            resource: room,
            start: at(5),
            end: at(6),
            quantity: 1,
            contact: "李工".into(),
            purpose: "培训".into(),
        };
        if let Ok(json) = serde_json::to_vec(&book) {
            out.push(("api_json", [vec![1u8], json].concat()));
        }
    }
    // Free/busy: a question about the owner, and an answer to it.
    out.push((
        "sync_message",
        cbor(
            0,
            &Message::BusyAsk {
                id: 1,
                owners: vec![owner],
                from: at(0),
                to: at(24),
            },
        ),
    ));
    if let Ok(room) = crdt_model::ids::ResourceId::new(owner, "room") {
        let block = crdt_model::busy::BusyBlock {
            start: at(2),
            end: at(3),
            usage: 2,
            tentative: false,
        };
        let answer = crdt_model::busy::OwnerBusy {
            owner: Some(owner),
            resources: [(room, vec![block])].into_iter().collect(),
            truncated: false,
        };
        out.push((
            "sync_message",
            cbor(
                0,
                &Message::Busy {
                    id: 1,
                    owners: vec![answer],
                    refused: None,
                },
            ),
        ));
    }
    let _ = requester;
    out
}

mod erased {
    //! CBOR encoding of any serializable value, as the libp2p codec sends it.
    pub(crate) trait Cbor {
        fn cbor(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Cbor for T {
        fn cbor(&self) -> Vec<u8> {
            cbor4ii::serde::to_vec(Vec::new(), self).unwrap_or_default()
        }
    }
}
