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

mod finding;
mod flows;
mod report;
mod trips;
mod warehouse;

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
        Screen::Dispatch => fixture::with_fleet(&mut s),
        Screen::Warehouse => fixture::with_warehouse(&mut s),
        Screen::Report => fixture::with_report(&mut s),
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
        for lang in [Lang::Zh, Lang::En] {
            let mut s = on(lang, screen);
            update(&mut s, Action::Resize(80, 24));
            let name = format!("{screen:?}_{lang:?}_80x24").to_lowercase();
            insta::assert_snapshot!(name, render(&s, 80, 24));
        }
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
        Action::Unreachable(crdt_model::agency::Text::new(
            "127.0.0.1:7420（连接被拒绝）",
            "127.0.0.1:7420 (connection refused)",
        )),
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
fn a_store_that_lost_acknowledged_changes_shows_in_a_banner_in_both_languages() {
    for (lang, text) in [
        (Lang::Zh, "存储丢失了已确认的变更"),
        (Lang::En, "Store lost acknowledged"),
    ] {
        let mut s = on(lang, Screen::Resources);
        let st = s.data.status.as_mut().expect("fixture status");
        st.own_gaps = vec![api::OwnGap {
            doc: crdt_model::ids::DocId::catalog(st.agency),
            held: 5,
            acknowledged: 8,
        }];
        let screen = render(&s, 120, 30);
        assert!(screen.contains(text) && screen.contains("5/8"), "{screen}");
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
    // The first key replaces a number; the next ones extend it.
    assert_eq!(s.find.form.fields[find_field::QUANTITY].value, "5");
    key(&mut s, KeyCode::Char('2'));
    assert_eq!(s.find.form.fields[find_field::QUANTITY].value, "52");
    // Backspace edits rather than replaces, once the focus has moved.
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::BackTab);
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Char('0'));
    assert_eq!(s.find.form.fields[find_field::QUANTITY].value, "50");
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
fn the_operator_blocks_and_unblocks_a_peer_from_the_network_screen() {
    let mut s = state(Lang::En);
    key(&mut s, KeyCode::Char('8'));
    assert_eq!(s.net_pane, NetPane::Peers);
    insta::assert_snapshot!("peers_en_100x30", render(&s, 100, 30));
    s.lang = Lang::Zh;
    insta::assert_snapshot!("peers_zh_100x30", render(&s, 100, 30));
    s.lang = Lang::En;
    // The first peer is connected: `b` asks to block it.
    key(&mut s, KeyCode::Char('b'));
    assert!(matches!(s.dialog, Some(Dialog::Block(a, _, true)) if a == fixture::agency(1)));
    assert!(
        key(&mut s, KeyCode::Char('n')).is_empty(),
        "n leaves it alone"
    );
    assert!(s.dialog.is_none());
    key(&mut s, KeyCode::Char('b'));
    let fx = key(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(fx.as_slice(), [Effect::Block(r)] if r.agency == fixture::agency(1) && r.block)
    );
    // The third peer is blocked already: `b` asks to unblock it.
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('b'));
    assert!(matches!(s.dialog, Some(Dialog::Block(a, _, false)) if a == fixture::agency(3)));
    let fx = key(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(fx.as_slice(), [Effect::Block(r)] if r.agency == fixture::agency(3) && !r.block)
    );
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
    // English is cut between words, never inside one.
    assert_eq!(fit("Visitor parking · Shenzhen", 17), "Visitor parking…");
    assert_eq!(fit("Guangxi Government Affairs", 16), "Guangxi…");
    assert_eq!(fit("Shijiazhuang", 10), "Shijiazhu…");
}

#[test]
fn narrow_tabs_all_fit_and_approvals_show_a_count() {
    for lang in [Lang::Zh, Lang::En] {
        let s = on(lang, Screen::Resources);
        let waiting = s.approval_queue().len();
        assert!(waiting > 0, "the fixture has requests waiting");
        let top = render(&s, 80, 24)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        for screen in Screen::ALL {
            let title = s.t(screen.short_title());
            assert!(
                top.contains(&format!(" {}{title}", screen.key()))
                    || top.contains(&format!(" {}:{title}", screen.key())),
                "every tab visible at 80 columns: {top}"
            );
        }
        assert!(top.contains(&format!("({waiting})")), "{top}");
        assert!(top.contains("10:00"), "the clock stays: {top}");
    }
}

