//! People of the agency at the API: who a token belongs to, what their
//! role lets them reach, the person named in what they write, and the
//! `users` routes.

use super::*;
use axum::http::Method;

/// Who holds `value` (an `Authorization` header): the agency's own token,
/// a person's, or nobody.
pub(super) fn identify(st: &AppState, value: &str) -> Option<Identity> {
    if bearer_matches(value, &st.token) {
        return Some(Identity::Agency);
    }
    let (scheme, given) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    st.users.by_token(given.trim()).map(Identity::User)
}

/// What staff and approvers may ask besides reading.
const STAFF_WRITES: &[&str] = &[
    routes::BOOKINGS,
    routes::SERIES,
    routes::CANCEL,
    routes::SERIES_CANCEL,
    routes::CHECKIN,
    routes::SLOTS,
    routes::TRIPS,
    routes::TRIP_CANCEL,
];

/// Whether `who` may call `method path`: operators anything; staff and
/// approvers reads and their own bookings, approvers also decisions; the
/// people registry and `/metrics` only operators.
pub(super) fn gate(who: &Identity, method: &Method, path: &str) -> Result<(), Error> {
    let role = who.role();
    if role == Role::Operator {
        return Ok(());
    }
    let read = *method == Method::GET && path != routes::USERS && path != routes::METRICS;
    let allowed =
        read || STAFF_WRITES.contains(&path) || (role == Role::Approver && path == routes::DECIDE);
    if allowed {
        Ok(())
    } else {
        Err(err(
            StatusCode::FORBIDDEN,
            "not_allowed",
            format!(
                "your role ({}) may not do this: {method} {path}",
                role.code()
            ),
        ))
    }
}

/// `op` as done by `who`: a person's name goes into the records.
pub(super) fn acting(who: &Identity, op: LocalOp) -> LocalOp {
    match who.name() {
        Some(name) => LocalOp::As {
            by: name.to_string(),
            action: Box::new(op),
        },
        None => op,
    }
}

/// Staff may act only on the bookings they made.
pub(super) async fn own(st: &AppState, who: &Identity, id: &BookingId) -> Result<(), Error> {
    let Identity::User(u) = who else {
        return Ok(());
    };
    if u.role != Role::Staff {
        return Ok(());
    }
    let q = BookingQuery { id: id.clone() };
    let b = st.node.query(q).await.ok_or_else(gone)??;
    if b.request.as_ref().and_then(|r| r.by.as_deref()) == Some(u.name.as_str()) {
        Ok(())
    } else {
        Err(err(
            StatusCode::FORBIDDEN,
            "not_allowed",
            format!("only the person who made it acts on {id}"),
        ))
    }
}

/// An approver decides only for the resources given to them.
pub(super) async fn may_decide(st: &AppState, who: &Identity, id: &BookingId) -> Result<(), Error> {
    let Identity::User(u) = who else {
        return Ok(());
    };
    if u.role == Role::Operator {
        return Ok(());
    }
    let q = BookingQuery { id: id.clone() };
    let b = st.node.query(q).await.ok_or_else(gone)??;
    if u.resources.contains(&b.resource) {
        Ok(())
    } else {
        Err(err(
            StatusCode::FORBIDDEN,
            "not_allowed",
            format!("{} does not decide for {}", u.name, b.resource),
        ))
    }
}

pub(super) async fn users(State(st): State<AppState>) -> ApiResult<Vec<UserEntry>> {
    Ok(Json(st.users.list()))
}

pub(super) async fn add_user(
    State(st): State<AppState>,
    Extension(_who): Extension<Identity>,
    Json(r): Json<UserAdd>,
) -> ApiResult<UserToken> {
    let (user, token) = st
        .users
        .add(r)
        .map_err(|m| err(StatusCode::BAD_REQUEST, "bad_request", m))?;
    Ok(Json(UserToken { user, token }))
}
