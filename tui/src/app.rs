//! The TUI's state: plain data, no I/O. `update` changes it, `view` draws it.

mod bookings;
mod form;
mod report;
mod screen;
mod trips;
mod warehouse;
pub use form::{Field, Form, book_field, find_field};
pub use report::{GROUPINGS, ReportState, grouping_name, next_grouping};
pub use screen::Screen;
pub use warehouse::{
    AssetAction, AssetInput, InputField, InputKind, LoanRow, Urgency, WarehouseState, WhPane,
    asset_done,
};

use api::{MemberEntry, Status};
use crdt_model::availability::Candidate;
use crdt_model::calendar::Booking;
use crdt_model::ids::{AgencyId, BookingId, ResourceId};
use crdt_model::resource::{Resource, ResourceKind};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::i18n::{self, L, Lang};

/// What the node last told us.
#[derive(Clone, Debug, Default)]
pub struct Data {
    /// Node status.
    pub status: Option<Status>,
    /// The catalogue.
    pub resources: Vec<Resource>,
    /// Every booking known, hydrated.
    pub bookings: Vec<Booking>,
    /// The roster.
    pub members: Vec<MemberEntry>,
    /// Every trip known.
    pub trips: Vec<crdt_model::trip::Trip>,
    /// Loans of this agency's assets not yet returned, and its own loans.
    pub loans: Vec<crdt_model::asset::Loan>,
    /// Transfer offers made by or to this agency.
    pub transfers: Vec<crdt_model::asset::TransferView>,
    /// This agency's warehouse assets.
    pub inventory: Vec<crdt_model::asset::InventoryRow>,
    /// The owners whose bookings the node holds (`None`: every owner).
    pub followed: Option<std::collections::BTreeSet<AgencyId>>,
    /// Free/busy of owners not followed, fetched on demand by the node.
    pub busy: Vec<crdt_model::busy::BusyView>,
}

/// Resource browser filters and selection.
#[derive(Clone, Debug, Default)]
pub struct ResourcesState {
    /// Search text (name, id, site, features, owner).
    pub search: String,
    /// Typing into the search box.
    pub searching: bool,
    /// Kind filter.
    pub kind: Option<ResourceKind>,
    /// City filter (the English or Chinese name as listed).
    pub city: Option<String>,
    /// Owner filter.
    pub owner: Option<AgencyId>,
    /// Minimum capacity.
    pub min_capacity: u32,
    /// Selected row.
    pub selected: usize,
}

/// Calendar grid position.
#[derive(Clone, Debug)]
pub struct CalendarState {
    /// Week (true) or day view.
    pub week: bool,
    /// First day shown.
    pub day: Date,
    /// Resource row under the cursor (index into the filtered resources).
    pub row: usize,
    /// Time column under the cursor.
    pub col: usize,
}

/// Free-slot finder.
#[derive(Clone, Debug)]
pub struct FindState {
    /// The query.
    pub form: Form,
    /// Candidates of the last search.
    pub results: Vec<Candidate>,
    /// Whether a search ran.
    pub searched: bool,
    /// Selected candidate.
    pub selected: usize,
}

/// Booking form and the booking it submitted.
#[derive(Clone, Debug)]
pub struct BookState {
    /// The form.
    pub form: Form,
    /// A submission is under way.
    pub submitting: bool,
    /// The booking submitted last (its live status is looked up in the data).
    pub submitted: Option<Booking>,
    /// Error from the node for the last submission.
    pub error: Option<crdt_model::agency::Text>,
    /// The request sent last: the same request is not sent twice.
    pub last_sent: Option<api::BookRequest>,
    /// The alternative selected on a rejected booking (↑/↓).
    pub alternative: usize,
    /// The resource field's text when the user started typing into it:
    /// leaving the field with another resource clears people and purpose.
    pub resource_before: Option<String>,
}

/// The dispatcher's selection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DispatchState {
    /// Selected trip (index into [`State::fleet_trips`]).
    pub selected: usize,
    /// Chosen vehicle (index into its free vehicles).
    pub vehicle: usize,
    /// Chosen driver (index into its free drivers).
    pub driver: usize,
}

/// Network screen panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NetPane {
    /// Peers.
    #[default]
    Peers,
    /// Roster.
    Roster,
    /// Refused changes.
    Refusals,
}

