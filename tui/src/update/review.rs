//! Operators' screens: approvals and conflicts, the network and its
//! members, and dialogs (invite, revoke).

use super::*;

pub(super) fn approvals_key(state: &mut State, k: KeyEvent, conflicts: bool) -> Vec<Effect> {
    let list: Vec<Booking> = if conflicts {
        state.conflicts().into_iter().cloned().collect()
    } else {
        state.approval_queue().into_iter().cloned().collect()
    };
    let sel = if conflicts {
        &mut state.conflicts_selected
    } else {
        &mut state.approvals_selected
    };
    if let Some(d) = vertical(&k) {
        step(sel, d, list.len());
        return if conflicts { suggest(state) } else { vec![] };
    }
    let Some(b) = list.get(*sel) else {
        return vec![];
    };
    match k.code {
        KeyCode::Char('a') | KeyCode::Char('y') => {
            // Out of turn, pushing out requests ahead of it: ask first, and
            // say whom.
            let displaced: Vec<String> = state
                .displaced_by(b)
                .iter()
                .map(|a| {
                    format!(
                        "{} · {} · ×{}",
                        state.agency_name(&a.id.requester),
                        state.fmt_range(a.terms.start, a.terms.end),
                        a.terms.quantity
                    )
                })
                .collect();
            if displaced.is_empty() {
                return vec![Effect::Decide(DecideRequest {
                    booking: b.id.clone(),
                    approve: true,
                    reason: None,
                })];
            }
            state.dialog = Some(Dialog::Approve {
                booking: b.id.clone(),
                displaced,
            });
            vec![]
        }
        KeyCode::Char('x') | KeyCode::Char('n') => {
            state.dialog = Some(Dialog::Reject {
                booking: b.id.clone(),
                reason: String::new(),
            });
            vec![]
        }
        _ => vec![],
    }
}

/// Asks for alternatives to the selected conflict (same kind and city, that day).
pub(super) fn suggest(state: &mut State) -> Vec<Effect> {
    let Some(b) = state
        .conflicts()
        .get(state.conflicts_selected)
        .map(|b| (*b).clone())
    else {
        return vec![];
    };
    if state.suggestions.booking.as_ref() == Some(&b.id) {
        return vec![];
    }
    let (Some(r), Some(me)) = (state.resource(&b.resource), state.me()) else {
        return vec![];
    };
    let minutes = (b.terms.end.as_second() - b.terms.start.as_second()) / 60;
    let q = SlotQuery {
        kind: Some(r.kind.clone()),
        city: Some(r.location.city.en.clone()),
        owner: None,
        quantity: b.terms.quantity,
        features: BTreeSet::new(),
        duration_minutes: u32::try_from(minutes).unwrap_or(60).max(1),
        from: b.terms.start,
        to: b
            .terms
            .start
            .checked_add(SignedDuration::from_hours(12))
            .unwrap_or(b.terms.end),
        step_minutes: 30,
        limit: 3,
        per_resource: 1,
        requester: me,
    };
    vec![Effect::Suggest(b.id, q)]
}

pub(super) fn net_len(state: &State) -> usize {
    match state.net_pane {
        NetPane::Peers => state.data.status.as_ref().map_or(0, |s| s.peers.len()),
        NetPane::Roster => state.data.members.len(),
        NetPane::Refusals => state.data.status.as_ref().map_or(0, |s| s.refused.len()),
    }
}

pub(super) fn network_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    if let Some(d) = vertical(&k) {
        let n = net_len(state);
        step(&mut state.net_selected, d, n);
        return vec![];
    }
    match k.code {
        KeyCode::Tab => {
            state.net_pane = match state.net_pane {
                NetPane::Peers => NetPane::Roster,
                NetPane::Roster => NetPane::Refusals,
                NetPane::Refusals => NetPane::Peers,
            };
            state.net_selected = 0;
        }
        KeyCode::BackTab => {
            state.net_pane = match state.net_pane {
                NetPane::Peers => NetPane::Refusals,
                NetPane::Roster => NetPane::Peers,
                NetPane::Refusals => NetPane::Roster,
            };
            state.net_selected = 0;
        }
        KeyCode::Char('i') => {
            state.dialog = Some(Dialog::Invite {
                name: String::new(),
            });
        }
        KeyCode::Char('b') if state.net_pane == NetPane::Peers => {
            if let Some(p) = state
                .data
                .status
                .as_ref()
                .and_then(|s| s.peers.get(state.net_selected))
            {
                let name = state.text(&p.name).to_string();
                state.dialog = Some(Dialog::Block(p.agency, name, p.blocked.is_none()));
            }
        }
        KeyCode::Char('x') if state.net_pane == NetPane::Roster => {
            if let Some(m) = state.data.members.get(state.net_selected)
                && Some(m.agency) != state.me()
            {
                let name = state.text(&m.member.profile.name).to_string();
                state.dialog = Some(Dialog::Revoke(m.agency, name));
            }
        }
        _ => {}
    }
    vec![]
}

