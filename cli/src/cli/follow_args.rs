//! The clap types of `follow`, `unfollow` and `follows`.

use clap::Args;

/// What to follow (or stop following); repeat or separate with commas.
#[derive(Debug, Args)]
pub(crate) struct FollowArgs {
    /// An owner: agency id, id prefix or name (zh or en).
    #[arg(long = "owner", value_delimiter = ',')]
    pub owners: Vec<String>,
    /// A city (zh or en name): every agency in it.
    #[arg(long = "city", value_delimiter = ',')]
    pub cities: Vec<String>,
    /// A kind of resource (meeting-room, office, parking, ev-charger,
    /// vehicle, warehouse-asset, driver): every owner of one.
    #[arg(long = "kind", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Hold everything again (`follow` only).
    #[arg(long)]
    pub all: bool,
}

/// Whose free/busy to show (owners this node does not follow).
#[derive(Debug, Args)]
pub(crate) struct BusyArgs {
    /// An owner: agency id, id prefix or name (zh or en); repeat or
    /// separate with commas.
    #[arg(long = "owner", value_delimiter = ',', required = true)]
    pub owners: Vec<String>,
    /// Window start (default now).
    #[arg(long, default_value = "now")]
    pub from: String,
    /// Window end (default a week after the start; at most 93 days).
    #[arg(long)]
    pub to: Option<String>,
    /// Fetch again what is older than this many seconds.
    #[arg(long, default_value_t = api::DEFAULT_MAX_AGE_S)]
    pub max_age: u64,
}
