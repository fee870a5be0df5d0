//! Unit tests of the roster.

use super::*;
use crate::agency::Text;

fn profile(k: &AgencyKey, name: &str) -> AgencyProfile {
    AgencyProfile {
        id: k.id(),
        name: Text::new(name, name),
        city: Text::new("深圳", "Shenzhen"),
    }
}

fn hlc(ms: i64) -> Hlc {
    Hlc {
        wall_ms: ms,
        counter: 0,
    }
}

#[test]
fn admit_revoke_and_non_admin_events() {
    let a = AgencyKey::from_secret(&[1; 32]);
    let b = AgencyKey::from_secret(&[2; 32]);
    let c = AgencyKey::from_secret(&[3; 32]);
    let (mut r, genesis) = Roster::create(&a, "test", profile(&a, "A"), hlc(1));
    assert!(r.is_admin(&a.id()));
    let admit_b = r.act(
        &a,
        hlc(2),
        RosterAction::Admit {
            profile: profile(&b, "B"),
            role: Role::Member,
            invitation: None,
        },
    );
    assert!(r.is_active(&b.id()));
    // A plain member cannot admit anyone.
    r.act(
        &b,
        hlc(3),
        RosterAction::Admit {
            profile: profile(&c, "C"),
            role: Role::Admin,
            invitation: None,
        },
    );
    assert!(!r.is_active(&c.id()));
    let doc = DocId::catalog(b.id());
    let revoke = r.act(
        &a,
        hlc(4),
        RosterAction::Revoke {
            agency: b.id(),
            reason: "x".into(),
            cutoffs: [(doc.clone(), 2)].into(),
        },
    );
    assert_eq!(r.may_write(&b.id(), &doc, 2), Ok(()));
    assert_eq!(r.may_write(&b.id(), &doc, 3), Err(WriteRefusal::Revoked));
    assert_eq!(
        r.may_write(&c.id(), &doc, 1),
        Err(WriteRefusal::UnknownSigner)
    );
    // Another replica receiving the same events in another order agrees.
    let mut r2 = Roster::from_genesis(genesis).unwrap();
    r2.add([revoke, admit_b]);
    assert_eq!(r2.members(), Roster { ..r.clone() }.members());
}

fn rotation(r: &Roster, agency: AgencyId, new: &AgencyKey) -> RosterAction {
    RosterAction::RotateKey {
        new_key: new.public(),
        cutoffs: [(DocId::catalog(agency), 3)].into(),
        proof: new.sign(
            "rotate",
            &rotation_message(r.network_id(), &agency, &new.public()),
        ),
    }
}

#[test]
fn a_rotated_admin_acts_with_its_new_key_only() {
    let a = AgencyKey::from_secret(&[1; 32]);
    let a2 = AgencyKey::from_secret(&[11; 32]);
    let b = AgencyKey::from_secret(&[2; 32]);
    let c = AgencyKey::from_secret(&[3; 32]);
    let (mut r, genesis) = Roster::create(&a, "test", profile(&a, "A"), hlc(1));
    let action = rotation(&r, a.id(), &a2);
    let rot = r.act(&a, hlc(2), action);
    assert_eq!(r.current_key(&a.id()), a2.public());
    assert_eq!(r.agency_of_key(&a2.public()), Some(a.id()));
    let doc = DocId::catalog(a.id());
    assert_eq!(r.key_for(&a.id(), &doc, 3), a.public());
    assert_eq!(r.key_for(&a.id(), &doc, 4), a2.public());
    // The old key no longer has an admin's power...
    let stale = r.act(
        &a,
        hlc(3),
        RosterAction::Admit {
            profile: profile(&b, "B"),
            role: Role::Member,
            invitation: None,
        },
    );
    assert!(!r.is_active(&b.id()));
    assert!(r.ignored().contains(&stale.id()));
    // ...nor can it rotate again (to a thief's key).
    let thief = rotation(&r, a.id(), &c);
    r.act(&a, hlc(4), thief);
    assert_eq!(r.current_key(&a.id()), a2.public());
    // The new key acts for the agency.
    let admit = r.act(
        &a2.clone().acting_for(a.id()),
        hlc(5),
        RosterAction::Admit {
            profile: profile(&b, "B"),
            role: Role::Member,
            invitation: None,
        },
    );
    assert!(r.is_active(&b.id()));
    // Nobody can rotate to a key another agency uses, nor without proof.
    let mut bad = rotation(&r, b.id(), &a2);
    r.act(&b, hlc(6), bad.clone());
    assert_eq!(r.current_key(&b.id()), b.public());
    if let RosterAction::RotateKey { new_key, .. } = &mut bad {
        *new_key = c.public();
    }
    r.act(&b, hlc(7), bad);
    assert_eq!(r.current_key(&b.id()), b.public(), "proof by another key");
    // Any delivery order resolves the same.
    let mut r2 = Roster::from_genesis(genesis).unwrap();
    r2.add([admit, stale, rot]);
    assert_eq!(r2.current_key(&a.id()), a2.public());
    assert!(r2.is_active(&b.id()));
}

