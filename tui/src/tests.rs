//! Snapshot tests of every screen (zh and en, wide and 80×24) and unit
//! tests of `update`.

use crdt_model::booking::Status as BookingStatus;
use crdt_model::resource::ResourceKind;
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{Action, Effect};
use crate::app::{Dialog, NetPane, Screen, State, book_field, find_field};
use crate::fixture;
use crate::grid::{Cell, classify};
use crate::i18n::Lang;
use crate::update::update;
use crate::view::{fit, view};

/// 2026-12-01 10:00 in Shanghai, a Tuesday: the TUI's clock is an input
/// (`State::now`, moved by `Action::Tick`), so these tests give it a fixed
/// one and pass whatever day the system clock says (checked under
/// libfaketime, years ahead and behind).
fn now() -> Timestamp {
    "2026-12-01T02:00:00Z".parse().expect("valid instant")
}

/// The day `n` days after [`now`]'s, in Shanghai (0 is that Tuesday).
fn day(n: i64) -> jiff::civil::Date {
    let today = now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"))
        .date();
    today
        .checked_add(jiff::Span::new().days(n))
        .expect("a date")
}

/// `hh:mm` on `d` in Shanghai.
fn shanghai(d: jiff::civil::Date, hh: i8, mm: i8) -> Timestamp {
    d.at(hh, mm, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"))
        .expect("a valid local time")
        .timestamp()
}

fn state(lang: Lang) -> State {
    fixture::state(lang, now(), 24, 120)
}

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn keys(s: &mut State, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(key(s, KeyCode::Char(c)));
    }
    out
}

/// The screen as text, one line per row (wide characters once).
fn render(s: &State, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| view(s, f)).expect("draw");
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut skip = 0;
        for x in 0..w {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            out.push_str(sym);
        }
        out.push_str("│\n");
    }
    out
}

/// A state on `screen` with something interesting on it.
fn on(lang: Lang, screen: Screen) -> State {
    let mut s = state(lang);
    s.size = (100, 30);
    match screen {
        Screen::Find => {
            s.find.form.set(find_field::QUANTITY, "6");
            s.find.form.set(find_field::CITY, "Hangzhou");
            s.find.form.set(find_field::DURATION, "0");
            crate::update::find_query(&mut s);
            let r = s.data.resources[1].id.clone();
            s.find.results = vec![crdt_model::availability::Candidate {
                resource: r,
                start: now() + jiff::SignedDuration::from_hours(24),
                end: now() + jiff::SignedDuration::from_hours(26),
                spare: 2,
                competing: 1,
            }];
            s.find.searched = true;
            s.find.form.focus = Some(find_field::DURATION);
        }
        Screen::Book => {
            let b = s
                .data
                .bookings
                .iter()
                .find(|b| matches!(b.status, BookingStatus::Rejected { .. }))
                .cloned();
            s.book.form.set(book_field::RESOURCE, "nowhere");
            crate::update::book_request(&mut s);
            s.book.submitted = b;
            s.book.form.focus = None;
        }
        Screen::Conflicts => {
            if let Some(b) = s.conflicts().first() {
                s.suggestions.booking = Some(b.id.clone());
            }
        }
        Screen::Network => s.net_pane = NetPane::Roster,
        _ => {}
    }
    s.screen = screen;
    s
}

#[test]
fn every_screen_in_both_languages_and_at_80x24() {
    for screen in Screen::ALL {
        for lang in [Lang::Zh, Lang::En] {
            let s = on(lang, screen);
            let name = format!("{screen:?}_{lang:?}_100x30").to_lowercase();
            insta::assert_snapshot!(name, render(&s, 100, 30));
        }
        let mut s = on(Lang::Zh, screen);
        update(&mut s, Action::Resize(80, 24));
        let name = format!("{screen:?}_zh_80x24").to_lowercase();
        insta::assert_snapshot!(name, render(&s, 80, 24));
    }
}

#[test]
fn week_view_help_overlay_and_unreachable_banner() {
    let mut s = on(Lang::En, Screen::Calendar);
    key(&mut s, KeyCode::Char('w'));
    insta::assert_snapshot!("calendar_week_en_100x30", render(&s, 100, 30));
    key(&mut s, KeyCode::Char('?'));
    insta::assert_snapshot!("help_en_100x30", render(&s, 100, 30));
    key(&mut s, KeyCode::Esc);
    update(
        &mut s,
        Action::Unreachable("127.0.0.1:7420 (connection refused)".into()),
    );
    insta::assert_snapshot!("unreachable_zh_80x24", {
        s.lang = Lang::Zh;
        render(&s, 80, 24)
    });
}