/// A modal dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialog {
    /// Cancel one of our bookings?
    Cancel(BookingId),
    /// Revoke an agency?
    Revoke(AgencyId, String),
    /// Block (true) or unblock a member on this node?
    Block(AgencyId, String, bool),
    /// Approve a request out of turn, pushing out those ahead of it?
    Approve {
        /// The request.
        booking: BookingId,
        /// Who and what it pushes out ("agency · time").
        displaced: Vec<String>,
    },
    /// Reason for rejecting a request.
    Reject {
        /// The request.
        booking: BookingId,
        /// Reason typed so far.
        reason: String,
    },
    /// Name of the agency to invite.
    Invite {
        /// Name typed so far.
        name: String,
    },
    /// An invitation token to copy.
    Token(String),
    /// Which of several resources of the same name was meant.
    PickResource {
        /// The candidates, as the catalogue lists them.
        candidates: Vec<ResourceId>,
        /// The one under the cursor.
        selected: usize,
    },
    /// A trip request for a vehicle found by the finder.
    TripRequest {
        /// What is asked (class or vehicle, times, passengers).
        draft: Box<crdt_model::engine::TripDraft>,
        /// The vehicle found (shown).
        vehicle: String,
        /// Destination typed so far.
        destination: String,
        /// Purpose typed so far.
        purpose: String,
        /// Typing the purpose (else the destination).
        on_purpose: bool,
    },
    /// An odometer reading for a departure or a return.
    Odometer {
        /// The trip.
        trip: BookingId,
        /// A return (else a departure).
        finish: bool,
        /// Reading typed so far, km.
        km: String,
    },
    /// A hold of one of our resources for an event or emergency: start,
    /// end and reason as typed, the field being edited (0–2).
    Hold {
        /// The resource.
        resource: ResourceId,
        /// Start, as typed.
        from: String,
        /// End, as typed.
        to: String,
        /// Why, as typed.
        reason: String,
        /// The field being edited.
        field: usize,
    },
    /// The fields of a warehouse step (handover, return, repair, disposal,
    /// transfer offer, count).
    Asset(Box<AssetInput>),
    /// A warehouse step to confirm: a receipt, or an answer to an offer.
    ConfirmAsset {
        /// The step.
        op: Box<crdt_model::engine::AssetOp>,
        /// The question.
        ask: L,
        /// What it is about (asset, agency, units).
        what: String,
    },
}

/// A one-line message at the bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    /// Text, in both languages (redrawn when the language switches).
    pub text: crdt_model::agency::Text,
    /// Shown as an error.
    pub error: bool,
}

/// Suggested alternatives for a conflicting request.
#[derive(Clone, Debug, Default)]
pub struct Suggestions {
    /// Request they are for.
    pub booking: Option<BookingId>,
    /// Free slots.
    pub slots: Vec<Candidate>,
}

/// The whole TUI state.
#[derive(Clone, Debug)]
pub struct State {
    /// Display language.
    pub lang: Lang,
    /// Time zone times are shown and typed in.
    pub tz: TimeZone,
    /// Current time (set by ticks, fixed in tests).
    pub now: Timestamp,
    /// Current screen.
    pub screen: Screen,
    /// Node data.
    pub data: Data,
    /// `None` before the first answer, then whether the node answers.
    pub connected: Option<bool>,
    /// Why the node is unreachable.
    pub unreachable: Option<crdt_model::agency::Text>,
    /// Bottom-line message.
    pub toast: Option<Toast>,
    /// Help overlay shown.
    pub help: bool,
    /// Modal dialog.
    pub dialog: Option<Dialog>,
    /// Resource browser.
    pub resources: ResourcesState,
    /// Calendar.
    pub calendar: CalendarState,
    /// Free-slot finder.
    pub find: FindState,
    /// Booking form.
    pub book: BookState,
    /// My bookings: showing past ones.
    pub mine_past: bool,
    /// My bookings: selected row.
    pub mine_selected: usize,
    /// Approval queue: selected row.
    pub approvals_selected: usize,
    /// Conflicts: selected row.
    pub conflicts_selected: usize,
    /// Suggested alternatives for the selected conflict.
    pub suggestions: Suggestions,
    /// Network: focused pane.
    pub net_pane: NetPane,
    /// Network: selected row in the focused pane.
    pub net_selected: usize,
    /// Dispatch: selected trip, and the vehicle and driver chosen for it
    /// (indexes into its free ones).
    pub dispatch: DispatchState,
    /// Warehouse: pane and selected row.
    pub warehouse: WarehouseState,
    /// Report: period, grouping and the report received.
    pub report: ReportState,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The user asked to quit.
    pub quit: bool,
}

