//! The booking and review flows, key by key: a resource named
//! ambiguously, a candidate filling the form, a purpose required, nothing
//! sent twice, alternatives chosen then confirmed, approvals out of turn,
//! and what a waiting booking says.

use super::*;

#[test]
fn a_name_several_agencies_use_is_not_booked_until_the_id_is_given() {
    let mut s = state(Lang::Zh);
    let first = s.data.resources[0].clone();
    let twins: Vec<_> = s
        .data
        .resources
        .iter()
        .filter(|r| r.name.zh == first.name.zh)
        .map(|r| r.id.to_string())
        .collect();
    assert!(
        twins.len() > 1,
        "the fixture has a name several agencies use"
    );
    s.screen = Screen::Book;
    s.book.form.set(book_field::RESOURCE, first.name.zh.clone());
    s.book.form.set(book_field::PURPOSE, "联席会议");
    s.book
        .form
        .set(book_field::START, format!("{} 10:00", day(1)));
    s.book
        .form
        .set(book_field::END, format!("{} 11:00", day(1)));
    s.book.form.focus = Some(book_field::PURPOSE);
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.is_empty(), "nothing booked: {fx:?}");
    let e = s.book.form.fields[book_field::RESOURCE]
        .error
        .clone()
        .unwrap_or_default();
    assert!(e.zh.contains("多个资源同名"), "{e:?}");
    for id in &twins {
        assert!(e.zh.contains(id.as_str()), "{e:?} lists {id}");
        assert!(e.en.contains(id.as_str()), "{e:?} lists {id}");
    }
    // A picker opens, name · city · owner, nothing chosen for the user.
    let Some(Dialog::PickResource {
        candidates,
        selected,
    }) = s.dialog.clone()
    else {
        panic!("a picker: {:?}", s.dialog);
    };
    assert_eq!(
        candidates.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        twins
    );
    assert_eq!(selected, 0);
    let screen = render(&s, 100, 30);
    assert!(
        screen.contains("多个资源同名，请选择") && screen.contains("杭州"),
        "{screen}"
    );
    // ↓ Enter takes the second and sends the request at once.
    key(&mut s, KeyCode::Down);
    let fx = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::Book(r)] if r.resource.to_string() == twins[1]),
        "{fx:?}"
    );
    assert_eq!(s.book.form.value(book_field::RESOURCE), twins[1]);
    // Esc leaves the picker with the form as it was.
    s.book.last_sent = None;
    s.book.submitting = false;
    s.book.form.set(book_field::RESOURCE, first.name.zh.clone());
    s.book.form.focus = Some(book_field::PURPOSE);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Esc);
    assert!(s.dialog.is_none());
    assert_eq!(s.book.form.value(book_field::RESOURCE), first.name.zh);
}

#[test]
fn booking_form_shows_rule_violations_next_to_the_field() {
    let mut s = state(Lang::En);
    let room = s.data.resources[0].id.to_string(); // meeting room, open 08:30–18:00 weekdays
    s.screen = Screen::Book;
    s.book.form.set(book_field::RESOURCE, room.clone());
    s.book.form.set(book_field::PURPOSE, "培训");
    s.book
        .form
        .set(book_field::START, format!("{} 20:00", day(1)));
    s.book
        .form
        .set(book_field::END, format!("{} 21:00", day(1)));
    s.book.form.focus = Some(book_field::PURPOSE);
    // The node checks the rules; its refusal names the rule, shown at its field.
    let fx = key(&mut s, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::Book(_)]), "{fx:?}");
    update(
        &mut s,
        Action::Booked(Err(crate::action::Failure {
            message: crdt_model::agency::Text::new(
                "不在开放时间内（rule）",
                "outside opening hours (rule)",
            ),
            rule: Some(crdt_model::resource::RuleViolation::Closed),
        })),
    );
    let e = s.book.form.fields[book_field::START].error.clone();
    assert_eq!(
        e.as_ref().map(|t| t.en.as_str()),
        Some("outside opening hours"),
        "{e:?}"
    );
    assert_eq!(
        s.book.form.focus,
        Some(book_field::START),
        "focus on the field"
    );
    assert!(s.toast.as_ref().is_some_and(|t| t.error));
    s.book
        .form
        .set(book_field::START, format!("{} 10:00", day(1)));
    s.book
        .form
        .set(book_field::END, format!("{} 11:00", day(1)));
    let fx = key(&mut s, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::Book(r)] if r.resource.to_string() == room));
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "no double submit");
}

