//! The catalogue: shared resources, their kinds, capacity, sharing policy and
//! booking rules, and the pure checks of a requested time range against them.

pub mod features;

impl Resource {
    /// Feature tags as stored: `视频` or `Video` written as `video` (see
    /// [`features::tag`]), so a search in either language finds them.
    pub fn normalize_features(&mut self) {
        self.features = self.features.iter().map(|f| features::tag(f)).collect();
    }
}

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::ids::{AgencyId, ResourceId};

/// The default time zone of resources.
pub const DEFAULT_TZ: &str = "Asia/Shanghai";

/// What a resource is. Open to more kinds via [`ResourceKind::Other`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    /// 会议室.
    MeetingRoom,
    /// 共享办公 / 工位.
    Office,
    /// 停车位.
    Parking,
    /// 充电桩.
    EvCharger,
    /// 公务用车.
    Vehicle,
    /// 公物仓资产.
    WarehouseAsset,
    /// 驾驶员 (a fleet's drivers, dispatched with its vehicles).
    Driver,
    /// Any other kind, by name.
    Other(String),
}

impl ResourceKind {
    /// All built-in kinds, in display order.
    pub const BUILT_IN: [ResourceKind; 7] = [
        ResourceKind::MeetingRoom,
        ResourceKind::Office,
        ResourceKind::Parking,
        ResourceKind::EvCharger,
        ResourceKind::Vehicle,
        ResourceKind::WarehouseAsset,
        ResourceKind::Driver,
    ];

    /// Display label in both languages.
    pub fn label(&self) -> Text {
        match self {
            ResourceKind::MeetingRoom => Text::new("会议室", "Meeting room"),
            ResourceKind::Office => Text::new("共享办公", "Shared office"),
            ResourceKind::Parking => Text::new("停车位", "Parking"),
            ResourceKind::EvCharger => Text::new("充电桩", "EV charger"),
            ResourceKind::Vehicle => Text::new("公务用车", "Official vehicle"),
            ResourceKind::WarehouseAsset => Text::new("公物仓资产", "Warehouse asset"),
            ResourceKind::Driver => Text::new("驾驶员", "Driver"),
            ResourceKind::Other(s) => Text::new(s.clone(), s.clone()),
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResourceKind::MeetingRoom => "meeting-room",
            ResourceKind::Office => "office",
            ResourceKind::Parking => "parking",
            ResourceKind::EvCharger => "ev-charger",
            ResourceKind::Vehicle => "vehicle",
            ResourceKind::WarehouseAsset => "warehouse-asset",
            ResourceKind::Driver => "driver",
            ResourceKind::Other(s) => s,
        })
    }
}

impl FromStr for ResourceKind {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "meeting-room" | "room" => ResourceKind::MeetingRoom,
            "office" | "desk" => ResourceKind::Office,
            "parking" => ResourceKind::Parking,
            "ev-charger" | "charger" => ResourceKind::EvCharger,
            "vehicle" | "car" => ResourceKind::Vehicle,
            "warehouse-asset" | "asset" => ResourceKind::WarehouseAsset,
            "driver" => ResourceKind::Driver,
            other => ResourceKind::Other(other.to_string()),
        })
    }
}

impl Serialize for ResourceKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResourceKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(s.parse().unwrap_or(ResourceKind::Other(s)))
    }
}

/// How much of a resource can be used at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// A room or vehicle for up to N people; one booking at a time, and a
    /// booking's quantity (attendees) must not exceed N.
    People(u32),
    /// N identical units (parking spaces, desks, chargers, assets); concurrent
    /// bookings' quantities add up to at most N.
    Units(u32),
}

impl Capacity {
    /// How many usage units may be held at one instant.
    pub fn limit(self) -> u32 {
        match self {
            Capacity::People(_) => 1,
            Capacity::Units(n) => n,
        }
    }

