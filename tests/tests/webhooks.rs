//! Webhooks with a real HTTP receiver on 127.0.0.1: a request for the
//! owner's room is POSTed to it, signed (HMAC-SHA256, checked here with the
//! hmac crate); while the receiver is down the delivery waits and is
//! retried, `webhook list` shows the failure, and it arrives once the
//! receiver is back; a delivery queued before a kill -9 of the node arrives
//! after its restart.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use api::WebhookEntry;
use crdt_model::calendar::Booking;
use harness::{network, wait_for};

/// One request the receiver got: headers (lower-case names) and body.
#[derive(Debug)]
struct Hit {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Hit {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP receiver answering 200 to every POST, on a fixed port.
struct Receiver {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    fn start(port: u16, tx: mpsc::Sender<Hit>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the receiver binds");
        let port = listener.local_addr().expect("an address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                if let Some(hit) = read_request(conn) {
                    let _ = tx.send(hit);
                }
            }
        });
        Self {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_request(mut conn: TcpStream) -> Option<Hit> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if !line.starts_with("POST") {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .ok()?;
    Some(Hit { headers, body })
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The next hit about `booking`, within `secs`.
fn hit_for(rx: &mpsc::Receiver<Hit>, booking: &str, secs: u64) -> Hit {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let hit = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no webhook for {booking} within {secs} s"));
        if String::from_utf8_lossy(&hit.body).contains(booking) {
            return hit;
        }
    }
}

#[test]
fn events_are_signed_retried_while_the_receiver_is_down_and_survive_a_restart() {
    let mut nodes = network("webhooks", 2);
    let room = format!("{}/hall", nodes[0].agency());
    nodes[0].ok(&[
        "resource",
        "add",
        "--id",
        "hall",
        "--name",
        "报告厅",
        "--people",
        "100",
        "--approval",
        "required",
        "--city",
        "深圳",
    ]);
    nodes[1].wait_resource(&room);
    let (tx, rx) = mpsc::channel();
    let receiver = Receiver::start(0, tx.clone());
    let port = receiver.port;
    // Bad input is refused and changes nothing.
    assert!(
        !nodes[0]
            .cli(&["webhook", "add", "ftp://x"])
            .status
            .success()
    );
    let bad = nodes[0].cli(&["webhook", "add", &receiver.url(), "--events", "party"]);
    assert!(!bad.status.success());
    let hooks: Vec<WebhookEntry> = nodes[0].json(&["webhook", "list"]);
    assert!(hooks.is_empty());
    let w: WebhookEntry = nodes[0].json(&[
        "webhook",
        "add",
        &receiver.url(),
        "--events",
        "request,cancel",
        "--secret",
        "s3cret",
    ]);
    assert!(w.signed);

    let book = |day: usize| -> Booking {
        nodes[1].json(&[
            "book",
            &room,
            "--from",
            &harness::workday(day, "09:00"),
            "--to",
            &harness::workday(day, "10:00"),
            "--purpose",
            "会议",
        ])
    };
    // 1. A request waiting for the owner's decision, signed.
    let first = book(2);
    let hit = hit_for(&rx, &first.id.to_string(), 30);
    assert_eq!(hit.header("x-tongchou-event"), Some("request"));
    let want = format!("sha256={}", hmac_hex("s3cret", &hit.body));
    assert_eq!(hit.header("x-tongchou-signature"), Some(want.as_str()));
    let event: serde_json::Value = serde_json::from_slice(&hit.body).expect("JSON");
    assert_eq!(event["status"], "tentative");
    assert_eq!(event["resource"], room);

    // 2. The receiver is down: the delivery waits, failures are listed; it
    // arrives once the receiver is back.
    drop(receiver);
    let second = book(3);
    wait_for("a failed delivery listed", Duration::from_secs(30), || {
        let hooks: Vec<WebhookEntry> = nodes[0].json(&["webhook", "list"]);
        let h = hooks.first()?;
        (h.pending >= 1 && h.failures >= 1 && h.last_error.is_some()).then_some(())
    });
    let receiver = Receiver::start(port, tx.clone());
    hit_for(&rx, &second.id.to_string(), 90);

    // 3. Down again, the node killed with a delivery waiting: it arrives
    // after the restart.
    drop(receiver);
    let third = book(4);
    wait_for("the third delivery queued", Duration::from_secs(30), || {
        let hooks: Vec<WebhookEntry> = nodes[0].json(&["webhook", "list"]);
        (hooks.first()?.pending >= 1).then_some(())
    });
    // `status` counts what waits, as `/metrics` does.
    assert!(nodes[0].status().webhook_backlog >= 1);
    nodes[0].kill9();
    nodes[0].restart().expect("the node restarts");
    let _receiver = Receiver::start(port, tx);
    hit_for(&rx, &third.id.to_string(), 90);
    let hooks: Vec<WebhookEntry> = nodes[0].json(&["webhook", "list"]);
    assert_eq!(hooks[0].pending, 0, "{hooks:?}");

    // Removing it stops the deliveries.
    let left: Vec<WebhookEntry> = nodes[0].json(&["webhook", "remove", "1"]);
    assert!(left.is_empty());
    assert!(!nodes[0].cli(&["webhook", "remove", "1"]).status.success());
}
