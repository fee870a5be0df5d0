//! The routes of check-ins and of the owner's holds for events.

use super::*;
use crdt_model::query::{HoldView, HoldsQuery};

pub(super) async fn checkin(
    State(st): State<AppState>,
    Extension(who): Extension<Identity>,
    Json(r): Json<CheckInRequest>,
) -> ApiResult<Booking> {
    super::people::own(&st, &who, &r.booking).await?;
    booking_of(
        st.node
            .local(LocalOp::CheckIn { booking: r.booking })
            .await?,
    )
}

pub(super) async fn holds(
    State(st): State<AppState>,
    Query(q): Query<HoldsQuery>,
) -> ApiResult<Vec<HoldView>> {
    Ok(Json(st.node.query(q).await.ok_or_else(gone)?))
}

/// Writes the hold; answers the holds in force on the resources named.
pub(super) async fn hold(
    State(st): State<AppState>,
    Json(r): Json<HoldRequest>,
) -> ApiResult<Vec<HoldView>> {
    let named = r.resources.clone();
    st.node.local(r.into()).await?;
    let all = st
        .node
        .query(HoldsQuery::default())
        .await
        .ok_or_else(gone)?;
    Ok(Json(
        all.into_iter()
            .filter(|h| named.contains(&h.resource))
            .collect(),
    ))
}
