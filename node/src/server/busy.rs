//! Free/busy of owners this node does not follow, on the API: the
//! question itself, and the fetch before a calendar or a slot search
//! covering their resources (see `crdt_model::busy`).

use super::*;

/// One resource's calendar; for a resource whose owner this node does not
/// follow, its free/busy is fetched first (from a day ago to two months
/// ahead) when the cached one is missing or older than a minute.
pub(super) async fn calendar(
    State(st): State<AppState>,
    Query(q): Query<ResourceQuery>,
) -> ApiResult<crdt_model::calendar::ResourceCalendar> {
    let rid = q.resource.clone();
    let owner = st
        .node
        .read_state(move |v| {
            let owner = v.engine.ledger().index().owner_of(&rid);
            (!v.engine.follows_owner(&owner)).then_some(owner)
        })
        .await
        .ok_or_else(gone)?;
    if let Some(owner) = owner {
        let now = jiff::Timestamp::now();
        let day = jiff::SignedDuration::from_hours(24);
        fetch_busy(&st, vec![owner], now - day, now + day * 62).await;
    }
    Ok(Json(st.node.query(q).await.ok_or_else(gone)??))
}

/// Fetches the free/busy of `owners` (not followed) over the window, for
/// a calendar or a slot search; a failure only leaves them unknown.
async fn fetch_busy(
    st: &AppState,
    owners: Vec<AgencyId>,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) {
    let r = api::BusyRequest {
        owners,
        from,
        to,
        max_age_s: None,
        wait_ms: None,
    };
    if let Err(e) = st.node.busy(r).await {
        tracing::debug!(error = %e, "free/busy not fetched");
    }
}

/// Free/busy of owners not followed.
pub(super) async fn busy(
    State(st): State<AppState>,
    Json(r): Json<api::BusyRequest>,
) -> ApiResult<api::BusyAnswer> {
    if r.owners.is_empty() {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "name at least one owner".into(),
        ));
    }
    if r.owners.len() > api::MAX_BUSY_OWNERS {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("at most {} owners in one question", api::MAX_BUSY_OWNERS),
        ));
    }
    if let Err(why) = crdt_model::busy::check_window(r.from, r.to) {
        return Err(err(StatusCode::BAD_REQUEST, "bad_request", why.into()));
    }
    Ok(Json(st.node.busy(r).await?))
}

/// Before a slot search: the free/busy of the owners not followed whose
/// resources the search covers is fetched, so that their resources are
/// searched too (the first 64 by id; the others' resources are left out
/// unless a fresh free/busy of theirs is cached).
pub(super) async fn for_slots(st: &AppState, q: &SlotQuery) -> Result<(), Error> {
    if crdt_model::busy::check_window(q.from, q.to).is_ok() {
        let query = q.clone();
        let owners = st
            .node
            .read_state(move |v| {
                let e = v.engine;
                let owners: std::collections::BTreeSet<AgencyId> = e
                    .ledger()
                    .index()
                    .resources
                    .values()
                    .filter(|r| query.matches(r) && !e.follows_owner(&r.owner()))
                    .map(|r| r.owner())
                    .collect();
                owners
                    .into_iter()
                    .take(crdt_model::busy::MAX_OWNERS)
                    .collect::<Vec<_>>()
            })
            .await
            .ok_or_else(gone)?;
        if !owners.is_empty() {
            fetch_busy(st, owners, q.from, q.to).await;
        }
    }
    Ok(())
}
