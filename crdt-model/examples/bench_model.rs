//! Model benchmark: signed booking changes verified + applied per second,
//! resident memory per 100,000 stored bookings, and free-slot search over
//! 1,000 resources for one week.
//!
//! ```sh
//! cargo run --release -p crdt-model --features test-utils --example bench_model [-- --bookings 100000]
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

use crdt_model::agency::AgencyKey;
use crdt_model::availability::{SlotQuery, find_slots};
use crdt_model::booking::{BookingRequest, Decision, Terms, Verdict};
use crdt_model::calendar::calendar;
use crdt_model::doc::DocWriter;
use crdt_model::hlc::Hlc;
use crdt_model::ids::{AgencyId, BookingId, DocId, ResourceId, shard_of};
use crdt_model::ledger::Ledger;
use crdt_model::membership::{Role, Roster, RosterAction};
use crdt_model::record::Record;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::signed::SignedChange;
use crdt_model::sim::{Rng, test_key, test_profile, test_resource};
use jiff::Timestamp;

const AGENCIES: usize = 50;

/// Counts live heap bytes, to measure what the ledger itself holds.
struct Counting;
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        LIVE.fetch_sub(l.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(p, l) }
    }
}
#[global_allocator]
static ALLOC: Counting = Counting;

fn live_mib() -> f64 {
    LIVE.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1_048_576.0
}
const START_S: i64 = 1_796_083_200; // 2026-12-01T00:00Z

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap()
}

struct World {
    keys: Vec<AgencyKey>,
    roster: Roster,
    resources: Vec<ResourceId>,
    catalog: Vec<SignedChange>,
}

fn world(resources_per_agency: usize) -> World {
    let keys: Vec<AgencyKey> = (0..AGENCIES).map(test_key).collect();
    let (mut roster, _) =
        Roster::create(&keys[0], "bench", test_profile(&keys[0], 0), Hlc::default());
    for (i, k) in keys.iter().enumerate().skip(1) {
        roster.act(
            &keys[0],
            Hlc {
                wall_ms: 1,
                counter: i as u32,
            },
            RosterAction::Admit {
                profile: test_profile(k, i),
                role: Role::Member,
                invitation: None,
            },
        );
    }
    let mut catalog = Vec::new();
    let mut resources = Vec::new();
    for k in &keys {
        let doc = DocId::catalog(k.id());
        let mut w = DocWriter::new(k, doc, &[]).unwrap();
        let recs: Vec<Record> = (0..resources_per_agency)
            .map(|j| {
                let cap = if j % 3 == 0 {
                    Capacity::Units(4)
                } else {
                    Capacity::People(12)
                };
                let r = test_resource(k.id(), &format!("r{j}"), cap, Approval::Automatic);
                resources.push(r.id.clone());
                Record::Resource(Box::new(r))
            })
            .collect();
        catalog.push(w.write(k, &recs, START_S).unwrap());
    }
    World {
        keys,
        roster,
        resources,
        catalog,
    }
}

