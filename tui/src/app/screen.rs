//! The screens: their tab order, number keys, titles and help lines.

use crate::i18n::{self, L};

/// The screens, in tab order (keys 1–9, then 0, then `R`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Resource browser.
    Resources,
    /// Day / week grid.
    Calendar,
    /// Free-slot finder.
    Find,
    /// Booking form and live result.
    Book,
    /// This agency's requests.
    Mine,
    /// Requests for this agency's resources waiting for a decision.
    Approvals,
    /// Overlapping tentative requests on this agency's resources.
    Conflicts,
    /// Peers, roster, refusals.
    Network,
    /// The fleet's trips: dispatch, departures, returns.
    Dispatch,
    /// The public-property warehouse (公物仓): loans, inventory, transfers.
    Warehouse,
    /// Utilisation reports (统计) by month.
    Report,
}

impl Screen {
    /// All screens in tab order.
    pub const ALL: [Screen; 11] = [
        Screen::Resources,
        Screen::Calendar,
        Screen::Find,
        Screen::Book,
        Screen::Mine,
        Screen::Approvals,
        Screen::Conflicts,
        Screen::Network,
        Screen::Dispatch,
        Screen::Warehouse,
        Screen::Report,
    ];

    /// Its key: `1`–`9` in tab order, `0` for the tenth, `R` for the
    /// report (`r` refreshes).
    pub fn key(self) -> char {
        if self == Screen::Report {
            return 'R';
        }
        let i = Self::ALL.iter().position(|s| *s == self).unwrap_or(0);
        char::from_digit(((i + 1) % 10) as u32, 10).unwrap_or('0')
    }

    /// The screen of key `c`, if any.
    pub fn of_key(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == c)
    }

    /// Tab title.
    pub fn title(self) -> L {
        match self {
            Screen::Resources => i18n::SCREEN_RESOURCES,
            Screen::Calendar => i18n::SCREEN_CALENDAR,
            Screen::Find => i18n::SCREEN_FIND,
            Screen::Book => i18n::SCREEN_BOOK,
            Screen::Mine => i18n::SCREEN_MINE,
            Screen::Approvals => i18n::SCREEN_APPROVALS,
            Screen::Conflicts => i18n::SCREEN_CONFLICTS,
            Screen::Network => i18n::SCREEN_NETWORK,
            Screen::Dispatch => i18n::SCREEN_DISPATCH,
            Screen::Warehouse => i18n::SCREEN_WAREHOUSE,
            Screen::Report => i18n::SCREEN_REPORT,
        }
    }

    /// Short tab title, for narrow terminals (80 columns).
    pub fn short_title(self) -> L {
        match self {
            Screen::Resources => i18n::SHORT_RESOURCES,
            Screen::Calendar => i18n::SHORT_CALENDAR,
            Screen::Find => i18n::SHORT_FIND,
            Screen::Book => i18n::SHORT_BOOK,
            Screen::Mine => i18n::SHORT_MINE,
            Screen::Approvals => i18n::SHORT_APPROVALS,
            Screen::Conflicts => i18n::SHORT_CONFLICTS,
            Screen::Network => i18n::SHORT_NETWORK,
            Screen::Dispatch => i18n::SHORT_DISPATCH,
            Screen::Warehouse => i18n::SHORT_WAREHOUSE,
            Screen::Report => i18n::SHORT_REPORT,
        }
    }

    /// Keys of this screen, for the help overlay.
    pub fn help(self) -> L {
        match self {
            Screen::Resources => i18n::HELP_RESOURCES,
            Screen::Calendar => i18n::HELP_CALENDAR,
            Screen::Find => i18n::HELP_FIND,
            Screen::Book => i18n::HELP_BOOK,
            Screen::Mine => i18n::HELP_MINE,
            Screen::Approvals => i18n::HELP_APPROVALS,
            Screen::Conflicts => i18n::HELP_CONFLICTS,
            Screen::Network => i18n::HELP_NETWORK,
            Screen::Dispatch => i18n::HELP_DISPATCH,
            Screen::Warehouse => i18n::HELP_WAREHOUSE,
            Screen::Report => i18n::HELP_REPORT,
        }
    }
}
