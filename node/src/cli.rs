//! The command line: `tongchou run | status | network | invite | join |
//! members | revoke | resource | resources | book | bookings | cancel |
//! decide | slots | ics`. Commands other than `run` talk to the daemon of
//! `--home` through its local API.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use api::*;
use clap::{Args, Parser, Subcommand};
use crdt_model::agency::Text;
use crdt_model::availability::SlotQuery;
use crdt_model::booking::Status as BStatus;
use crdt_model::calendar::Booking;
use crdt_model::ids::{AgencyId, BookingId, ResourceId};
use crdt_model::membership::Role;
use crdt_model::resource::*;
use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use unicode_width::UnicodeWidthStr;

use crate::config::Home;
use api::Client;

/// Tongchou (统筹): shared government resources over a peer-to-peer network.
#[derive(Debug, Parser)]
#[command(name = "tongchou", version, about)]
pub struct Cli {
    /// The node's home directory (key, config, database).
    #[arg(long, global = true, env = "TONGCHOU_HOME")]
    pub home: Option<std::path::PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of messages: zh or en (default from LANG).
    #[arg(long, global = true)]
    pub lang: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// Commands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Cmd {
    /// Run the node daemon in the foreground.
    Run {
        /// libp2p listen address (repeatable), e.g. /ip4/0.0.0.0/tcp/4001.
        #[arg(long)]
        listen: Vec<String>,
        /// Local API address (127.0.0.1 only), e.g. 127.0.0.1:7420.
        #[arg(long)]
        api: Option<String>,
        /// Peer address to stay connected to (repeatable).
        #[arg(long)]
        peer: Vec<String>,
        /// Bootstrap peer (a `run --bootstrap-only` node, multiaddr ending in
        /// /p2p/ID) where members of other cities are found (repeatable).
        #[arg(long)]
        bootstrap: Vec<String>,
        /// Disable LAN discovery (mDNS).
        #[arg(long)]
        no_mdns: bool,
        /// This node cannot be dialled from other cities (behind NAT): be
        /// reachable through the bootstrap peers' relay, and advertise only
        /// relayed addresses there.
        #[arg(long)]
        relay: bool,
        /// Run a bootstrap peer instead: no agency data, only helps members
        /// find each other (rendezvous). Needs no network or agency key.
        #[arg(long, conflicts_with_all = ["api", "peer", "bootstrap"])]
        bootstrap_only: bool,
    },
    /// This node: agency, network, peers and sync state.
    Status,
    /// Create a network.
    #[command(subcommand)]
    Network(NetworkCmd),
    /// Issue a one-time invitation token (admins).
    Invite {
        /// Name of the agency invited.
        #[arg(long)]
        agency: String,
        /// Role: member or admin.
        #[arg(long, default_value = "member")]
        role: String,
        /// Validity, e.g. 7d, 12h.
        #[arg(long, default_value = "7d")]
        expires: String,
        /// Extra bootstrap addresses to put in the token.
        #[arg(long)]
        bootstrap: Vec<String>,
    },
    /// Join a network with an invitation token (fresh home).
    Join {
        /// The token.
        token: String,
        /// This agency's name (zh).
        #[arg(long)]
        agency: String,
        /// This agency's English name.
        #[arg(long, default_value = "")]
        agency_en: String,
        /// City (zh).
        #[arg(long)]
        city: String,
        /// City (en).
        #[arg(long, default_value = "")]
        city_en: String,
        /// Extra bootstrap addresses.
        #[arg(long)]
        bootstrap: Vec<String>,
        /// Seconds to wait for a member.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// The roster.
    Members,
    /// Revoke an agency (admins).
    Revoke {
        /// Agency id.
        agency: AgencyId,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Replace this agency's key: the new key is announced in a roster
    /// event signed by the old one; the agency id and all history stay
    /// valid, changes signed by the old key after the rotation are refused.
    RotateKey,
    /// Publish or retire this agency's resources.
    #[command(subcommand)]
    Resource(ResourceCmd),
    /// List resources.
    Resources {
        /// Kind: meeting-room, office, parking, ev-charger, vehicle, warehouse-asset.
        #[arg(long)]
        kind: Option<String>,
        /// City.
        #[arg(long)]
        city: Option<String>,
        /// Owner agency.
        #[arg(long)]
        owner: Option<AgencyId>,
        /// Only resources free from this time (with --free-to).
        #[arg(long, requires = "free_to")]
        free_from: Option<String>,
        /// Only resources free until this time (with --free-from).
        #[arg(long, requires = "free_from")]
        free_to: Option<String>,
        /// People or units that must fit in the free range.
        #[arg(long, default_value_t = 1)]
        quantity: u32,
    },
    /// Request a booking.
    Book {
        /// Resource id (OWNER/LOCAL).
        resource: ResourceId,
        /// Start, e.g. 2026-12-01T09:00 (local time) or RFC 3339.
        #[arg(long)]
        from: String,
        /// End.
        #[arg(long)]
        to: String,
        /// People or units.
        #[arg(long, default_value_t = 1)]
        quantity: u32,
        /// Purpose.
        #[arg(long, default_value = "")]
        purpose: String,
        /// Contact person.
        #[arg(long, default_value = "")]
        contact: String,
        /// Wait up to SECS for the owner's decision.
        #[arg(long)]
        wait: Option<u64>,
    },
    /// List bookings.
    Bookings {
        /// Only this resource.
        #[arg(long)]
        resource: Option<ResourceId>,
        /// Only this agency's requests.
        #[arg(long)]
        mine: bool,
        /// Only requests waiting for this agency's decision.
        #[arg(long)]
        pending: bool,
    },
    /// Cancel one of this agency's requests.
    Cancel {
        /// Booking id.
        id: BookingId,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Approve or reject a request for this agency's resource.
    Decide {
        /// Booking id.
        id: BookingId,
        /// approve or reject.
        verdict: String,
        /// Reason (for a rejection).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Find free slots.
    Slots {
        /// Length, e.g. 2h, 90m.
        #[arg(long)]
        duration: String,
        /// Window start.
        #[arg(long)]
        from: String,
        /// Window end.
        #[arg(long)]
        to: String,
        /// People or units.
        #[arg(long, default_value_t = 1)]
        quantity: u32,
        /// Kind.
        #[arg(long)]
        kind: Option<String>,
        /// City.
        #[arg(long)]
        city: Option<String>,
        /// Required feature (repeatable).
        #[arg(long)]
        feature: Vec<String>,
    },
    /// Start a four-city demo network on this machine.
    Demo {
        /// Run the scripted scenario without a terminal and report.
        #[arg(long)]
        headless: bool,
        /// Keep the temporary homes.
        #[arg(long)]
        keep: bool,
        /// Who the TUI opens as: staff (booking) or operator (approvals).
        #[arg(long = "as", default_value = "staff", value_parser = ["staff", "operator"])]
        role: String,
    },
    /// Benchmarks on this machine (release build recommended).
    Bench {
        /// What: net (nodes on loopback), scale (one node holding a
        /// province's year), radicale (side by side with a CalDAV server) or
        /// tui (render times).
        what: String,
        /// The full sizes (5 and 10 nodes, 1,000 bookings, 10,000 and 100,000 missed).
        #[arg(long)]
        full: bool,
        /// net only: just the throughput into one node (for profiling).
        #[arg(long)]
        throughput_only: bool,
        /// net only: the catch-up sizes to run instead of the default ones
        /// (repeatable, e.g. `--catchup 10000 --catchup 100000`).
        #[arg(long)]
        catchup: Vec<usize>,
        /// scale only: bookings to hold instead of the size's own (the
        /// agencies and resources stay those of the size).
        #[arg(long)]
        bookings: Option<usize>,
    },
    /// The terminal UI (staff booking, operator review) on this home's node.
    Tui,
    /// iCalendar (RFC 5545) export.
    Ics {
        /// Resource id; without it, this agency's calendar.
        resource: Option<ResourceId>,
    },
}

/// `tongchou network …`.
#[derive(Debug, Subcommand)]
pub enum NetworkCmd {
    /// Create a new network with this agency as first admin.
    Create {
        /// Network name.
        #[arg(long)]
        name: String,
        /// This agency's name (zh).
        #[arg(long)]
        agency: String,
        /// English name.
        #[arg(long, default_value = "")]
        agency_en: String,
        /// City (zh).
        #[arg(long)]
        city: String,
        /// City (en).
        #[arg(long, default_value = "")]
        city_en: String,
    },
}

/// `tongchou resource …`.
#[derive(Debug, Subcommand)]
pub enum ResourceCmd {
    /// Publish (or replace) a resource.
    Add(Box<ResourceArgs>),
    /// Change some fields of one of this agency's resources (the others stay).
    Edit(Box<EditArgs>),
    /// Retire a resource: no new bookings, history kept.
    Retire {
        /// Resource id (OWNER/LOCAL or LOCAL).
        id: String,
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
pub struct ResourceArgs {
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
    /// Opening hours, e.g. 08:00-18:00.
    #[arg(long)]
    #[serde(default)]
    pub open: Option<String>,
    /// Open days, e.g. 1-5 (Mon-Fri) or 1,2,3.
    #[arg(long, default_value = "1-7")]
    #[serde(default = "default_days")]
    pub days: String,
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
pub struct EditArgs {
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

impl EditArgs {
    /// The resource `r` with the given options applied (blackouts and the
    /// retired flag are kept), checked like `resource add`.
    pub fn apply(&self, r: &Resource) -> anyhow::Result<Resource> {
        let mut a = ResourceArgs::from_resource(r);
        let set = |dst: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                *dst = v.clone();
            }
        };
        set(&mut a.kind, &self.kind);
        set(&mut a.name, &self.name);
        set(&mut a.name_en, &self.name_en);
        set(&mut a.city, &self.city);
        set(&mut a.city_en, &self.city_en);
        set(&mut a.site, &self.site);
        set(&mut a.building, &self.building);
        set(&mut a.floor, &self.floor);
        set(&mut a.approval, &self.approval);
        set(&mut a.days, &self.days);
        set(&mut a.tz, &self.tz);
        set(&mut a.share, &self.share);
        if self.people.is_some() {
            (a.people, a.units) = (self.people, None);
        }
        if self.units.is_some() {
            (a.people, a.units) = (None, self.units);
        }
        if !self.feature.is_empty() {
            a.feature = self.feature.clone();
        }
        if !self.attr.is_empty() {
            a.attr = self.attr.clone();
        }
        for (dst, v) in [
            (&mut a.min_minutes, self.min_minutes),
            (&mut a.max_minutes, self.max_minutes),
            (&mut a.advance_days, self.advance_days),
            (&mut a.buffer_minutes, self.buffer_minutes),
        ] {
            if let Some(v) = v {
                *dst = v;
            }
        }
        match self.open.as_deref() {
            Some("always" | "none" | "") => a.open = None,
            Some(o) => a.open = Some(o.to_string()),
            None => {}
        }
        let mut out = a.build(r.id.owner)?;
        out.rules.blackouts = r.rules.blackouts.clone();
        out.retired = r.retired;
        Ok(out)
    }
}

fn default_kind() -> String {
    "meeting-room".into()
}
fn default_approval() -> String {
    "auto".into()
}
fn default_min() -> u32 {
    15
}
fn default_days() -> String {
    "1-7".into()
}
fn default_tz() -> String {
    DEFAULT_TZ.into()
}
fn default_share() -> String {
    "all".into()
}

impl ResourceArgs {
    /// The arguments that would build `r` (blackouts aside).
    pub fn from_resource(r: &Resource) -> Self {
        let (people, units) = match r.capacity {
            Capacity::People(n) => (Some(n), None),
            Capacity::Units(n) => (None, Some(n)),
        };
        let (open, days) = match &r.rules.opening {
            Some(o) => (
                Some(format!(
                    "{}-{}",
                    o.open.strftime("%H:%M"),
                    o.close.strftime("%H:%M")
                )),
                o.days
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            None => (None, default_days()),
        };
        Self {
            id: r.id.local.to_string(),
            kind: r.kind.to_string(),
            name: r.name.zh.clone(),
            name_en: r.name.en.clone(),
            city: r.location.city.zh.clone(),
            city_en: r.location.city.en.clone(),
            site: r.location.site.clone(),
            building: r.location.building.clone(),
            floor: r.location.floor.clone(),
            people,
            units,
            feature: r.features.iter().cloned().collect(),
            attr: r
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            approval: match r.rules.approval {
                Approval::Automatic => "auto".into(),
                Approval::Required => "required".into(),
            },
            min_minutes: r.rules.min_minutes,
            max_minutes: r.rules.max_minutes,
            advance_days: r.rules.max_advance_days,
            buffer_minutes: r.rules.buffer_minutes,
            open,
            days,
            tz: r.rules.time_zone.clone(),
            share: match &r.sharing {
                Sharing::AllMembers => "all".into(),
                Sharing::OwnerOnly => "owner".into(),
                Sharing::Agencies(list) => list
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            },
        }
    }

    /// Builds the resource, naming the field at fault on bad input.
    pub fn build(&self, owner: AgencyId) -> anyhow::Result<Resource> {
        let id = ResourceId::new(owner, &self.id).map_err(|e| anyhow::anyhow!("--id: {e}"))?;
        let capacity = match (self.people, self.units) {
            (Some(n), None) if n > 0 => Capacity::People(n),
            (None, Some(n)) if n > 0 => Capacity::Units(n),
            _ => bail!("give exactly one of --people N or --units N (N ≥ 1)"),
        };
        let approval = match self.approval.as_str() {
            "auto" | "automatic" => Approval::Automatic,
            "required" | "manual" => Approval::Required,
            other => bail!("--approval: expected auto or required, got {other:?}"),
        };
        TimeZone::get(&self.tz)
            .map_err(|_| anyhow::anyhow!("--tz: unknown time zone {:?}", self.tz))?;
        let opening = match &self.open {
            None => None,
            Some(s) => {
                let (a, b) = s
                    .split_once('-')
                    .ok_or_else(|| anyhow::anyhow!("--open: expected HH:MM-HH:MM"))?;
                let open: Time = a
                    .trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--open: bad time {a:?}"))?;
                let close: Time = b
                    .trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--open: bad time {b:?}"))?;
                if close <= open {
                    bail!("--open: closing time must be after opening time");
                }
                Some(OpeningHours {
                    days: parse_days(&self.days)?,
                    open,
                    close,
                })
            }
        };
        let sharing = match self.share.as_str() {
            "all" => Sharing::AllMembers,
            "owner" => Sharing::OwnerOnly,
            list => Sharing::Agencies(
                list.split(',')
                    .map(|s| {
                        s.trim()
                            .parse::<AgencyId>()
                            .map_err(|e| anyhow::anyhow!("--share: {e}"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let attributes = self
            .attr
            .iter()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .ok_or_else(|| anyhow::anyhow!("--attr: expected key=value, got {kv:?}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Resource {
            id,
            kind: self
                .kind
                .parse()
                .unwrap_or(ResourceKind::Other(self.kind.clone())),
            name: Text::new(&self.name, &self.name_en),
            location: Location {
                city: Text::new(&self.city, &self.city_en),
                site: self.site.clone(),
                building: self.building.clone(),
                floor: self.floor.clone(),
            },
            capacity,
            features: self.feature.iter().cloned().collect(),
            attributes,
            sharing,
            rules: BookingRules {
                approval,
                min_minutes: self.min_minutes,
                max_minutes: self.max_minutes,
                max_advance_days: self.advance_days,
                buffer_minutes: self.buffer_minutes,
                opening,
                blackouts: Vec::new(),
                time_zone: self.tz.clone(),
            },
            retired: false,
        })
    }
}

fn parse_days(s: &str) -> anyhow::Result<BTreeSet<u8>> {
    let mut out = BTreeSet::new();
    for part in s.split(',') {
        let bad = || anyhow::anyhow!("--days: expected e.g. 1-5 or 1,3,5 (1 = Monday), got {s:?}");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u8, u8) = (
                    a.trim().parse().map_err(|_| bad())?,
                    b.trim().parse().map_err(|_| bad())?,
                );
                if !(1..=7).contains(&a) || !(1..=7).contains(&b) || a > b {
                    return Err(bad());
                }
                out.extend(a..=b);
            }
            None => {
                let d: u8 = part.trim().parse().map_err(|_| bad())?;
                if !(1..=7).contains(&d) {
                    return Err(bad());
                }
                out.insert(d);
            }
        }
    }
    Ok(out)
}

/// Starts the TUI on the node of `home` (which may start later: the TUI
/// shows a banner and keeps retrying).
pub async fn run_tui(home: Home, zh: bool, start: tui::app::Screen) -> anyhow::Result<()> {
    let connect: tui::Connect = std::sync::Arc::new(move || home.api());
    tui::run(tui::Options {
        connect,
        lang: if zh { tui::Lang::Zh } else { tui::Lang::En },
        tz: cli_zone(),
        start,
    })
    .await
}

/// The zone civil times on the command line are read in: `$TZ` when set,
/// else the product default Asia/Shanghai.
pub fn cli_zone() -> TimeZone {
    std::env::var("TZ")
        .ok()
        .and_then(|z| TimeZone::get(z.trim_start_matches(':')).ok())
        .unwrap_or_else(|| TimeZone::get(DEFAULT_TZ).unwrap_or(TimeZone::UTC))
}

/// Parses a time: RFC 3339, or `YYYY-MM-DDTHH:MM[:SS]` / `YYYY-MM-DD` in [`cli_zone`].
pub fn parse_time(field: &str, s: &str) -> anyhow::Result<Timestamp> {
    parse_time_in(field, s, &cli_zone())
}

/// Parses a time, reading civil times in `tz`.
pub fn parse_time_in(field: &str, s: &str, tz: &TimeZone) -> anyhow::Result<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let tz = tz.clone();
    let dt = s
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            s.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(Time::midnight()))
        })
        .map_err(|_| {
            anyhow::anyhow!("{field}: {s:?} is not a time (use 2026-12-01T09:00 or RFC 3339)")
        })?;
    Ok(dt
        .to_zoned(tz)
        .map_err(|e| anyhow::anyhow!("{field}: {e}"))?
        .timestamp())
}

/// Parses `2h`, `90m`, `7d`, `1h30m` into minutes.
pub fn parse_minutes(field: &str, s: &str) -> anyhow::Result<u32> {
    let bad = || anyhow::anyhow!("{field}: {s:?} is not a duration (e.g. 90m, 2h, 7d)");
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match c {
            'm' => 1,
            'h' => 60,
            'd' => 1440,
            _ => return Err(bad()),
        };
    }
    if !num.is_empty() {
        total += num.parse::<u64>().map_err(|_| bad())?;
    }
    if total == 0 {
        return Err(bad());
    }
    u32::try_from(total).map_err(|_| bad())
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = if matches!(cli.cmd, Cmd::Run { .. }) {
        "info"
    } else {
        "warn"
    };
    let env_filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    if matches!(cli.cmd, Cmd::Tui) {
        // Logs would tear the screen: they go to a file in the temp dir.
        let path = std::env::temp_dir().join("tongchou-tui.log");
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            Ok(file) => tracing_subscriber::fmt()
                .with_env_filter(env_filter)
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .log_internal_errors(false)
                .init(),
            Err(_) => tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("off"))
                .init(),
        }
    } else {
        // A log that cannot be written (its disk is full) must not take the
        // node down: tracing's own report of that would panic in eprintln!.
        tracing_subscriber::fmt()
            .with_env_filter(env_filter)
            .with_writer(std::io::stderr)
            .log_internal_errors(false)
            .init();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

struct Out {
    json: bool,
    zh: bool,
}

impl Out {
    fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh { zh } else { en }
    }
    /// A bilingual text in the chosen language, safe to print (see
    /// [`crdt_model::record::sanitize`]).
    fn text<'a>(&self, t: &'a Text) -> std::borrow::Cow<'a, str> {
        crdt_model::record::sanitize(t.get(if self.zh { "zh" } else { "en" }))
    }
    fn json<T: serde::Serialize>(&self, v: &T) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(v)?);
        Ok(())
    }
}

