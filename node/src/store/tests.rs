//! Tests of the sled store: round trips, schema marks, damaged files.

use super::*;

#[test]
fn change_encoding_round_trips() {
    let key = crdt_model::agency::AgencyKey::from_secret(&[4; 32]);
    let doc = DocId::catalog(key.id());
    let mut w = crdt_model::doc::DocWriter::new(&key, doc, &[]).unwrap();
    let p = crdt_model::agency::AgencyProfile {
        id: key.id(),
        name: Default::default(),
        city: Default::default(),
    };
    let c = w
        .write(&key, &[crdt_model::record::Record::Profile(p)], 0)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tongchou-store-{}", std::process::id()));
    {
        let s = SledStore::open(&dir).unwrap();
        s.put_changes(std::slice::from_ref(&c)).unwrap();
        s.flush().unwrap();
        assert!(matches!(
            SledStore::open(&dir),
            Err(Error::Locked(_)) | Err(Error::Sled(_))
        ));
    }
    let s = SledStore::open(&dir).unwrap();
    assert_eq!(s.changes().unwrap(), vec![c]);
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

/// A test agency's first catalogue change (its profile).
fn catalog_change() -> (crdt_model::agency::AgencyKey, SignedChange) {
    let key = crdt_model::agency::AgencyKey::from_secret(&[5; 32]);
    let p = crdt_model::agency::AgencyProfile {
        id: key.id(),
        name: Default::default(),
        city: Default::default(),
    };
    let cat = crdt_model::doc::DocWriter::new(&key, DocId::catalog(key.id()), &[])
        .unwrap()
        .write(&key, &[crdt_model::record::Record::Profile(p)], 0)
        .unwrap();
    (key, cat)
}

/// Loading reads every stored change once, requests before decisions.
#[test]
fn stored_changes_load_requests_before_decisions() {
    let (key, cat) = catalog_change();
    // The store keeps what it is given; only the keys matter here.
    let change = |doc| SignedChange { doc, ..cat.clone() };
    let shard = 2026 * 12 + 10;
    let (cat, dec, req) = (
        cat.clone(),
        change(DocId::decisions(key.id(), shard)),
        change(DocId::requests(key.id(), key.id(), shard)),
    );
    let dir = std::env::temp_dir().join(format!("tongchou-order-{}", std::process::id()));
    let s = SledStore::open(&dir).unwrap();
    s.put_changes(&[dec.clone(), req.clone(), cat.clone()])
        .unwrap();
    let loaded: Vec<DocId> = s.changes_iter().map(|c| c.unwrap().doc).collect();
    assert_eq!(loaded, vec![cat.doc, req.doc, dec.doc]);
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_store_of_another_record_schema_is_refused_clearly() {
    let dir = std::env::temp_dir().join(format!("tongchou-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (_, cat) = catalog_change();
    {
        let s = SledStore::open(&dir).expect("a new store");
        s.put_changes(&[cat]).unwrap();
        s.flush().unwrap();
    }
    assert!(SledStore::open(&dir).is_ok(), "its own schema opens again");
    {
        // A store from before the schema was marked.
        let db = sled::open(&dir).unwrap();
        db.remove("schema").unwrap();
        db.flush().unwrap();
    }
    match SledStore::open(&dir) {
        Err(e @ Error::Schema { found: 1 }) => {
            assert!(e.to_string().contains("no migration"), "{e}")
        }
        other => panic!("expected a schema error, got {:?}", other.map(|_| ())),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A store of `n` catalogue changes of one agency, flushed every 100.
pub(crate) fn filled_store(dir: &Path, n: u64) {
    let (key, _) = catalog_change();
    let s = SledStore::open(dir).expect("a new store");
    let p = crdt_model::agency::AgencyProfile {
        id: key.id(),
        name: Default::default(),
        city: Default::default(),
    };
    let mut w =
        crdt_model::doc::DocWriter::new(&key, DocId::catalog(key.id()), &[]).expect("writer");
    for i in 0..n {
        let c = w
            .write(
                &key,
                &[crdt_model::record::Record::Profile(p.clone())],
                i as i64,
            )
            .expect("change");
        s.put_changes(&[c]).expect("put");
        if i % 100 == 0 {
            s.flush().expect("flush");
        }
    }
    s.flush().expect("flush");
}

/// sled 0.34 panics ("tried to serialize Uninitialized") on a database
/// file cut in half; the store says it is damaged and what to do. Where
/// the cut lands depends on how sled laid the log out (its background
/// flushes run on a timer, so the layout varies with the machine's load):
/// at some cuts sled recovers a shorter log instead. So the file is cut at
/// several points: none may panic or fail otherwise, and the cuts sled
/// cannot recover from must give the clear error.
#[test]
fn a_truncated_database_file_is_a_clear_error_not_a_panic() {
    let mut damaged = 0;
    for (num, den) in [(1, 2), (1, 4), (3, 4), (1, 8)] {
        let dir = std::env::temp_dir().join(format!(
            "tongchou-damaged-{}-{num}-{den}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        filled_store(&dir, 3000);
        let db = dir.join("db");
        let len = std::fs::metadata(&db).expect("db file").len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&db)
            .expect("open")
            .set_len(len * num / den)
            .expect("truncate");
        match SledStore::open(&dir) {
            Err(e @ Error::Damaged { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("damaged") && text.contains("tongchou restore"),
                    "{text}"
                );
                damaged += 1;
            }
            Ok(_) => {}
            Err(other) => panic!("cut at {num}/{den}: expected Damaged, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(damaged > 0, "no cut was reported as damage");
}

/// Loading skips the changes of sealed documents up to their sealed
/// length (a later one is loaded); the notes round-trip and clear.
#[test]
fn loading_skips_sealed_documents_and_their_notes_round_trip() {
    let (key, cat) = catalog_change();
    let other = crdt_model::agency::AgencyKey::from_secret(&[6; 32]).id();
    let at = |doc: &DocId, seq| SignedChange {
        doc: doc.clone(),
        seq,
        ..cat.clone()
    };
    let shard = 2026 * 12 + 6;
    let a = DocId::requests(key.id(), key.id(), shard);
    let b = DocId::decisions(key.id(), shard);
    let c = DocId::requests(key.id(), other, shard);
    let dir = std::env::temp_dir().join(format!("tongchou-sealed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let s = SledStore::open(&dir).unwrap();
    s.put_changes(&[
        cat.clone(),
        at(&a, 1),
        at(&a, 2),
        at(&a, 3),
        at(&b, 1),
        at(&b, 2),
        at(&c, 1),
    ])
    .unwrap();
    assert!(s.sealed().unwrap().is_none());
    let note = |len| SealedDoc {
        len,
        head: automerge::ChangeHash([7; 32]),
        clock: crdt_model::hlc::Hlc {
            wall_ms: 1_700_000_000_000,
            counter: 2,
        },
        bookings: vec![crdt_model::ids::BookingId::new(key.id(), "b1").unwrap()],
        decisions: vec![(format!("{}/room", key.id()).parse().unwrap(), 4)],
        resources: vec![format!("{}/room", key.id()).parse().unwrap()],
    };
    let cut = jiff::Timestamp::from_second(1_780_000_000).unwrap();
    s.put_sealed(cut, &[(a.clone(), note(2)), (b.clone(), note(2))])
        .unwrap();
    let (read_cut, notes) = s.sealed().unwrap().expect("notes");
    assert_eq!(read_cut, cut);
    assert_eq!(notes.get(&a), Some(&note(2)));
    assert_eq!(notes.len(), 2);
    let skip = notes.iter().map(|(d, n)| (d.clone(), n.len)).collect();
    let loaded: Vec<(DocId, u64)> = s
        .open_changes_iter(&skip)
        .map(|c| c.unwrap())
        .map(|c| (c.doc.clone(), c.number()))
        .collect();
    // Change 3 of `a` came after it was sealed: it is loaded.
    assert_eq!(
        loaded,
        vec![(cat.doc.clone(), 1), (a.clone(), 3), (c.clone(), 1)]
    );
    // The archive gives sealed changes back whole.
    let archive = s.archive().unwrap();
    let back = archive.signed_change(&b, 2).unwrap();
    assert_eq!(
        (back.doc.clone(), back.seq, back.sig),
        (b.clone(), 2, cat.sig)
    );
    assert!(archive.signed_change(&b, 3).is_err());
    s.clear_sealed().unwrap();
    assert!(s.sealed().unwrap().is_none());
    assert_eq!(s.changes_iter().count(), 7);
    // A clear cut short after the cut went: the notes left are not read,
    // and do not come back with the next seal.
    s.put_sealed(cut, &[(a.clone(), note(2))]).unwrap();
    s.db.remove(b"seal_cut").unwrap();
    assert!(s.sealed().unwrap().is_none());
    s.put_sealed(cut, &[(b.clone(), note(2))]).unwrap();
    let (_, notes) = s.sealed().unwrap().expect("notes");
    assert_eq!(notes.keys().collect::<Vec<_>>(), vec![&b]);
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}
