//! The invitation routes: issue a token (with this node's addresses),
//! list this agency's invitations, withdraw one.

use super::*;

/// The longest an invitation may stay valid: 30 days.
pub(super) const MAX_INVITE_HOURS: u32 = 30 * 24;

/// This node's addresses to put in a token: its concrete listen
/// addresses, without the loopback ones when it has others (a token is
/// for another machine; every address costs some 60 characters).
pub(super) fn token_addresses(listen: &[libp2p::Multiaddr]) -> Vec<String> {
    use libp2p::multiaddr::Protocol;
    let loopback = |a: &libp2p::Multiaddr| match a.iter().next() {
        Some(Protocol::Ip4(ip)) => ip.is_loopback(),
        Some(Protocol::Ip6(ip)) => ip.is_loopback(),
        _ => false,
    };
    let concrete: Vec<&libp2p::Multiaddr> = listen
        .iter()
        .filter(|a| !a.to_string().starts_with("/ip4/0.0.0.0"))
        .collect();
    let outside: Vec<String> = concrete
        .iter()
        .filter(|a| !loopback(a))
        .map(|a| a.to_string())
        .collect();
    if outside.is_empty() {
        concrete.iter().map(|a| a.to_string()).collect()
    } else {
        outside
    }
}

pub(super) async fn invite(
    State(st): State<AppState>,
    Json(r): Json<InviteRequest>,
) -> ApiResult<InviteResponse> {
    if !(1..=MAX_INVITE_HOURS).contains(&r.expires_hours) {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!(
                "an invitation is valid from 1 hour to {} days (asked: {} hours)",
                MAX_INVITE_HOURS / 24,
                r.expires_hours
            ),
        ));
    }
    let now = Timestamp::now();
    let expires_ms = now.as_millisecond() + i64::from(r.expires_hours) * 3_600_000;
    let secret = crate::config::random_secret();
    let role = r.role;
    let agency = r.agency.clone();
    let extra = r.bootstrap.clone();
    let inv = st
        .node
        .read(move |v| {
            let mut boot = token_addresses(v.listen);
            boot.extend(extra);
            let hlc = crdt_model::hlc::Hlc {
                wall_ms: now.as_millisecond(),
                counter: 0,
            };
            let terms = bootstrap::invite::Terms {
                name: agency,
                role,
                expires_ms,
                bootstrap: boot,
            };
            bootstrap::invite::Invitation::issue(
                v.engine.ledger().roster(),
                v.engine.key(),
                terms,
                hlc,
                secret,
            )
        })
        .await
        .ok_or_else(gone)?
        .map_err(|e| err(StatusCode::FORBIDDEN, "not_allowed", e.to_string()))?;
    st.node.add_roster(vec![inv.invite.clone()]).await?;
    let expires = Timestamp::from_millisecond(expires_ms)
        .map_err(|e| err(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))?;
    Ok(Json(InviteResponse {
        token: inv.to_token(),
        expires,
    }))
}

/// One invitation as the API shows it, at `now_ms`.
pub(super) fn invite_entry(
    roster: &crdt_model::membership::Roster,
    id: &AgencyId,
    i: &crdt_model::membership::Invitation,
    now_ms: i64,
) -> InviteEntry {
    let at = |ms: i64| Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX);
    let state = if let Some(agency) = i.used_by {
        InviteState::Used {
            agency,
            agency_name: roster.member(&agency).map(|m| m.profile.name.clone()),
        }
    } else if let Some(w) = &i.withdrawn {
        InviteState::Withdrawn {
            withdrawn_by: w.by,
            withdrawn_at: at(w.hlc.wall_ms),
            reason: w.reason.clone(),
        }
    } else if now_ms > i.expires_ms {
        InviteState::Expired
    } else {
        InviteState::Outstanding
    };
    InviteEntry {
        invitation: *id,
        by: i.by,
        name: i.name.clone(),
        role: i.role,
        issued: at(i.issued.wall_ms),
        expires: at(i.expires_ms),
        state,
    }
}

/// This agency's invitations (every admin's with `all`), oldest first.
pub(super) async fn invites(
    State(st): State<AppState>,
    Query(q): Query<InvitesQuery>,
) -> ApiResult<Vec<InviteEntry>> {
    let now_ms = Timestamp::now().as_millisecond();
    st.node
        .read(move |v| {
            let roster = v.engine.ledger().roster();
            let me = v.engine.id();
            let mut out: Vec<(crdt_model::hlc::Hlc, InviteEntry)> = roster
                .invitations()
                .iter()
                .filter(|(_, i)| q.all || i.by == me)
                .map(|(id, i)| (i.issued, invite_entry(roster, id, i, now_ms)))
                .collect();
            out.sort_by_key(|e| e.0);
            Json(out.into_iter().map(|(_, e)| e).collect())
        })
        .await
        .ok_or_else(gone)
}

/// Withdraws an unused invitation (a signed roster event every member
/// applies: a later join with its token is refused).
pub(super) async fn withdraw_invite(
    State(st): State<AppState>,
    Json(r): Json<WithdrawInviteRequest>,
) -> ApiResult<InviteEntry> {
    let invitation = r.invitation;
    st.node
        .roster(RosterAction::WithdrawInvite {
            invitation,
            reason: r.reason,
        })
        .await?;
    let now_ms = Timestamp::now().as_millisecond();
    st.node
        .read(move |v| {
            let roster = v.engine.ledger().roster();
            roster
                .invitations()
                .get(&invitation)
                .map(|i| invite_entry(roster, &invitation, i, now_ms))
        })
        .await
        .flatten()
        .map(Json)
        .ok_or_else(gone)
}