#[test]
fn calendar_marks_bookings_outside_the_hours_shown_and_names_the_city() {
    let mut s = on(Lang::Zh, Screen::Calendar);
    let first = s.filtered_resources()[0].clone();
    let row = |s: &State| {
        render(s, 100, 30)
            .lines()
            .nth(3)
            .unwrap_or_default()
            .to_string()
    };
    assert!(row(&s).contains(&format!("{} · 深圳", s.text(&first.name))));
    assert!(!row(&s).contains('›'), "{}", row(&s));
    let mut late = s
        .data
        .bookings
        .iter()
        .find(|b| b.resource == first.id)
        .expect("a booking of the first resource")
        .clone();
    late.status = BookingStatus::Confirmed;
    late.terms.start = shanghai(day(0), 22, 0);
    late.terms.end = shanghai(day(0), 23, 0);
    s.data.bookings.push(late);
    assert!(row(&s).contains('›'), "{}", row(&s));
}

#[test]
fn refused_changes_are_told_in_words_not_ids() {
    for (lang, doc, why) in [
        (Lang::Zh, "的资源目录", "签名无效"),
        (Lang::En, "catalogue of", "bad signature"),
    ] {
        let mut s = on(lang, Screen::Network);
        s.net_pane = NetPane::Refusals;
        let out = render(&s, 100, 30);
        assert!(out.contains(doc) && out.contains(why), "{out}");
        assert!(!out.contains("catalog/"), "no document ids: {out}");
    }
}

#[test]
fn messages_already_shown_switch_language_with_l() {
    let mut s = on(Lang::Zh, Screen::Approvals);
    let refused = api::ApiError {
        code: "cannot_decide".into(),
        message: "confirming would exceed capacity".into(),
        rule: None,
    };
    update(&mut s, Action::Done(Err(refused.text())));
    let out = render(&s, 100, 30);
    assert!(
        out.contains("批准会超出容量"),
        "the node's refusal in Chinese: {out}"
    );
    assert!(!out.contains("confirming would"), "{out}");
    key(&mut s, KeyCode::Char('L'));
    let out = render(&s, 100, 30);
    assert!(
        out.contains("confirming would exceed capacity"),
        "redrawn in English: {out}"
    );
    // A form's own errors follow too.
    s.screen = Screen::Book;
    s.book.form.set(book_field::RESOURCE, "");
    crate::update::book_request(&mut s);
    let en = render(&s, 100, 30);
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Char('L'));
    let zh = render(&s, 100, 30);
    assert!(
        en.contains("a purpose is required") && zh.contains("请填写用途"),
        "{en}\n{zh}"
    );
}

#[test]
fn an_invitation_token_is_shown_whole_at_80_by_24() {
    let mut s = state(Lang::En);
    // The length of a realistic token (bootstrap's own test measures it).
    let token: String = (0..600)
        .map(|i| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36]))
        .collect();
    s.dialog = Some(Dialog::Token(token.clone()));
    let screen = render(&s, 80, 24);
    // The dialog's columns, from its top border.
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let top = lines
        .iter()
        .position(|l| l.iter().collect::<String>().contains("Invitation token"))
        .expect("the token dialog");
    let left = lines[top].iter().position(|c| *c == '┌').expect("corner");
    let right = lines[top].iter().position(|c| *c == '┐').expect("corner");
    let shown: String = lines[top + 1..]
        .iter()
        .flat_map(|l| l.get(left + 1..right).unwrap_or_default())
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    assert!(shown.contains(&token), "{screen}");
}

