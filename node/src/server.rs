//! The local HTTP/JSON API (axum), bound to 127.0.0.1 and guarded by a
//! bearer token stored in the home. Handlers hold only a [`NodeHandle`].

use std::convert::Infallible;
use std::time::Duration;

use api::routes;
use api::*;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use crdt_model::availability::SlotQuery;
use crdt_model::calendar::Booking;
use crdt_model::engine::{LocalError, LocalOp, LocalOutcome, TripDraft};
use crdt_model::ids::{AgencyId, BookingId};
use crdt_model::membership::RosterAction;
use crdt_model::query::QueryError;
use crdt_model::resource::{Resource, RuleViolation};
use crdt_model::trip::{Trip, TripFilter};
use futures::Stream;
use jiff::Timestamp;

use crate::actor::NodeHandle;
use crate::users::Identity;
use axum::Extension;

mod assets;
mod bookings;
mod busy;
mod errors;
mod holds;
mod invites;
mod metrics;
mod past;
mod people;
mod trips;

use bookings::{
    book, book_series, booking, booking_of, bookings, cancel, cancel_series, decide, series,
};
pub use errors::Error;
use errors::{ApiResult, err, errors_as_json, gone};
use invites::{invite, invites, withdraw_invite};
use trips::{cancel_trip, request_trip, trip_step, trips};

#[derive(Clone)]
struct AppState {
    node: NodeHandle,
    token: String,
    home: crate::config::Home,
    latency: metrics::Latency,
    webhooks: Option<crate::webhooks::Webhooks>,
    users: crate::users::Users,
}

/// Builds the router.
pub fn router(node: NodeHandle, token: String, home: crate::config::Home) -> Router {
    router_with(node, token, home, None)
}

/// Builds the router, with the node's webhooks.
pub fn router_with(
    node: NodeHandle,
    token: String,
    home: crate::config::Home,
    webhooks: Option<crate::webhooks::Webhooks>,
) -> Router {
    let users = crate::users::Users::load(home.dir()).unwrap_or_else(|e| {
        tracing::error!("{e}: no person can sign in until it is fixed");
        crate::users::Users::empty(home.dir())
    });
    let state = AppState {
        node,
        token,
        home,
        latency: Default::default(),
        webhooks,
        users,
    };
    Router::new()
        .route(routes::STATUS, get(status))
        .route(routes::METRICS, get(metrics::metrics))
        .route(routes::RESOURCES, get(resources).put(put_resource))
        .route(routes::CALENDAR, get(busy::calendar))
        .route(routes::BOOKINGS, get(bookings).post(book))
        .route(routes::BOOKING, get(booking))
        .route(routes::CANCEL, post(cancel))
        .route(routes::CHECKIN, post(holds::checkin))
        .route(routes::USERS, get(people::users).post(people::add_user))
        .route(routes::HOLDS, get(holds::holds).post(holds::hold))
        .route(routes::DECIDE, post(decide))
        .route(routes::SLOTS, post(slots))
        .route(routes::BUSY, post(busy::busy))
        .route(routes::MEMBERS, get(members))
        .route(routes::INVITE, post(invite))
        .route(routes::INVITES, get(invites))
        .route(routes::WITHDRAW_INVITE, post(withdraw_invite))
        .route(routes::REVOKE, post(revoke))
        .route(routes::BLOCK, post(block))
        .route(routes::FOLLOWS, get(follows).post(follow))
        .route(routes::SERIES, get(series).post(book_series))
        .route(routes::SERIES_CANCEL, post(cancel_series))
        .route(routes::ROTATE_KEY, post(rotate_key))
        .route(routes::BACKUP, post(backup))
        .route(routes::EVENTS, get(events))
        .route(routes::ICS, get(ics_feed))
        .route(routes::TRIPS, get(trips).post(request_trip))
        .route(routes::TRIP_STEP, post(trip_step))
        .route(routes::TRIP_CANCEL, post(cancel_trip))
        .route(routes::LOANS, get(assets::loans))
        .route(routes::ASSET_STEP, post(assets::step))
        .route(routes::TRANSFERS, get(assets::transfers))
        .route(routes::INVENTORY, get(assets::inventory))
        .route(routes::REPORT, get(assets::report))
        .route(
            routes::WEBHOOKS,
            get(metrics::webhooks).post(metrics::add_webhook),
        )
        .route(routes::WEBHOOK_REMOVE, post(metrics::remove_webhook))
        .layer(middleware::from_fn_with_state(state.clone(), auth))
        .route(routes::HEALTHZ, get(healthz))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .layer(middleware::map_response(errors_as_json))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::time_requests,
        ))
        .with_state(state)
}