    /// Usage units a booking of `quantity` takes.
    pub fn usage(self, quantity: u32) -> u32 {
        match self {
            Capacity::People(_) => 1,
            Capacity::Units(_) => quantity,
        }
    }

    /// Whether a single booking of `quantity` could ever fit.
    pub fn admits(self, quantity: u32) -> bool {
        quantity >= 1
            && match self {
                Capacity::People(n) | Capacity::Units(n) => quantity <= n,
            }
    }

    /// The size figure (people or units).
    pub fn size(self) -> u32 {
        match self {
            Capacity::People(n) | Capacity::Units(n) => n,
        }
    }
}

/// Where a resource is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// City, e.g. 杭州 / Hangzhou.
    pub city: Text,
    /// Site or compound, e.g. 市民中心.
    #[serde(default)]
    pub site: String,
    /// Building.
    #[serde(default)]
    pub building: String,
    /// Floor.
    #[serde(default)]
    pub floor: String,
}

/// Who may book a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "agencies")]
pub enum Sharing {
    /// Every member agency.
    AllMembers,
    /// Only the listed agencies (and the owner).
    Agencies(BTreeSet<AgencyId>),
    /// Only the owner.
    OwnerOnly,
}

/// Whether a human must approve requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// The owner's node confirms the earliest fitting request by itself.
    Automatic,
    /// Requests queue for an operator of the owner agency.
    Required,
}

/// Weekly opening hours, in the resource's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// ISO weekdays when open, 1 = Monday … 7 = Sunday.
    pub days: BTreeSet<u8>,
    /// Opening time of day.
    pub open: Time,
    /// Closing time of day (after `open`).
    pub close: Time,
}

/// A period when the resource cannot be booked at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blackout {
    /// Start (UTC instant).
    pub start: Timestamp,
    /// End (UTC instant, exclusive).
    pub end: Timestamp,
    /// Why, shown to requesters.
    #[serde(default)]
    pub reason: Text,
}

/// The owner's booking rules for a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRules {
    /// Automatic confirmation or human approval.
    pub approval: Approval,
    /// Shortest booking, minutes.
    pub min_minutes: u32,
    /// Longest booking, minutes (0: no limit).
    pub max_minutes: u32,
    /// How far ahead it may be booked, days (0: no limit).
    pub max_advance_days: u32,
    /// Minutes kept free between two bookings (cleaning, handover).
    pub buffer_minutes: u32,
    /// Opening hours; `None` means open around the clock.
    pub opening: Option<OpeningHours>,
    /// Periods when it is closed.
    #[serde(default)]
    pub blackouts: Vec<Blackout>,
    /// IANA time zone for display and opening hours.
    pub time_zone: String,
    /// How many occurrences of a recurring series may be skipped because
    /// they conflict (automatic approval); beyond that the whole series is
    /// rejected.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_conflicts: u32,
    /// The same as a share of the series' occurrences, in percent (like
    /// Exchange's ConflictPercentageAllowed); the larger of the two limits
    /// applies.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_conflict_percent: u32,
    /// Limits on how much one requesting agency may hold (实物定额).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<crate::quota::Quota>,
    /// If not 0: a confirmed booking must be checked in (签到) within this
    /// many minutes of its start, or the owner's node releases it as a
    /// no-show.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub checkin_minutes: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Default for BookingRules {
    fn default() -> Self {
        Self {
            approval: Approval::Automatic,
            min_minutes: 15,
            max_minutes: 0,
            max_advance_days: 0,
            buffer_minutes: 0,
            opening: None,
            blackouts: Vec::new(),
            time_zone: DEFAULT_TZ.to_string(),
            max_conflicts: 0,
            max_conflict_percent: 0,
            checkin_minutes: 0,
            quotas: Vec::new(),
        }
    }
}

