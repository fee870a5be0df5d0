//! `tongchou resource …`: the clap types of publishing, editing, retiring,
//! blocking and importing resources, and their defaults.

use super::*;

/// `tongchou resource blackout …`.
#[derive(Debug, Subcommand)]
pub(crate) enum BlackoutCmd {
    /// Close a resource from --from to --to: no booking takes it then
    /// (confirmed bookings in that time stay, and are listed).
    Add {
        /// Resource id (OWNER/LOCAL or LOCAL).
        id: String,
        /// Start.
        #[arg(long)]
        from: String,
        /// End.
        #[arg(long)]
        to: String,
        /// Why, shown to requesters (重大活动, 装修 …).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Reopen a resource from --from to --to: closed periods in that range
    /// are removed (cut where they reach beyond it).
    Remove {
        /// Resource id (OWNER/LOCAL or LOCAL).
        id: String,
        /// Start.
        #[arg(long)]
        from: String,
        /// End.
        #[arg(long)]
        to: String,
    },
    /// List a resource's closed periods.
    List {
        /// Resource id (OWNER/LOCAL or LOCAL).
        id: String,
    },
}

/// `tongchou resource …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ResourceCmd {
    /// Publish (or replace) a resource.
    Add(Box<ResourceArgs>),
    /// Change some fields of one of this agency's resources (the others stay).
    Edit(Box<EditArgs>),
    /// Retire a resource: no new bookings, history kept.
    Retire {
        /// Resource id (OWNER/LOCAL or LOCAL).
        id: String,
    },
    /// Closed periods (停用时段) of one of this agency's resources: add one
    /// (no booking takes it then), reopen a range, or list them.
    #[command(subcommand)]
    Blackout(BlackoutCmd),
    /// Block a vehicle (maintenance, 保养/维修) or a driver (leave) over a
    /// time range: no trip or booking takes it then.
    Maintenance {
        /// Resource id (OWNER/LOCAL or LOCAL).
        id: String,
        /// Start.
        #[arg(long)]
        from: String,
        /// End.
        #[arg(long)]
        to: String,
        /// Why (保养, 维修, 休假 …).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Record damaged units of an asset as repaired (修旧利废): bookable
    /// again; with --start, as sent to be repaired (under repair, still out).
    Repair {
        /// The asset (id, unique prefix or name).
        id: String,
        /// Units.
        #[arg(long, default_value_t = 1)]
        units: u32,
        /// Which units, by asset tag, comma-separated.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Only the repair's start: damaged → under repair.
        #[arg(long)]
        start: bool,
    },
    /// Dispose of units of an asset for good (处置), damaged ones first.
    Dispose {
        /// The asset (id, unique prefix or name).
        id: String,
        /// Units.
        #[arg(long, default_value_t = 1)]
        units: u32,
        /// Which units, by asset tag, comma-separated.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Why (报废 …).
        #[arg(long, default_value = "")]
        reason: String,
        /// How: 拍卖|回收|捐赠|报废 (auction, recycle, donate, scrap).
        #[arg(long)]
        method: String,
    },
    /// Publish many resources from a CSV file (header: the `resource add`
    /// option names; `;` between several features) or a TOML file
    /// (`[[resource]]` tables); rejected rows are listed with why.
    Import {
        /// File.
        file: std::path::PathBuf,
    },
}

/// A resource on the command line.
#[derive(Debug, Args, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceArgs {
    /// Local id, e.g. room-301.
    #[arg(long)]
    pub id: String,
    /// Kind.
    #[arg(long, default_value = "meeting-room")]
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Name (zh).
    #[arg(long)]
    pub name: String,
    /// Name (en).
    #[arg(long, default_value = "")]
    #[serde(default)]
    pub name_en: String,
    /// City (zh).
    #[arg(long)]
    pub city: String,
    /// City (en).
    #[arg(long, default_value = "")]
    #[serde(default)]
    pub city_en: String,
    /// Site.
    #[arg(long, default_value = "")]
    #[serde(default)]
    pub site: String,
    /// Building.
    #[arg(long, default_value = "")]
    #[serde(default)]
    pub building: String,
    /// Floor.
    #[arg(long, default_value = "")]
    #[serde(default)]
    pub floor: String,
    /// Capacity in people (one booking at a time).
    #[arg(long)]
    #[serde(default)]
    pub people: Option<u32>,
    /// Quantity of identical units.
    #[arg(long)]
    #[serde(default)]
    pub units: Option<u32>,
    /// Feature tag (repeatable): projector, video, wheelchair …
    #[arg(long)]
    #[serde(default)]
    pub feature: Vec<String>,
    /// Attribute key=value (repeatable), e.g. plate=粤B12345.
    #[arg(long)]
    #[serde(default)]
    pub attr: Vec<String>,
    /// Vehicle class: sedan, suv, van, bus, truck, law-enforcement.
    #[arg(long)]
    #[serde(default)]
    pub class: Option<String>,
    /// Vehicle energy: petrol, hybrid, ev.
    #[arg(long)]
    #[serde(default)]
    pub energy: Option<String>,
    /// Vehicle odometer reading, km.
    #[arg(long)]
    #[serde(default)]
    pub odometer: Option<u32>,
    /// Asset tags (电子标签), comma-separated, at most one per unit.
    #[arg(long)]
    #[serde(default)]
    pub tags: Option<String>,
    /// Asset category (办公家具, 投影设备 …).
    #[arg(long)]
    #[serde(default)]
    pub category: Option<String>,
    /// Asset purchase year.
    #[arg(long)]
    #[serde(default)]
    pub year: Option<u16>,
    /// Asset purchase value, yuan.
    #[arg(long)]
    #[serde(default)]
    pub value: Option<f64>,
    /// auto or required.
    #[arg(long, default_value = "auto")]
    #[serde(default = "default_approval")]
    pub approval: String,
    /// Minimum minutes.
    #[arg(long, default_value_t = 15)]
    #[serde(default = "default_min")]
    pub min_minutes: u32,
    /// Maximum minutes (0: none).
    #[arg(long, default_value_t = 0)]
    #[serde(default)]
    pub max_minutes: u32,
    /// Booking horizon in days (0: none).
    #[arg(long, default_value_t = 0)]
    #[serde(default)]
    pub advance_days: u32,
    /// Buffer minutes between bookings.
    #[arg(long, default_value_t = 0)]
    #[serde(default)]
    pub buffer_minutes: u32,
    /// How many occurrences of a recurring series may be skipped because
    /// they conflict (automatic approval); beyond that the whole series is
    /// rejected.
    #[arg(long, default_value_t = 0)]
    #[serde(default)]
    pub max_conflicts: u32,
    /// The same as a share of the series' occurrences, in percent (the
    /// larger limit applies).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
    #[serde(default)]
    pub max_conflict_percent: u32,
    /// Check-in required within this many minutes of the start, or the
    /// booking is released as a no-show (0: no check-in).
    #[arg(long, default_value_t = 0)]
    #[serde(default)]
    pub checkin_minutes: u32,
    /// Opening hours, e.g. 08:00-18:00.
    #[arg(long)]
    #[serde(default)]
    pub open: Option<String>,
    /// Open days with --open, e.g. 1-5 (Mon-Fri) or 1,2,3 (default every day).
    #[arg(long, requires = "open")]
    #[serde(default)]
    pub days: Option<String>,
    /// Time zone.
    #[arg(long, default_value = DEFAULT_TZ)]
    #[serde(default = "default_tz")]
    pub tz: String,
    /// Sharing: all, owner, or comma-separated agency ids.
    #[arg(long, default_value = "all")]
    #[serde(default = "default_share")]
    pub share: String,
}

