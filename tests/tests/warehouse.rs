//! The warehouse (公物仓) between real nodes: Shenzhen lends 3 of its 5
//! projectors to Hangzhou (handover with tags, countersigned receipt), the
//! loan runs overdue, comes back with one unit damaged → 4 available on
//! every node, repaired → 5; an inventory count lists its discrepancy; the
//! asset, idle, is transferred to Shijiazhuang (another city): from then
//! on the old owner's decisions are refused and the third node shows the
//! new owner deciding.

use std::time::Duration;

use crdt_model::asset::{InventoryRow, Loan, LoanStatus, TransferStatus, TransferView, UnitState};
use crdt_model::calendar::Booking;
use crdt_model::engine::LocalOutcome;
use crdt_model::resource::Resource;
use harness::{Node, network, wait_for};

fn inventory(node: &Node, asset: &str) -> InventoryRow {
    let rows: Vec<InventoryRow> = node.json(&["inventory", "--asset", asset]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().expect("one row")
}

fn wait_available(nodes: &[Node], asset: &str, want: u32) {
    for n in nodes {
        wait_for(
            &format!("{} shows {want} available", n.name),
            Duration::from_secs(30),
            || (inventory(n, asset).available == want).then_some(()),
        );
    }
}

fn rfc3339(t: jiff::Timestamp) -> String {
    t.round(jiff::Unit::Second).expect("rounds").to_string()
}

#[test]
fn borrow_return_damaged_repair_count_and_transfer_to_another_city() {
    let nodes = network("warehouse", 3);
    let (sz, hz, sjz) = (&nodes[0], &nodes[1], &nodes[2]);
    let owner = sz.agency().to_string();
    let asset = format!("{owner}/proj");
    sz.ok(&[
        "resource",
        "add",
        "--kind",
        "warehouse-asset",
        "--id",
        "proj",
        "--name",
        "便携投影仪",
        "--name-en",
        "Portable projector",
        "--units",
        "5",
        "--tags",
        "P1,P2,P3,P4,P5",
        "--category",
        "投影设备",
        "--year",
        "2021",
        "--min-minutes",
        "0",
        "--city",
        "深圳",
    ]);
    // More tags than units is refused with the reason, nothing published.
    let bad = sz.cli(&[
        "resource",
        "add",
        "--kind",
        "warehouse-asset",
        "--id",
        "x",
        "--name",
        "x",
        "--units",
        "1",
        "--tags",
        "A,B",
        "--city",
        "深圳",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tags"));
    for n in &nodes[1..] {
        n.wait_resource(&asset);
    }

    // Hangzhou borrows 3 for a few seconds (so that it runs overdue).
    let now = jiff::Timestamp::now();
    let b: Booking = hz.json(&[
        "book",
        &asset,
        "--from",
        &rfc3339(now + Duration::from_secs(4)),
        "--to",
        &rfc3339(now + Duration::from_secs(10)),
        "--quantity",
        "3",
        "--purpose",
        "培训",
    ]);
    hz.wait_confirmed(&b.id);
    sz.wait_confirmed(&b.id);
    let id = b.id.to_string();
    // The borrower may not hand over; the owner may not hand over a tag it
    // does not have.
    assert!(!hz.cli(&["loan", "handover", &id]).status.success());
    let wrong = sz.cli(&["loan", "handover", &id, "--tags", "P9"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("P9"));
    let o: LocalOutcome = sz.json(&["loan", "handover", &id, "--tags", "P1,P2,P3"]);
    assert!(matches!(o, LocalOutcome::Loan(l) if l.status == LoanStatus::HandedOver));
    wait_for(
        "the handover at the borrower",
        Duration::from_secs(30),
        || {
            let l: Vec<Loan> = hz.json(&["loans", "--mine"]);
            (l.first()?.status == LoanStatus::HandedOver).then_some(())
        },
    );
    let o: LocalOutcome = hz.json(&["loan", "receive", &id]);
    assert!(matches!(o, LocalOutcome::Loan(l) if l.status == LoanStatus::Received));

    // Due back and not returned: overdue at the owner.
    wait_for("the loan runs overdue", Duration::from_secs(40), || {
        let l: Vec<Loan> = sz.json(&["loans", "--overdue"]);
        (l.len() == 1 && l[0].status == LoanStatus::Received).then_some(())
    });

    // Back, one damaged: 4 available everywhere.
    let partial = sz.cli(&["loan", "return", &id, "--units", "2"]);
    assert!(!partial.status.success(), "all 3 come back in one return");
    let not_lent = sz.cli(&[
        "loan",
        "return",
        &id,
        "--units",
        "3",
        "--damaged",
        "1",
        "--damaged-tags",
        "P5",
    ]);
    assert!(!not_lent.status.success(), "P5 was not lent");
    sz.ok(&[
        "loan",
        "return",
        &id,
        "--units",
        "3",
        "--damaged",
        "1",
        "--damaged-tags",
        "P2",
        "--note",
        "镜头裂",
    ]);
    wait_available(&nodes, &asset, 4);
    let row = inventory(sjz, &asset);
    assert_eq!(row.damaged, 1);
    let p2 = row.units.iter().find(|u| u.tag == "P2").map(|u| u.state);
    assert_eq!(p2, Some(UnitState::Damaged), "{:?}", row.units);
    let overdue: Vec<Loan> = sz.json(&["loans", "--overdue"]);
    assert!(overdue.is_empty());

    // Repaired (修旧利废): 5 everywhere.
    assert!(!hz.cli(&["resource", "repair", &asset]).status.success());
    sz.ok(&["resource", "repair", &asset, "--tags", "P2", "--start"]);
    wait_for(
        "P2 under repair at Hangzhou",
        Duration::from_secs(30),
        || {
            let row = inventory(hz, &asset);
            (row.under_repair == 1 && row.available == 4).then_some(())
        },
    );
    sz.ok(&["resource", "repair", &asset, "--tags", "P2"]);
    wait_available(&nodes, &asset, 5);

    // An inventory count that finds one missing.
    let o: LocalOutcome = sz.json(&["inventory", "count", &asset, "--counted", "4"]);
    let LocalOutcome::Inventory(row) = o else {
        panic!("an inventory row: {o:?}");
    };
    assert_eq!((row.expected, row.discrepancy), (5, Some(-1)));
    let off: Vec<InventoryRow> = sz.json(&["inventory", "--discrepancies"]);
    assert_eq!(off.len(), 1);

    // Idle assets (unused for 30 days, nothing ahead) are listed for
    // transfer: the folding tables, not the projectors just lent.
    sz.ok(&[
        "resource",
        "add",
        "--kind",
        "warehouse-asset",
        "--id",
        "tables",
        "--name",
        "折叠桌",
        "--units",
        "20",
        "--city",
        "深圳",
    ]);
    let tables = format!("{owner}/tables");
    sjz.wait_resource(&tables);
    let idle: Vec<Resource> = sjz.json(&["resources", "--idle-days", "30"]);
    let idle: Vec<String> = idle.iter().map(|r| r.id.to_string()).collect();
    assert!(idle.contains(&tables) && !idle.contains(&asset), "{idle:?}");

    // Transferred to Shijiazhuang; Hangzhou asks meanwhile.
    let new_owner = sjz.agency();
    let offer: LocalOutcome = sz.json(&[
        "transfer",
        "offer",
        &asset,
        "--to",
        &new_owner.to_string(),
        "--note",
        "闲置调剂",
    ]);
    let LocalOutcome::Transfer(offer) = offer else {
        panic!("an offer: {offer:?}");
    };
    let tomorrow = rfc3339(jiff::Timestamp::now() + Duration::from_secs(86_400));
    let later = rfc3339(jiff::Timestamp::now() + Duration::from_secs(90_000));
    let ask: Booking = hz.json(&[
        "book",
        &asset,
        "--from",
        &tomorrow,
        "--to",
        &later,
        "--quantity",
        "1",
    ]);
    wait_for("the offer at the receiver", Duration::from_secs(30), || {
        let t: Vec<TransferView> = sjz.json(&["transfers", "--pending"]);
        (t.len() == 1).then_some(())
    });
    let o: LocalOutcome = sjz.json(&["transfer", "accept", &offer.id]);
    assert!(matches!(o, LocalOutcome::Transfer(t) if t.status == TransferStatus::Accepted));

    // Every node: the new owner, same id; the new owner decides Hangzhou's
    // request, the old owner can no longer.
    for n in &nodes {
        wait_for(
            &format!("{} sees the new owner", n.name),
            Duration::from_secs(30),
            || {
                let r = n
                    .resources()
                    .into_iter()
                    .find(|r| r.id.to_string() == asset)?;
                (r.owner() == new_owner).then_some(())
            },
        );
    }
    wait_for("the request confirmed", Duration::from_secs(30), || {
        let b = hz.booking(&ask.id)?;
        (b.status.label() == "confirmed").then_some(())
    });
    let refused = sz.cli(&["resource", "repair", &asset]);
    assert!(!refused.status.success());
    let msg = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(msg.contains("owner") || msg.contains("所属"), "{msg}");
    let row = inventory(hz, &asset);
    assert_eq!((row.owner, row.total), (new_owner, 5));
}