#[test]
fn a_candidate_fills_the_form_a_purpose_is_required_and_the_result_shows_live() {
    let mut s = state(Lang::Zh);
    let r = s.data.resources[1].id.clone();
    let start = now() + jiff::SignedDuration::from_hours(24);
    let end = start + jiff::SignedDuration::from_hours(1);
    key(&mut s, KeyCode::Char('3'));
    update(
        &mut s,
        Action::Slots(Ok(vec![crdt_model::availability::Candidate {
            resource: r.clone(),
            start,
            end,
            spare: 0,
            competing: 0,
        }])),
    );
    assert_eq!(s.find.form.focus, None, "focus moves to the candidates");
    // Enter opens the filled form, the cursor on the purpose; nothing sent.
    assert!(
        key(&mut s, KeyCode::Enter).is_empty(),
        "one key books nothing"
    );
    assert_eq!(s.screen, Screen::Book);
    assert_eq!(s.book.form.focus, Some(book_field::PURPOSE));
    // Without a purpose nothing is sent either.
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    let e = s.book.form.fields[book_field::PURPOSE].error.clone();
    assert_eq!(e.as_ref().map(|t| t.zh.as_str()), Some("请填写用途"));
    keys(&mut s, "跨城协调会");
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Book(req)] = fx.as_slice() else {
        panic!("expected a booking, got {fx:?}");
    };
    assert_eq!((&req.resource, req.start, req.end), (&r, start, end));
    assert_eq!(req.purpose, "跨城协调会");
    // The node answers: tentative; a later refresh shows it confirmed.
    let mut b = s.data.bookings[0].clone();
    b.status = BookingStatus::Tentative {
        waiting: false,
        rank: 2,
        fits: true,
    };
    update(&mut s, Action::Booked(Ok(Box::new(b.clone()))));
    assert!(render(&s, 100, 30).contains("待定(第2位)"));
    let mut data = s.data.clone();
    let fresh = data
        .bookings
        .iter_mut()
        .find(|x| x.id == b.id)
        .expect("there");
    fresh.status = BookingStatus::Confirmed;
    update(&mut s, Action::Data(Box::new(data)));
    assert!(render(&s, 100, 30).contains("已确认"));
}

#[test]
fn a_rejected_bookings_alternative_is_chosen_then_confirmed_and_never_sent_twice() {
    let mut s = state(Lang::En);
    let me = s.me().expect("status");
    let b = s
        .data
        .bookings
        .iter()
        .find(|b| {
            b.id.requester == me
                && matches!(b.status, BookingStatus::Rejected { .. })
                && s.resource(&b.resource)
                    .is_some_and(|r| r.rules.opening.is_none())
        })
        .cloned()
        .expect("fixture has one");
    let BookingStatus::Rejected { alternatives, .. } = &b.status else {
        unreachable!()
    };
    let alt = alternatives.last().expect("an alternative").clone();
    // Move the clock back a day: the alternative must still be in the future.
    s.now = b.terms.start - jiff::SignedDuration::from_hours(24);
    s.screen = Screen::Book;
    update(&mut s, Action::Booked(Ok(Box::new(b.clone()))));
    // Digits switch screens, even here.
    key(&mut s, KeyCode::Char('1'));
    assert_eq!(s.screen, Screen::Resources, "1 is screen 1");
    key(&mut s, KeyCode::Char('4'));
    assert_eq!(s.screen, Screen::Book);
    // ↓ chooses the last alternative; `a` fills the form with it, the
    // original purpose and contact, the cursor on the purpose; Enter sends.
    for _ in 0..alternatives.len() {
        key(&mut s, KeyCode::Down);
    }
    assert!(
        key(&mut s, KeyCode::Char('a')).is_empty(),
        "a sends nothing"
    );
    assert_eq!(s.book.form.focus, Some(book_field::PURPOSE));
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Book(r)] = fx.as_slice() else {
        panic!("expected a booking, got {fx:?}");
    };
    assert_eq!(
        (r.start, r.end, &r.resource),
        (alt.start, alt.end, &alt.resource)
    );
    update(&mut s, Action::Booked(Ok(Box::new(b.clone()))));
    // Enter after a submission edits the form again; sending the very same
    // request again is refused.
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert_eq!(s.book.form.focus, Some(0));
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "not sent twice");
    assert!(s.toast.as_ref().is_some_and(|t| t.error));
}

