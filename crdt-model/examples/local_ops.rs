//! Times local booking writes through one engine (no network, no disk):
//! `cargo run --release -p crdt-model --features test-utils --example local_ops`.

use std::time::Instant;

use crdt_model::engine::{Config, Engine, LocalOp};
use crdt_model::hlc::Hlc;
use crdt_model::membership::{Role, Roster, RosterAction};
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::{test_key, test_profile, test_resource};
use jiff::Timestamp;

fn main() {
    let (a, b) = (test_key(0), test_key(1));
    let (mut roster, _) = Roster::create(&a, "x", test_profile(&a, 0), Hlc::default());
    roster.act(
        &a,
        Hlc {
            wall_ms: 1,
            counter: 0,
        },
        RosterAction::Admit {
            profile: test_profile(&b, 1),
            role: Role::Member,
            invitation: None,
        },
    );
    let (mut owner, _) = Engine::new(a.clone(), roster.clone(), Config::default(), vec![]);
    let now = Timestamp::now();
    let mut rids = Vec::new();
    for k in 0..100 {
        let r = test_resource(
            a.id(),
            &format!("p{k}"),
            Capacity::Units(1_000_000),
            Approval::Automatic,
        );
        rids.push(r.id.clone());
        owner.local(now, LocalOp::PutResource(Box::new(r))).unwrap();
    }
    let catalog = owner
        .ledger()
        .docs()
        .keys()
        .flat_map(|d| owner.ledger().changes_of(d).expect("in memory"))
        .collect();
    let (mut e, _) = Engine::new(b, roster, Config::default(), catalog);
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000);
    let t = Instant::now();
    for i in 0..n {
        let start = now + jiff::SignedDuration::from_mins(60 * 24 + (i % 5000) as i64);
        let op = LocalOp::Book {
            wait_list: false,
            resource: rids[i % 100].clone(),
            start,
            end: start + jiff::SignedDuration::from_mins(30),
            quantity: 1,
            contact: String::new(),
            purpose: format!("b{i}"),
        };
        e.local(now, op).unwrap();
        if i % 1000 == 999 {
            println!(
                "{} bookings: {:.0}/s so far",
                i + 1,
                (i + 1) as f64 / t.elapsed().as_secs_f64()
            );
        }
    }
}
