//! The command line's types (clap): `tongchou run | status | network |
//! invite [revoke] | invites | join | members | revoke | rotate-key | resource | resources |
//! book | bookings | cancel | decide | slots | ics | backup | restore | verify | tui | demo | bench`.
//! What each command does lives in the module of its group.

use clap::{Args, Parser, Subcommand};

mod follow_args;
mod hold_args;
mod resource_args;
mod trip_args;
mod warehouse_args;

use crdt_model::ids::{AgencyId, BookingId};
use crdt_model::resource::DEFAULT_TZ;
pub(crate) use follow_args::*;
pub(crate) use hold_args::*;
pub(crate) use resource_args::*;
pub(crate) use trip_args::*;
pub(crate) use warehouse_args::*;

/// Tongchou (统筹): shared government resources over a peer-to-peer network.
#[derive(Debug, Parser)]
#[command(name = "tongchou", version, about)]
pub(crate) struct Cli {
    /// The node's home directory (key, config, database).
    #[arg(long, global = true, env = "TONGCHOU_HOME")]
    pub home: Option<std::path::PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of messages: zh or en (default from LANG).
    #[arg(long, global = true)]
    pub lang: Option<String>,
    /// Act as this person of the agency (their token in the home's
    /// `users/NAME.token`, from `tongchou user add`).
    #[arg(long, global = true, env = "TONGCHOU_USER")]
    pub user: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// Commands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Cmd {
    /// Run the node daemon in the foreground.
    Run(RunArgs),
    /// This node: agency, network, peers and sync state.
    Status,
    /// Create a network.
    #[command(subcommand)]
    Network(NetworkCmd),
    /// Issue a one-time invitation token (admins); `invite revoke`
    /// withdraws one.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Invite(InviteCmd),
    /// This agency's invitations: outstanding, used, withdrawn or expired.
    Invites(InvitesArgs),
    /// Join a network with an invitation token (fresh home).
    Join(JoinArgs),
    /// The roster.
    Members,
    /// Revoke an agency (admins).
    Revoke(RevokeArgs),
    /// Stop all traffic with a member on this node (a quarantine while it
    /// is looked into): no connection either way until `unblock` or the
    /// time given. Nothing is signed; the rest of the network keeps
    /// talking to it.
    Block(BlockArgs),
    /// Lift a block: the member's node is dialled again at once.
    Unblock(UnblockArgs),
    /// Follow owners, cities or kinds of resource: this node then holds
    /// every catalogue, its own city's and its booked owners' bookings, and
    /// those of what it follows, nothing else (a node that never ran
    /// `follow` holds everything). Peers send what it adds at once.
    Follow(FollowArgs),
    /// Stop following owners, cities or kinds named by `follow` (what is
    /// held stays; no more of it arrives). `--city` of our own city stops
    /// following it.
    Unfollow(FollowArgs),
    /// What this node follows, the owners that resolves to, and what it holds.
    Follows,
    /// When the resources of owners this node does not follow are taken:
    /// fetched from the owner or a node following it, cached, shown with
    /// who answered and how long ago.
    Busy(BusyArgs),
    /// Replace this agency's key: the new key is announced in a roster
    /// event signed by the old one; the agency id and all history stay
    /// valid, changes signed by the old key after the rotation are refused.
    RotateKey,
    /// Publish or retire this agency's resources.
    #[command(subcommand)]
    Resource(ResourceCmd),
    /// List resources.
    Resources(ResourcesArgs),
    /// Request a booking.
    Book(BookArgs),
    /// List bookings.
    Bookings(BookingsArgs),
    /// Cancel one of this agency's requests.
    Cancel(CancelArgs),
    /// Approve or reject a request for this agency's resource.
    Decide(DecideArgs),
    /// Check in to one of this agency's confirmed bookings (签到): on a
    /// resource that asks for it, a booking not checked in within its
    /// minutes of the start is released as a no-show.
    Checkin(CheckinArgs),
    /// Holds of this agency's resources for a major event or an emergency
    /// (重大活动 / 应急保障): the confirmed bookings in the way are released
    /// with the reason and alternatives.
    #[command(subcommand)]
    Hold(HoldCmd),
    /// Holds for events not yet over, with the bookings they released.
    Holds(HoldsArgs),
    /// People of this agency (local accounts with their own API tokens).
    #[command(subcommand)]
    User(UserCmd),
    /// This agency's people and their roles.
    Users,
    /// Find free slots.
    Slots(SlotsArgs),
    /// Start a four-city demo network on this machine.
    Demo(DemoArgs),
    /// Benchmarks on this machine (release build recommended).
    Bench(BenchArgs),
    /// The terminal UI (staff booking, operator review) on this home's node.
    Tui,
    /// iCalendar (RFC 5545) export.
    Ics(IcsArgs),
    /// Back up this home while the node runs: a consistent snapshot (key,
    /// config, admission, every stored change) in one file, mode 0600.
    Backup(BackupArgs),
    /// Build a new home (--home) from a backup file, to replace a lost
    /// node; never run it beside the node it was taken from.
    Restore(RestoreArgs),
    /// Check this home offline (the node stopped): key, config, admission,
    /// that the store opens, every change decodes and verifies, and no
    /// change the node acknowledged is missing; says what to do.
    Verify,
    /// Official vehicle trips: request, dispatch, start, finish, cancel, reject.
    #[command(subcommand)]
    Trip(TripCmd),
    /// List trips.
    Trips(TripsArgs),
    /// Warehouse loans: hand over, countersign, take back.
    #[command(subcommand)]
    Loan(LoanCmd),
    /// List loans of warehouse assets.
    Loans(LoansArgs),
    /// Transfers of assets between agencies (调剂): offer, accept, decline.
    #[command(subcommand)]
    Transfer(TransferCmd),
    /// List transfer offers.
    Transfers(TransfersArgs),
    /// The units of warehouse assets (total, available, on loan, damaged,
    /// disposed); `inventory count` records a count.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Inventory(InventoryCmd),
    /// Utilisation and activity over a period (统计直报): booked against
    /// open hours, decisions, cross-agency share, trips, loans, idle resources.
    Report(ReportArgs),
    /// Webhooks: the node POSTs events (requests waiting, decisions,
    /// cancellations, releases, trips, loans, reminders) to a URL.
    #[command(subcommand)]
    Webhook(WebhookCmd),
    /// Quotas (实物定额) on this agency's resources: how much one requesting
    /// agency may hold; a request beyond one is rejected with the figures.
    #[command(subcommand)]
    Quota(QuotaCmd),
    /// Resources with quotas, and their quotas.
    Quotas(QuotasArgs),
}