#[test]
fn forged_and_foreign_events_are_refused() {
    let a = AgencyKey::from_secret(&[1; 32]);
    let (mut r, _) = Roster::create(&a, "test", profile(&a, "A"), hlc(1));
    let (mut other, _) = Roster::create(&a, "other", profile(&a, "A"), hlc(1));
    let foreign = other.act(
        &a,
        hlc(2),
        RosterAction::Admit {
            profile: profile(&a, "A"),
            role: Role::Member,
            invitation: None,
        },
    );
    let (_, errs) = r.add([foreign.clone()]);
    assert_eq!(errs, vec![RosterError::OtherNetwork]);
    let mut forged = foreign;
    forged.sig[0] ^= 1;
    let (_, errs) = r.add([forged]);
    assert_eq!(errs.len(), 1);
}

/// An admin's invite of the one-time key `one_time`, signed at `at`.
fn invite(one_time: &AgencyKey, at: i64) -> RosterAction {
    RosterAction::Invite {
        invitation: one_time.id(),
        name: "杭州市机关事务管理局".into(),
        role: Role::Member,
        expires_ms: at + 1_000_000,
    }
}

fn withdraw(one_time: &AgencyKey) -> RosterAction {
    RosterAction::WithdrawInvite {
        invitation: one_time.id(),
        reason: "发错单位".into(),
    }
}

/// The rule, whatever order the events arrive in: a join ordered before the
/// withdrawal (earlier HLC) stands; one ordered after it does not count.
#[test]
fn a_withdrawn_invitation_admits_only_a_join_ordered_before_it() {
    let a = AgencyKey::from_secret(&[1; 32]);
    let b = AgencyKey::from_secret(&[2; 32]);
    let one_time = AgencyKey::from_secret(&[9; 32]);
    let (mut r, genesis) = Roster::create(&a, "test", profile(&a, "A"), hlc(1));
    let inv = r.act(&a, hlc(10), invite(&one_time, 10));
    let mut late = r.clone();
    let wd = r.act(&a, hlc(20), withdraw(&one_time));
    let status = &r.invitations()[&one_time.id()];
    assert_eq!(status.issued, hlc(10));
    assert_eq!(status.withdrawn.as_ref().map(|w| w.hlc), Some(hlc(20)));
    for (join_at, stands) in [(15, true), (25, false)] {
        let join = admission::claim(r.network_id(), &one_time, profile(&b, "B"), hlc(join_at));
        // The join arriving after the withdrawal, and before it.
        let mut after = r.clone();
        after.add([join.clone()]);
        let mut before = Roster::from_genesis(genesis.clone()).expect("genesis");
        before.add([inv.clone(), join.clone()]);
        before.add([wd.clone()]);
        for roster in [&after, &before] {
            assert_eq!(roster.is_active(&b.id()), stands, "join at {join_at}");
            let i = &roster.invitations()[&one_time.id()];
            assert_eq!(i.withdrawn.is_none(), stands, "join at {join_at}");
            assert_eq!(i.used_by.is_some(), stands, "join at {join_at}");
        }
        assert_eq!(after.invitations(), before.invitations());
    }
    // A member checking a new claim refuses it once the invitation is
    // withdrawn, whatever clock the claim shows.
    let early = admission::claim(r.network_id(), &one_time, profile(&b, "B"), hlc(15));
    assert_eq!(
        admission::check_join(&r, &inv, &early, b.id(), 16),
        Err(admission::InviteError::Withdrawn)
    );
    // Before the withdrawal reached it, the same member admitted it.
    assert_eq!(
        admission::check_join(&late, &inv, &early, b.id(), 16),
        Ok(())
    );
    late.add([inv.clone(), early]);
    assert!(late.is_active(&b.id()));
}

#[test]
fn only_an_admin_withdraws_and_a_used_invitation_stays_used() {
    let a = AgencyKey::from_secret(&[1; 32]);
    let b = AgencyKey::from_secret(&[2; 32]);
    let c = AgencyKey::from_secret(&[3; 32]);
    let first = AgencyKey::from_secret(&[8; 32]);
    let second = AgencyKey::from_secret(&[9; 32]);
    let (mut r, _) = Roster::create(&a, "test", profile(&a, "A"), hlc(1));
    r.act(&a, hlc(2), invite(&first, 2));
    r.act(&a, hlc(3), invite(&second, 3));
    r.add([admission::claim(
        r.network_id(),
        &first,
        profile(&b, "B"),
        hlc(4),
    )]);
    assert!(r.is_active(&b.id()) && !r.is_admin(&b.id()));
    // A plain member's withdrawal does not count.
    let by_member = r.act(&b, hlc(5), withdraw(&second));
    assert!(r.ignored().contains(&by_member.id()));
    assert!(r.invitations()[&second.id()].withdrawn.is_none());
    // Withdrawing a used invitation does nothing: the member stays.
    let too_late = r.act(&a, hlc(6), withdraw(&first));
    assert!(r.ignored().contains(&too_late.id()));
    assert!(r.is_active(&b.id()));
    // The admin's withdrawal counts, and the invitation admits nobody.
    r.act(&a, hlc(7), withdraw(&second));
    r.add([admission::claim(
        r.network_id(),
        &second,
        profile(&c, "C"),
        hlc(8),
    )]);
    assert!(!r.is_active(&c.id()));
}
