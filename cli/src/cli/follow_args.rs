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