/// Whether an `Authorization` header value carries `token` as a bearer
/// token: the scheme in any case (RFC 9110 §11.1), the token compared in
/// constant time.
fn bearer_matches(value: &str, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    let Some((scheme, given)) = value.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))
}

async fn auth(
    State(st): State<AppState>,
    headers: HeaderMap,
    mut req: Request,
    next: Next,
) -> Response {
    let who = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| people::identify(&st, v));
    let Some(who) = who else {
        return err(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token (see api.json in the node's home)".into(),
        )
        .into_response();
    };
    if let Err(e) = people::gate(&who, req.method(), req.uri().path()) {
        return e.into_response();
    }
    req.extensions_mut().insert(who);
    next.run(req).await
}

/// Unauthenticated: 200 when the node serves and can write, 503 with the
/// reason otherwise. Says nothing about the agency's data.
async fn healthz(State(st): State<AppState>) -> Response {
    let seen = st
        .node
        .read_state(|v| {
            let me = v.engine.id();
            let revoked = v
                .engine
                .ledger()
                .roster()
                .member(&me)
                .and_then(|m| m.revocation())
                .is_some();
            let peers = v.peers.values().filter(|p| p.connected).count();
            let reason = if v.storage_fault.is_some() {
                Some("storage_fault")
            } else if !v.own_gaps.is_empty() {
                Some("store_gap")
            } else if revoked {
                Some("revoked")
            } else {
                None
            };
            (reason, peers)
        })
        .await;
    let (reason, peers) = seen.unwrap_or((Some("shutting_down"), 0));
    let health = Health {
        ok: reason.is_none(),
        reason: reason.map(str::to_string),
        peers,
    };
    match reason {
        None => Json(health).into_response(),
        Some(code) => {
            let body = serde_json::json!({
                "ok": false, "reason": code, "peers": peers,
                "code": code, "message": format!("node not writable: {code}"),
            });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// Bookings held, by status label.
#[derive(Debug)]
struct BookingCounts;

impl crdt_model::query::Query for BookingCounts {
    type Answer = std::collections::BTreeMap<String, u64>;

    fn answer(&self, engine: &crdt_model::engine::Engine, _now: Timestamp) -> Self::Answer {
        let mut counts = std::collections::BTreeMap::new();
        for cal in engine.calendars().values() {
            for (label, n) in [
                ("confirmed", cal.confirmed.len()),
                ("tentative", cal.tentative.len()),
                ("rejected", cal.rejected.len()),
                ("cancelled", cal.cancelled.len()),
                ("void", cal.void.len()),
            ] {
                *counts.entry(label.to_string()).or_default() += n as u64;
            }
        }
        counts
    }
}

async fn status(
    State(st): State<AppState>,
    Extension(who): Extension<Identity>,
) -> ApiResult<Status> {
    let user = match who {
        Identity::User(u) => Some(u),
        Identity::Agency => None,
    };
    let bookings_by_status = st.node.query(BookingCounts).await.ok_or_else(gone)?;
    let db = st.home.db_path();
    let store_bytes = tokio::task::spawn_blocking(move || metrics::dir_bytes(&db))
        .await
        .unwrap_or(0);
    let api = st.latency.lock().map(|h| h.stats()).unwrap_or_default();
    let webhook_backlog = st
        .webhooks
        .as_ref()
        .map_or(0, |w| w.list().iter().map(|h| h.pending).sum());
    st.node
        .read_state(move |v| {
            let e = v.engine;
            let l = e.ledger();
            let roster = l.roster();
            let me = e.id();
            let heads = l.heads();
            let name_of = |a: &AgencyId| {
                roster
                    .member(a)
                    .map(|m| m.profile.name.clone())
                    .unwrap_or_default()
            };
            let peers = v
                .peers
                .iter()
                .map(|(a, s)| {
                    let lag = e.peer_known(a).map_or(0, |k| {
                        heads
                            .iter()
                            .map(|(d, n)| n.saturating_sub(k.get(d).copied().unwrap_or(0)))
                            .sum()
                    });
                    PeerStatus {
                        agency: *a,
                        name: name_of(a),
                        connected: s.connected,
                        lag,
                        messages_in: s.messages_in,
                        messages_out: s.messages_out,
                        refused: s.refused,
                        bytes_in: s.bytes_in,
                        duplicate_bytes_in: s.duplicate_bytes_in,
                        last_seen: s.last_seen,
                        blocked: v.blocked.get(a).cloned(),
                    }
                })
                .collect();
            let (refusals, refused_total) = l.refusals();
            Json(Status {
                agency: me,
                name: name_of(&me),
                network: roster.network_id().to_string(),
                network_name: roster.network_name().to_string(),
                listen: v.listen.iter().map(|a| a.to_string()).collect(),
                peers,
                changes: heads.values().sum(),
                docs: heads,
                pending: l.pending_summary(),
                refused_total,
                refused: refusals.iter().rev().take(50).cloned().collect(),
                resources: l.index().resources.len(),
                bookings: l.index().requests.len(),
                started: v.started,
                transport_peers: v.transport_peers.clone(),
                storage_fault: v.storage_fault.map(str::to_string),
                refused_connections: v.refused_connections,
                own_gaps: v
                    .own_gaps
                    .iter()
                    .map(|(doc, held, acknowledged)| OwnGap {
                        doc: doc.clone(),
                        held: *held,
                        acknowledged: *acknowledged,
                    })
                    .collect(),
                revoked: roster
                    .member(&me)
                    .and_then(|m| m.revocation())
                    .map(|(by, reason)| Revoked {
                        by: *by,
                        by_name: name_of(by),
                        reason: reason.to_string(),
                    }),
                refused_by_reason: l
                    .refused_by_reason()
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
                bookings_by_status,
                store_bytes,
                api,
                webhook_backlog,
                following: v.engine.interest().map(|s| s.len()),
                connections: v.connections.clone(),
                topics: v.topics.clone(),
                sealed_docs: l.sealed().len() as u64,
                sealed_before: l.seal_cut(),
                user,
            })
        })
        .await
        .ok_or_else(gone)
}

async fn resources(
    State(st): State<AppState>,
    Query(f): Query<ResourceFilter>,
) -> ApiResult<Vec<Resource>> {
    Ok(Json(st.node.query(f).await.ok_or_else(gone)??))
}

async fn put_resource(
    State(st): State<AppState>,
    Json(mut r): Json<Resource>,
) -> ApiResult<Resource> {
    r.normalize_features();
    st.node
        .local(LocalOp::PutResource(Box::new(r.clone())))
        .await?;
    Ok(Json(r))
}

async fn slots(
    State(st): State<AppState>,
    Json(mut q): Json<SlotQuery>,
) -> ApiResult<Vec<crdt_model::availability::Candidate>> {
    if q.to <= q.from || q.duration_minutes == 0 || q.quantity == 0 {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "need from < to, duration ≥ 1 and quantity ≥ 1".into(),
        ));
    }
    q.limit = q.limit.clamp(1, 200);
    busy::for_slots(&st, &q).await?;
    Ok(Json(st.node.query(q).await.ok_or_else(gone)?))
}

async fn members(State(st): State<AppState>) -> ApiResult<Vec<MemberEntry>> {
    st.node
        .read(|v| {
            Json(
                v.engine
                    .ledger()
                    .roster()
                    .members()
                    .iter()
                    .map(|(a, m)| MemberEntry {
                        agency: *a,
                        member: m.clone(),
                    })
                    .collect(),
            )
        })
        .await
        .ok_or_else(gone)
}

/// Blocks or unblocks a member on this node.
async fn block(
    State(st): State<AppState>,
    Json(r): Json<BlockRequest>,
) -> ApiResult<Vec<BlockedPeer>> {
    Ok(Json(st.node.block(r).await?))
}

/// What this node follows.
async fn follows(State(st): State<AppState>) -> ApiResult<api::FollowsView> {
    Ok(Json(st.node.follow(None).await?))
}

/// Follows (or stops following) owners, cities or kinds.
async fn follow(
    State(st): State<AppState>,
    Json(r): Json<api::FollowRequest>,
) -> ApiResult<api::FollowsView> {
    Ok(Json(st.node.follow(Some(r)).await?))
}

/// Replaces this agency's key (the sequence is [`crate::rotation`]).
async fn rotate_key(State(st): State<AppState>) -> ApiResult<RotateKeyResponse> {
    use crate::rotation::{RotationError, rotate};
    rotate(&st.home, &st.node)
        .await
        .map(Json)
        .map_err(|e| match e {
            RotationError::Refused(e) => e.into(),
            RotationError::Gone => gone(),
            RotationError::Storage(e) => err(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_failed",
                format!("{e:#}"),
            ),
        })
}

/// Writes a backup of the home to the file the request names: the actor
/// takes a consistent picture between two commits, the file is written
/// outside it (the node keeps serving meanwhile).
async fn backup(
    State(st): State<AppState>,
    Json(r): Json<BackupRequest>,
) -> ApiResult<BackupReport> {
    let path = std::path::PathBuf::from(&r.path);
    if !path.is_absolute() {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the backup file must be an absolute path: {}", r.path),
        ));
    }
    let t = std::time::Instant::now();
    let snap = st
        .node
        .backup()
        .await
        .map_err(|e| err(StatusCode::INSUFFICIENT_STORAGE, "backup_failed", e))?;
    let written = tokio::task::spawn_blocking(move || crate::backup::write(&path, &snap))
        .await
        .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(|e| {
            err(
                StatusCode::INSUFFICIENT_STORAGE,
                "backup_failed",
                e.to_string(),
            )
        })?;
    tracing::info!(
        path = %r.path,
        bytes = written.bytes,
        changes = written.meta.changes,
        ms = t.elapsed().as_millis() as u64,
        "backup written"
    );
    Ok(Json(BackupReport {
        path: r.path,
        bytes: written.bytes,
        changes: written.meta.changes,
        roster_events: written.meta.roster_events,
        entries: written.entries,
        created: written.meta.created,
        millis: t.elapsed().as_millis() as u64,
    }))
}

