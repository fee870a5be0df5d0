//! Admission in the deterministic simulator: an agency joins with an
//! invitation while the inviting admin is offline, through any member; a
//! used, expired, forged or withdrawn invitation admits no one; an agency revoked while
//! its node was down learns it from the first member it reaches.

use crdt_model::agency::AgencyKey;
use crdt_model::booking::Status;
use crdt_model::hlc::Hlc;
use crdt_model::membership::admission::claim;
use crdt_model::membership::{Role, RosterAction, SignedRosterEvent};
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::{Sim, test_key, test_profile};

mod common;
use common::*;

const HOUR_MS: i64 = 3_600_000;

/// Admin 0 invites a newcomer (one-time key `one_time`), valid for
/// `valid_ms`; returns the invite event as the admin stored it.
fn invite(sim: &mut Sim, one_time: &AgencyKey, valid_ms: i64) -> SignedRosterEvent {
    sim.roster_act(
        0,
        RosterAction::Invite {
            invitation: one_time.id(),
            name: "新成员".into(),
            role: Role::Member,
            expires_ms: sim.now_ms + valid_ms,
        },
    )
    .expect("the admin invites");
    sim.nodes[0].roster.last().expect("stored").clone()
}

/// The newcomer's claim of the invitation for agency `i`'s key.
fn claim_for(sim: &Sim, one_time: &AgencyKey, key: &AgencyKey, i: usize) -> SignedRosterEvent {
    let network = sim.engine(1).ledger().roster().network_id().to_string();
    let now = Hlc {
        wall_ms: sim.now_ms,
        counter: 0,
    };
    claim(&network, one_time, test_profile(key, i), now)
}

fn active_everywhere(sim: &Sim, nodes: &[usize], agency: &crdt_model::ids::AgencyId) -> bool {
    nodes
        .iter()
        .all(|&n| sim.engine(n).ledger().roster().is_active(agency))
}

#[test]
fn an_agency_joins_through_a_member_while_the_inviting_admin_is_offline() {
    let mut sim = Sim::new(21, 3, START);
    let room = publish(
        &mut sim,
        1,
        "room",
        Capacity::People(4),
        Approval::Automatic,
    );
    let one_time = test_key(200);
    let inv = invite(&mut sim, &one_time, 24 * HOUR_MS);
    sim.run_until_quiet(5_000);
    sim.crash(0);

    let key = test_key(9);
    let claim = claim_for(&sim, &one_time, &key, 9);
    let newcomer = sim.add_newcomer(key, inv, claim);
    sim.run_until_quiet(5_000);
    let agency = sim.id(newcomer);
    assert!(
        active_everywhere(&sim, &[1, 2, newcomer], &agency),
        "the members online admitted the newcomer without the admin"
    );
    // The newcomer learned the whole roster and the catalogue, and books.
    assert!(sim.engine(newcomer).calendar(&room).is_some());
    let booked = book(&mut sim, newcomer, &room, 2, 3, 1).expect("the newcomer books");
    sim.run_until_quiet(5_000);
    for n in [1, 2, newcomer] {
        let b = sim.engine(n).booking(&booked).expect("booking replicated");
        assert_eq!(b.status, Status::Confirmed, "node {n}");
    }

    // The admin comes back and learns the join and the booking from peers.
    sim.restart(0);
    sim.run_until_quiet(5_000);
    assert!(active_everywhere(&sim, &[0], &agency));
    assert_eq!(
        sim.engine(0).booking(&booked).map(|b| b.status),
        Some(Status::Confirmed)
    );
    assert_converged(&sim);
}