pub(super) fn dialog_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let Some(d) = state.dialog.take() else {
        return vec![];
    };
    let yes = k.code == KeyCode::Char('y') || k.code == KeyCode::Enter;
    let no = matches!(k.code, KeyCode::Esc) || k.code == KeyCode::Char('n');
    match d {
        Dialog::Cancel(id) if yes => vec![Effect::Cancel(CancelRequest {
            booking: id,
            reason: String::new(),
        })],
        Dialog::Block(agency, _, block) if yes => vec![Effect::Block(api::BlockRequest {
            agency,
            block,
            minutes: None,
        })],
        Dialog::Revoke(agency, _) if yes => vec![Effect::Revoke(RevokeRequest {
            agency,
            reason: String::new(),
        })],
        Dialog::Approve { booking, .. } if yes => vec![Effect::Decide(DecideRequest {
            booking,
            approve: true,
            reason: None,
        })],
        Dialog::Cancel(_) | Dialog::Revoke(..) | Dialog::Block(..) | Dialog::Approve { .. }
            if no =>
        {
            vec![]
        }
        Dialog::Token(_) if matches!(k.code, KeyCode::Esc | KeyCode::Enter) => vec![],
        Dialog::Hold {
            resource,
            mut from,
            mut to,
            mut reason,
            mut field,
        } => {
            match k.code {
                KeyCode::Esc => return vec![],
                KeyCode::Tab | KeyCode::Down => field = (field + 1) % 3,
                KeyCode::BackTab | KeyCode::Up => field = (field + 2) % 3,
                KeyCode::Enter => {
                    let start = super::parse::parse_instant(state, &from);
                    let end = super::parse::parse_instant(state, &to);
                    let why = reason.trim();
                    if let (Some(start), Some(end)) = (start, end)
                        && end > start
                        && !why.is_empty()
                    {
                        return vec![Effect::Hold(api::HoldRequest {
                            resources: vec![resource],
                            start,
                            end,
                            reason: crdt_model::agency::Text::new(why, why),
                        })];
                    }
                    error(state, i18n::E_HOLD_FIELDS.both());
                }
                _ => {
                    let value = match field {
                        0 => &mut from,
                        1 => &mut to,
                        _ => &mut reason,
                    };
                    edit_text(value, &k);
                }
            }
            state.dialog = Some(Dialog::Hold {
                resource,
                from,
                to,
                reason,
                field,
            });
            vec![]
        }
        Dialog::Reject { booking, reason } => match k.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter => vec![Effect::Decide(DecideRequest {
                booking,
                approve: false,
                reason: (!reason.trim().is_empty())
                    .then(|| crdt_model::agency::Text::new(reason.trim(), reason.trim())),
            })],
            _ => {
                let mut reason = reason;
                edit_text(&mut reason, &k);
                state.dialog = Some(Dialog::Reject { booking, reason });
                vec![]
            }
        },
        Dialog::PickResource {
            candidates,
            selected,
        } => super::book::pick_key(state, candidates, selected, k),
        Dialog::TripRequest {
            mut draft,
            vehicle,
            mut destination,
            mut purpose,
            on_purpose,
        } => match k.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter if !purpose.trim().is_empty() && !destination.trim().is_empty() => {
                draft.destination = destination.trim().to_string();
                draft.purpose = purpose.trim().to_string();
                vec![Effect::RequestTrip(draft)]
            }
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Enter => {
                state.dialog = Some(Dialog::TripRequest {
                    draft,
                    vehicle,
                    destination,
                    purpose,
                    on_purpose: !on_purpose,
                });
                vec![]
            }
            _ => {
                edit_text(
                    if on_purpose {
                        &mut purpose
                    } else {
                        &mut destination
                    },
                    &k,
                );
                state.dialog = Some(Dialog::TripRequest {
                    draft,
                    vehicle,
                    destination,
                    purpose,
                    on_purpose,
                });
                vec![]
            }
        },
        Dialog::Asset(input) => super::warehouse::asset_input_key(state, *input, k),
        d @ Dialog::ConfirmAsset { .. } => super::warehouse::confirm_asset_key(state, d, &k),
        Dialog::Odometer { trip, finish, km } => {
            super::dispatch::odometer_key(state, trip, finish, km, k)
        }
        Dialog::Invite { name } => match k.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter if !name.trim().is_empty() => vec![Effect::Invite(InviteRequest {
                agency: name.trim().to_string(),
                role: Role::Member,
                expires_hours: 24 * 7,
                bootstrap: Vec::new(),
            })],
            _ => {
                let mut name = name;
                edit_text(&mut name, &k);
                state.dialog = Some(Dialog::Invite { name });
                vec![]
            }
        },
        other => {
            state.dialog = Some(other);
            vec![]
        }
    }
}
