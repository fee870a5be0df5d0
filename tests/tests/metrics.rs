//! `/metrics` on a real node: the Prometheus text parses, and its figures
//! are the node's (bookings by status, peers, refusals, API durations),
//! the same as `status` shows; without the token it is refused.

use std::io::{Read, Write};
use std::net::TcpStream;

use crdt_model::calendar::Booking;
use harness::network;
use prometheus_parse::{Sample, Scrape, Value};

/// `GET path` on the node's API with `token` (if any): status and body.
fn get(node: &harness::Node, path: &str, token: Option<&str>) -> (u16, String) {
    let addr = node.info().addr.clone();
    let mut s = TcpStream::connect(&addr).expect("the API listens");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("an answer");
    let (head, body) = raw.split_once("\r\n\r\n").expect("headers and body");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    // A chunked body: keep the chunks' data only.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        body.to_string()
    };
    (code, body)
}

fn value(samples: &[Sample], metric: &str, label: Option<(&str, &str)>) -> f64 {
    samples
        .iter()
        .find(|s| s.metric == metric && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
            Value::Summary(_) => f64::NAN,
        })
        .unwrap_or_else(|| panic!("no {metric} {label:?} in {samples:#?}"))
}

#[test]
fn metrics_parse_and_say_what_the_node_holds() {
    let nodes = network("metrics", 2);
    let (a, b) = (&nodes[0], &nodes[1]);
    let room = format!("{}/room", a.agency());
    a.ok(&[
        "resource",
        "add",
        "--id",
        "room",
        "--name",
        "会议室",
        "--people",
        "8",
        "--city",
        "深圳",
    ]);
    b.wait_resource(&room);
    let when = harness::workday(2, "10:00");
    let until = harness::workday(2, "11:00");
    let booking: Booking = b.json(&[
        "book",
        &room,
        "--from",
        &when,
        "--to",
        &until,
        "--purpose",
        "例会",
    ]);
    a.wait_confirmed(&booking.id);

    let token = a.info().token.clone();
    let (code, _) = get(a, "/metrics", None);
    assert_eq!(code, 401, "no token, no figures");
    let (code, body) = get(a, "/metrics", Some(&token));
    assert_eq!(code, 200, "{body}");
    let scrape = Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text");
    let s = &scrape.samples;
    assert_eq!(value(s, "tongchou_up", None), 1.0);
    assert_eq!(
        value(s, "tongchou_bookings", Some(("status", "confirmed"))),
        1.0
    );
    assert_eq!(value(s, "tongchou_peers_connected", None), 1.0);
    assert_eq!(value(s, "tongchou_resources", None), 1.0);
    assert!(value(s, "tongchou_changes_held", None) >= 3.0);
    assert!(value(s, "tongchou_store_bytes", None) > 0.0);
    assert!(value(s, "tongchou_api_request_duration_seconds", None) >= 1.0);

    // `status` shows the same figures.
    let st = a.status();
    assert_eq!(st.bookings_by_status.get("confirmed"), Some(&1));
    assert!(st.api.requests >= 1 && st.store_bytes > 0, "{:?}", st.api);
}
