//! Webhooks: the node POSTs a JSON event to each registered URL for what
//! concerns this agency — requests waiting for its decision, decisions on
//! its requests, cancellations and releases, trips and loans changing,
//! bookings starting soon — signed with HMAC-SHA256 when a secret is set.
//!
//! Deliveries are queued durably (`webhooks.json` in the home, replaced
//! atomically on every change), retried with backoff while the receiver is
//! down, and resumed after a restart. Events are found by comparing what
//! the replica shows with what was already announced (also kept in the
//! file), every two seconds while a webhook exists.

use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::{WebhookAdd, WebhookEntry};
use crdt_model::agency::Text;
use crdt_model::booking::Status;
use crdt_model::engine::Engine;
use crdt_model::query::Query;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::actor::NodeHandle;

/// The kinds of events a webhook may ask for.
pub const KINDS: [&str; 7] = [
    "request", "decision", "cancel", "release", "trip", "loan", "reminder",
];

/// Minutes before a booking's start when its reminder is sent.
const REMINDER_MIN: i64 = 30;
/// Most deliveries kept waiting per webhook (the oldest are dropped beyond).
const MAX_QUEUE: usize = 10_000;

/// One event as POSTed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// Its kind (see [`KINDS`]).
    pub event: String,
    /// A stable id: kind, booking or trip, and the state announced.
    pub id: String,
    /// The booking, trip or loan concerned.
    pub booking: String,
    /// Its resource.
    pub resource: String,
    /// The resource's name.
    pub resource_name: Text,
    /// Start and end.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// The state announced (`tentative`, `confirmed`, `dispatched` …).
    pub status: String,
    /// What happened, in both languages (from other agencies' text,
    /// control characters replaced).
    pub text: Text,
}

/// A delivery waiting.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Delivery {
    event: WebhookEvent,
    attempts: u32,
    /// Not before (ms since the epoch).
    next_ms: i64,
}

/// A webhook and its deliveries.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Hook {
    id: u32,
    url: String,
    events: BTreeSet<String>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    queue: VecDeque<Delivery>,
    #[serde(default)]
    delivered: u64,
    #[serde(default)]
    failures: u64,
    #[serde(default)]
    last_error: Option<String>,
}

/// What `webhooks.json` holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct File {
    hooks: Vec<Hook>,
    /// Event ids already announced.
    seen: BTreeSet<String>,
}

/// The webhooks of a node: the registry, the queue, the delivery loop.
#[derive(Clone, Debug)]
pub struct Webhooks {
    path: PathBuf,
    state: Arc<Mutex<File>>,
}