/// Pads to a display width (Chinese characters take two cells).
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    if w >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - w))
    }
}

fn table(rows: &[Vec<String>]) {
    // Cells may hold other agencies' text: nothing in it acts on the terminal.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|s| crdt_model::record::sanitize(s).into_owned())
                .collect()
        })
        .collect();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| UnicodeWidthStr::width(s.as_str()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, s)| pad(s, widths[i]))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

fn local(t: Timestamp, tz: &str) -> String {
    let tz = TimeZone::get(tz).unwrap_or(TimeZone::UTC);
    t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()
}

fn status_text(out: &Out, s: &BStatus) -> String {
    match s {
        BStatus::Rejected { reason, .. } => {
            format!("{}: {}", out.text(&s.text()), out.text(reason))
        }
        _ => out.text(&s.text()).to_string(),
    }
}

fn print_booking(out: &Out, b: &Booking) {
    println!("{} {}", out.t("预约", "booking"), b.id);
    println!("  {}: {}", out.t("资源", "resource"), b.resource);
    println!(
        "  {}: {} → {}",
        out.t("时间", "time"),
        local(b.terms.start, DEFAULT_TZ),
        local(b.terms.end, DEFAULT_TZ)
    );
    println!(
        "  {}: {}",
        out.t("状态", "status"),
        status_text(out, &b.status)
    );
    if let BStatus::Rejected { alternatives, .. } = &b.status {
        for a in alternatives {
            println!(
                "  {}: {} {} → {}",
                out.t("备选", "alternative"),
                a.resource,
                local(a.start, DEFAULT_TZ),
                local(a.end, DEFAULT_TZ)
            );
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let home = Home::new(cli.home.clone().unwrap_or_else(Home::default_dir));
    let zh = match &cli.lang {
        Some(l) => l.starts_with("zh"),
        None => std::env::var("LANG").unwrap_or_default().starts_with("zh"),
    };
    let out = Out { json: cli.json, zh };
    match cli.cmd {
        Cmd::Tui => run_tui(home, zh, tui::app::Screen::Resources).await,
        Cmd::Run {
            listen,
            bootstrap_only: true,
            ..
        } => crate::daemon::run_bootstrap(home, listen).await,
        Cmd::Run {
            listen,
            api,
            peer,
            bootstrap,
            no_mdns,
            relay,
            bootstrap_only: false,
        } => {
            crate::daemon::run(
                home,
                crate::daemon::RunFlags {
                    listen,
                    api,
                    peers: peer,
                    bootstrap,
                    no_mdns,
                    relay,
                },
            )
            .await
        }
        Cmd::Network(NetworkCmd::Create {
            name,
            agency,
            agency_en,
            city,
            city_en,
        }) => {
            let (network, id) = crate::daemon::create_network(
                &home,
                &name,
                Text::new(agency, agency_en),
                Text::new(city, city_en),
            )?;
            if out.json {
                return out.json(
                    &serde_json::json!({"network": network, "agency": id, "home": home.dir()}),
                );
            }
            println!("{}: {network}", out.t("网络已创建", "network created"));
            println!("{}: {id}", out.t("本单位", "this agency"));
            println!("{}", out.t("下一步: tongchou run", "next: tongchou run"));
            Ok(())
        }
        Cmd::Join {
            token,
            agency,
            agency_en,
            city,
            city_en,
            bootstrap,
            timeout,
        } => {
            let network = crate::daemon::join(
                &home,
                &token,
                Text::new(agency, agency_en),
                Text::new(city, city_en),
                bootstrap,
                Duration::from_secs(timeout),
            )
            .await?;
            if out.json {
                return out.json(&serde_json::json!({"network": network, "joined": true}));
            }
            println!("{}: {network}", out.t("已加入网络", "joined network"));
            Ok(())
        }
        Cmd::Demo {
            headless,
            keep,
            role,
        } => crate::demo::run(headless, out.json, keep, role == "operator", zh).await,
        Cmd::Bench {
            what,
            full,
            throughput_only,
            catchup,
            bookings,
        } => match what.as_str() {
            "net" => {
                let mut sizes = if full {
                    crate::bench::Sizes::full()
                } else {
                    crate::bench::Sizes::small()
                };
                if throughput_only {
                    sizes.nodes.clear();
                }
                if !catchup.is_empty() {
                    sizes.catchup = catchup;
                }
                crate::bench::net(sizes, out.json).await
            }
            "radicale" => crate::vs_radicale::run(full, out.json).await,
            "scale" => crate::bench_scale::run(full, bookings, out.json).await,
            "tui" => {
                println!(
                    "tongchou bench tui: week grid, 200 resources, 5,000 bookings, 160x48 (target < 8 ms per frame)"
                );
                let r = tui::bench::run(200, 5_000, (160, 48), if full { 2_000 } else { 300 });
                if out.json {
                    out.json(&r)?;
                } else {
                    println!(
                        "week frame p50 {:.2} ms, p99 {:.2} ms · key→frame p50 {:.2} ms, p99 {:.2} ms · search key→frame p50 {:.2} ms ({} frames)",
                        r.week_frame_p50_ms,
                        r.week_frame_p99_ms,
                        r.key_to_frame_p50_ms,
                        r.key_to_frame_p99_ms,
                        r.search_key_p50_ms,
                        r.frames
                    );
                }
                Ok(())
            }
            other => bail!(
                "unknown benchmark {other:?}: try `net`, `scale`, `radicale` or `tui` (the model benchmark is `cargo run --release -p crdt-model --features test-utils --example bench_model`)"
            ),
        },
        cmd => client_command(cmd, &home, &out).await,
    }
}

/// Rows of a resource file, each with its row number (the line in a CSV
/// file, the `[[resource]]` table's position in a TOML file) and either the
/// arguments or why the row is unreadable.
type Rows = Vec<(usize, anyhow::Result<ResourceArgs>)>;

/// Reads a `.csv` file (header = the `resource add` option names, e.g.
/// `id,name,name_en,city,people,feature`; several features or attributes
/// in one cell separated by `;`) or a TOML file of `[[resource]]` tables.
fn read_resource_rows(file: &std::path::Path) -> anyhow::Result<Rows> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let is_csv = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        let list = match table.get("resource") {
            Some(toml::Value::Array(list)) => list.clone(),
            _ => bail!("{}: expected [[resource]] tables", file.display()),
        };
        return Ok(list
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let a = v
                    .try_into::<ResourceArgs>()
                    .map_err(|e| anyhow::anyhow!("{}", e.message()));
                (i + 1, a)
            })
            .collect());
    }
    const NUMBERS: [&str; 6] = [
        "people",
        "units",
        "min_minutes",
        "max_minutes",
        "advance_days",
        "buffer_minutes",
    ];
    const LISTS: [&str; 2] = ["feature", "attr"];
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: reading the header row", file.display()))?
        .iter()
        .map(|h| h.trim().trim_start_matches("--").replace('-', "_"))
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let row = rec.map_err(anyhow::Error::from).and_then(|rec| {
            let mut map = serde_json::Map::new();
            for (h, v) in header.iter().zip(rec.iter()) {
                if v.is_empty() {
                    continue;
                }
                let value = if NUMBERS.contains(&h.as_str()) {
                    let n: u32 = v
                        .parse()
                        .map_err(|_| anyhow::anyhow!("column {h}: expected a number, got {v:?}"))?;
                    serde_json::Value::from(n)
                } else if LISTS.contains(&h.as_str()) {
                    v.split(';')
                        .map(|x| serde_json::Value::from(x.trim()))
                        .collect()
                } else {
                    serde_json::Value::from(v)
                };
                map.insert(h.clone(), value);
            }
            serde_json::from_value::<ResourceArgs>(serde_json::Value::Object(map))
                .map_err(|e| anyhow::anyhow!("{e}"))
        });
        rows.push((line, row));
    }
    Ok(rows)
}