#[test]
fn approving_out_of_turn_asks_first_and_says_whom_it_pushes_out() {
    let mut s = state(Lang::En);
    let me = s.me().expect("status");
    let res = s
        .data
        .resources
        .iter()
        .find(|r| {
            r.id.owner == me && matches!(r.capacity, crdt_model::resource::Capacity::Units(_))
        })
        .cloned()
        .expect("a resource of ours counted in units");
    let size = res.capacity.size();
    let start = now() + jiff::SignedDuration::from_hours(24 * 30);
    let end = start + jiff::SignedDuration::from_hours(1);
    let request =
        |local: &str, requester: usize, rank: u32, fits: bool| crdt_model::calendar::Booking {
            decided_by: None,
            id: crdt_model::ids::BookingId::new(s.data.members[requester].agency, local)
                .expect("id"),
            resource: res.id.clone(),
            terms: crdt_model::booking::Terms {
                start,
                end,
                quantity: size,
            },
            request: None,
            status: BookingStatus::Tentative {
                rank,
                fits,
                waiting: false,
            },
            checked_in: None,
        };
    let first = request("first", 1, 1, true);
    let second = request("second", 2, 2, false);
    s.data.bookings.retain(|b| b.resource != res.id);
    s.data.bookings.extend([first.clone(), second.clone()]);
    s.screen = Screen::Approvals;
    let queue: Vec<_> = s.approval_queue().iter().map(|b| b.id.clone()).collect();
    s.approvals_selected = queue
        .iter()
        .position(|id| *id == second.id)
        .expect("queued");
    assert!(key(&mut s, KeyCode::Char('a')).is_empty(), "asks first");
    let Some(Dialog::Approve { displaced, .. }) = &s.dialog else {
        panic!("expected a confirmation, got {:?}", s.dialog);
    };
    assert_eq!(displaced.len(), 1);
    assert!(
        displaced[0].contains(&s.agency_name(&first.id.requester)),
        "{displaced:?}"
    );
    assert!(render(&s, 120, 30).contains("pushes out"));
    let fx = key(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(fx.as_slice(), [Effect::Decide(d)] if d.booking == second.id && d.approve),
        "{fx:?}"
    );
    // The first in line is approved at once.
    s.approvals_selected = queue.iter().position(|id| *id == first.id).expect("queued");
    let fx = key(&mut s, KeyCode::Char('a'));
    assert!(matches!(fx.as_slice(), [Effect::Decide(d)] if d.booking == first.id));
}

