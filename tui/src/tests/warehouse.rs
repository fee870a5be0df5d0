//! The warehouse screen (公物仓) key by key: what the owner sees first, its
//! steps through dialogs, the borrower's and receiver's confirmations, and
//! an asset borrowed through the free-slot finder.

use super::*;
use crdt_model::asset::{Disposal, LoanStatus};
use crdt_model::engine::AssetOp;

/// The single asset step among `fx`.
fn asset_op(fx: &[Effect]) -> AssetOp {
    match fx {
        [Effect::AssetStep(op)] => (**op).clone(),
        _ => panic!("one asset step: {fx:?}"),
    }
}

fn locals(s: &State) -> Vec<String> {
    s.warehouse_loans()
        .iter()
        .map(|r| r.loan.booking.local.to_string())
        .collect()
}

#[test]
fn the_owner_sees_overdue_and_due_loans_first_then_hands_over_and_takes_back() {
    let mut s = state(Lang::En);
    fixture::with_warehouse(&mut s);
    // `0` opens the tenth screen from anywhere.
    key(&mut s, KeyCode::Char('1'));
    key(&mut s, KeyCode::Char('0'));
    assert_eq!(s.screen, Screen::Warehouse);
    // Overdue, due back today, to hand over today, then by due date; the
    // returned loan last.
    assert_eq!(locals(&s), ["w2", "w1", "w3", "w4", "w5", "w6"]);
    let screen = render(&s, 100, 30);
    for text in [
        "⚠ overdue",
        "due today",
        "hand over",
        "to Hebei",
        "from Hangzhou",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    // The overdue loan is out already: no second handover.
    assert!(key(&mut s, KeyCode::Char('h')).is_empty());
    assert!(s.dialog.is_none());
    assert!(s.toast.as_ref().is_some_and(|t| t.error));
    // Handing over the projectors due out today: tags and a note.
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    assert!(key(&mut s, KeyCode::Char('h')).is_empty(), "a dialog first");
    assert!(render(&s, 80, 24).contains("Hand over"));
    keys(&mut s, "PJ-1, PJ-2");
    key(&mut s, KeyCode::Tab);
    keys(&mut s, "ok");
    let op = asset_op(&key(&mut s, KeyCode::Enter));
    assert_eq!(
        op,
        AssetOp::Handover {
            booking: s.warehouse_loans()[2].loan.booking.clone(),
            tags: vec!["PJ-1".into(), "PJ-2".into()],
            note: "ok".into(),
        }
    );
    assert!(s.dialog.is_none());
    // Taking back the tables due today: all 4 units, one damaged.
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Char('b'));
    assert!(render(&s, 80, 24).contains("takes all 4 units back"));
    keys(&mut s, "9");
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "9 damaged of 4");
    assert!(s.dialog.is_some(), "the dialog stays to be corrected");
    key(&mut s, KeyCode::Backspace);
    keys(&mut s, "1");
    key(&mut s, KeyCode::Tab);
    keys(&mut s, "桌腿松动");
    let op = asset_op(&key(&mut s, KeyCode::Enter));
    let AssetOp::Return {
        units,
        damaged,
        note,
        ..
    } = op
    else {
        panic!("{op:?}");
    };
    assert_eq!((units, damaged, note.as_str()), (4, 1, "桌腿松动"));
    // Esc leaves a dialog without sending anything.
    key(&mut s, KeyCode::Char('b'));
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(s.dialog.is_none());
}

#[test]
fn a_receipt_and_answers_to_offers_are_sent_only_after_confirming() {
    let mut s = on(Lang::Zh, Screen::Warehouse);
    // Our own loan of chairs, handed over: we countersign it.
    let mine = s
        .warehouse_loans()
        .iter()
        .position(|r| r.borrowed && r.loan.status == LoanStatus::HandedOver)
        .expect("our loan");
    s.warehouse.selected = mine;
    assert!(key(&mut s, KeyCode::Char('s')).is_empty());
    assert!(render(&s, 80, 24).contains("签收这次交付"));
    assert!(key(&mut s, KeyCode::Char('n')).is_empty());
    assert!(s.dialog.is_none());
    key(&mut s, KeyCode::Char('s'));
    let op = asset_op(&key(&mut s, KeyCode::Char('y')));
    assert!(matches!(op, AssetOp::Receive { booking } if booking.local == "w4"));
    // Only the borrower countersigns: not on a loan we lent.
    s.warehouse.selected = 0;
    key(&mut s, KeyCode::Char('s'));
    assert!(s.dialog.is_none());

    // The offer made to us comes first among the transfers.
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    assert!(render(&s, 100, 30).contains("档案柜"));
    assert!(key(&mut s, KeyCode::Char('a')).is_empty());
    assert!(render(&s, 80, 24).contains("接收这项调剂"));
    let op = asset_op(&key(&mut s, KeyCode::Char('y')));
    assert!(matches!(
        op,
        AssetOp::Answer {
            seq: 7,
            accept: true,
            ..
        }
    ));
    key(&mut s, KeyCode::Char('x'));
    let op = asset_op(&key(&mut s, KeyCode::Enter));
    assert!(matches!(op, AssetOp::Answer { accept: false, .. }));
    // An offer we made (already accepted) has nothing to answer.
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Char('a'));
    assert!(s.dialog.is_none());
}