#[test]
fn a_used_an_expired_or_a_forged_invitation_admits_no_one() {
    let mut sim = Sim::new(22, 3, START);
    let one_time = test_key(201);
    let inv = invite(&mut sim, &one_time, HOUR_MS);
    sim.run_until_quiet(5_000);
    sim.crash(0);

    // The first claim wins.
    let first = test_key(10);
    let c = claim_for(&sim, &one_time, &first, 10);
    let a = sim.add_newcomer(first, inv.clone(), c);
    sim.run_until_quiet(5_000);
    assert!(active_everywhere(&sim, &[1, 2, a], &sim.id(a)));

    // The same invitation again, for another agency: refused.
    let second = test_key(11);
    let c = claim_for(&sim, &one_time, &second, 11);
    let b = sim.add_newcomer(second, inv.clone(), c);
    sim.run_until_quiet(5_000);
    let id_b = sim.id(b);
    for n in [1, 2, a, b] {
        assert!(
            !sim.engine(n).ledger().roster().is_active(&id_b),
            "node {n}"
        );
    }

    // A claim signed with another key than the invitation's: refused.
    let third = test_key(12);
    let c = claim_for(&sim, &test_key(202), &third, 12);
    let c_node = sim.add_newcomer(third, inv.clone(), c);
    sim.run_until_quiet(5_000);
    let id_c = sim.id(c_node);
    for n in [1, 2, a, c_node] {
        assert!(
            !sim.engine(n).ledger().roster().is_active(&id_c),
            "node {n}"
        );
    }

    // An unused invitation past its expiry: refused.
    sim.restart(0);
    let late_key = test_key(203);
    let late = invite(&mut sim, &late_key, HOUR_MS);
    sim.run_until_quiet(5_000);
    sim.advance(2 * HOUR_MS);
    let fourth = test_key(13);
    let c = claim_for(&sim, &late_key, &fourth, 13);
    let d = sim.add_newcomer(fourth, late, c);
    sim.run_until_quiet(5_000);
    let id_d = sim.id(d);
    for n in [0, 1, 2, d] {
        assert!(
            !sim.engine(n).ledger().roster().is_active(&id_d),
            "node {n}"
        );
    }
}

#[test]
fn an_agency_revoked_while_offline_learns_it_on_reconnecting() {
    use crdt_model::engine::LocalError;
    let mut sim = Sim::new(23, 3, START);
    let room = publish(
        &mut sim,
        1,
        "room",
        Capacity::People(4),
        Approval::Automatic,
    );
    sim.run_until_quiet(5_000);
    let gone = sim.id(2);
    sim.crash(2);
    sim.roster_act(
        0,
        RosterAction::Revoke {
            agency: gone,
            reason: "机构撤并".into(),
            cutoffs: Default::default(),
        },
    )
    .expect("the admin revokes");
    sim.run_until_quiet(5_000);
    // Node 2 comes back believing it is still a member; the first member it
    // reaches refuses it and tells it why.
    sim.restart(2);
    sim.run_until_quiet(5_000);
    let why = sim
        .engine(2)
        .revoked()
        .expect("node 2 knows it was revoked");
    assert!(why.contains("机构撤并"), "{why}");
    assert!(!sim.engine(2).ledger().roster().is_active(&gone));
    match sim.local(2, book_op(&room)) {
        Err(LocalError::NotAllowed(m)) => assert!(m.contains("revoked"), "{m}"),
        other => panic!("a revoked agency's booking must be refused: {other:?}"),
    }
    // The members never held a session with it, nor a change from it.
    for n in [0, 1] {
        assert!(sim.engine(n).peers().all(|p| *p != gone), "node {n}");
    }
}

fn book_op(room: &crdt_model::ids::ResourceId) -> crdt_model::engine::LocalOp {
    crdt_model::engine::LocalOp::Book {
        wait_list: false,
        resource: room.clone(),
        start: hour(2),
        end: hour(3),
        quantity: 1,
        contact: "王工".into(),
        purpose: "会议".into(),
    }
}

#[test]
fn a_withdrawn_invitation_admits_no_one_through_any_member() {
    let mut sim = Sim::new(23, 3, START);
    let one_time = test_key(204);
    let inv = invite(&mut sim, &one_time, 24 * HOUR_MS);
    sim.run_until_quiet(5_000);
    let withdraw = |invitation| RosterAction::WithdrawInvite {
        invitation,
        reason: "发错单位".into(),
    };
    // Only an invitation of the network, once.
    assert!(sim.roster_act(0, withdraw(test_key(205).id())).is_err());
    sim.roster_act(0, withdraw(one_time.id()))
        .expect("the admin withdraws");
    assert!(sim.roster_act(0, withdraw(one_time.id())).is_err());
    sim.run_until_quiet(5_000);
    for n in [1, 2] {
        let roster = sim.engine(n).ledger().roster();
        assert!(
            roster.invitations()[&one_time.id()].withdrawn.is_some(),
            "node {n} holds the withdrawal"
        );
    }
    sim.crash(0);

    let key = test_key(14);
    let c = claim_for(&sim, &one_time, &key, 14);
    let newcomer = sim.add_newcomer(key, inv, c);
    sim.run_until_quiet(5_000);
    let id = sim.id(newcomer);
    for n in [1, 2, newcomer] {
        assert!(!sim.engine(n).ledger().roster().is_active(&id), "node {n}");
    }
}
