//! Operators' figures and hooks: the API request-duration histogram (every
//! request through the router is timed), `/metrics` in the Prometheus text
//! format (the same figures as `status`), and the webhook routes.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::*;

/// Upper bounds of the duration buckets, seconds.
const BUCKETS_S: [f64; 11] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// API request durations since start.
#[derive(Debug, Default)]
pub(super) struct Histogram {
    /// Requests per bucket (the last: slower than every bound).
    counts: [u64; BUCKETS_S.len() + 1],
    sum_s: f64,
    errors: u64,
}

impl Histogram {
    fn record(&mut self, secs: f64, error: bool) {
        let i = BUCKETS_S
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS_S.len());
        self.counts[i] += 1;
        self.sum_s += secs;
        self.errors += u64::from(error);
    }

    fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The bucket bound under which a share `q` of requests fell, µs.
    fn quantile_us(&self, q: f64) -> u64 {
        let n = self.count();
        if n == 0 {
            return 0;
        }
        let want = (q * n as f64).ceil() as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                let bound = BUCKETS_S.get(i).copied().unwrap_or(2.0);
                return (bound * 1e6) as u64;
            }
        }
        0
    }

    pub(super) fn stats(&self) -> ApiStats {
        ApiStats {
            requests: self.count(),
            errors: self.errors,
            p50_us: self.quantile_us(0.5),
            p99_us: self.quantile_us(0.99),
        }
    }
}

/// Shared between the timing layer and the handlers.
pub(super) type Latency = Arc<Mutex<Histogram>>;

/// Times every request (the layer outside all routes).
pub(super) async fn time_requests(
    State(st): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let t = Instant::now();
    let res = next.run(req).await;
    let error = res.status().is_client_error() || res.status().is_server_error();
    if let Ok(mut h) = st.latency.lock() {
        h.record(t.elapsed().as_secs_f64(), error);
    }
    res
}

/// Bytes of every file under `dir`.
pub(super) fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

/// `GET /metrics`.
pub(super) async fn metrics(State(st): State<AppState>) -> Result<Response, Error> {
    let Json(s) = super::status(
        State(st.clone()),
        axum::Extension(crate::users::Identity::Agency),
    )
    .await?;
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, String)>| {
        let _ = writeln!(out, "# HELP tongchou_{name} {help}");
        let _ = writeln!(out, "# TYPE tongchou_{name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "tongchou_{name}{labels} {value}");
        }
    };
    let plain = |v: u64| vec![(String::new(), v.to_string())];
    family(
        "up",
        "gauge",
        "1 while the node serves and can write, 0 when it refuses writes.",
        plain(u64::from(
            s.storage_fault.is_none() && s.revoked.is_none() && s.own_gaps.is_empty(),
        )),
    );
    family(
        "bookings",
        "gauge",
        "Bookings this node holds, by status.",
        s.bookings_by_status
            .iter()
            .map(|(k, v)| (format!("{{status=\"{k}\"}}"), v.to_string()))
            .collect(),
    );
    family(
        "resources",
        "gauge",
        "Resources in the catalogue.",
        plain(s.resources as u64),
    );
    family(
        "changes_held",
        "gauge",
        "Signed changes held (applied).",
        plain(s.changes),
    );
    family(
        "changes_pending",
        "gauge",
        "Changes held back waiting for earlier ones.",
        plain(s.pending.iter().map(|p| p.2 as u64).sum()),
    );
    family(
        "changes_refused_total",
        "counter",
        "Changes refused since start, by reason.",
        s.refused_by_reason
            .iter()
            .map(|(k, v)| (format!("{{reason=\"{k}\"}}"), v.to_string()))
            .collect(),
    );
    family(
        "peers_connected",
        "gauge",
        "Members with an open session.",
        plain(s.peers.iter().filter(|p| p.connected).count() as u64),
    );
    family(
        "peer_sync_lag",
        "gauge",
        "Changes this node holds that the peer has not acknowledged, per peer.",
        s.peers
            .iter()
            .map(|p| (format!("{{peer=\"{}\"}}", p.agency), p.lag.to_string()))
            .collect(),
    );
    family(
        "member_connections",
        "gauge",
        "Connections to members, by who opened them (the bound is connections_max).",
        vec![
            (
                "{side=\"dialled\"}".to_string(),
                s.connections.dialled.to_string(),
            ),
            (
                "{side=\"accepted\"}".to_string(),
                s.connections.accepted.to_string(),
            ),
        ],
    );
    family(
        "connections_max",
        "gauge",
        "Connections to members this node holds at most (run --max-connections).",
        plain(s.connections.max as u64),
    );
    family(
        "refused_connections_total",
        "counter",
        "Connections refused at once (non-members in their backoff).",
        plain(s.refused_connections),
    );
    family(
        "store_bytes",
        "gauge",
        "Bytes the database takes on disk.",
        plain(s.store_bytes),
    );
    let h = st
        .latency
        .lock()
        .map(|h| (h.counts, h.sum_s, h.errors))
        .unwrap_or_default();
    let mut cumulative = 0u64;
    let mut buckets = Vec::new();
    for (i, bound) in BUCKETS_S.iter().enumerate() {
        cumulative += h.0[i];
        buckets.push((format!("_bucket{{le=\"{bound}\"}}"), cumulative.to_string()));
    }
    cumulative += h.0[BUCKETS_S.len()];
    buckets.push(("_bucket{le=\"+Inf\"}".to_string(), cumulative.to_string()));
    buckets.push(("_sum".to_string(), format!("{:.6}", h.1)));
    buckets.push(("_count".to_string(), cumulative.to_string()));
    family(
        "api_request_duration_seconds",
        "histogram",
        "Local API request durations.",
        buckets,
    );
    family(
        "api_errors_total",
        "counter",
        "Local API requests answered with a 4xx or 5xx status.",
        plain(h.2),
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

fn hooks(st: &AppState) -> Result<&crate::webhooks::Webhooks, Error> {
    st.webhooks.as_ref().ok_or_else(|| {
        err(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "webhooks are not running on this node".into(),
        )
    })
}

/// `GET /api/v1/webhooks`.
pub(super) async fn webhooks(State(st): State<AppState>) -> ApiResult<Vec<WebhookEntry>> {
    Ok(Json(hooks(&st)?.list()))
}

/// `POST /api/v1/webhooks`.
pub(super) async fn add_webhook(
    State(st): State<AppState>,
    Json(a): Json<WebhookAdd>,
) -> ApiResult<WebhookEntry> {
    let r = hooks(&st)?.add_on(&st.node, a).await;
    Ok(Json(r.map_err(|e| {
        err(StatusCode::BAD_REQUEST, "bad_request", e)
    })?))
}

/// `POST /api/v1/webhooks/remove`.
pub(super) async fn remove_webhook(
    State(st): State<AppState>,
    Json(r): Json<WebhookRemove>,
) -> ApiResult<Vec<WebhookEntry>> {
    let h = hooks(&st)?.clone();
    let h2 = h.clone();
    tokio::task::spawn_blocking(move || h2.remove(r.id))
        .await
        .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(|e| err(StatusCode::NOT_FOUND, "unknown_webhook", e))?;
    Ok(Json(h.list()))
}