#[test]
fn the_inventory_marks_discrepancies_and_idle_assets_and_takes_the_owners_steps() {
    let mut s = on(Lang::En, Screen::Warehouse);
    key(&mut s, KeyCode::Tab);
    let screen = render(&s, 80, 24);
    assert!(screen.contains("4 (-1)"), "a count one short: {screen}");
    assert!(screen.contains("idle"), "the desktops are unused: {screen}");
    // Nothing is damaged among the projectors.
    key(&mut s, KeyCode::Char('m'));
    assert!(s.dialog.is_none());
    // The tables: repair one unit.
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Char('m'));
    let op = asset_op(&key(&mut s, KeyCode::Enter));
    assert!(matches!(op, AssetOp::Repair { units: 1, .. }), "{op:?}");
    // Dispose of two, recycled, with a reason.
    key(&mut s, KeyCode::Char('d'));
    keys(&mut s, "2");
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Right);
    key(&mut s, KeyCode::Tab);
    keys(&mut s, "broken");
    let op = asset_op(&key(&mut s, KeyCode::Enter));
    assert_eq!(
        op,
        AssetOp::Dispose {
            resource: s.my_inventory()[1].resource.clone(),
            units: 2,
            tags: Vec::new(),
            reason: "broken".into(),
            method: Disposal::Recycle,
        }
    );
    // Offer two units to an agency named by part of its name.
    key(&mut s, KeyCode::Char('t'));
    keys(&mut s, "nowhere");
    assert!(
        key(&mut s, KeyCode::Enter).is_empty(),
        "nobody by that name"
    );
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    keys(&mut s, "杭州");
    assert!(render(&s, 100, 30).contains("◀ Hangzhou Government Affairs ▶"));
    key(&mut s, KeyCode::Tab);
    keys(&mut s, "2");
    let op = asset_op(&key(&mut s, KeyCode::Enter));
    assert!(
        matches!(op, AssetOp::Offer { to, units: Some(2), .. } if to == fixture::agency(1)),
        "{op:?}"
    );
    // A count: the expected number is offered, the first digit replaces it.
    key(&mut s, KeyCode::Char('i'));
    keys(&mut s, "4");
    let op = asset_op(&key(&mut s, KeyCode::Enter));
    assert!(matches!(op, AssetOp::Count { counted: 4, .. }), "{op:?}");
}

#[test]
fn inventory_transfers_and_a_dialog_in_both_languages_at_80x24() {
    for lang in [Lang::Zh, Lang::En] {
        let mut s = on(lang, Screen::Warehouse);
        update(&mut s, Action::Resize(80, 24));
        let l = format!("{lang:?}").to_lowercase();
        key(&mut s, KeyCode::Tab);
        key(&mut s, KeyCode::Down);
        insta::assert_snapshot!(format!("warehouse_inventory_{l}_80x24"), render(&s, 80, 24));
        key(&mut s, KeyCode::Char('d'));
        key(&mut s, KeyCode::Tab);
        insta::assert_snapshot!(format!("warehouse_dispose_{l}_80x24"), render(&s, 80, 24));
        key(&mut s, KeyCode::Esc);
        key(&mut s, KeyCode::Tab);
        insta::assert_snapshot!(format!("warehouse_transfers_{l}_80x24"), render(&s, 80, 24));
    }
}

#[test]
fn an_asset_found_by_the_finder_is_booked_with_its_units_and_shows_as_our_loan() {
    let mut s = state(Lang::En);
    fixture::with_warehouse(&mut s);
    let chairs = s
        .data
        .resources
        .iter()
        .find(|r| r.id.local == "a-chairs")
        .expect("the chairs")
        .id
        .clone();
    key(&mut s, KeyCode::Char('3'));
    s.find.form.set(find_field::QUANTITY, "12");
    s.find.form.set(find_field::KIND, "公物仓资产");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::Slots(q)] if q.kind == Some(ResourceKind::WarehouseAsset) && q.quantity == 12),
        "{fx:?}"
    );
    let slot = crdt_model::availability::Candidate {
        resource: chairs.clone(),
        start: shanghai(day(7), 9, 0),
        end: shanghai(day(9), 18, 0),
        spare: 30,
        competing: 0,
    };
    update(&mut s, Action::Slots(Ok(vec![slot])));
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(
        s.dialog.is_none(),
        "an asset is booked, not requested as a trip"
    );
    assert_eq!(s.screen, Screen::Book);
    keys(&mut s, "表彰大会");
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Book(r)] = fx.as_slice() else {
        panic!("a booking: {fx:?}");
    };
    assert_eq!((r.resource.clone(), r.quantity), (chairs.clone(), 12));
    // Once confirmed it is a loan of ours on the warehouse screen.
    let mut data = s.data.clone();
    let mut loan = data.loans[3].clone();
    loan.booking = crdt_model::ids::BookingId::new(fixture::agency(0), "new").expect("id");
    loan.status = LoanStatus::Booked;
    loan.handover = None;
    loan.units = 12;
    data.loans.push(loan);
    update(&mut s, Action::Data(Box::new(data)));
    key(&mut s, KeyCode::Char('0'));
    assert!(locals(&s).contains(&"new".to_string()));
    assert!(render(&s, 100, 30).contains("×12"));
}
