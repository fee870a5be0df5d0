//! `tongchou ics`: iCalendar feeds.

use api::*;

use crate::cli::*;

/// `tongchou ics`: an iCalendar feed on stdout.
pub(crate) async fn ics(c: &Client, a: IcsArgs) -> anyhow::Result<()> {
    let IcsArgs { resource } = a;
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