/// A shared resource as published in its owner's catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Id; its owner part is the only agency that may edit or decide on it.
    pub id: ResourceId,
    /// What it is.
    pub kind: ResourceKind,
    /// Display name.
    pub name: Text,
    /// Where it is.
    pub location: Location,
    /// People or units.
    pub capacity: Capacity,
    /// Feature tags such as `projector`, `video`, `wheelchair`.
    #[serde(default)]
    pub features: BTreeSet<String>,
    /// Free-form attributes such as `plate` → `粤B12345`, `seats` → `5`.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Who may book it.
    pub sharing: Sharing,
    /// Booking rules.
    pub rules: BookingRules,
    /// Retired resources stay in history but take no new bookings.
    #[serde(default)]
    pub retired: bool,
    /// The agency that owns it now, when that is not its creator (`id.owner`)
    /// because it was transferred (调剂): set in the version the new owner
    /// publishes, and by the index in the version it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by: Option<AgencyId>,
}

impl Resource {
    /// The agency that owns it now and alone decides on it.
    pub fn owner(&self) -> AgencyId {
        self.held_by.unwrap_or(self.id.owner)
    }
}

/// Why a requested time range breaks a resource's rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "code")]
pub enum RuleViolation {
    /// End is not after start.
    #[error("end must be after start")]
    EmptyRange,
    /// Shorter than the minimum.
    #[error("shorter than the minimum of {min} minutes")]
    TooShort {
        /// Minimum minutes.
        min: u32,
    },
    /// Longer than the maximum.
    #[error("longer than the maximum of {max} minutes")]
    TooLong {
        /// Maximum minutes.
        max: u32,
    },
    /// Starts in the past.
    #[error("starts in the past")]
    InPast,
    /// Too far ahead.
    #[error("more than {days} days ahead")]
    TooFarAhead {
        /// Limit in days.
        days: u32,
    },
    /// Outside opening hours.
    #[error("outside opening hours")]
    Closed,
    /// Overlaps a blackout period.
    #[error("during a blackout period")]
    Blackout,
    /// Quantity zero or larger than the resource.
    #[error("quantity {quantity} does not fit a resource of size {size}")]
    Quantity {
        /// Requested.
        quantity: u32,
        /// Resource size.
        size: u32,
    },
    /// The requester is not allowed by the sharing policy.
    #[error("this agency may not book this resource")]
    NotShared,
    /// The resource is retired.
    #[error("resource is retired")]
    Retired,
    /// The resource's time zone is unknown.
    #[error("unknown time zone {zone}")]
    TimeZone {
        /// The zone name the resource gives.
        zone: String,
    },
}

impl RuleViolation {
    /// A short bilingual explanation for users.
    pub fn text(&self) -> Text {
        let zh = match self {
            RuleViolation::EmptyRange => "结束时间须晚于开始时间".to_string(),
            RuleViolation::TooShort { min } => format!("时长不足{min}分钟"),
            RuleViolation::TooLong { max } => format!("时长超过{max}分钟上限"),
            RuleViolation::InPast => "开始时间已过".to_string(),
            RuleViolation::TooFarAhead { days } => format!("超出可提前预约的{days}天"),
            RuleViolation::Closed => "不在开放时间内".to_string(),
            RuleViolation::Blackout => "处于停用时段".to_string(),
            RuleViolation::Quantity { quantity, size } => {
                format!("数量{quantity}超出资源规模{size}")
            }
            RuleViolation::NotShared => "本单位无权预约该资源".to_string(),
            RuleViolation::Retired => "资源已停用".to_string(),
            RuleViolation::TimeZone { zone } => format!("未知时区{zone}"),
        };
        Text::new(zh, self.to_string())
    }
}

impl Resource {
    /// The resource's time zone (falls back to Asia/Shanghai if unknown).
    pub fn tz(&self) -> TimeZone {
        TimeZone::get(&self.rules.time_zone)
            .or_else(|_| TimeZone::get(DEFAULT_TZ))
            .unwrap_or(TimeZone::UTC)
    }