/// `tongchou quota …`.
#[derive(Debug, Subcommand)]
pub(crate) enum QuotaCmd {
    /// Set a quota on a resource, or on each of this agency's resources of
    /// a kind (it replaces one of the same sort for the same agencies).
    Set(QuotaSetArgs),
    /// Remove the quotas of a resource or a kind (only one agency's with
    /// --agency).
    Clear(QuotaClearArgs),
}

/// `tongchou quota set`.
#[derive(Debug, Args)]
pub(crate) struct QuotaSetArgs {
    /// Resource (id, unique id prefix or name); or --kind.
    pub resource: Option<String>,
    /// Each of this agency's resources of this kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Only this agency's requests (default: each requesting agency's).
    #[arg(long)]
    pub agency: Option<crdt_model::ids::AgencyId>,
    /// Hours a week (Monday to Sunday, in the resource's zone).
    #[arg(long)]
    pub hours_per_week: Option<u32>,
    /// Hours a calendar month.
    #[arg(long)]
    pub hours_per_month: Option<u32>,
    /// Units (or people) held at any one time.
    #[arg(long)]
    pub max_concurrent: Option<u32>,
    /// Bookings a week or month (with --per).
    #[arg(long)]
    pub max_bookings: Option<u32>,
    /// With --max-bookings: week or month.
    #[arg(long)]
    pub per: Option<String>,
}

/// `tongchou quota clear`.
#[derive(Debug, Args)]
pub(crate) struct QuotaClearArgs {
    /// Resource (id, unique id prefix or name); or --kind.
    pub resource: Option<String>,
    /// Each of this agency's resources of this kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Only the quotas for this agency.
    #[arg(long)]
    pub agency: Option<crdt_model::ids::AgencyId>,
}

/// `tongchou quotas`.
#[derive(Debug, Args)]
pub(crate) struct QuotasArgs {
    /// Only this agency's resources.
    #[arg(long)]
    pub mine: bool,
}

/// `tongchou webhook …`.
#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCmd {
    /// Register a URL; events are queued durably and retried while it is down.
    Add {
        /// Where to POST (http:// or https://).
        url: String,
        /// Events, comma-separated: request, decision, cancel, release,
        /// trip, loan, reminder (default: all).
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Key of the HMAC-SHA256 signature header (X-Tongchou-Signature).
        #[arg(long)]
        secret: Option<String>,
    },
    /// The webhooks, with deliveries waiting, made and failed.
    List,
    /// Remove a webhook (and what it had waiting).
    Remove {
        /// Its number, as `webhook list` shows it.
        id: u32,
    },
}