#[test]
fn the_network_screen_says_how_many_owners_the_node_follows() {
    for (lang, want) in [
        (Lang::Zh, "保存 7 个机构的预订"),
        (Lang::En, "holds the bookings of 7 owners"),
    ] {
        let mut s = on(lang, Screen::Network);
        if let Some(st) = s.data.status.as_mut() {
            st.following = Some(7);
        }
        let text = render(&s, 100, 30);
        assert!(text.contains(want), "{text}");
    }
}

#[test]
fn calendar_shows_free_busy_of_an_owner_not_followed() {
    for lang in [Lang::En, Lang::Zh] {
        let mut s = on(lang, Screen::Calendar);
        let me = s.me().expect("fixture agency");
        // The node follows only itself: it holds its own bookings, and
        // none of the others'.
        s.data.followed = Some([me].into_iter().collect());
        s.data.bookings.retain(|b| b.resource.owner == me);
        let room = s
            .data
            .resources
            .iter()
            .find(|r| r.owner() != me)
            .cloned()
            .expect("another owner's resource");
        let row = s
            .filtered_resources()
            .iter()
            .position(|r| r.id == room.id)
            .expect("shown");
        s.calendar.row = row;
        // Not fetched yet: unknown, and said so.
        let text = render(&s, 100, 30);
        assert!(
            text.contains(
                s.t(crate::i18n::BUSY_UNKNOWN)
                    .split('（')
                    .next()
                    .unwrap_or_default()
            ),
            "{text}"
        );
        // Fetched 42 s ago from the owner: taken around the cursor.
        let (a, _) = crate::grid::Grid::new(&s, 100).range(s.calendar.col);
        let hours = jiff::SignedDuration::from_hours(6);
        let block = crdt_model::busy::BusyBlock {
            start: a - hours,
            end: a + hours,
            usage: 1,
            tentative: false,
        };
        s.data.busy = vec![crdt_model::busy::BusyView {
            owner: room.owner(),
            source: room.owner(),
            fetched: s.now - jiff::SignedDuration::from_secs(42),
            from: a - hours * 4,
            to: a + hours * 4,
            resources: [(room.id.clone(), vec![block])].into_iter().collect(),
            truncated: false,
        }];
        let text = render(&s, 100, 30);
        assert!(text.contains('▒'), "busy cells drawn: {text}");
        let owner = s.agency_name(&room.owner());
        let from = match lang {
            Lang::En => format!("from {owner}, 42 s ago"),
            Lang::Zh => format!("来自{owner}，42 秒前"),
        };
        assert!(text.contains(&from), "{text}");
        insta::assert_snapshot!(
            format!("calendar_busy_{lang:?}_100x30").to_lowercase(),
            text
        );
        // The finder marks a slot found by that free/busy.
        s.screen = Screen::Find;
        s.find.results = vec![crdt_model::availability::Candidate {
            resource: room.id.clone(),
            start: a + hours,
            end: a + hours * 2,
            spare: 0,
            competing: 0,
        }];
        let found = render(&s, 100, 30);
        assert!(found.contains("▒ "), "{found}");
        assert!(found.contains(s.t(crate::i18n::FOUND_BY_BUSY)), "{found}");
        s.screen = Screen::Calendar;
        // Followed, the whole calendar shows instead.
        s.data.followed = None;
        assert!(!render(&s, 100, 30).contains(&from));
    }
}

#[test]
fn the_calendar_says_when_bookings_before_the_seal_cut_may_be_on_disk_only() {
    for lang in [Lang::En, Lang::Zh] {
        let mut s = on(lang, Screen::Calendar);
        let cut = s
            .data
            .status
            .as_ref()
            .and_then(|st| st.sealed_before)
            .expect("the fixture's node sealed");
        let cut_day = cut.to_zoned(s.tz.clone()).strftime("%Y-%m-%d").to_string();
        let said = s.t(crate::i18n::SEALED_HERE).replace("{d}", &cut_day);
        // Today: after the cut, nothing said.
        assert!(!render(&s, 100, 30).contains(&said));
        // Three months back: said at the cursor.
        s.calendar.day = day(-90);
        let text = render(&s, 100, 30);
        assert!(text.contains(&said), "{text}");
    }
}