#[test]
fn a_tentative_booking_says_whose_approval_it_waits_for_and_what_is_ahead() {
    let mut s = state(Lang::Zh);
    let me = s.me().expect("status");
    let mut res = s
        .data
        .resources
        .iter()
        .find(|r| r.id.owner != me)
        .cloned()
        .expect("another agency's resource");
    res.rules.approval = crdt_model::resource::Approval::Required;
    let rid = res.id.clone();
    s.data.resources.retain(|r| r.id != rid);
    s.data.resources.push(res);
    let start = now() + jiff::SignedDuration::from_hours(24 * 30);
    let terms = crdt_model::booking::Terms {
        start,
        end: start + jiff::SignedDuration::from_hours(1),
        quantity: 1,
    };
    let other = s.data.members[2].agency;
    let held = crdt_model::calendar::Booking {
        decided_by: None,
        checked_in: None,
        id: crdt_model::ids::BookingId::new(other, "held").expect("id"),
        resource: rid.clone(),
        terms,
        request: None,
        status: BookingStatus::Confirmed,
    };
    let mut mine = s
        .data
        .bookings
        .iter()
        .find(|b| b.request.is_some())
        .cloned()
        .expect("one");
    mine.id = crdt_model::ids::BookingId::new(me, "mine").expect("id");
    mine.resource = rid.clone();
    mine.terms = terms;
    mine.status = BookingStatus::Tentative {
        waiting: false,
        rank: 1,
        fits: false,
    };
    s.data.bookings.retain(|b| b.resource != rid);
    s.data.bookings.extend([held, mine.clone()]);
    s.screen = Screen::Book;
    update(&mut s, Action::Booked(Ok(Box::new(mine.clone()))));
    let screen = render(&s, 120, 30);
    let owner = s.agency_name(&rid.owner);
    assert!(screen.contains(&format!("等待{owner}审批")), "{screen}");
    let who = s.agency_name(&other);
    assert!(screen.contains(&format!("与{who}")), "{screen}");
    assert!(screen.contains("已确认预订重叠，排在您前面"), "{screen}");
    assert!(screen.contains("提交于"), "{screen}");
    assert!(
        !screen.contains(&mine.id.to_string()),
        "no booking id on screen"
    );
}

#[test]
fn suggestions_never_offer_the_conflicting_slot_and_say_what_needs_approval() {
    let mut s = on(Lang::Zh, Screen::Conflicts);
    let b = s
        .conflicts()
        .first()
        .map(|b| (*b).clone())
        .expect("a conflict");
    let mut other = s
        .data
        .resources
        .iter()
        .find(|r| r.id != b.resource)
        .cloned()
        .expect("another resource");
    other.rules.approval = crdt_model::resource::Approval::Required;
    s.data.resources.retain(|r| r.id != other.id);
    s.data.resources.push(other.clone());
    let slot =
        |resource: &crdt_model::ids::ResourceId, start| crdt_model::availability::Candidate {
            resource: resource.clone(),
            start,
            end: start + jiff::SignedDuration::from_hours(1),
            spare: 1,
            competing: 0,
        };
    update(
        &mut s,
        Action::Suggested(
            b.id.clone(),
            vec![
                slot(&b.resource, b.terms.start),
                slot(&other.id, b.terms.start),
            ],
        ),
    );
    assert_eq!(
        s.suggestions.slots.len(),
        1,
        "the conflicting slot is not offered"
    );
    assert_eq!(s.suggestions.slots[0].resource, other.id);
    let screen = render(&s, 120, 30);
    assert!(screen.contains("需审批"), "{screen}");
}

#[test]
fn operator_approves_and_rejects_with_a_reason() {
    let mut s = state(Lang::En);
    key(&mut s, KeyCode::Char('6'));
    let queue: Vec<_> = s.approval_queue().iter().map(|b| b.id.clone()).collect();
    assert!(!queue.is_empty());
    let fx = key(&mut s, KeyCode::Char('a'));
    assert!(matches!(fx.as_slice(), [Effect::Decide(d)] if d.approve && d.booking == queue[0]));
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('x'));
    assert!(matches!(s.dialog, Some(Dialog::Reject { .. })));
    keys(&mut s, "full");
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Decide(d)] = fx.as_slice() else {
        panic!("expected a decision, got {fx:?}");
    };
    assert!(!d.approve);
    assert_eq!(d.booking, queue[1.min(queue.len() - 1)]);
    assert_eq!(d.reason.as_ref().map(|t| t.en.as_str()), Some("full"));
    assert!(s.dialog.is_none());
}

