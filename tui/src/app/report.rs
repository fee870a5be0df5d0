//! The report screen's state (统计): the month shown, the grouping, and the
//! report the node last sent for them.

use crdt_model::agency::Text;
use crdt_model::report::{GroupBy, Report, ReportQuery};
use jiff::ToSpan;
use jiff::civil::Date;

use super::State;
use crate::i18n::{self, L};

/// The groupings `g` cycles through, in order.
pub const GROUPINGS: [GroupBy; 6] = [
    GroupBy::Kind,
    GroupBy::Owner,
    GroupBy::Requester,
    GroupBy::City,
    GroupBy::Resource,
    GroupBy::Month,
];

/// The report screen's state.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportState {
    /// The month shown, in months from the current one (0 this month, -1
    /// the previous one).
    pub offset: i32,
    /// Grouping of the rows.
    pub by: GroupBy,
    /// The last report received.
    pub report: Option<Report>,
    /// A report was asked for and has not come back yet.
    pub loading: bool,
    /// Why the last report could not be made.
    pub error: Option<Text>,
}

impl Default for ReportState {
    fn default() -> Self {
        Self {
            offset: 0,
            by: GroupBy::Kind,
            report: None,
            loading: false,
            error: None,
        }
    }
}

/// The grouping after `by` in `g` order.
pub fn next_grouping(by: GroupBy) -> GroupBy {
    let i = GROUPINGS.iter().position(|g| *g == by).unwrap_or(0);
    GROUPINGS[(i + 1) % GROUPINGS.len()]
}

/// A grouping's name.
pub fn grouping_name(by: GroupBy) -> L {
    match by {
        GroupBy::Resource => i18n::BY_RESOURCE,
        GroupBy::Kind => i18n::BY_KIND,
        GroupBy::Owner => i18n::BY_OWNER,
        GroupBy::Requester => i18n::BY_REQUESTER,
        GroupBy::City => i18n::BY_CITY,
        GroupBy::Month => i18n::BY_MONTH,
    }
}

impl State {
    /// The report's period as dates, `[first, end)`: the month shown from
    /// its 1st, up to and including today for the current month.
    pub fn report_period(&self) -> (Date, Date) {
        let today = self.now.to_zoned(self.tz.clone()).date();
        let this_month = today.first_of_month();
        let first = this_month
            .checked_add(self.report.offset.months())
            .unwrap_or(this_month);
        let next = first.checked_add(1.month()).unwrap_or(first);
        let end = if self.report.offset == 0 {
            today.tomorrow().unwrap_or(next).min(next)
        } else {
            next
        };
        (first, end)
    }

    /// The report the screen asks for now.
    pub fn report_query(&self) -> ReportQuery {
        let (first, end) = self.report_period();
        let at = |d: Date| {
            d.to_zoned(self.tz.clone())
                .map(|z| z.timestamp())
                .unwrap_or(self.now)
        };
        ReportQuery {
            from: at(first),
            to: at(end),
            by: self.report.by,
            kind: None,
            owner: None,
        }
    }

    /// The report received for the current period and grouping, if any.
    pub fn current_report(&self) -> Option<&Report> {
        let q = self.report_query();
        self.report.report.as_ref().filter(|r| r.query == q)
    }
}
