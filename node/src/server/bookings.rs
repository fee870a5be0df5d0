//! The booking routes: list and read bookings, book (one or a series),
//! cancel, decide, each done as the person whose token asked.

use super::*;

pub(super) async fn bookings(
    State(st): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(mut f): Query<BookingFilter>,
) -> ApiResult<Vec<Booking>> {
    // Staff see their own requests as "mine".
    if let Identity::User(u) = &who
        && u.role == Role::Staff
        && f.mine
        && f.by.is_none()
    {
        f.by = Some(u.name.clone());
    }
    // A range before the seal cut is read away from the node's task.
    if f.from.is_some() {
        let (probe, past) = (f.clone(), f.clone());
        if let Some(list) = past::on_unsealed(
            &st,
            move |l| probe.reads_sealed(l),
            move |l, me| past.answer_unsealed(l, me),
        )
        .await?
        {
            return Ok(Json(list));
        }
    }
    Ok(Json(st.node.query(f).await.ok_or_else(gone)?))
}

pub(super) async fn booking(
    State(st): State<AppState>,
    Query(q): Query<BookingQuery>,
) -> ApiResult<Booking> {
    Ok(Json(st.node.query(q).await.ok_or_else(gone)??))
}

pub(super) fn booking_of(o: LocalOutcome) -> Result<Json<Booking>, Error> {
    match o {
        LocalOutcome::Booking(b) => Ok(Json(*b)),
        LocalOutcome::Trip(t) => Err(err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("{} is a trip: see it with `tongchou trips`", t.request.id),
        )),
        _ => Err(err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "unexpected outcome".into(),
        )),
    }
}

pub(super) async fn book(
    State(st): State<AppState>,
    Extension(who): Extension<Identity>,
    Json(r): Json<BookRequest>,
) -> ApiResult<Booking> {
    booking_of(st.node.local(people::acting(&who, r.into())).await?)
}

pub(super) async fn book_series(
    State(st): State<AppState>,
    Extension(who): Extension<Identity>,
    Json(r): Json<SeriesRequest>,
) -> ApiResult<Vec<Booking>> {
    let first = booking_of(st.node.local(people::acting(&who, r.into())).await?)?;
    series_of(&st, first.0.id).await
}

pub(super) async fn cancel_series(
    State(st): State<AppState>,
    Extension(who): Extension<Identity>,
    Json(r): Json<SeriesCancelRequest>,
) -> ApiResult<Vec<Booking>> {
    people::own(&st, &who, &r.booking).await?;
    let one = booking_of(st.node.local(people::acting(&who, r.into())).await?)?;
    series_of(&st, one.0.id).await
}

pub(super) async fn series(
    State(st): State<AppState>,
    Query(q): Query<crdt_model::query::SeriesQuery>,
) -> ApiResult<Vec<Booking>> {
    series_of(&st, q.id).await
}

/// Every occurrence of the series of `id`, as it stands now.
pub(super) async fn series_of(st: &AppState, id: BookingId) -> ApiResult<Vec<Booking>> {
    let q = crdt_model::query::SeriesQuery { id };
    Ok(Json(st.node.query(q).await.ok_or_else(gone)??))
}

pub(super) async fn cancel(
    State(st): State<AppState>,
    Extension(who): Extension<Identity>,
    Json(r): Json<CancelRequest>,
) -> ApiResult<Booking> {
    people::own(&st, &who, &r.booking).await?;
    booking_of(st.node.local(people::acting(&who, r.into())).await?)
}

pub(super) async fn decide(
    State(st): State<AppState>,
    Extension(who): Extension<Identity>,
    Json(r): Json<DecideRequest>,
) -> ApiResult<Booking> {
    people::may_decide(&st, &who, &r.booking).await?;
    booking_of(st.node.local(people::acting(&who, r.into())).await?)
}