#[test]
fn typing_another_resource_clears_people_and_purpose() {
    let mut s = state(Lang::En);
    let (a, b) = (
        s.data.resources[0].id.to_string(),
        s.data.resources[1].id.to_string(),
    );
    s.screen = Screen::Book;
    s.book.form.set(book_field::RESOURCE, a.clone());
    s.book.form.set(book_field::QUANTITY, "12");
    s.book.form.set(book_field::PURPOSE, "联席会议");
    s.book.form.focus = Some(book_field::RESOURCE);
    // Tabbing through changes nothing.
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.book.form.value(book_field::PURPOSE), "联席会议");
    // Typing another resource, then leaving the field, clears them.
    key(&mut s, KeyCode::BackTab);
    keys(&mut s, &b);
    assert_eq!(
        s.book.form.value(book_field::RESOURCE),
        b,
        "the first key replaced the id"
    );
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.book.form.value(book_field::QUANTITY), "1");
    assert_eq!(s.book.form.value(book_field::PURPOSE), "");
}

/// As data arrive, the TUI says what just happened to this agency: its
/// waiting request confirmed or rejected by the owner, new requests waiting
/// for its decision; nothing when nothing changed.
#[test]
fn a_decision_on_our_request_and_new_requests_for_us_are_told_as_they_come() {
    let mut s = state(Lang::Zh);
    let me = s.me().expect("status");
    let mine = s
        .data
        .bookings
        .iter()
        .position(|b| b.id.requester == me && b.resource.owner != me)
        .expect("a request of ours for another agency's resource");
    s.data.bookings[mine].status = BookingStatus::Tentative {
        waiting: false,
        rank: 1,
        fits: true,
    };
    s.toast = None;
    let same = s.data.clone();
    update(&mut s, Action::Data(Box::new(same)));
    assert!(s.toast.is_none(), "nothing changed, nothing told");

    let mut data = s.data.clone();
    data.bookings[mine].status = BookingStatus::Confirmed;
    let name = s
        .resource(&data.bookings[mine].resource)
        .map(|r| r.name.zh.clone())
        .expect("its resource");
    update(&mut s, Action::Data(Box::new(data)));
    let t = s.toast.clone().expect("told");
    assert!(
        t.text.zh.contains("您的预订已确认") && t.text.zh.contains(&name),
        "{t:?}"
    );
    assert!(t.text.en.contains("confirmed"), "{t:?}");

    // A new request from another agency for one of our resources.
    let ours = s
        .data
        .resources
        .iter()
        .find(|r| r.id.owner == me)
        .expect("a resource of ours")
        .id
        .clone();
    let mut data = s.data.clone();
    let mut extra = data.bookings[mine].clone();
    extra.id =
        crdt_model::ids::BookingId::new(crdt_model::ids::AgencyId([9; 32]), "new-1").expect("id");
    extra.resource = ours;
    extra.status = BookingStatus::Tentative {
        waiting: false,
        rank: 1,
        fits: true,
    };
    data.bookings.push(extra);
    s.toast = None;
    update(&mut s, Action::Data(Box::new(data)));
    let t = s.toast.clone().expect("told");
    assert!(t.text.zh.contains("1 项新申请"), "{t:?}");
}

/// The booking screen with the first resource, tomorrow 10:00–11:00 and
/// `purpose` filled in; the resource's id.
fn filled_form(purpose: &str) -> (State, String) {
    let mut s = state(Lang::Zh);
    let room = s.data.resources[0].id.to_string();
    s.screen = Screen::Book;
    s.book.form.set(book_field::RESOURCE, room.clone());
    s.book.form.set(book_field::PURPOSE, purpose);
    s.book
        .form
        .set(book_field::START, format!("{} 10:00", day(1)));
    s.book
        .form
        .set(book_field::END, format!("{} 11:00", day(1)));
    (s, room)
}