impl Webhooks {
    /// Loads (or starts) the registry in `home`.
    pub fn open(home: &crate::config::Home) -> anyhow::Result<Self> {
        let path = home.dir().join("webhooks.json");
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e} (fix or remove the file)", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::default(),
            Err(e) => return Err(anyhow::anyhow!("{}: {e}", path.display())),
        };
        Ok(Self {
            path,
            state: Arc::new(Mutex::new(file)),
        })
    }

    fn save(&self, file: &File) -> std::io::Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(file).map_err(std::io::Error::other)?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }

    fn with<T>(&self, f: impl FnOnce(&mut File) -> T) -> Result<T, String> {
        let mut file = self.state.lock().map_err(|_| "webhooks lock".to_string())?;
        let out = f(&mut file);
        self.save(&file)
            .map_err(|e| format!("cannot save webhooks: {e}"))?;
        Ok(out)
    }

    /// Registers a webhook after announcing what `node` shows now to the
    /// webhooks already there: a new webhook gets only what happens from
    /// now on.
    pub async fn add_on(&self, node: &NodeHandle, a: WebhookAdd) -> Result<WebhookEntry, String> {
        if let Some(events) = node.query(Scan).await {
            let me = self.clone();
            tokio::task::spawn_blocking(move || me.enqueue(events))
                .await
                .map_err(|e| e.to_string())??;
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.add(a))
            .await
            .map_err(|e| e.to_string())?
    }

    /// Registers a webhook; refuses a URL that is not http(s) or an
    /// unknown event kind.
    pub fn add(&self, a: WebhookAdd) -> Result<WebhookEntry, String> {
        if !(a.url.starts_with("http://") || a.url.starts_with("https://")) || a.url.len() > 2_000 {
            return Err(format!("{:?} is not an http:// or https:// URL", a.url));
        }
        let events: BTreeSet<String> = if a.events.is_empty() {
            KINDS.iter().map(|k| k.to_string()).collect()
        } else {
            a.events.iter().map(|e| e.trim().to_lowercase()).collect()
        };
        if let Some(bad) = events.iter().find(|e| !KINDS.contains(&e.as_str())) {
            return Err(format!(
                "unknown event {bad:?} (one of {})",
                KINDS.join(", ")
            ));
        }
        self.with(|f| {
            let id = f.hooks.iter().map(|h| h.id).max().unwrap_or(0) + 1;
            let hook = Hook {
                id,
                url: a.url,
                events,
                secret: a.secret.filter(|s| !s.is_empty()),
                queue: VecDeque::new(),
                delivered: 0,
                failures: 0,
                last_error: None,
            };
            let entry = entry(&hook);
            f.hooks.push(hook);
            entry
        })
    }

    /// The webhooks and how their deliveries go.
    pub fn list(&self) -> Vec<WebhookEntry> {
        self.state
            .lock()
            .map(|f| f.hooks.iter().map(entry).collect())
            .unwrap_or_default()
    }

    /// Removes webhook `id` and its queue.
    pub fn remove(&self, id: u32) -> Result<(), String> {
        let found = self.with(|f| {
            let before = f.hooks.len();
            f.hooks.retain(|h| h.id != id);
            before != f.hooks.len()
        })?;
        if found {
            Ok(())
        } else {
            Err(format!("no webhook {id}"))
        }
    }

    /// Queues the events not announced yet (to the webhooks that want
    /// them), and remembers them; a new webhook gets none of those found
    /// before it.
    fn enqueue(&self, events: Vec<WebhookEvent>) -> Result<usize, String> {
        let now = Timestamp::now().as_millisecond();
        let mut file = self.state.lock().map_err(|_| "webhooks lock".to_string())?;
        let fresh: Vec<WebhookEvent> = events
            .into_iter()
            .filter(|e| !file.seen.contains(&e.id))
            .collect();
        let mut queued = 0;
        for hook in &mut file.hooks {
            for e in fresh.iter().filter(|e| hook.events.contains(&e.event)) {
                if hook.queue.len() == MAX_QUEUE {
                    hook.queue.pop_front();
                }
                hook.queue.push_back(Delivery {
                    event: e.clone(),
                    attempts: 0,
                    next_ms: now,
                });
                queued += 1;
            }
        }
        let changed = !fresh.is_empty();
        file.seen.extend(fresh.into_iter().map(|e| e.id));
        if changed {
            self.save(&file)
                .map_err(|e| format!("cannot save webhooks: {e}"))?;
        }
        Ok(queued)
    }

    /// Finds events every two seconds and delivers what is due, until the
    /// node stops.
    pub async fn run(self, node: NodeHandle, mut stop: tokio::sync::watch::Receiver<bool>) {
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "webhooks: no HTTP client");
                return;
            }
        };
        loop {
            let any = self
                .state
                .lock()
                .map(|f| !f.hooks.is_empty())
                .unwrap_or(false);
            if any {
                if let Some(events) = node.query(Scan).await {
                    // The file is written (and synced) off the runtime.
                    let me = self.clone();
                    match tokio::task::spawn_blocking(move || me.enqueue(events)).await {
                        Ok(Err(e)) => warn!(error = %e, "webhooks"),
                        Err(e) => warn!(error = %e, "webhooks"),
                        Ok(Ok(_)) => {}
                    }
                }
                self.deliver(&client).await;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Sends each webhook's due deliveries in order; stops at its first
    /// failure (retried with backoff: 2, 4, 8 … 60 s).
    async fn deliver(&self, client: &reqwest::Client) {
        let hooks: Vec<(u32, String, Option<String>)> = match self.state.lock() {
            Ok(f) => f
                .hooks
                .iter()
                .map(|h| (h.id, h.url.clone(), h.secret.clone()))
                .collect(),
            Err(_) => return,
        };
        for (id, url, secret) in hooks {
            loop {
                let now = Timestamp::now().as_millisecond();
                let next = self.state.lock().ok().and_then(|f| {
                    let h = f.hooks.iter().find(|h| h.id == id)?;
                    h.queue.front().filter(|d| d.next_ms <= now).cloned()
                });
                let Some(d) = next else { break };
                let body = match serde_json::to_vec(&d.event) {
                    Ok(b) => b,
                    Err(_) => break,
                };
                let mut req = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-tongchou-event", d.event.event.as_str())
                    .header("x-tongchou-delivery", d.event.id.as_str());
                if let Some(s) = &secret {
                    req = req.header("x-tongchou-signature", format!("sha256={}", sign(s, &body)));
                }
                let result = req.body(body).send().await;
                let outcome = match result {
                    Ok(r) if r.status().is_success() => Ok(()),
                    Ok(r) => Err(format!("HTTP {}", r.status())),
                    Err(e) => Err(e.to_string()),
                };
                let ok = outcome.is_ok();
                let saved = self.with(|f| {
                    let Some(h) = f.hooks.iter_mut().find(|h| h.id == id) else {
                        return;
                    };
                    match outcome {
                        Ok(()) => {
                            h.queue.pop_front();
                            h.delivered += 1;
                            h.last_error = None;
                        }
                        Err(e) => {
                            h.failures += 1;
                            h.last_error = Some(e);
                            if let Some(front) = h.queue.front_mut() {
                                front.attempts += 1;
                                let wait = 1_000 * (1i64 << front.attempts.min(6)).min(60);
                                front.next_ms = Timestamp::now().as_millisecond() + wait;
                            }
                        }
                    }
                });
                if let Err(e) = saved {
                    warn!(error = %e, "webhooks");
                    return;
                }
                if ok {
                    info!(webhook = id, event = %d.event.id, "webhook delivered");
                } else {
                    break;
                }
            }
        }
    }
}

fn entry(h: &Hook) -> WebhookEntry {
    WebhookEntry {
        id: h.id,
        url: h.url.clone(),
        events: h.events.iter().cloned().collect(),
        signed: h.secret.is_some(),
        pending: h.queue.len() as u64,
        delivered: h.delivered,
        failures: h.failures,
        last_error: h.last_error.clone(),
    }
}

/// HMAC-SHA256 of `body` with `secret`, in hex.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What concerns this agency now, as events (each with a stable id).
#[derive(Debug)]
struct Scan;

impl Query for Scan {
    type Answer = Vec<WebhookEvent>;

    fn answer(&self, engine: &Engine, now: Timestamp) -> Vec<WebhookEvent> {
        let me = engine.id();
        let index = engine.ledger().index();
        let mut out = Vec::new();
        let soon = now + jiff::SignedDuration::from_mins(REMINDER_MIN);
        for (rid, cal) in engine.calendars() {
            let owner = cal.owner.unwrap_or(rid.owner);
            let name = index
                .resources
                .get(rid)
                .map(|r| r.name.clone())
                .unwrap_or_default();
            let ev = |kind: &str, b: &crdt_model::calendar::Booking, status: &str, text: Text| {
                WebhookEvent {
                    event: kind.to_string(),
                    id: format!("{kind}:{}:{status}", b.id),
                    booking: b.id.to_string(),
                    resource: rid.to_string(),
                    resource_name: name.clone(),
                    start: b.terms.start,
                    end: b.terms.end,
                    status: status.to_string(),
                    text,
                }
            };
            let ours = |b: &crdt_model::calendar::Booking| b.id.requester == me;
            if owner == me {
                for b in cal.tentative.iter().filter(|b| b.terms.end > now) {
                    out.push(ev(
                        "request",
                        b,
                        "tentative",
                        Text::new("有申请等待本单位审批", "a request waits for your decision"),
                    ));
                }
                for b in cal.cancelled.iter().filter(|b| !ours(b)) {
                    out.push(ev(
                        "cancel",
                        b,
                        "cancelled",
                        Text::new("申请单位取消了预订", "the requester cancelled a booking"),
                    ));
                }
            }
            for b in cal
                .confirmed
                .iter()
                .chain(&cal.rejected)
                .filter(|b| ours(b))
            {
                let label = b.status.label();
                let text = match &b.status {
                    Status::Confirmed => Text::new("您的预订已确认", "your booking was confirmed"),
                    _ => Text::new("您的预订被拒绝", "your booking was rejected"),
                };
                out.push(ev("decision", b, label, text));
                if b.status == Status::Confirmed && b.terms.start > now && b.terms.start <= soon {
                    out.push(ev(
                        "reminder",
                        b,
                        "starting",
                        Text::new(
                            format!("预订将在 {REMINDER_MIN} 分钟内开始"),
                            format!("a booking starts within {REMINDER_MIN} minutes"),
                        ),
                    ));
                }
            }
            for b in cal.cancelled.iter().filter(|b| ours(b)) {
                // Cancelled by the owner's release, not by us.
                if !index.cancels.contains_key(&b.id) {
                    out.push(ev(
                        "release",
                        b,
                        "released",
                        Text::new("所属单位释放了您的预订", "the owner released your booking"),
                    ));
                }
            }
        }
        let trips = crdt_model::trip::TripFilter::default().answer(engine, now);
        for t in trips
            .iter()
            .filter(|t| t.request.owner == me || t.request.id.requester == me)
        {
            let status = t.status.text().en.replace(' ', "_");
            out.push(WebhookEvent {
                event: "trip".into(),
                id: format!("trip:{}:{status}", t.request.id),
                booking: t.request.id.to_string(),
                resource: t
                    .vehicle
                    .as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                resource_name: Text::new(
                    crdt_model::record::sanitize(&t.request.destination).into_owned(),
                    crdt_model::record::sanitize(&t.request.destination).into_owned(),
                ),
                start: t.request.start,
                end: t.request.end,
                status,
                text: t.status.text(),
            });
        }
        let loans = crdt_model::asset::LoanFilter::default().answer(engine, now);
        for l in loans
            .iter()
            .filter(|l| l.owner == me || l.booking.requester == me)
        {
            let status = if l.overdue {
                "overdue".to_string()
            } else {
                format!("{:?}", l.status).to_lowercase()
            };
            let text = if l.overdue {
                Text::new("借用已逾期", "a loan is overdue")
            } else {
                l.status.text()
            };
            out.push(WebhookEvent {
                event: "loan".into(),
                id: format!("loan:{}:{status}", l.booking),
                booking: l.booking.to_string(),
                resource: l.resource.to_string(),
                resource_name: index
                    .resources
                    .get(&l.resource)
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                start: l.start,
                end: l.end,
                status,
                text,
            });
        }
        out
    }
}