#[test]
fn a_revoked_agency_and_a_failed_store_show_in_a_banner_in_both_languages() {
    for (lang, revoked, storage) in [
        (Lang::Zh, "本单位已被撤销", "节点存储故障"),
        (Lang::En, "This agency was revoked", "Node storage failed"),
    ] {
        let mut s = on(lang, Screen::Resources);
        let st = s.data.status.as_mut().expect("fixture status");
        st.storage_fault = Some("No space left on device".into());
        let screen = render(&s, 120, 30);
        assert!(screen.contains(storage), "{screen}");
        let st = s.data.status.as_mut().expect("fixture status");
        st.revoked = Some(api::Revoked {
            by: st.agency,
            by_name: crdt_model::agency::Text::new("深圳市机关事务管理局", "Shenzhen GAA"),
            reason: "机构撤并\u{1b}[2J".into(),
        });
        let screen = render(&s, 120, 30);
        assert!(screen.contains(revoked), "{screen}");
        assert!(screen.contains("机构撤并"), "{screen}");
        assert!(
            !screen.contains('\u{1b}'),
            "no raw escape reaches the terminal"
        );
    }
}

#[test]
fn number_keys_switch_screens_but_type_into_a_focused_field() {
    let mut s = state(Lang::En);
    key(&mut s, KeyCode::Char('3'));
    assert_eq!(s.screen, Screen::Find);
    assert_eq!(s.find.form.focus, Some(0));
    key(&mut s, KeyCode::Char('5'));
    assert_eq!(s.screen, Screen::Find, "typed into the quantity field");
    assert_eq!(s.find.form.fields[find_field::QUANTITY].value, "15");
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Char('5'));
    assert_eq!(s.screen, Screen::Mine);
}

#[test]
fn free_slot_query_is_validated_in_place_then_sent_in_local_time() {
    let mut s = state(Lang::En);
    key(&mut s, KeyCode::Char('3'));
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    keys(&mut s, "0");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.is_empty(), "nothing sent with a bad field");
    assert!(s.find.form.fields[find_field::QUANTITY].error.is_some());
    assert!(s.toast.as_ref().is_some_and(|t| t.error));
    key(&mut s, KeyCode::Backspace);
    keys(&mut s, "12");
    s.find.form.set(find_field::KIND, "会议室");
    s.find.form.set(find_field::DATE, day(7).to_string());
    s.find.form.set(find_field::FROM, "14:00");
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Slots(q)] = fx.as_slice() else {
        panic!("expected a slot search, got {fx:?}");
    };
    assert_eq!(q.quantity, 12);
    assert_eq!(q.kind, Some(ResourceKind::MeetingRoom));
    assert_eq!(q.from, shanghai(day(7), 14, 0), "14:00 in Shanghai");
    assert_eq!(q.to, shanghai(day(7), 18, 0));
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
    assert_eq!(e.as_deref(), Some("请填写用途"));
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
    assert!(e.contains("多个资源同名"), "{e}");
    for id in &twins {
        assert!(e.contains(id.as_str()), "{e} lists {id}");
    }
    s.book.form.set(book_field::RESOURCE, twins[1].clone());
    let fx = key(&mut s, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::Book(r)] if r.resource.to_string() == twins[1]));
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
            message: "outside opening hours (rule)".into(),
            rule: Some(crdt_model::resource::RuleViolation::Closed),
        })),
    );
    let e = s.book.form.fields[book_field::START].error.clone();
    assert_eq!(e.as_deref(), Some("outside opening hours"), "{e:?}");
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
            id: crdt_model::ids::BookingId::new(s.data.members[requester].agency, local)
                .expect("id"),
            resource: res.id.clone(),
            terms: crdt_model::booking::Terms {
                start,
                end,
                quantity: size,
            },
            request: None,
            status: BookingStatus::Tentative { rank, fits },
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
fn cancel_and_revoke_ask_for_confirmation() {
    let mut s = state(Lang::En);
    key(&mut s, KeyCode::Char('5'));
    key(&mut s, KeyCode::Char('c'));
    assert!(matches!(s.dialog, Some(Dialog::Cancel(_))));
    assert!(key(&mut s, KeyCode::Char('n')).is_empty());
    assert!(s.dialog.is_none());
    key(&mut s, KeyCode::Char('c'));
    assert!(matches!(
        key(&mut s, KeyCode::Char('y')).as_slice(),
        [Effect::Cancel(_)]
    ));

    key(&mut s, KeyCode::Char('8'));
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.net_pane, NetPane::Roster);
    key(&mut s, KeyCode::Char('x'));
    assert!(s.dialog.is_none(), "cannot revoke ourselves (row 0)");
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('x'));
    assert!(matches!(s.dialog, Some(Dialog::Revoke(a, _)) if a == fixture::agency(1)));
    let fx = key(&mut s, KeyCode::Char('y'));
    assert!(matches!(fx.as_slice(), [Effect::Revoke(r)] if r.agency == fixture::agency(1)));
}

