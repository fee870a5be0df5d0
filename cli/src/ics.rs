//! `tongchou ics`: iCalendar feeds.

use api::*;

use crate::cli::*;
use crate::out::Out;

/// `tongchou ics`: an iCalendar feed on stdout.
pub(crate) async fn ics(c: &Client, out: &Out, a: IcsArgs) -> anyhow::Result<()> {
    let IcsArgs { resource } = a;
    let q = match resource {
        Some(r) => IcsQuery {
            resource: Some(crate::pick::resource(c, out, &r).await?.id),
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