impl State {
    /// A fresh state at `now`, showing times in `tz`.
    pub fn new(lang: Lang, tz: TimeZone, now: Timestamp) -> Self {
        let today = now.to_zoned(tz.clone()).date();
        let find = Form {
            fields: vec![
                Field::short(i18n::F_QUANTITY, "1"),
                Field::new(i18n::F_CITY, ""),
                Field::new(i18n::F_KIND, ""),
                Field::new(i18n::F_FEATURES, ""),
                Field::short(i18n::F_DURATION, "1h"),
                Field::short(i18n::F_DATE, "+1"),
                Field::short(i18n::F_DAYS, "1"),
                Field::short(i18n::F_FROM_HOUR, "09:00"),
                Field::short(i18n::F_TO_HOUR, "18:00"),
            ],
            focus: Some(0),
            typed: None,
        };
        let book = Form {
            fields: vec![
                Field::short(i18n::F_RESOURCE, ""),
                Field::short(i18n::F_START, ""),
                Field::short(i18n::F_END, ""),
                Field::short(i18n::F_QUANTITY, "1"),
                Field::new(i18n::F_PURPOSE, ""),
                Field::new(i18n::F_CONTACT, ""),
                Field::new(i18n::F_REPEAT, ""),
                Field::short(i18n::F_WAIT_LIST, ""),
            ],
            focus: Some(0),
            typed: None,
        };
        Self {
            lang,
            tz,
            now,
            screen: Screen::Resources,
            data: Data::default(),
            connected: None,
            unreachable: None,
            toast: None,
            help: false,
            dialog: None,
            resources: ResourcesState::default(),
            calendar: CalendarState {
                week: false,
                day: today,
                row: 0,
                col: 0,
            },
            find: FindState {
                form: find,
                results: Vec::new(),
                searched: false,
                selected: 0,
            },
            book: BookState {
                form: book,
                submitting: false,
                submitted: None,
                error: None,
                last_sent: None,
                alternative: 0,
                resource_before: None,
            },
            mine_past: false,
            mine_selected: 0,
            approvals_selected: 0,
            conflicts_selected: 0,
            suggestions: Suggestions::default(),
            net_pane: NetPane::Peers,
            net_selected: 0,
            dispatch: DispatchState::default(),
            warehouse: WarehouseState::default(),
            report: ReportState::default(),
            size: (80, 24),
            quit: false,
        }
    }

    /// This agency, once the node has answered.
    pub fn me(&self) -> Option<AgencyId> {
        self.data.status.as_ref().map(|s| s.agency)
    }

    /// Whether the node holds `owner`'s bookings whole.
    pub fn follows_owner(&self, owner: &AgencyId) -> bool {
        Some(*owner) == self.me()
            || self
                .data
                .followed
                .as_ref()
                .is_none_or(|s| s.contains(owner))
    }

    /// The free/busy fetched for `owner` (not followed), if any.
    pub fn busy_of(&self, owner: &AgencyId) -> Option<&crdt_model::busy::BusyView> {
        self.data.busy.iter().find(|v| v.owner == *owner)
    }

    /// The free/busy blocks of resource `r` overlapping `[a, b)`, when its
    /// owner is not followed and its free/busy was fetched.
    pub fn busy_blocks(
        &self,
        r: &Resource,
        a: Timestamp,
        b: Timestamp,
    ) -> Vec<crdt_model::busy::BusyBlock> {
        if self.follows_owner(&r.owner()) {
            return Vec::new();
        }
        self.busy_of(&r.owner())
            .and_then(|v| v.resources.get(&r.id))
            .map(|blocks| {
                blocks
                    .iter()
                    .filter(|x| x.start < b && a < x.end)
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Text of `l` in the current language.
    pub fn t(&self, l: L) -> &'static str {
        l.get(self.lang)
    }

    /// A bilingual model text in the current language.
    pub fn text<'a>(&self, t: &'a crdt_model::agency::Text) -> &'a str {
        t.get(self.lang.code())
    }

    /// Name of an agency from the roster (its short id when unknown).
    pub fn agency_name(&self, a: &AgencyId) -> String {
        self.agency_name_in(a, self.lang)
    }

    /// Name of an agency in `lang` (its short id when unknown).
    pub fn agency_name_in(&self, a: &AgencyId, lang: crate::i18n::Lang) -> String {
        self.data
            .members
            .iter()
            .find(|m| m.agency == *a)
            .map(|m| m.member.profile.name.get(lang.code()).to_string())
            .unwrap_or_else(|| a.short())
    }

    /// A resource by id.
    pub fn resource(&self, id: &ResourceId) -> Option<&Resource> {
        self.data.resources.iter().find(|r| r.id == *id)
    }