/// `n` booking requests, one signed change each, spread over agencies and
/// resources; with `confirm`, the owners also confirm a non-overlapping subset.
fn bookings(w: &World, n: usize, confirm: bool) -> Vec<SignedChange> {
    let mut rng = Rng::new(42);
    let shard = shard_of(ts(START_S));
    let mut writers: BTreeMap<(usize, AgencyId), DocWriter> = BTreeMap::new();
    let mut dec_writers: BTreeMap<usize, DocWriter> = BTreeMap::new();
    let mut dec_seq: BTreeMap<ResourceId, u64> = BTreeMap::new();
    let mut out = Vec::with_capacity(n * 2);
    for i in 0..n {
        let a = rng.below(AGENCIES as u64) as usize;
        let rid = w.resources[rng.below(w.resources.len() as u64) as usize].clone();
        let key = &w.keys[a];
        let writer = writers.entry((a, rid.owner)).or_insert_with(|| {
            DocWriter::new(key, DocId::requests(key.id(), rid.owner, shard), &[]).unwrap()
        });
        let slot = i as i64 % (7 * 20);
        let start = START_S + 8 * 3600 + slot * 3600;
        let id = BookingId::new(key.id(), &format!("b{i}")).unwrap();
        let req = BookingRequest {
            by: None,
            wait_list: false,
            id: id.clone(),
            resource: rid.clone(),
            contact: "张三 138-0000-0000".into(),
            purpose: "工作会议".into(),
            start: ts(start),
            end: ts(start + 3600),
            quantity: 2,
            hlc: Hlc {
                wall_ms: i as i64,
                counter: 0,
            },
            series: None,
        };
        out.push(writer.write(key, &[Record::Request(req)], START_S).unwrap());
        if confirm {
            let owner = w.keys.iter().position(|k| k.id() == rid.owner).unwrap();
            let okey = &w.keys[owner];
            let seq = dec_seq.entry(rid.clone()).or_insert(0);
            *seq += 1;
            let dw = dec_writers.entry(owner).or_insert_with(|| {
                DocWriter::new(okey, DocId::decisions(okey.id(), shard), &[]).unwrap()
            });
            let d = Decision {
                by: None,
                author: rid.owner,
                resource: rid,
                seq: *seq,
                booking: id,
                terms: Terms {
                    start: ts(start),
                    end: ts(start + 3600),
                    quantity: 2,
                },
                verdict: Verdict::Confirm,
                hlc: Hlc {
                    wall_ms: i as i64,
                    counter: 1,
                },
            };
            out.push(dw.write(okey, &[Record::Decision(d)], START_S).unwrap());
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--bookings")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(100_000);
    if let Some(i) = args.iter().position(|a| a == "--resident") {
        // Child process of the memory figure: ingest the changes streamed
        // from a file and report this process's resident size.
        let path = args.get(i + 1).expect("--resident FILE");
        resident_child(std::path::Path::new(path));
        return;
    }
    println!("== model benchmark (release build, one core)");
    println!(
        "command: cargo run --release -p crdt-model --features test-utils --example bench_model -- --bookings {n}"
    );

    let w = world(4);
    throughput(&w);
    memory(&w, n);
    availability();
}

/// Step 1: verify + apply throughput.
fn throughput(w: &World) {
    let changes = bookings(w, 20_000, false);
    let mut ledger = Ledger::new(w.roster.clone());
    ledger.ingest(w.catalog.clone());
    let t = Instant::now();
    let rep = ledger.ingest(changes.clone());
    let el = t.elapsed().as_secs_f64();
    assert_eq!(rep.accepted.len(), changes.len());
    println!(
        "verify+apply: {} signed booking changes in {:.3} s = {:.0} changes/s (target ≥ 20,000/s)",
        changes.len(),
        el,
        changes.len() as f64 / el
    );
}

/// Step 2, memory per 100k stored bookings: the ledger's heap, a fresh
/// process's resident size, and a whole engine with its calendar cache.
fn memory(w: &World, n: usize) {
    let changes = bookings(w, n, false);
    let bytes: usize = changes.iter().map(|c| c.change.len() + 64 + 100).sum();
    let before = rss_kib();
    let live_before = live_mib();
    let mut ledger = Ledger::new(w.roster.clone());
    ledger.ingest(w.catalog.clone());
    let t = Instant::now();
    // As the network delivers them: messages of at most 1,000 changes.
    for chunk in changes.chunks(1_000) {
        ledger.ingest(chunk.to_vec());
    }
    let el = t.elapsed().as_secs_f64();
    let held = live_mib() - live_before;
    let after = rss_kib();
    let per100k = held * 100_000.0 / n as f64;
    println!(
        "memory: {n} bookings ingested in {el:.2} s; ledger holds {held:.1} MiB of heap = {per100k:.1} MiB per 100,000 bookings (target ≤ 100 MB); process RSS {:.0} MiB; wire size {:.1} MiB",
        after as f64 / 1024.0,
        bytes as f64 / 1048576.0
    );
    let _ = before;
    drop(ledger);
    // Resident size, measured in a fresh process that streams the same
    // changes from a file (so the benchmark's own copy is not counted).
    let file = std::env::temp_dir().join(format!("tongchou-bench-{}.bin", std::process::id()));
    write_changes(&file, &changes);
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .arg("--resident")
        .arg(&file)
        .output()
        .expect("child");
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&out.stdout);
    let kib: Vec<f64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if let [base, after] = kib[..] {
        let per100k = (after - base) / 1024.0 * 100_000.0 / n as f64;
        println!(
            "memory: resident size of a process holding them: {:.0} MiB ({:.0} MiB before ingesting) = {per100k:.1} MiB ({:.1} MB) per 100,000 bookings",
            after / 1024.0,
            base / 1024.0,
            per100k * 1.048_576
        );
    }
    // The same through a whole engine: ledger plus the cached calendars.
    let changes = bookings(w, n, false);
    let live_before = live_mib();
    let mut all = w.catalog.clone();
    all.extend(changes.iter().cloned());
    let (engine, _) = crdt_model::engine::Engine::new(
        w.keys[0].clone(),
        w.roster.clone(),
        Default::default(),
        all,
    );
    let held = live_mib() - live_before;
    println!(
        "memory: engine (ledger + calendar cache) holds {:.1} MiB per 100,000 bookings",
        held * 100_000.0 / n as f64
    );
    drop(engine);
    drop(changes);
}

/// Step 3: free-slot search over 1,000 resources for one week.
fn availability() {
    let w = world(20);
    assert_eq!(w.resources.len(), 1_000);
    let changes = bookings(&w, 5_000, true);
    let mut ledger = Ledger::new(w.roster.clone());
    ledger.ingest(w.catalog.clone());
    ledger.ingest(changes);
    let idx = ledger.index();
    let cals: BTreeMap<_, _> = w
        .resources
        .iter()
        .map(|r| (r.clone(), calendar(idx, ledger.roster(), r)))
        .collect();
    let confirmed: usize = cals.values().map(|c| c.confirmed.len()).sum();
    let mut q = SlotQuery {
        kind: None,
        city: Some("Hangzhou".into()),
        owner: None,
        quantity: 8,
        features: Default::default(),
        duration_minutes: 120,
        from: ts(START_S),
        to: ts(START_S + 7 * 86_400),
        step_minutes: 30,
        limit: 20,
        per_resource: 3,
        requester: w.keys[1].id(),
    };
    let now = ts(START_S);
    let runs = 50;
    let t = Instant::now();
    let mut found = 0;
    for i in 0..runs {
        q.from = ts(START_S + (i % 5) * 3600);
        found += find_slots(
            idx.resources.values().map(|r| &**r),
            |r| cals.get(r),
            &q,
            now,
        )
        .len();
    }
    let per = t.elapsed().as_secs_f64() * 1000.0 / runs as f64;
    println!(
        "availability: 1,000 resources ({confirmed} confirmed bookings), one-week window, 2 h for 8 people: {per:.2} ms per search, {} candidates (target ≤ 5 ms)",
        found / runs as usize
    );
}

/// Writes changes as `doc \n signer sig len change` records.
fn write_changes(path: &std::path::Path, changes: &[SignedChange]) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("temp file"));
    for c in changes {
        let doc = c.doc.to_string();
        f.write_all(&(doc.len() as u16).to_le_bytes()).unwrap();
        f.write_all(doc.as_bytes()).unwrap();
        f.write_all(&c.sig).unwrap();
        f.write_all(&(c.change.len() as u32).to_le_bytes()).unwrap();
        f.write_all(&c.change).unwrap();
    }
    f.flush().unwrap();
}