/// One of this agency's resources, by `OWNER/LOCAL` or `LOCAL` id.
async fn own_resource(c: &Client, me: AgencyId, id: &str) -> anyhow::Result<Resource> {
    let rid: ResourceId = if id.contains('/') {
        id.parse()
            .map_err(|e| anyhow::anyhow!("resource id: {e}"))?
    } else {
        ResourceId::new(me, id).map_err(|e| anyhow::anyhow!("resource id: {e}"))?
    };
    if rid.owner != me {
        bail!("{rid} belongs to another agency: only its owner may change it");
    }
    let list = c
        .resources(&ResourceFilter {
            owner: Some(me),
            ..Default::default()
        })
        .await?;
    list.into_iter()
        .find(|r| r.id == rid)
        .ok_or_else(|| anyhow::anyhow!("unknown resource {rid}"))
}

/// A client of the daemon of `home`.
fn connect(home: &Home) -> anyhow::Result<Client> {
    Ok(Client::new(&home.api()?)?)
}

/// Runs a command that talks to the daemon of `home`; a daemon that does
/// not answer is named by its home.
async fn client_command(cmd: Cmd, home: &Home, out: &Out) -> anyhow::Result<()> {
    let c = connect(home)?;
    let result = api_command(cmd, &c, out).await;
    match &result {
        Err(e)
            if e.downcast_ref::<api::Error>()
                .is_some_and(api::Error::is_unreachable) =>
        {
            bail!(
                "the node in {} is not running or not answering (start it with `tongchou run`)",
                home.dir().display()
            )
        }
        _ => result,
    }
}

