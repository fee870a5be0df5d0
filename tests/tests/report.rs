//! Reports between real nodes: two nodes holding the same bookings print
//! the same report; the CSV parses with the same figures; the Excel
//! workbook opens in a reader library with them; a bad period is refused.

use std::time::Duration;

use calamine::{Reader, Xlsx};
use crdt_model::calendar::Booking;
use crdt_model::report::Report;
use harness::{network, wait_for};

#[test]
fn two_nodes_print_the_same_report_in_every_format() {
    let nodes = network("report", 2);
    let (owner, other) = (&nodes[0], &nodes[1]);
    let room = format!("{}/room", owner.agency());
    owner.ok(&[
        "resource",
        "add",
        "--id",
        "room",
        "--name",
        "第一会议室",
        "--people",
        "10",
        "--open",
        "08:00-18:00",
        "--city",
        "深圳",
    ]);
    other.wait_resource(&room);
    // Two bookings on the next weekday: 2 h by the other agency, 3 h by the
    // owner; 10 h open that day.
    let day = harness::workday(1, "00:00");
    let date = &day[..10];
    let b1: Booking = other.json(&[
        "book",
        &room,
        "--from",
        &format!("{date}T09:00"),
        "--to",
        &format!("{date}T11:00"),
        "--quantity",
        "4",
        "--purpose",
        "例会",
    ]);
    let b2: Booking = owner.json(&[
        "book",
        &room,
        "--from",
        &format!("{date}T13:00"),
        "--to",
        &format!("{date}T16:00"),
        "--quantity",
        "6",
        "--purpose",
        "培训",
    ]);
    for n in &nodes {
        n.wait_confirmed(&b1.id);
        n.wait_confirmed(&b2.id);
    }
    let args = ["report", "--from", date, "--to", date, "--format", "json"];
    let reports: Vec<Report> = nodes
        .iter()
        .map(|n| {
            wait_for("the report", Duration::from_secs(10), || {
                let r: Report = n.json(&args);
                (r.total.booked_hours == 5.0).then_some(r)
            })
        })
        .collect();
    assert_eq!(reports[0], reports[1], "both nodes print the same report");
    let row = reports[0]
        .rows
        .iter()
        .find(|r| r.key == room)
        .expect("the room's row");
    assert_eq!((row.open_hours, row.booked_hours), (10.0, 5.0));
    assert!((row.utilisation - 0.5).abs() < 1e-9);
    assert!((row.cross_agency_share - 0.4).abs() < 1e-9);

    // CSV: a header and the same figures.
    let text = other.ok(&[
        "--lang", "en", "report", "--from", date, "--to", date, "--format", "csv",
    ]);
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let headers = rd.headers().expect("a header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("a row")).collect();
    let room_row = recs.iter().find(|r| r[col("key")] == room).expect("room");
    assert_eq!(&room_row[col("utilisation %")], "50.0");
    assert_eq!(&room_row[col("booked h")], "5.0");

    // Excel: opened by a reader, the same figures.
    let dir = harness::fresh_dir("report-xlsx");
    let path = dir.join("report.xlsx");
    let p = path.to_string_lossy().to_string();
    owner.ok(&[
        "--lang", "en", "report", "--from", date, "--to", date, "--format", "xlsx", "--out", &p,
    ]);
    let mut book: Xlsx<_> = calamine::open_workbook(&path).expect("an xlsx workbook");
    let sheet = book.worksheet_range("Report").expect("the Report sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][5], "utilisation %");
    let room_row = rows
        .iter()
        .find(|r| r[1] == room)
        .expect("room in the sheet");
    assert_eq!(room_row[4], "5");
    assert_eq!(room_row[5], "0.5");

    // Bad input changes nothing and says why.
    let bad = owner.cli(&["report", "--from", date, "--to", "2020-01-01"]);
    assert!(!bad.status.success());
    let bad = owner.cli(&["report", "--from", date, "--to", date, "--format", "xlsx"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--out"));
}