async fn revoke(
    State(st): State<AppState>,
    Json(r): Json<RevokeRequest>,
) -> ApiResult<RevokeResponse> {
    st.node
        .roster(RosterAction::Revoke {
            agency: r.agency,
            reason: r.reason,
            cutoffs: Default::default(),
        })
        .await?;
    Ok(Json(RevokeResponse { revoked: r.agency }))
}

async fn events(
    State(st): State<AppState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = st.node.subscribe();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    let data = serde_json::to_string(&ev).unwrap_or_default();
                    return Some((Ok(SseEvent::default().data(data)), rx));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn ics_feed(
    State(st): State<AppState>,
    Query(q): Query<IcsQuery>,
) -> Result<Response, Error> {
    let text = st.node.query(q).await.ok_or_else(gone)??;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::bearer_matches;
    use super::invites::token_addresses;

    #[test]
    fn a_token_names_loopback_addresses_only_when_there_are_no_others() {
        let ma = |s: &str| s.parse::<libp2p::Multiaddr>().expect("multiaddr");
        let local = "/ip4/127.0.0.1/tcp/4001";
        let lan = "/ip4/192.0.2.10/tcp/4001";
        assert_eq!(token_addresses(&[ma(local), ma(lan)]), [lan]);
        assert_eq!(token_addresses(&[ma(local)]), [local]);
        assert_eq!(
            token_addresses(&[ma("/ip6/::1/tcp/4001"), ma("/ip4/0.0.0.0/tcp/4001")]),
            ["/ip6/::1/tcp/4001"]
        );
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_the_token_exact() {
        let t = "c0ffee";
        for ok in [
            "Bearer c0ffee",
            "bearer c0ffee",
            "BEARER  c0ffee ",
            " Bearer c0ffee",
        ] {
            assert!(bearer_matches(ok, t), "{ok:?}");
        }
        for bad in [
            "Bearer c0ffe",
            "Bearer c0ffee0",
            "Basic c0ffee",
            "c0ffee",
            "Bearer",
            "Bearer ",
            "",
        ] {
            assert!(!bearer_matches(bad, t), "{bad:?}");
        }
    }
}
