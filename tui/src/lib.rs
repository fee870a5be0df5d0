//! Tongchou's terminal UI (`tongchou tui`): staff find and book shared
//! resources, operators review approvals and conflicts and watch the network.
//!
//! It talks only to the local node's HTTP/JSON API (never libp2p or sled).
//! The shape is state / update / view: [`app::State`] is plain data,
//! [`update::update`] turns an [`action::Action`] into state changes and
//! [`action::Effect`]s (API calls, run by [`client`]), and [`view::view`]
//! draws the state. Strings live in [`i18n`].

pub mod action;
pub mod app;
pub mod bench;
pub mod client;
pub mod fixture;
pub mod grid;
pub mod i18n;
mod terminal;
pub mod update;
pub mod view;

#[cfg(test)]
mod tests;

pub use client::Connect;
pub use i18n::Lang;
pub use terminal::run;

/// How to start the TUI.
pub struct Options {
    /// Finds the node's API (called again on every reconnect).
    pub connect: Connect,
    /// Initial language.
    pub lang: Lang,
    /// Zone times are shown and typed in.
    pub tz: jiff::tz::TimeZone,
    /// The screen shown first.
    pub start: app::Screen,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("lang", &self.lang)
            .field("tz", &self.tz)
            .finish_non_exhaustive()
    }
}

/// Runs the TUI on the node whose home is `dir`; the node may start later
/// (or restart on a new port): the TUI shows a banner and keeps retrying.
/// With `user`, it signs in as that person (their token in the home).
pub async fn run_home(
    dir: std::path::PathBuf,
    lang: Lang,
    tz: jiff::tz::TimeZone,
    start: app::Screen,
    user: Option<String>,
) -> anyhow::Result<()> {
    if let Some(name) = &user {
        // Said before the screen opens, not as a failed fetch.
        api::read_token(&dir, name)
            .map_err(|e| anyhow::anyhow!("--user {name}: no token ({e})"))?;
    }
    let connect: Connect = std::sync::Arc::new(move || {
        let mut info = api::ApiInfo::read(&dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow::anyhow!(
                "the node in {} is not running (start it with `tongchou run`)",
                dir.display()
            ),
            _ => anyhow::anyhow!("{}: {e}", dir.join(api::ApiInfo::FILE).display()),
        })?;
        if let Some(name) = &user {
            info.token = api::read_token(&dir, name)?;
        }
        Ok(info)
    });
    run(Options {
        connect,
        lang,
        tz,
        start,
    })
    .await
}
