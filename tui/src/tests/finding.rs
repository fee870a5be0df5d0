//! Finding: multi-day searches, dates as people say them, search words,
//! full ends of long stays, and where the focus lands on arrival.

use super::*;

#[test]
fn the_finder_searches_stays_of_several_days_over_several_days() {
    let mut s = state(Lang::Zh);
    key(&mut s, KeyCode::Char('3'));
    // The van for two days, starting tomorrow morning.
    s.find.form.set(find_field::DURATION, "2天");
    s.find.form.set(find_field::DATE, "明天");
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Slots(q)] = fx.as_slice() else {
        panic!("expected a slot search, got {fx:?}");
    };
    assert_eq!(q.duration_minutes, 2 * 24 * 60);
    assert_eq!(q.from, shanghai(day(1), 9, 0));
    assert_eq!(q.to, shanghai(day(3), 9, 0), "a window the stay fits in");
    // Projectors for a week, any start over the coming fortnight.
    s.find.form.set(find_field::DURATION, "7d");
    s.find.form.set(find_field::DAYS, "14");
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Slots(q)] = fx.as_slice() else {
        panic!("expected a slot search, got {fx:?}");
    };
    assert_eq!(q.to, shanghai(day(14), 18, 0));
    // A date without a year is the next such date.
    let d = day(12);
    s.find
        .form
        .set(find_field::DATE, format!("{}-{}", d.month(), d.day()));
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::Slots(q)] = fx.as_slice() else {
        panic!("expected a slot search, got {fx:?}");
    };
    assert_eq!(q.from, shanghai(d, 9, 0));
    s.find.form.set(find_field::DURATION, "soon");
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(s.find.form.fields[find_field::DURATION].error.is_some());
}

#[test]
fn search_words_must_all_match_in_either_language() {
    let mut s = state(Lang::Zh);
    key(&mut s, KeyCode::Char('/'));
    keys(&mut s, "深圳 公务用车");
    key(&mut s, KeyCode::Enter);
    let found: Vec<_> = s.filtered_resources().into_iter().cloned().collect();
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|r| r.location.city.en == "Shenzhen" && r.kind == ResourceKind::Vehicle),
        "{found:?}"
    );
    // The same search in English words, and a feature by its Chinese name.
    s.resources.search = "shenzhen official vehicle".into();
    assert_eq!(s.filtered_resources().len(), found.len());
    s.resources.search = "视频 杭州".into();
    let video = s.filtered_resources();
    assert!(!video.is_empty());
    assert!(video.iter().all(|r| r.features.contains("video")));
}

#[test]
fn a_stay_of_several_days_shows_its_end() {
    let mut s = on(Lang::En, Screen::Mine);
    let mut stay = s.my_bookings()[0].clone();
    stay.terms.start = shanghai(day(1), 8, 0);
    stay.terms.end = shanghai(day(3), 18, 0);
    s.data.bookings.insert(0, stay);
    let end = format!(
        "–{} 18:00",
        shanghai(day(3), 18, 0)
            .to_zoned(s.tz.clone())
            .strftime("%m-%d")
    );
    assert!(
        render(&s, 100, 30).contains(&end),
        "{}",
        render(&s, 100, 30)
    );
}

#[test]
fn focus_on_arrival_follows_one_rule() {
    let mut s = state(Lang::En);
    key(&mut s, KeyCode::Char('4'));
    assert_eq!(s.screen, Screen::Book);
    assert_eq!(
        s.book.form.focus,
        Some(book_field::RESOURCE),
        "the first empty field"
    );
    let room = s.data.resources[0].id.to_string();
    s.book.form.set(book_field::RESOURCE, room);
    s.book
        .form
        .set(book_field::START, format!("{} 10:00", day(1)));
    s.book
        .form
        .set(book_field::END, format!("{} 11:00", day(1)));
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Char('1'));
    key(&mut s, KeyCode::Char('4'));
    assert_eq!(
        s.book.form.focus,
        Some(book_field::PURPOSE),
        "the purpose, still empty"
    );
    // The finder: its form until it has results, then the results.
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Char('3'));
    assert_eq!(s.find.form.focus, Some(0));
    let slot = crdt_model::availability::Candidate {
        resource: s.data.resources[0].id.clone(),
        start: shanghai(day(1), 10, 0),
        end: shanghai(day(1), 11, 0),
        spare: 0,
        competing: 0,
    };
    update(&mut s, Action::Slots(Ok(vec![slot])));
    key(&mut s, KeyCode::Char('1'));
    key(&mut s, KeyCode::Char('3'));
    assert_eq!(s.find.form.focus, None, "the results list");
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