/// `tongchou report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Period start: a date (its midnight) or a time.
    #[arg(long)]
    pub from: String,
    /// Period end: a date (counted whole) or a time.
    #[arg(long)]
    pub to: String,
    /// Rows per resource, kind, owner, requester, city or month.
    #[arg(long, default_value = "resource")]
    pub by: String,
    /// Only resources of this kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Only resources of this owner (id or name).
    #[arg(long)]
    pub owner: Option<String>,
    /// table, csv, json or xlsx (xlsx needs --out).
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Write to this file instead of the screen.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// `tongchou backup FILE`.
#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// The backup file to write (replaced if it exists).
    pub file: std::path::PathBuf,
}

/// `tongchou restore FILE --home NEW`.
#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// The backup file to read.
    pub file: std::path::PathBuf,
}

/// Run the node daemon in the foreground.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// libp2p listen address (repeatable), e.g. /ip4/0.0.0.0/tcp/4001.
    #[arg(long)]
    pub listen: Vec<String>,
    /// Local API address (127.0.0.1 only), e.g. 127.0.0.1:7420.
    #[arg(long)]
    pub api: Option<String>,
    /// Peer address to stay connected to (repeatable).
    #[arg(long)]
    pub peer: Vec<String>,
    /// Bootstrap peer (a `run --bootstrap-only` node, multiaddr ending in
    /// /p2p/ID) where members of other cities are found (repeatable).
    #[arg(long)]
    pub bootstrap: Vec<String>,
    /// Disable LAN discovery (mDNS).
    #[arg(long)]
    pub no_mdns: bool,
    /// This node cannot be dialled from other cities (behind NAT): be
    /// reachable through the bootstrap peers' relay, and advertise only
    /// relayed addresses there.
    #[arg(long)]
    pub relay: bool,
    /// Connections to members held at most (default 50, or
    /// `max_connections` in config.toml): half dialled by this node, to the
    /// owners it follows or peers holding their bookings, half opened by others.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Registrations asked for in one answer of a bootstrap peer (default
    /// 1,000; further pages follow): for tests of paging.
    #[arg(long, value_name = "N", hide = true)]
    pub discover_page: Option<u64>,
    /// Run a bootstrap peer instead: no agency data, only helps members
    /// find each other (rendezvous). Needs no network or agency key.
    #[arg(long, conflicts_with_all = ["api", "peer", "bootstrap"])]
    pub bootstrap_only: bool,
}

/// This agency's invitations.
#[derive(Debug, Args)]
pub(crate) struct InvitesArgs {
    /// Every admin's invitations, not only this agency's.
    #[arg(long)]
    pub all: bool,
}

/// `tongchou invite`: issue a token, or `invite revoke` one.
#[derive(Debug, Args)]
pub(crate) struct InviteCmd {
    /// Withdraw an invitation instead of issuing one.
    #[command(subcommand)]
    pub action: Option<InviteAction>,
    /// The invitation to issue.
    #[command(flatten)]
    pub issue: InviteArgs,
}

/// `tongchou invite …`.
#[derive(Debug, Subcommand)]
pub(crate) enum InviteAction {
    /// Withdraw an unused invitation: every member refuses a join with its
    /// token from now on (a signed roster event).
    Revoke(WithdrawArgs),
}

