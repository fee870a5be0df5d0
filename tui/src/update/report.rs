//! The report screen's keys (`[` / `]` month, `g` grouping) and the node's
//! answer. A report is asked for when the screen opens, when its period or
//! grouping changes, on `r`, and when the node answers again after being
//! unreachable; not on every refresh.

use super::*;
use crate::app::next_grouping;
use crdt_model::report::Report;

/// Asks for the report of the current period and grouping.
pub(super) fn ask_report(state: &mut State) -> Vec<Effect> {
    state.report.loading = true;
    state.report.error = None;
    vec![Effect::Report(state.report_query())]
}

pub(super) fn report_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    match k.code {
        KeyCode::Char('[') | KeyCode::Left => state.report.offset -= 1,
        KeyCode::Char(']') | KeyCode::Right => state.report.offset += 1,
        KeyCode::Char('g') => state.report.by = next_grouping(state.report.by),
        _ => return vec![],
    }
    ask_report(state)
}

/// The node's report, kept only if it answers the question asked last
/// (an older answer arriving late is dropped).
pub(super) fn on_report(state: &mut State, r: Result<Box<Report>, crdt_model::agency::Text>) {
    let asked = state.report_query();
    match r {
        Ok(report) if report.query == asked => {
            state.report.loading = false;
            state.report.error = None;
            state.report.report = Some(*report);
        }
        Ok(_) => {}
        Err(e) => {
            state.report.loading = false;
            state.report.error = Some(e);
        }
    }
}

/// After fresh data: the report screen asks again when it has no report
/// for its period and none is on the way (the node was unreachable).
pub(super) fn report_after_data(state: &mut State) -> Vec<Effect> {
    let stale = state.current_report().is_none() && state.report.error.is_none();
    if state.screen == Screen::Report && stale && !state.report.loading {
        return ask_report(state);
    }
    vec![]
}
