//! The clap types of `checkin`, `hold …`, `holds` and `user …`.

use clap::{Args, Subcommand};
use crdt_model::ids::BookingId;

/// Check in to a confirmed booking.
#[derive(Debug, Args)]
pub(crate) struct CheckinArgs {
    /// Booking id (one of this agency's, confirmed; from 30 minutes before
    /// its start until its end).
    pub id: BookingId,
}

/// `tongchou hold …`.
#[derive(Debug, Subcommand)]
pub(crate) enum HoldCmd {
    /// Hold resources of this agency for a time: every unit of each is
    /// taken; confirmed bookings in the way are released, each requester
    /// told the reason and offered alternatives.
    Create(HoldCreateArgs),
}

/// `tongchou hold create`.
#[derive(Debug, Args)]
pub(crate) struct HoldCreateArgs {
    /// The resources, comma-separated (ids, unique prefixes or names).
    #[arg(long, value_delimiter = ',', required = true)]
    pub resources: Vec<String>,
    /// Start (local time in the first resource's zone, or RFC 3339).
    #[arg(long)]
    pub from: String,
    /// End.
    #[arg(long)]
    pub to: String,
    /// Why (shown to every requester whose booking is released).
    #[arg(long)]
    pub reason: String,
    /// The reason in English, if it differs.
    #[arg(long)]
    pub reason_en: Option<String>,
}

/// `tongchou user …`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCmd {
    /// Add a person: prints their token once and keeps it in the home's
    /// `users/NAME.token` (mode 0600) for `--user NAME`.
    Add(UserAddArgs),
}

/// `tongchou user add`.
#[derive(Debug, Args)]
pub(crate) struct UserAddArgs {
    /// Their name (written into the records they make).
    pub name: String,
    /// staff (book and cancel their own), approver (also decide for
    /// --resources) or operator (everything).
    #[arg(long)]
    pub role: String,
    /// For an approver: the resources they decide, comma-separated (ids,
    /// unique prefixes or names).
    #[arg(long, value_delimiter = ',')]
    pub resources: Vec<String>,
}

/// `tongchou holds`.
#[derive(Debug, Args)]
pub(crate) struct HoldsArgs {
    /// Only this agency's holds.
    #[arg(long)]
    pub mine: bool,
}
