//! Render benchmark: frame time of the week grid with many resources and
//! bookings, and keystroke-to-frame time (update + full redraw), on an
//! off-screen terminal. Run by `tongchou bench tui`.

use std::time::Instant;

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Serialize;

use crate::action::Action;
use crate::app::Screen;
use crate::fixture;
use crate::i18n::Lang;
use crate::update::update;
use crate::view::view;

/// Figures of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Resources in the catalogue.
    pub resources: usize,
    /// Bookings held.
    pub bookings: usize,
    /// Terminal size.
    pub size: (u16, u16),
    /// Frames drawn per figure.
    pub frames: usize,
    /// Week grid frame time, median, ms.
    pub week_frame_p50_ms: f64,
    /// Week grid frame time, 99th percentile, ms.
    pub week_frame_p99_ms: f64,
    /// Key (cursor move in the week grid) to finished frame, median, ms.
    pub key_to_frame_p50_ms: f64,
    /// Key to finished frame, 99th percentile, ms.
    pub key_to_frame_p99_ms: f64,
    /// Search-as-you-type keystroke in the resource browser to frame, median, ms.
    pub search_key_p50_ms: f64,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(0.0)
}

/// Measures `frames` frames at `size` over `resources` resources and `bookings` bookings.
pub fn run(resources: usize, bookings: usize, size: (u16, u16), frames: usize) -> Report {
    let now: Timestamp = Timestamp::now();
    let mut s = fixture::state(Lang::Zh, now, resources, bookings);
    s.size = size;
    s.screen = Screen::Calendar;
    s.calendar.week = true;
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("off-screen terminal");
    let mut week = Vec::with_capacity(frames);
    for _ in 0..frames {
        let t = Instant::now();
        term.draw(|f| view(&s, f)).expect("draw");
        week.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut keyed = Vec::with_capacity(frames);
    let moves = [
        KeyCode::Char('l'),
        KeyCode::Char('j'),
        KeyCode::Char('h'),
        KeyCode::Char('j'),
    ];
    for i in 0..frames {
        let t = Instant::now();
        let k = KeyEvent::new(moves[i % moves.len()], KeyModifiers::NONE);
        update(&mut s, Action::Key(k));
        term.draw(|f| view(&s, f)).expect("draw");
        keyed.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    s.screen = Screen::Resources;
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE)),
    );
    let mut search = Vec::with_capacity(frames);
    for i in 0..frames {
        let t = Instant::now();
        let code = if i % 2 == 0 {
            KeyCode::Char('会')
        } else {
            KeyCode::Backspace
        };
        update(&mut s, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        term.draw(|f| view(&s, f)).expect("draw");
        search.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Report {
        resources,
        bookings,
        size,
        frames,
        week_frame_p50_ms: pct(&mut week, 0.5),
        week_frame_p99_ms: pct(&mut week, 0.99),
        key_to_frame_p50_ms: pct(&mut keyed, 0.5),
        key_to_frame_p99_ms: pct(&mut keyed, 0.99),
        search_key_p50_ms: pct(&mut search, 0.5),
    }
}
