//! `tongchou loan …`, `loans`, `transfer …`, `transfers`, `inventory`: the
//! clap types of the warehouse (公物仓).

use super::*;

/// `tongchou loan …`.
#[derive(Debug, Subcommand)]
pub(crate) enum LoanCmd {
    /// Hand a loan's units over to the borrower (the asset's owner).
    Handover {
        /// The loan (its booking id).
        booking: BookingId,
        /// Asset tags handed over, comma-separated: T1,T2.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// A note (condition).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Countersign a handover (the borrower).
    Receive {
        /// The loan (its booking id).
        booking: BookingId,
    },
    /// Take a loan's units back (the asset's owner); damaged units are out
    /// of service until repaired.
    Return {
        /// The loan (its booking id).
        booking: BookingId,
        /// Units back (all of the loan's).
        #[arg(long)]
        units: u32,
        /// Of those, damaged.
        #[arg(long, default_value_t = 0)]
        damaged: u32,
        /// The damaged units' asset tags, comma-separated (at most --damaged).
        #[arg(long, value_delimiter = ',')]
        damaged_tags: Vec<String>,
        /// A note (the damage).
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// List loans of warehouse assets.
#[derive(Debug, Args)]
pub(crate) struct LoansArgs {
    /// Only loans due back and not returned.
    #[arg(long)]
    pub overdue: bool,
    /// Only this agency's loans (as borrower).
    #[arg(long)]
    pub mine: bool,
    /// Only loans of this agency's assets (as lender).
    #[arg(long)]
    pub lent: bool,
    /// Only loans not yet returned.
    #[arg(long)]
    pub open: bool,
    /// Only loans of this asset (id, unique prefix or name).
    #[arg(long)]
    pub asset: Option<String>,
}

/// `tongchou transfer …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TransferCmd {
    /// Offer an asset, or some of its units, to another agency (调剂).
    Offer {
        /// The asset (id, unique prefix or name).
        asset: String,
        /// The receiving agency: id or name.
        #[arg(long)]
        to: String,
        /// Units, if not the whole asset.
        #[arg(long)]
        units: Option<u32>,
        /// A note for the receiver.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Accept an offer made to this agency.
    Accept {
        /// The offer: its id as `tongchou transfers` shows it, or the
        /// asset's name when one offer of it waits for this agency.
        id: String,
    },
    /// Decline an offer made to this agency.
    Decline {
        /// The offer: its id, or the asset's name.
        id: String,
    },
}

/// List transfer offers.
#[derive(Debug, Args)]
pub(crate) struct TransfersArgs {
    /// Only offers waiting for an answer.
    #[arg(long)]
    pub pending: bool,
    /// Every offer, not only those made by or to this agency.
    #[arg(long)]
    pub all: bool,
}

/// `tongchou inventory`: the units of warehouse assets, or `inventory
/// count` to record a count.
#[derive(Debug, Args)]
pub(crate) struct InventoryCmd {
    /// Record a count instead of listing.
    #[command(subcommand)]
    pub action: Option<InventoryAction>,
    /// Only assets of this owner (id or name).
    #[arg(long)]
    pub owner: Option<String>,
    /// Only this asset (id, unique prefix or name).
    #[arg(long)]
    pub asset: Option<String>,
    /// Only assets whose last count differs from the ledger.
    #[arg(long)]
    pub discrepancies: bool,
}

/// `tongchou inventory …`.
#[derive(Debug, Subcommand)]
pub(crate) enum InventoryAction {
    /// Record the units counted on the shelf (清查盘点, the asset's owner);
    /// prints the discrepancy against the ledger.
    Count {
        /// The asset (id, unique prefix or name).
        asset: String,
        /// Units counted.
        #[arg(long)]
        counted: u32,
        /// A note.
        #[arg(long, default_value = "")]
        note: String,
    },
}