/// `tongchou resource edit`: only the options given change.
#[derive(Debug, Args, Clone)]
pub(crate) struct EditArgs {
    /// Resource id (OWNER/LOCAL or LOCAL).
    pub id: String,
    /// Kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Name (zh).
    #[arg(long)]
    pub name: Option<String>,
    /// Name (en).
    #[arg(long)]
    pub name_en: Option<String>,
    /// City (zh).
    #[arg(long)]
    pub city: Option<String>,
    /// City (en).
    #[arg(long)]
    pub city_en: Option<String>,
    /// Site.
    #[arg(long)]
    pub site: Option<String>,
    /// Building.
    #[arg(long)]
    pub building: Option<String>,
    /// Floor.
    #[arg(long)]
    pub floor: Option<String>,
    /// Capacity in people (replaces --units).
    #[arg(long, conflicts_with = "units")]
    pub people: Option<u32>,
    /// Quantity of identical units (replaces --people).
    #[arg(long)]
    pub units: Option<u32>,
    /// Feature tags (repeatable; replace the current set).
    #[arg(long)]
    pub feature: Vec<String>,
    /// Attributes key=value (repeatable; replace the current ones).
    #[arg(long)]
    pub attr: Vec<String>,
    /// Vehicle class: sedan, suv, van, bus, truck, law-enforcement.
    #[arg(long)]
    pub class: Option<String>,
    /// Vehicle energy: petrol, hybrid, ev.
    #[arg(long)]
    pub energy: Option<String>,
    /// Vehicle odometer reading, km.
    #[arg(long)]
    pub odometer: Option<u32>,
    /// auto or required.
    #[arg(long)]
    pub approval: Option<String>,
    /// Minimum minutes.
    #[arg(long)]
    pub min_minutes: Option<u32>,
    /// Maximum minutes (0: none).
    #[arg(long)]
    pub max_minutes: Option<u32>,
    /// Booking horizon in days (0: none).
    #[arg(long)]
    pub advance_days: Option<u32>,
    /// Buffer minutes between bookings.
    #[arg(long)]
    pub buffer_minutes: Option<u32>,
    /// How many occurrences of a recurring series may be skipped.
    #[arg(long)]
    pub max_conflicts: Option<u32>,
    /// The same as a share of the series' occurrences, in percent.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub max_conflict_percent: Option<u32>,
    /// Check-in required within this many minutes of the start (0: none).
    #[arg(long)]
    pub checkin_minutes: Option<u32>,
    /// Opening hours, e.g. 08:00-18:00, or `always`.
    #[arg(long)]
    pub open: Option<String>,
    /// Open days, e.g. 1-5.
    #[arg(long)]
    pub days: Option<String>,
    /// Time zone.
    #[arg(long)]
    pub tz: Option<String>,
    /// Sharing: all, owner, or comma-separated agency ids.
    #[arg(long)]
    pub share: Option<String>,
}

pub(crate) fn default_kind() -> String {
    "meeting-room".into()
}
pub(crate) fn default_approval() -> String {
    "auto".into()
}
pub(crate) fn default_min() -> u32 {
    15
}
pub(crate) fn default_days() -> String {
    "1-7".into()
}
pub(crate) fn default_tz() -> String {
    DEFAULT_TZ.into()
}
pub(crate) fn default_share() -> String {
    "all".into()
}