#[test]
fn resource_filters_narrow_the_list_and_the_calendar() {
    let mut s = state(Lang::Zh);
    let all = s.filtered_resources().len();
    key(&mut s, KeyCode::Char('t'));
    assert_eq!(s.resources.kind, Some(ResourceKind::MeetingRoom));
    let rooms = s.filtered_resources().len();
    assert!(rooms < all && rooms > 0);
    key(&mut s, KeyCode::Char('/'));
    keys(&mut s, "杭州");
    key(&mut s, KeyCode::Enter);
    assert!(
        s.filtered_resources()
            .iter()
            .all(|r| r.location.city.en == "Hangzhou" && r.kind == ResourceKind::MeetingRoom)
    );
    key(&mut s, KeyCode::Char('+'));
    key(&mut s, KeyCode::Char('+'));
    key(&mut s, KeyCode::Char('+'));
    key(&mut s, KeyCode::Char('+'));
    assert!(
        s.filtered_resources()
            .iter()
            .all(|r| r.capacity.size() >= 6)
    );
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Calendar);
}

#[test]
fn calendar_cells_tell_ours_confirmed_tentative_and_closed_apart() {
    let s = state(Lang::En);
    let me = s.me();
    let room = &s.data.resources[0];
    let list: Vec<_> = s
        .data
        .bookings
        .iter()
        .filter(|b| b.resource == room.id)
        .collect();
    for b in &list {
        let got = classify(room, &[*b], me, b.terms.start, b.terms.end);
        let want = match b.status {
            _ if Some(b.id.requester) == me
                && matches!(
                    b.status,
                    BookingStatus::Confirmed | BookingStatus::Tentative { .. }
                ) =>
            {
                Cell::Ours
            }
            BookingStatus::Confirmed => Cell::Confirmed,
            BookingStatus::Tentative { rank, .. } => Cell::Tentative(rank),
            _ => classify(room, &[], me, b.terms.start, b.terms.end),
        };
        assert_eq!(got, want, "{:?}", b.status);
    }
    // Saturday (four days after that Tuesday) 10:00 Shanghai: the meeting
    // room is closed.
    let sat = shanghai(day(4), 10, 0);
    let sat_end = sat + jiff::SignedDuration::from_hours(1);
    assert_eq!(classify(room, &[], me, sat, sat_end), Cell::Closed);
    assert_eq!(Cell::Tentative(2).symbol(), '2');
}

#[test]
fn language_switch_and_cjk_width() {
    let mut s = state(Lang::Zh);
    assert!(render(&s, 100, 30).contains("资源"));
    key(&mut s, KeyCode::Char('L'));
    assert!(render(&s, 100, 30).contains("Resources"));
    assert_eq!(fit("广西壮族自治区", 7), "广西壮…");
    assert_eq!(fit("abc", 7), "abc");
}

#[test]
fn dates_read_as_people_say_them() {
    let mut s = state(Lang::Zh);
    // `now` is a Tuesday: the coming Tuesday is 7 days on, the coming
    // Friday 3, next week's Friday (下周五) 10.
    let far = day(23).to_string();
    for (text, want) in [
        ("tue", day(7)),
        ("next tuesday", day(7)),
        ("周二", day(7)),
        ("周五", day(3)),
        ("下周五", day(10)),
        ("下周一", day(6)),
        ("星期日", day(5)),
        ("+2", day(2)),
        (far.as_str(), day(23)),
    ] {
        s.find.form.set(find_field::DATE, text);
        let q = crate::update::find_query(&mut s).expect(text);
        let got = q.from.to_zoned(s.tz.clone()).date();
        assert_eq!(got, want, "{text}");
    }
    s.find.form.set(find_field::DATE, "someday");
    assert!(crate::update::find_query(&mut s).is_none());
    assert!(s.find.form.fields[find_field::DATE].error.is_some());
}