    /// Whether `agency` may book this resource.
    pub fn shared_with(&self, agency: &AgencyId) -> bool {
        *agency == self.owner()
            || match &self.sharing {
                Sharing::AllMembers => true,
                Sharing::Agencies(list) => list.contains(agency),
                Sharing::OwnerOnly => false,
            }
    }

    /// Checks a requested range against everything but other bookings:
    /// duration, advance window, opening hours, blackouts, quantity and
    /// sharing. `now` is used for the past / advance checks.
    pub fn check(
        &self,
        requester: &AgencyId,
        start: Timestamp,
        end: Timestamp,
        quantity: u32,
        now: Timestamp,
    ) -> Result<(), RuleViolation> {
        if self.retired {
            return Err(RuleViolation::Retired);
        }
        if !self.shared_with(requester) {
            return Err(RuleViolation::NotShared);
        }
        if !self.capacity.admits(quantity) {
            return Err(RuleViolation::Quantity {
                quantity,
                size: self.capacity.size(),
            });
        }
        if start < now {
            return Err(RuleViolation::InPast);
        }
        self.check_range(start, end, now)
    }

    /// The time-only part of [`Resource::check`] (used by free-slot search).
    pub fn check_range(
        &self,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    ) -> Result<(), RuleViolation> {
        let r = &self.rules;
        if end <= start {
            return Err(RuleViolation::EmptyRange);
        }
        let minutes = (end.as_second() - start.as_second()) / 60;
        if minutes < i64::from(r.min_minutes) {
            return Err(RuleViolation::TooShort { min: r.min_minutes });
        }
        if r.max_minutes > 0 && minutes > i64::from(r.max_minutes) {
            return Err(RuleViolation::TooLong { max: r.max_minutes });
        }
        if r.max_advance_days > 0
            && start.as_second() - now.as_second() > i64::from(r.max_advance_days) * 86_400
        {
            return Err(RuleViolation::TooFarAhead {
                days: r.max_advance_days,
            });
        }
        if r.blackouts.iter().any(|b| b.start < end && start < b.end) {
            return Err(RuleViolation::Blackout);
        }
        if let Some(open) = &r.opening {
            let tz = TimeZone::get(&r.time_zone).map_err(|_| RuleViolation::TimeZone {
                zone: r.time_zone.clone(),
            })?;
            if !within_opening(open, &tz, start, end) {
                return Err(RuleViolation::Closed);
            }
        }
        Ok(())
    }

    /// The opening interval of the local day containing `t`, as UTC instants,
    /// or `None` when closed that day (or always open).
    pub fn opening_on(&self, t: Timestamp) -> Option<(Timestamp, Timestamp)> {
        let open = self.rules.opening.as_ref()?;
        let tz = self.tz();
        let day = t.to_zoned(tz.clone()).date();
        if !open
            .days
            .contains(&(day.weekday().to_monday_one_offset() as u8))
        {
            return None;
        }
        let a = day.to_datetime(open.open).to_zoned(tz.clone()).ok()?;
        let b = day.to_datetime(open.close).to_zoned(tz).ok()?;
        Some((a.timestamp(), b.timestamp()))
    }
}

fn within_opening(open: &OpeningHours, tz: &TimeZone, start: Timestamp, end: Timestamp) -> bool {
    let s = start.to_zoned(tz.clone());
    // The end instant is exclusive: a booking ending at closing time is fine,
    // so look at the last instant inside the booking for its day.
    let e = end.to_zoned(tz.clone());
    let last = match (end - 1.nanosecond()).to_zoned(tz.clone()).date() {
        d if d == s.date() => d,
        _ => return false,
    };
    open.days
        .contains(&(last.weekday().to_monday_one_offset() as u8))
        && s.time() >= open.open
        && (e.date() == s.date() && e.time() <= open.close)
}

#[cfg(test)]
pub(crate) mod tests;
