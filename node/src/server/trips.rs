//! The trip routes: list, request, the fleet owner's steps, cancel.

use super::*;

pub(super) fn trip_of(o: LocalOutcome) -> Result<Json<Trip>, Error> {
    match o {
        LocalOutcome::Trip(t) => Ok(Json(*t)),
        LocalOutcome::Booking(b) => Err(err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("{} is a booking, not a trip", b.id),
        )),
        _ => Err(err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "unexpected outcome".into(),
        )),
    }
}

pub(super) async fn trips(
    State(st): State<AppState>,
    Query(f): Query<TripFilter>,
) -> ApiResult<Vec<Trip>> {
    Ok(Json(st.node.query(f).await.ok_or_else(gone)?))
}

pub(super) async fn request_trip(
    State(st): State<AppState>,
    Json(d): Json<TripDraft>,
) -> ApiResult<Trip> {
    trip_of(st.node.local(LocalOp::RequestTrip(Box::new(d))).await?)
}

pub(super) async fn trip_step(
    State(st): State<AppState>,
    Json(s): Json<TripStep>,
) -> ApiResult<Trip> {
    trip_of(
        st.node
            .local(LocalOp::Trip {
                trip: s.trip,
                command: s.command,
            })
            .await?,
    )
}

pub(super) async fn cancel_trip(
    State(st): State<AppState>,
    Json(r): Json<CancelRequest>,
) -> ApiResult<Trip> {
    trip_of(
        st.node
            .local(LocalOp::Cancel {
                booking: r.booking,
                reason: r.reason,
            })
            .await?,
    )
}