/// Withdraw an unused invitation.
#[derive(Debug, Args)]
pub(crate) struct WithdrawArgs {
    /// The invitation: its id (or a prefix of it, as `tongchou invites`
    /// shows) or the name of the agency invited.
    pub invitation: String,
    /// Why.
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// Issue a one-time invitation token (admins).
#[derive(Debug, Args)]
pub(crate) struct InviteArgs {
    /// Name of the agency invited. (An `Option` that clap requires unless
    /// a subcommand is given: a plain `String` would fail to build the
    /// arguments of `invite revoke`.)
    #[arg(long, required = true)]
    pub agency: Option<String>,
    /// Role: member or admin.
    #[arg(long, default_value = "member")]
    pub role: String,
    /// Validity, e.g. 7d, 12h.
    #[arg(long, default_value = "7d")]
    pub expires: String,
    /// Extra bootstrap addresses to put in the token.
    #[arg(long)]
    pub bootstrap: Vec<String>,
    /// Write the token to FILE (created with mode 0600: it holds a secret)
    /// instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

/// Join a network with an invitation token (fresh home).
#[derive(Debug, Args)]
pub(crate) struct JoinArgs {
    /// The token.
    pub token: String,
    /// This agency's name (zh).
    #[arg(long)]
    pub agency: String,
    /// This agency's English name.
    #[arg(long, default_value = "")]
    pub agency_en: String,
    /// City (zh).
    #[arg(long)]
    pub city: String,
    /// City (en).
    #[arg(long, default_value = "")]
    pub city_en: String,
    /// Extra bootstrap addresses.
    #[arg(long)]
    pub bootstrap: Vec<String>,
    /// Seconds to wait for a member.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

/// Revoke an agency (admins).
#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// Agency id.
    pub agency: AgencyId,
    /// Why.
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// `tongchou block`.
#[derive(Debug, Args)]
pub(crate) struct BlockArgs {
    /// Agency id.
    pub agency: AgencyId,
    /// Block for this many minutes only (default: until `unblock`).
    #[arg(long)]
    pub minutes: Option<u64>,
}

/// `tongchou unblock`.
#[derive(Debug, Args)]
pub(crate) struct UnblockArgs {
    /// Agency id.
    pub agency: AgencyId,
}

/// List resources.
#[derive(Debug, Args)]
pub(crate) struct ResourcesArgs {
    /// Kind: meeting-room, office, parking, ev-charger, vehicle, warehouse-asset.
    #[arg(long)]
    pub kind: Option<String>,
    /// City.
    #[arg(long)]
    pub city: Option<String>,
    /// Owner agency.
    #[arg(long)]
    pub owner: Option<AgencyId>,
    /// Only resources free from this time (with --free-to).
    #[arg(long, requires = "free_to")]
    pub free_from: Option<String>,
    /// Only resources free until this time (with --free-from).
    #[arg(long, requires = "free_from")]
    pub free_to: Option<String>,
    /// People or units that must fit in the free range.
    #[arg(long, default_value_t = 1)]
    pub quantity: u32,
    /// Only resources unused for this many days, with nothing booked ahead
    /// (idle assets, available for transfer).
    #[arg(long)]
    pub idle_days: Option<u32>,
}

/// Request a booking.
#[derive(Debug, Args)]
pub(crate) struct BookArgs {
    /// Resource: its id (OWNER/LOCAL), a unique prefix of it, or its name
    /// (a name several resources share is refused, with the list).
    pub resource: String,
    /// Start, e.g. 2026-12-01T09:00 (local time) or RFC 3339.
    #[arg(long)]
    pub from: String,
    /// End.
    #[arg(long)]
    pub to: String,
    /// People or units.
    #[arg(long, default_value_t = 1)]
    pub quantity: u32,
    /// Purpose.
    #[arg(long, default_value = "")]
    pub purpose: String,
    /// Contact person.
    #[arg(long, default_value = "")]
    pub contact: String,
    /// Wait up to SECS for the owner's decision.
    #[arg(long)]
    pub wait: Option<u64>,
    /// Repeat: an RRULE such as 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10'
    /// (DAILY, WEEKLY or MONTHLY; INTERVAL, BYDAY, BYMONTHDAY; COUNT or
    /// UNTIL). Each occurrence is a request of its own; the owner skips
    /// conflicting dates up to the resource's --max-conflicts, otherwise
    /// rejects the whole series with the dates that conflict.
    #[arg(long)]
    pub repeat: Option<String>,
    /// With --repeat: the last date (instead of COUNT or UNTIL in the rule).
    #[arg(long, requires = "repeat")]
    pub until: Option<String>,
    /// If it does not fit, join the waiting list: the owner confirms it
    /// as soon as room frees up (a cancellation, a release, a no-show);
    /// it expires at its start. With --wait, waits for that.
    #[arg(long, conflicts_with = "repeat")]
    pub wait_list: bool,
}

/// List bookings.
#[derive(Debug, Args)]
pub(crate) struct BookingsArgs {
    /// Only this resource (id, unique id prefix or name).
    #[arg(long)]
    pub resource: Option<String>,
    /// Only this agency's requests.
    #[arg(long)]
    pub mine: bool,
    /// Only requests waiting for this agency's decision.
    #[arg(long)]
    pub pending: bool,
    /// Only bookings ending after this (a date is its midnight); before
    /// the node's seal cut, sealed bookings are read from its store.
    #[arg(long)]
    pub from: Option<String>,
    /// Only bookings starting before this (a date counts whole).
    #[arg(long)]
    pub to: Option<String>,
}

/// Cancel one of this agency's requests.
#[derive(Debug, Args)]
pub(crate) struct CancelArgs {
    /// Booking id.
    pub id: BookingId,
    /// Why.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Of a recurring series: only the occurrence on this date.
    #[arg(long, conflicts_with_all = ["from_date", "series"])]
    pub occurrence: Option<String>,
    /// Of a recurring series: every occurrence from this date on.
    #[arg(long, conflicts_with = "series")]
    pub from_date: Option<String>,
    /// Of a recurring series: every occurrence.
    #[arg(long)]
    pub series: bool,
}

/// Approve or reject a request for this agency's resource.
#[derive(Debug, Args)]
pub(crate) struct DecideArgs {
    /// Booking id.
    pub id: BookingId,
    /// approve or reject.
    pub verdict: String,
    /// Reason (for a rejection).
    #[arg(long)]
    pub reason: Option<String>,
}

/// Find free slots.
#[derive(Debug, Args)]
pub(crate) struct SlotsArgs {
    /// Length, e.g. 2h, 90m.
    #[arg(long)]
    pub duration: String,
    /// Window start.
    #[arg(long)]
    pub from: String,
    /// Window end.
    #[arg(long)]
    pub to: String,
    /// People or units.
    #[arg(long, default_value_t = 1)]
    pub quantity: u32,
    /// Kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// City.
    #[arg(long)]
    pub city: Option<String>,
    /// Required feature (repeatable).
    #[arg(long)]
    pub feature: Vec<String>,
}

/// Start a four-city demo network on this machine.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Run the scripted scenario without a terminal and report.
    #[arg(long)]
    pub headless: bool,
    /// Keep the temporary homes.
    #[arg(long)]
    pub keep: bool,
    /// Who the TUI opens as: staff (booking) or operator (approvals).
    #[arg(long = "as", default_value = "staff", value_parser = ["staff", "operator"])]
    pub role: String,
}

/// Benchmarks on this machine (release build recommended).
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// What: net (nodes on loopback), scale (one node holding a
    /// province's year), trips (dispatch at a fleet of 500 vehicles),
    /// report (a year's report over 50,000 or, --full, 200,000 bookings),
    /// chaos (the simulator's chaos schedules over many seeds), interest
    /// (the simulator's province at fixed interest, 10 → 100 → 1,000
    /// agencies with --full), soak (nodes
    /// under steady load for minutes, one killed halfway), flood (a member
    /// under 300 rogue peers and 20,000 idle connections), radicale (side by side with a CalDAV server) or tui (render times).
    pub what: String,
    /// The full sizes (5 and 10 nodes, 1,000 bookings, 10,000 and 100,000 missed).
    #[arg(long)]
    pub full: bool,
    /// net only: just the throughput into one node (for profiling).
    #[arg(long)]
    pub throughput_only: bool,
    /// net only: the catch-up sizes to run instead of the default ones
    /// (repeatable, e.g. `--catchup 10000 --catchup 100000`).
    #[arg(long)]
    pub catchup: Vec<usize>,
    /// net only: also the network throughput with a quota on every pool,
    /// as a ratio to the run without.
    #[arg(long)]
    pub quotas: bool,
    /// scale only: bookings to hold instead of the size's own (the
    /// agencies and resources stay those of the size).
    #[arg(long)]
    pub bookings: Option<usize>,
    /// scale only: measure one agency's node under interest, in a province
    /// of 2,000 agencies (200 without --full): `owner` (the busiest owner,
    /// 1,000 of the 30,000 resources) or `follower` (following 20 owners).
    #[arg(long = "role", value_parser = ["owner", "follower"])]
    pub scale_role: Option<String>,
    /// scale only: the year of bookings ends now instead of starting next
    /// month; the node is started twice, the first start sealing the months
    /// long past, and the second load is measured too.
    #[arg(long)]
    pub sealed: bool,
    /// interest only: live changes sent by message to each peer, as before
    /// gossipsub topics carried them (the baseline of the default run).
    #[arg(long)]
    pub by_message: bool,
    /// chaos only: how many seeds (default 1,000).
    #[arg(long, default_value_t = 1_000)]
    pub seeds: u64,
    /// chaos only: the first seed.
    #[arg(long, default_value_t = 0)]
    pub from_seed: u64,
    /// soak only: node processes (default 10).
    #[arg(long, default_value_t = 10)]
    pub nodes: usize,
    /// soak only: bookings a second, spread over the nodes (default 500).
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    /// soak only: minutes of load (default 10).
    #[arg(long, default_value_t = 10.0)]
    pub minutes: f64,
    /// flood only: seconds of flood (default 60).
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
}

/// iCalendar (RFC 5545) export.
#[derive(Debug, Args)]
pub(crate) struct IcsArgs {
    /// Resource (id, unique id prefix or name); without it, this agency's
    /// calendar.
    pub resource: Option<String>,
}

/// `tongchou network …`.
#[derive(Debug, Subcommand)]
pub(crate) enum NetworkCmd {
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