/// The child of the resident-size figure: prints RSS (KiB) before and
/// after ingesting the file's changes in messages of 1,000.
fn resident_child(path: &std::path::Path) {
    use std::io::Read;
    let w = world(4);
    let mut ledger = Ledger::new(w.roster.clone());
    ledger.ingest(w.catalog.clone());
    let base = rss_kib();
    let mut f = std::io::BufReader::new(std::fs::File::open(path).expect("file"));
    let mut chunk = Vec::with_capacity(1_000);
    loop {
        let mut len2 = [0u8; 2];
        if f.read_exact(&mut len2).is_err() {
            break;
        }
        let mut doc = vec![0u8; u16::from_le_bytes(len2) as usize];
        f.read_exact(&mut doc).unwrap();
        let doc: DocId = String::from_utf8(doc).unwrap().parse().unwrap();
        let mut sig = [0u8; 64];
        f.read_exact(&mut sig).unwrap();
        let mut len4 = [0u8; 4];
        f.read_exact(&mut len4).unwrap();
        let mut change = vec![0u8; u32::from_le_bytes(len4) as usize];
        f.read_exact(&mut change).unwrap();
        chunk.push(SignedChange {
            v: crdt_model::signed::ENVELOPE_VERSION,
            signer: doc.owner,
            doc,
            sig,
            change,
            seq: 0,
        });
        if chunk.len() == 1_000 {
            ledger.ingest(std::mem::take(&mut chunk));
        }
    }
    ledger.ingest(chunk);
    println!("{base} {}", rss_kib());
    std::hint::black_box(&ledger);
}
