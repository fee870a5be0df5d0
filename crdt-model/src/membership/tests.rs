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
