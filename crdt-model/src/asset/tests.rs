//! Unit tests of the warehouse records: keys, authorship, asset attributes.

use super::*;
use crate::record::Record;

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(s).expect("instant")
}

/// Each loan step can only be written by the agency entitled to it, in its
/// own document, and reads back from its key.
#[test]
fn loan_steps_are_written_only_by_who_is_entitled() {
    let (owner, borrower) = (AgencyId([1; 32]), AgencyId([2; 32]));
    let booking = BookingId::new(borrower, "b1").expect("id");
    let shard = crate::ids::shard_of(t(1_800_000_000));
    let receipt = Record::Loan(Box::new(LoanEvent {
        booking: booking.clone(),
        by: borrower,
        step: LoanStep::Receive,
        hlc: Hlc::default(),
    }));
    let mine = DocId::requests(borrower, owner, shard);
    let json = receipt.encode(&mine).expect("the borrower's receipt");
    assert_eq!(Record::decode(&mine, "loan/b1/receive", &json), Ok(receipt));
    // The same bytes in the owner's documents are not a receipt of the loan.
    let theirs = DocId::decisions(owner, shard);
    assert!(Record::decode(&theirs, "loan/b1/receive", &json).is_err());

    let handover = Record::Loan(Box::new(LoanEvent {
        booking: booking.clone(),
        by: owner,
        step: LoanStep::Handover {
            tags: vec!["P1".into()],
            note: "完好".into(),
        },
        hlc: Hlc::default(),
    }));
    assert!(handover.encode(&theirs).is_ok());
    assert!(
        handover
            .encode(&DocId::requests(owner, owner, shard))
            .is_err()
    );
    let bad_return = Record::Loan(Box::new(LoanEvent {
        booking,
        by: owner,
        step: LoanStep::Return {
            units: 1,
            damaged: 2,
            note: String::new(),
        },
        hlc: Hlc::default(),
    }));
    assert!(matches!(
        bad_return.encode(&theirs),
        Err(RecordError::Invalid(_))
    ));
}

/// A resource is named by its local id in its creator's records and by its
/// full id in anyone else's; an answer to an offer only by its writer, in
/// the document for the resource's creator.
#[test]
fn resource_keys_and_transfer_answers() {
    let (a, b) = (AgencyId([1; 32]), AgencyId([2; 32]));
    let rid = ResourceId::new(a, "proj").expect("id");
    assert_eq!(resource_key(&rid, a), "proj");
    assert_eq!(parse_resource_key("proj", a), Some(rid.clone()));
    let long = resource_key(&rid, b);
    assert_eq!(parse_resource_key(&long, b), Some(rid.clone()));
    // Not canonical: the full id by the creator itself.
    assert_eq!(parse_resource_key(&long, a), None);

    let answer = Record::TransferAnswer(TransferAnswer {
        resource: rid.clone(),
        seq: 3,
        by: b,
        accept: true,
        hlc: Hlc::default(),
    });
    let doc = DocId::requests(b, a, 24_322);
    let json = answer.encode(&doc).expect("encodes");
    assert_eq!(
        Record::decode(&doc, &answer.key(), &json),
        Ok(answer.clone())
    );
    assert!(answer.encode(&DocId::requests(b, b, 24_322)).is_err());
    assert!(answer.encode(&DocId::decisions(b, 24_322)).is_err());
}

#[test]
fn asset_attributes_are_checked() {
    let a = AgencyId([1; 32]);
    let mut r = crate::sim::test_resource(
        a,
        "tables",
        crate::resource::Capacity::Units(2),
        crate::resource::Approval::Automatic,
    );
    r.attributes.insert(attr::TAGS.into(), "T1, T2".into());
    assert_eq!(r.asset_tags(), ["T1", "T2"]);
    assert_eq!(r.asset_problem(), None);
    r.attributes.insert(attr::TAGS.into(), "T1,T2,T3".into());
    assert!(r.asset_problem().is_some(), "3 tags for 2 units");
    r.attributes.insert(attr::TAGS.into(), "T1,T1".into());
    assert!(r.asset_problem().is_some(), "a tag twice");
    r.attributes.remove(attr::TAGS);
    r.attributes.insert(attr::YEAR.into(), "去年".into());
    assert!(r.asset_problem().is_some());
    assert_eq!("拍卖".parse::<Disposal>(), Ok(Disposal::Auction));
    assert_eq!("recycle".parse::<Disposal>(), Ok(Disposal::Recycle));
    assert!("烧掉".parse::<Disposal>().is_err());
}