async fn api_command(cmd: Cmd, c: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Cmd::Status => {
            let s = c.status().await?;
            if out.json {
                return out.json(&s);
            }
            println!(
                "{}: {} ({})",
                out.t("本单位", "agency"),
                out.text(&s.name),
                s.agency
            );
            println!(
                "{}: {} ({})",
                out.t("网络", "network"),
                s.network_name,
                s.network
            );
            for l in &s.listen {
                println!("{}: {l}", out.t("监听", "listening"));
            }
            if let Some(fault) = &s.storage_fault {
                eprintln!(
                    "{}: {fault}",
                    out.t(
                        "存储故障（节点只读，修复磁盘后重启）",
                        "STORAGE FAILED (read-only until restarted)"
                    )
                );
            }
            println!(
                "{}: {} / {}  {}: {}  {}: {}",
                out.t("文档/变更", "docs/changes"),
                s.docs.len(),
                s.changes,
                out.t("资源", "resources"),
                s.resources,
                out.t("预约", "bookings"),
                s.bookings
            );
            println!(
                "{}: {}  {}: {}",
                out.t("待处理", "pending"),
                s.pending.len(),
                out.t("已拒收", "refused"),
                s.refused_total
            );
            let mut rows = vec![vec![
                out.t("对等节点", "peer").into(),
                out.t("连接", "connected").into(),
                out.t("落后", "lag").into(),
                out.t("收/发", "in/out").into(),
                out.t("拒收", "refused").into(),
            ]];
            for p in &s.peers {
                rows.push(vec![
                    out.text(&p.name).to_string(),
                    if p.connected {
                        "✓".into()
                    } else {
                        "✗".into()
                    },
                    p.lag.to_string(),
                    format!("{}/{}", p.messages_in, p.messages_out),
                    p.refused.to_string(),
                ]);
            }
            table(&rows);
            Ok(())
        }
        Cmd::Invite {
            agency,
            role,
            expires,
            bootstrap,
        } => {
            let role = match role.as_str() {
                "member" => Role::Member,
                "admin" => Role::Admin,
                other => bail!("--role: expected member or admin, got {other:?}"),
            };
            let hours = parse_minutes("--expires", &expires)?.div_ceil(60);
            let r = c
                .invite(&InviteRequest {
                    agency,
                    role,
                    expires_hours: hours,
                    bootstrap,
                })
                .await?;
            if out.json {
                return out.json(&r);
            }
            println!("{}", r.token);
            eprintln!(
                "{} {}",
                out.t("一次性邀请，有效期至", "one-time invitation, valid until"),
                r.expires
            );
            Ok(())
        }
        Cmd::Members => {
            let m = c.members().await?;
            if out.json {
                return out.json(&m);
            }
            let mut rows = vec![vec![
                out.t("单位", "agency").into(),
                out.t("城市", "city").into(),
                out.t("角色", "role").into(),
                out.t("状态", "status").into(),
                "id".into(),
                out.t("当前密钥", "current key").into(),
            ]];
            for e in &m {
                let status = match &e.member.status {
                    crdt_model::membership::MemberStatus::Active => {
                        out.t("正常", "active").to_string()
                    }
                    crdt_model::membership::MemberStatus::Revoked { reason, .. } => {
                        format!("{} {reason}", out.t("已撤销", "revoked"))
                    }
                };
                let role = if e.member.role == Role::Admin {
                    out.t("管理员", "admin")
                } else {
                    out.t("成员", "member")
                };
                let key = match e.member.rotations.len() {
                    0 => out.t("= id", "= id").to_string(),
                    n => format!(
                        "{} ({} {n})",
                        e.member.current_key().short(),
                        out.t("轮换次数", "rotations")
                    ),
                };
                rows.push(vec![
                    out.text(&e.member.profile.name).into(),
                    out.text(&e.member.profile.city).into(),
                    role.into(),
                    status,
                    e.agency.to_string(),
                    key,
                ]);
            }
            table(&rows);
            Ok(())
        }
        Cmd::Revoke { agency, reason } => {
            let v = c.revoke(&RevokeRequest { agency, reason }).await?;
            if out.json {
                return out.json(&v);
            }
            println!("{} {agency}", out.t("已撤销", "revoked"));
            Ok(())
        }
        Cmd::RotateKey => {
            let r = c.rotate_key().await?;
            if out.json {
                return out.json(&r);
            }
            println!("{} {}", out.t("机构", "agency"), r.agency);
            println!("{} {}", out.t("旧密钥", "old key"), r.old_key);
            println!("{} {}", out.t("新密钥", "new key"), r.new_key);
            println!(
                "{}",
                out.t(
                    "密钥已轮换：此前的记录仍可验证；旧密钥此后签名的变更将被拒绝。其他节点配置中含本节点旧 peer id 的 --peer 地址需更新（通过引导节点发现则无需改动）。",
                    "key rotated: earlier history stays verifiable; changes signed by the old key from now on are refused. Other nodes' --peer addresses that name this node's old peer id must be updated (discovery through a bootstrap peer needs nothing)."
                )
            );
            Ok(())
        }
        Cmd::Resource(rc) => {
            let s = c.status().await?;
            match rc {
                ResourceCmd::Add(args) => {
                    let r = args.build(s.agency)?;
                    let r = c.put_resource(&r).await?;
                    if out.json {
                        return out.json(&r);
                    }
                    println!("{}: {}", out.t("已发布", "published"), r.id);
                }
                ResourceCmd::Retire { id } => {
                    let mut r = own_resource(c, s.agency, &id).await?;
                    r.retired = true;
                    c.put_resource(&r).await?;
                    println!("{}: {}", out.t("已停用", "retired"), r.id);
                }
                ResourceCmd::Edit(args) => {
                    let r = own_resource(c, s.agency, &args.id).await?;
                    let edited = args.apply(&r)?;
                    let r = c.put_resource(&edited).await?;
                    if out.json {
                        return out.json(&r);
                    }
                    println!("{}: {}", out.t("已更新", "updated"), r.id);
                }
                ResourceCmd::Import { file } => {
                    let rows = read_resource_rows(&file)?;
                    let (mut ok, mut bad) = (0, Vec::new());
                    let total = rows.len();
                    for (n, (row, parsed)) in rows.into_iter().enumerate() {
                        let res = match parsed.and_then(|a| a.build(s.agency).map(|r| (a.id, r))) {
                            Ok((_, r)) => c.put_resource(&r).await.map(|_| ()).map_err(Into::into),
                            Err(e) => Err(e),
                        };
                        match res {
                            Ok(()) => ok += 1,
                            Err(e) => {
                                bad.push(serde_json::json!({"row": row, "error": format!("{e:#}")}))
                            }
                        }
                        if !out.json && total >= 50 && (n + 1) % 50 == 0 {
                            eprintln!("… {}/{total}", n + 1);
                        }
                    }
                    if out.json {
                        out.json(&serde_json::json!({"published": ok, "rejected": bad}))?;
                    } else {
                        println!("{}: {ok}", out.t("已发布", "published"));
                    }
                    for b in bad.iter().filter(|_| !out.json) {
                        println!(
                            "{} {}: {}",
                            out.t("拒绝第", "rejected row"),
                            b["row"],
                            b["error"]
                        );
                    }
                    if !bad.is_empty() {
                        bail!("{} rows rejected", bad.len());
                    }
                }
            }
            Ok(())
        }
        Cmd::Resources {
            kind,
            city,
            owner,
            free_from,
            free_to,
            quantity,
        } => {
            let mut q = ResourceFilter {
                kind,
                city,
                owner,
                ..Default::default()
            };
            if let (Some(a), Some(b)) = (free_from, free_to) {
                let a = parse_time("--free-from", &a)?;
                let b = parse_time("--free-to", &b)?;
                if b <= a {
                    bail!("--free-to must be after --free-from");
                }
                q.free_from = Some(a);
                q.free_to = Some(b);
                q.quantity = Some(quantity);
            }
            let list = c.resources(&q).await?;
            if out.json {
                return out.json(&list);
            }
            let mut rows = vec![vec![
                out.t("名称", "name").into(),
                out.t("类型", "kind").into(),
                out.t("城市", "city").into(),
                out.t("容量", "size").into(),
                "id".into(),
            ]];
            for r in &list {
                let size = match r.capacity {
                    Capacity::People(n) => format!("{n}{}", out.t("人", " people")),
                    Capacity::Units(n) => format!("{n}{}", out.t("个", " units")),
                };
                rows.push(vec![
                    out.text(&r.name).into(),
                    out.text(&r.kind.label()).into(),
                    out.text(&r.location.city).into(),
                    size,
                    r.id.to_string(),
                ]);
            }
            table(&rows);
            Ok(())
        }
        Cmd::Book {
            resource,
            from,
            to,
            quantity,
            purpose,
            contact,
            wait,
        } => {
            // Civil times are read in the resource's own time zone.
            let list = c
                .resources(&ResourceFilter {
                    owner: Some(resource.owner),
                    ..Default::default()
                })
                .await?;
            let tz = list
                .iter()
                .find(|r| r.id == resource)
                .map_or_else(cli_zone, Resource::tz);
            let start = parse_time_in("--from", &from, &tz)?;
            let end = parse_time_in("--to", &to, &tz)?;
            if end <= start {
                bail!("--to: must be after --from");
            }
            let mut b = c
                .book(&BookRequest {
                    resource,
                    start,
                    end,
                    quantity,
                    contact,
                    purpose,
                })
                .await?;
            if let Some(secs) = wait {
                let deadline = std::time::Instant::now() + Duration::from_secs(secs);
                while matches!(b.status, BStatus::Tentative { .. })
                    && std::time::Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    b = c.booking(&b.id).await?;
                }
            }
            if out.json {
                return out.json(&b);
            }
            print_booking(out, &b);
            Ok(())
        }
        Cmd::Bookings {
            resource,
            mine,
            pending,
        } => {
            let list = c
                .bookings(&BookingFilter {
                    resource,
                    mine,
                    pending,
                    ..Default::default()
                })
                .await?;
            if out.json {
                return out.json(&list);
            }
            let mut rows = vec![vec![
                out.t("开始", "start").into(),
                out.t("结束", "end").into(),
                out.t("状态", "status").into(),
                out.t("资源", "resource").into(),
                "id".into(),
            ]];
            for b in &list {
                rows.push(vec![
                    local(b.terms.start, DEFAULT_TZ),
                    local(b.terms.end, DEFAULT_TZ),
                    status_text(out, &b.status),
                    b.resource.local.to_string(),
                    b.id.to_string(),
                ]);
            }
            table(&rows);
            Ok(())
        }
        Cmd::Cancel { id, reason } => {
            let b = c
                .cancel(&CancelRequest {
                    booking: id,
                    reason,
                })
                .await?;
            if out.json {
                return out.json(&b);
            }
            print_booking(out, &b);
            Ok(())
        }
        Cmd::Decide {
            id,
            verdict,
            reason,
        } => {
            let approve = match verdict.as_str() {
                "approve" | "confirm" | "yes" => true,
                "reject" | "no" => false,
                other => bail!("verdict: expected approve or reject, got {other:?}"),
            };
            let reason = reason.map(|r| Text::new(r.clone(), r));
            let b = c
                .decide(&DecideRequest {
                    booking: id,
                    approve,
                    reason,
                })
                .await?;
            if out.json {
                return out.json(&b);
            }
            print_booking(out, &b);
            Ok(())
        }
        Cmd::Slots {
            duration,
            from,
            to,
            quantity,
            kind,
            city,
            feature,
        } => {
            let q = SlotQuery {
                kind: kind.map(|k| k.parse().unwrap_or(ResourceKind::Other(k))),
                city,
                owner: None,
                quantity,
                features: feature.into_iter().collect(),
                duration_minutes: parse_minutes("--duration", &duration)?,
                from: parse_time("--from", &from)?,
                to: parse_time("--to", &to)?,
                step_minutes: 30,
                limit: 20,
                per_resource: 3,
                requester: AgencyId([0; 32]),
            };
            let list = c.slots(&q).await?;
            if out.json {
                return out.json(&list);
            }
            let mut rows = vec![vec![
                out.t("开始", "start").into(),
                out.t("结束", "end").into(),
                out.t("资源", "resource").into(),
                out.t("竞争", "competing").into(),
            ]];
            for cand in &list {
                rows.push(vec![
                    local(cand.start, DEFAULT_TZ),
                    local(cand.end, DEFAULT_TZ),
                    cand.resource.to_string(),
                    cand.competing.to_string(),
                ]);
            }
            table(&rows);
            Ok(())
        }
        Cmd::Ics { resource } => {
            let q = match resource {
                Some(r) => IcsQuery {
                    resource: Some(r),
                    agency: None,
                },
                None => IcsQuery {
                    resource: None,
                    agency: Some(c.status().await?.agency),
                },
            };
            print!("{}", c.ics(&q).await?);
            Ok(())
        }
        Cmd::Run { .. }
        | Cmd::Tui
        | Cmd::Network(_)
        | Cmd::Join { .. }
        | Cmd::Demo { .. }
        | Cmd::Bench { .. } => {
            unreachable!("handled in dispatch")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_parse_or_name_the_field() {
        assert_eq!(parse_minutes("--d", "1h30m").unwrap(), 90);
        assert_eq!(parse_minutes("--d", "7d").unwrap(), 7 * 1440);
        assert!(
            parse_minutes("--d", "x")
                .unwrap_err()
                .to_string()
                .contains("--d")
        );
        assert!(parse_time("--from", "2026-12-01T09:00:00+08:00").is_ok());
        assert!(parse_time("--from", "2026-12-01T09:00").is_ok());
        assert!(
            parse_time("--from", "2026-13-01")
                .unwrap_err()
                .to_string()
                .contains("--from")
        );
        assert_eq!(parse_days("1-5").unwrap().len(), 5);
        assert!(parse_days("0-9").is_err());
    }
}