    /// A resource as "name · city" (its id when unknown).
    pub fn resource_where(&self, id: &ResourceId) -> String {
        match self.resource(id) {
            Some(r) => format!("{} · {}", self.text(&r.name), self.text(&r.location.city)),
            None => self.resource_name(id),
        }
    }

    /// A resource as "name · city · owner": how it is told apart from
    /// others of the same name wherever a booking is confirmed or shown.
    pub fn resource_label(&self, id: &ResourceId) -> String {
        format!(
            "{} · {}",
            self.resource_where(id),
            self.agency_name(&id.owner)
        )
    }

    /// A resource's display name (its id when unknown).
    pub fn resource_name(&self, id: &ResourceId) -> String {
        self.resource(id)
            .map(|r| self.text(&r.name).to_string())
            .unwrap_or_else(|| id.to_string())
    }

    /// Resources passing the browser's filters, in catalogue order.
    pub fn filtered_resources(&self) -> Vec<&Resource> {
        let f = &self.resources;
        let needle = f.search.to_lowercase();
        self.data
            .resources
            .iter()
            .filter(|r| !r.retired)
            .filter(|r| f.kind.as_ref().is_none_or(|k| *k == r.kind))
            .filter(|r| f.city.as_ref().is_none_or(|c| r.location.city.en == *c))
            .filter(|r| f.owner.is_none_or(|o| o == r.id.owner))
            .filter(|r| r.capacity.size() >= f.min_capacity)
            .filter(|r| needle.is_empty() || self.matches_search(r, &needle))
            .collect()
    }

    /// Whether every word of `needle` (lower-cased) is found in one of the
    /// resource's names, kind, place, owner (either language), features or
    /// attributes: `深圳 公务用车` finds Shenzhen's official vehicles.
    fn matches_search(&self, r: &Resource, needle: &str) -> bool {
        let owner = self
            .data
            .members
            .iter()
            .find(|m| m.agency == r.id.owner)
            .map(|m| &m.member.profile.name);
        let kind = r.kind.label();
        let mut hay: Vec<String> = vec![
            r.name.zh.clone(),
            r.name.en.clone(),
            r.id.to_string(),
            r.location.site.clone(),
            r.location.building.clone(),
            r.location.city.zh.clone(),
            r.location.city.en.clone(),
            kind.zh.clone(),
            kind.en.clone(),
        ];
        if let Some(o) = owner {
            hay.extend([o.zh.clone(), o.en.clone()]);
        }
        for f in &r.features {
            hay.push(f.clone());
            hay.push(crdt_model::resource::features::name(f, "zh").to_string());
        }
        hay.extend(r.attributes.values().cloned());
        let hay: Vec<String> = hay.iter().map(|h| h.to_lowercase()).collect();
        needle
            .split_whitespace()
            .all(|word| hay.iter().any(|h| h.contains(word)))
    }

    /// Cities in the catalogue (English names), sorted.
    pub fn cities(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .data
            .resources
            .iter()
            .map(|r| r.location.city.en.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Agencies owning resources, sorted.
    pub fn owners(&self) -> Vec<AgencyId> {
        let mut v: Vec<AgencyId> = self.data.resources.iter().map(|r| r.id.owner).collect();
        v.sort();
        v.dedup();
        v
    }

    /// A booking by id.
    pub fn booking(&self, id: &BookingId) -> Option<&Booking> {
        self.data.bookings.iter().find(|b| b.id == *id)
    }

    /// Formats an instant in the display zone: `12-01 09:00`.
    pub fn fmt_time(&self, t: Timestamp) -> String {
        t.to_zoned(self.tz.clone())
            .strftime("%m-%d %H:%M")
            .to_string()
    }

    /// Formats a range: `12-01 09:00–10:30` (end date only when it differs).
    pub fn fmt_range(&self, a: Timestamp, b: Timestamp) -> String {
        let za = a.to_zoned(self.tz.clone());
        let zb = b.to_zoned(self.tz.clone());
        if za.date() == zb.date() {
            format!("{}–{}", za.strftime("%m-%d %H:%M"), zb.strftime("%H:%M"))
        } else {
            format!(
                "{}–{}",
                za.strftime("%m-%d %H:%M"),
                zb.strftime("%m-%d %H:%M")
            )
        }
    }

    /// Start of the calendar window and its length in days.
    pub fn calendar_window(&self) -> (Timestamp, i64) {
        let days = if self.calendar.week { 7 } else { 1 };
        let start = self
            .calendar
            .day
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(self.now);
        (start, days)
    }

    /// One day after `t`.
    pub fn plus_days(t: Timestamp, days: i64) -> Timestamp {
        t.checked_add((days * 24).hours()).unwrap_or(t)
    }
}
