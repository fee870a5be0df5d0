//! The report screen (统计): `R` opens it and asks for this month up to
//! today, `[` / `]` move by month and `g` cycles the grouping, each asking
//! the node again; a late answer to an older question is dropped; loading,
//! failure and the report itself in both languages. (Its 100×30 and 80×24
//! snapshots in zh and en are taken with every screen's, in `tests.rs`.)

use super::*;
use crdt_model::report::{GroupBy, ReportQuery};

/// The single report asked for among `fx`.
fn asked(fx: &[Effect]) -> ReportQuery {
    match fx {
        [Effect::Report(q)] => q.clone(),
        _ => panic!("one report asked for: {fx:?}"),
    }
}

/// Midnight at the start of `y-m-d` in Shanghai.
fn midnight(y: i16, m: i8, d: i8) -> Timestamp {
    shanghai(jiff::civil::date(y, m, d), 0, 0)
}

#[test]
fn r_opens_this_month_to_today_and_brackets_move_by_month() {
    let mut s = state(Lang::En);
    let q = asked(&key(&mut s, KeyCode::Char('R')));
    assert_eq!(s.screen, Screen::Report);
    // Today is 2026-12-01: the 1st up to and including today, by kind.
    assert_eq!(q.from, midnight(2026, 12, 1));
    assert_eq!(q.to, midnight(2026, 12, 2));
    assert_eq!(q.by, GroupBy::Kind);
    assert!(render(&s, 80, 24).contains("Making the report…"));
    // The previous month whole, then back to this month.
    let q = asked(&key(&mut s, KeyCode::Char('[')));
    assert_eq!(
        (q.from, q.to),
        (midnight(2026, 11, 1), midnight(2026, 12, 1))
    );
    assert!(render(&s, 100, 30).contains("2026-11-01 – 11-30"));
    let q = asked(&key(&mut s, KeyCode::Char(']')));
    assert_eq!(
        (q.from, q.to),
        (midnight(2026, 12, 1), midnight(2026, 12, 2))
    );
    // The next month whole (bookings ahead), across the year's end.
    let q = asked(&key(&mut s, KeyCode::Right));
    assert_eq!((q.from, q.to), (midnight(2027, 1, 1), midnight(2027, 2, 1)));
    let q = asked(&key(&mut s, KeyCode::Left));
    assert_eq!(q.to, midnight(2026, 12, 2));
}

#[test]
fn g_cycles_the_grouping_and_keeps_the_period() {
    let mut s = state(Lang::Zh);
    key(&mut s, KeyCode::Char('R'));
    key(&mut s, KeyCode::Char('['));
    let mut seen = Vec::new();
    for _ in 0..6 {
        let q = asked(&key(&mut s, KeyCode::Char('g')));
        assert_eq!(
            (q.from, q.to),
            (midnight(2026, 11, 1), midnight(2026, 12, 1))
        );
        seen.push(q.by);
    }
    use GroupBy::*;
    assert_eq!(seen, [Owner, Requester, City, Resource, Month, Kind]);
    key(&mut s, KeyCode::Char('g'));
    assert!(render(&s, 80, 24).contains("分组 所属单位"));
}

#[test]
fn the_report_answering_the_last_question_is_shown_and_a_late_one_dropped() {
    let mut s = state(Lang::En);
    key(&mut s, KeyCode::Char('R'));
    let this_month = fixture::report(&s);
    key(&mut s, KeyCode::Char('['));
    // The answer for this month arrives after `[`: not shown as November's.
    update(&mut s, Action::Report(Ok(Box::new(this_month))));
    assert!(s.current_report().is_none());
    assert!(render(&s, 100, 30).contains("Making the report…"));
    let november = fixture::report(&s);
    update(&mut s, Action::Report(Ok(Box::new(november))));
    let screen = render(&s, 100, 30);
    for text in [
        "open 1890 h",
        "booked 604 h",
        "utilisation 32%",
        "confirmed 301 / rejected 7 /",
        "cancelled 7",
        "trips 12 · 846 km",
        "loans 5",
        "Meeting room",
        "63%   150 h",
        "peak 11:00 10:00 09:00",
        "Idle resources (4):",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    // Idle resources by name, not id.
    let idle = s.resource_where(&s.data.resources[s.data.resources.len() - 1].id);
    assert!(screen.contains(&idle), "{idle}: {screen}");
    // `r` fetches everything and the report again.
    let fx = key(&mut s, KeyCode::Char('r'));
    assert_eq!(fx.len(), 2);
    assert_eq!(fx[0], Effect::Refresh);
    assert_eq!(fx[1], Effect::Report(s.report_query()));
}

#[test]
fn a_failed_report_says_why_and_an_unreachable_node_is_asked_again() {
    let mut s = state(Lang::Zh);
    key(&mut s, KeyCode::Char('R'));
    update(
        &mut s,
        Action::Report(Err(crdt_model::agency::Text::new("时段无效", "bad period"))),
    );
    assert!(render(&s, 80, 24).contains("无法生成统计：时段无效"));
    key(&mut s, KeyCode::Char('L'));
    assert!(render(&s, 80, 24).contains("No report: bad period"));
    // The node goes away while a report is on its way: asked again when it
    // answers, once.
    key(&mut s, KeyCode::Char(']'));
    update(
        &mut s,
        Action::Unreachable(crdt_model::agency::Text::new("断开", "gone")),
    );
    let data = s.data.clone();
    let q = asked(&update(&mut s, Action::Data(Box::new(data.clone()))));
    assert_eq!(q, s.report_query());
    assert!(update(&mut s, Action::Data(Box::new(data))).is_empty());
}

#[test]
fn capital_r_types_into_forms_and_other_screens_leave_the_report_alone() {
    let mut s = state(Lang::En);
    key(&mut s, KeyCode::Char('3'));
    assert!(s.find.form.focus.is_some());
    key(&mut s, KeyCode::Char('R'));
    assert_eq!(s.screen, Screen::Find);
    // Fresh data on another screen asks for no report.
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Char('1'));
    let data = s.data.clone();
    assert!(update(&mut s, Action::Data(Box::new(data))).is_empty());
}

#[test]
fn the_report_by_owner_at_80x24_in_english() {
    let mut s = state(Lang::En);
    update(&mut s, Action::Resize(80, 24));
    key(&mut s, KeyCode::Char('R'));
    key(&mut s, KeyCode::Char('g'));
    fixture::with_report(&mut s);
    insta::assert_snapshot!("report_owner_en_80x24", render(&s, 80, 24));
}