#[test]
fn the_booking_form_sends_a_recurring_series_and_refuses_a_bad_rule() {
    let (mut s, room) = filled_form("周例会");
    s.book.form.set(book_field::REPEAT, "FREQ=WEEKLY");
    s.book.form.focus = Some(book_field::REPEAT);
    // No COUNT or UNTIL: the field says what a rule looks like, nothing is sent.
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    let e = s.book.form.fields[book_field::REPEAT].error.clone();
    assert!(e.is_some_and(|t| t.zh.contains("COUNT")));
    s.book
        .form
        .set(book_field::REPEAT, "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10");
    s.book.form.focus = Some(book_field::REPEAT);
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::BookSeries(r)] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!(r.repeat, "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10");
    assert_eq!(r.book.resource.to_string(), room);
}

#[test]
fn the_booking_form_joins_the_waiting_list_and_my_bookings_check_in() {
    let (mut s, _) = filled_form("候补会议");
    // Neither yes nor no: the field says so, nothing is sent.
    s.book.form.set(book_field::WAIT_LIST, "也许");
    s.book.form.focus = Some(book_field::WAIT_LIST);
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(s.book.form.fields[book_field::WAIT_LIST].error.is_some());
    s.book.form.set(book_field::WAIT_LIST, "是");
    s.book.form.focus = Some(book_field::WAIT_LIST);
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Book(r)] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert!(r.wait_list);

    // My bookings: `i` checks in to a confirmed one, not to another.
    let mut s = on(Lang::En, Screen::Mine);
    let confirmed = s
        .my_bookings()
        .iter()
        .position(|b| b.status == BookingStatus::Confirmed)
        .expect("a confirmed booking of ours");
    s.mine_selected = confirmed;
    let id = s.my_bookings()[confirmed].id.clone();
    let fx = key(&mut s, KeyCode::Char('i'));
    let [Effect::CheckIn(r)] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!(r.booking, id);
    if let Some(other) = s
        .my_bookings()
        .iter()
        .position(|b| b.status != BookingStatus::Confirmed)
    {
        s.mine_selected = other;
        assert!(key(&mut s, KeyCode::Char('i')).is_empty());
    }
}

#[test]
fn a_booking_released_for_an_owners_hold_says_why_and_what_else_is_free() {
    for (lang, reason, status) in [
        (Lang::Zh, "防汛应急指挥", "已收回"),
        (Lang::En, "flood emergency", "withdrawn"),
    ] {
        let mut s = on(lang, Screen::Mine);
        let i = s
            .data
            .bookings
            .iter()
            .position(|b| s.my_bookings().iter().any(|m| m.id == b.id))
            .expect("ours");
        let other = s.data.resources[1].id.clone();
        let b = &mut s.data.bookings[i];
        b.status = BookingStatus::Released {
            why: crdt_model::booking::ReleaseWhy::Withdrawn {
                reason: crdt_model::agency::Text::new("防汛应急指挥", "flood emergency"),
                alternatives: vec![crdt_model::booking::Alternative {
                    resource: other,
                    start: b.terms.start,
                    end: b.terms.end,
                }],
            },
        };
        let id = b.id.clone();
        s.mine_past = false;
        s.mine_selected = s.my_bookings().iter().position(|m| m.id == id).unwrap_or(0);
        let screen = render(&s, 100, 30);
        assert!(screen.contains(reason), "{screen}");
        assert!(screen.contains(status), "{screen}");
        assert!(screen.contains("→"), "an alternative: {screen}");
    }
}

#[test]
fn the_title_bar_names_the_person_signed_in_and_details_name_who_asked_and_decided() {
    for (lang, shown) in [(Lang::Zh, "李四（审批人）"), (Lang::En, "李四（approver）")] {
        let mut s = on(lang, Screen::Mine);
        if let Some(st) = s.data.status.as_mut() {
            st.user = Some(api::UserEntry {
                name: "李四".into(),
                role: api::Role::Approver,
                resources: Vec::new(),
            });
        }
        let wide = render(&s, 220, 30);
        assert!(
            wide.lines().next().is_some_and(|l| l.contains(shown)),
            "{wide}"
        );
        // Narrow: the name alone, never cut.
        let narrow = render(&s, 100, 30);
        let first = narrow.lines().next().unwrap_or_default().to_string();
        assert!(first.contains("李四") && !first.contains("（审"), "{first}");

        let id = s.my_bookings()[0].id.clone();
        let b = s
            .data
            .bookings
            .iter_mut()
            .find(|b| b.id == id)
            .expect("ours");
        if let Some(r) = b.request.as_mut() {
            r.by = Some("张三".into());
        }
        b.decided_by = Some("李四".into());
        s.mine_selected = 0;
        let screen = render(&s, 100, 30);
        assert!(
            screen.contains("张三") && screen.contains("李四"),
            "{screen}"
        );
    }
}

