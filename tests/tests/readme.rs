//! The README's "Use it" commands, run as written against real nodes on
//! 127.0.0.1, so the block cannot drift from what the binary does.
//!
//! Every `tongchou` line above the cross-city part is read from README.md
//! and run with its `~/tc/…` homes in a fresh directory. Only what a reader
//! fills in by hand is filled in: `<TOKEN>` (what `invite` printed),
//! `<OWNER>` (Shenzhen's agency id), `<BOOKING>` (the id `book` printed),
//! `<AGENCY>` (Hangzhou's id). `run` lines start the node through the
//! harness on 127.0.0.1 with an ephemeral port instead of the README's
//! public listen address. Before a command that needs another node's data
//! the test waits for it, as a reader would.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crdt_model::booking::Status;
use harness::{Node, fresh_dir, tongchou, wait_for};

/// The shell lines of the README's "Use it" block, up to the cross-city part.
fn readme_lines() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
        .expect("README.md");
    let from = text.find("## Use it").expect("a Use it section");
    let block = &text[from..];
    let start = block.find("```sh").expect("a sh block") + "```sh".len();
    let end = block.find("# Across cities").expect("the cross-city part");
    block[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("tongchou "))
        .map(|l| {
            // A trailing comment starts with whitespace then `#`.
            let l = match l.find("  #").or_else(|| l.find(" # ")) {
                Some(i) => &l[..i],
                None => l,
            };
            l.trim().trim_end_matches('&').trim().to_string()
        })
        .collect()
}

/// Splits a command line into words, keeping "double-quoted" words whole.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// What the reader filled in so far.
#[derive(Default)]
struct Filled {
    token: Option<String>,
    owner: Option<String>,
    booking: Option<String>,
    agency: Option<String>,
}

impl Filled {
    fn fill(&self, line: &str) -> String {
        let mut l = line.to_string();
        for (key, value) in [
            ("<TOKEN>", &self.token),
            ("<OWNER>", &self.owner),
            ("<BOOKING>", &self.booking),
            ("<AGENCY>", &self.agency),
        ] {
            if l.contains(key) {
                let v = value
                    .as_deref()
                    .unwrap_or_else(|| panic!("{key} needed before it is known: {line}"));
                l = l.replace(key, v);
            }
        }
        l
    }
}

/// Runs one command in `dir` (where `rooms.csv` and `room.ics` live);
/// stdout goes to `redirect` when given.
fn run(dir: &Path, args: &[String], redirect: Option<&str>) -> String {
    let out = Command::new(tongchou())
        .args(args)
        .current_dir(dir)
        .env("TZ", harness::ZONE)
        .env("RUST_LOG", "warn")
        .env_remove("LANG")
        .stdin(Stdio::null())
        .output()
        .expect("running tongchou");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "README command failed: tongchou {}\nstdout: {stdout}\nstderr: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(file) = redirect {
        std::fs::write(dir.join(file), &stdout).expect("writing the redirect");
    }
    stdout
}

#[test]
fn the_readme_use_it_block_runs_as_written() {
    let lines = readme_lines();
    assert!(lines.len() >= 15, "the block was found: {lines:?}");
    let dir = fresh_dir("readme");
    std::fs::write(
        dir.join("rooms.csv"),
        "id,name,name_en,city,city_en,people,feature\n\
         room-302,第二会议室,Room 302,深圳,Shenzhen,20,video;projector\n",
    )
    .expect("rooms.csv");
    let mut nodes: Vec<Node> = Vec::new();
    let mut filled = Filled::default();
    for line in &lines {
        let line = filled.fill(&line.replace("~/tc/", &format!("{}/", dir.join("tc").display())));
        let mut w = words(&line);
        assert_eq!(w.first().map(String::as_str), Some("tongchou"));
        w.remove(0);
        let redirect = match w.iter().position(|x| x == ">") {
            Some(i) => {
                let file = w.get(i + 1).cloned();
                w.truncate(i);
                file
            }
            None => None,
        };
        assert_eq!(w[0], "--home", "every line names its home: {line}");
        let home = PathBuf::from(&w[1]);
        let name = home
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let cmd = w[2].clone();
        match cmd.as_str() {
            "run" => {
                let mut n = Node::new(&tongchou(), &name, home.clone());
                n.start().unwrap_or_else(|e| panic!("{line}: {e}"));
                if name == "sz" {
                    filled.owner = Some(n.agency().to_string());
                } else {
                    filled.agency = Some(n.agency().to_string());
                    // Hangzhou joined through Shenzhen's token: wait for the
                    // two to meet, as a reader would before going on.
                    let sz = &nodes[0];
                    wait_for("the two nodes connected", Duration::from_secs(30), || {
                        (sz.connected_peers() > 0).then_some(())
                    });
                }
                nodes.push(n);
                continue;
            }
            "slots" | "book" | "ics" if name == "hz" => {
                let room = format!("{}/room-301", filled.owner.as_deref().unwrap_or_default());
                node(&nodes, "hz").wait_resource(&room);
            }
            "decide" => {
                let id: crdt_model::ids::BookingId = filled
                    .booking
                    .as_deref()
                    .and_then(|b| b.parse().ok())
                    .expect("a booking id");
                let sz = node(&nodes, "sz");
                wait_for(
                    "the request reached its owner",
                    Duration::from_secs(30),
                    || {
                        sz.bookings(&["--pending"])
                            .iter()
                            .any(|b| b.id == id)
                            .then_some(())
                    },
                );
            }
            _ => {}
        }
        let out = run(&dir, &w, redirect.as_deref());
        match cmd.as_str() {
            "invite" => {
                filled.token = out
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(str::to_string)
            }
            "book" => {
                filled.booking = out
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("booking "))
                    .map(str::to_string);
                assert!(filled.booking.is_some(), "book printed its id: {out}");
            }
            "slots" => assert!(out.lines().count() > 1, "a free slot was found: {out}"),
            _ => {}
        }
    }
    // What the block did, checked on the nodes themselves.
    let sz = node(&nodes, "sz");
    let booked: crdt_model::ids::BookingId = filled
        .booking
        .as_deref()
        .and_then(|b| b.parse().ok())
        .expect("booked");
    let b = sz
        .bookings(&[])
        .into_iter()
        .find(|b| b.id == booked)
        .expect("the booking");
    assert_eq!(b.status, Status::Confirmed, "approved by its owner");
    assert_eq!(b.terms.quantity, 10);
    let ics = std::fs::read_to_string(dir.join("room.ics")).expect("room.ics");
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    let names: Vec<String> = sz.resources().iter().map(|r| r.name.en.clone()).collect();
    assert!(
        names.contains(&"Room 302".to_string()),
        "imported: {names:?}"
    );
    let hz = filled.agency.clone().expect("Hangzhou's id");
    let revoked = sz
        .members()
        .into_iter()
        .find(|m| m.agency.to_string() == hz)
        .and_then(|m| m.member.revocation().map(|(_, why)| why.to_string()));
    assert_eq!(revoked.as_deref(), Some("机构撤并"));
}

fn node<'a>(nodes: &'a [Node], name: &str) -> &'a Node {
    nodes
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("node {name} started by the README"))
}