#[test]
fn a_staff_member_signed_in_sees_only_their_own_requests() {
    let mut s = on(Lang::Zh, Screen::Mine);
    let all = s.my_bookings().len();
    assert!(all > 1);
    let first = s.my_bookings()[0].id.clone();
    for b in s.data.bookings.iter_mut().filter(|b| b.id == first) {
        if let Some(r) = b.request.as_mut() {
            r.by = Some("张三".into());
        }
    }
    if let Some(st) = s.data.status.as_mut() {
        st.user = Some(api::UserEntry {
            name: "张三".into(),
            role: api::Role::Staff,
            resources: Vec::new(),
        });
    }
    let own: Vec<_> = s.my_bookings().iter().map(|b| b.id.clone()).collect();
    assert_eq!(own, vec![first]);
    // An approver sees the agency's.
    if let Some(u) = s.data.status.as_mut().and_then(|st| st.user.as_mut()) {
        u.role = api::Role::Approver;
    }
    assert_eq!(s.my_bookings().len(), all);
}

#[test]
fn an_operator_holds_one_of_our_rooms_from_the_calendar_after_seeing_what_it_withdraws() {
    for lang in [Lang::Zh, Lang::En] {
        let mut s = on(lang, Screen::Calendar);
        let me = s.me().expect("signed in");
        let list = s.filtered_resources();
        let theirs = list
            .iter()
            .position(|r| r.owner() != me)
            .expect("another's");
        let ours = list.iter().position(|r| r.owner() == me).expect("ours");
        let rid = list[ours].id.clone();
        s.calendar.row = theirs;
        assert!(key(&mut s, KeyCode::Char('H')).is_empty());
        assert!(s.dialog.is_none() && s.toast.as_ref().is_some_and(|t| t.error));

        s.calendar.row = ours;
        // One confirmed booking of the room on the day the dialog proposes.
        let day = s.calendar.day;
        let tz = s.tz.clone();
        let at = |h: i8| {
            day.at(h, 0, 0, 0)
                .to_zoned(tz.clone())
                .expect("zoned")
                .timestamp()
        };
        let (a, b) = (at(10), at(11));
        let i = s
            .data
            .bookings
            .iter()
            .position(|x| x.status == BookingStatus::Confirmed)
            .expect("a confirmed booking");
        s.data.bookings[i].resource = rid.clone();
        s.data.bookings[i].terms.start = a;
        s.data.bookings[i].terms.end = b;
        assert!(key(&mut s, KeyCode::Char('H')).is_empty());
        assert!(matches!(s.dialog, Some(Dialog::Hold { .. })));
        let screen = render(&s, 100, 30);
        let told = match lang {
            Lang::Zh => "将收回的已确认预订：1 项",
            Lang::En => "confirmed bookings to withdraw: 1",
        };
        assert!(screen.contains(told), "{screen}");
        // No reason: refused, the dialog stays.
        assert!(key(&mut s, KeyCode::Enter).is_empty());
        assert!(matches!(s.dialog, Some(Dialog::Hold { .. })));
        for c in "防汛".chars() {
            key(&mut s, KeyCode::Char(c));
        }
        let fx = key(&mut s, KeyCode::Enter);
        let [Effect::Hold(h)] = fx.as_slice() else {
            panic!("{fx:?}");
        };
        assert_eq!(h.resources, vec![rid]);
        assert_eq!(h.reason.zh, "防汛");
        assert_eq!((h.start, h.end), (at(8), at(18)));
    }
}
