//! `tongchou`: an agency's node, its command line and its tools.
//!
//! [`cli`] holds the clap types; each command group has its module
//! ([`network`], [`resource`], [`booking`], [`slots`], [`ics`], [`status`],
//! [`backup`])
//! and talks to the daemon of `--home` through [`api::Client`]; `run` starts
//! the daemon ([`node`]); `tui` the terminal UI; `demo` and `bench` the
//! tools of the `devtools` crate (a default feature).

mod backup;
mod blackout;
mod booking;
mod busy;
mod cli;
mod follow;
mod help_zh;
mod hold;
mod ics;
mod import;
mod invite;
mod network;
mod out;
mod parse;
mod pick;
mod quota;
mod report;
mod resource;
mod slots;
mod status;
#[cfg(feature = "devtools")]
mod tools;
mod trip;
mod user;
mod warehouse;
mod webhook;

use std::process::ExitCode;

use anyhow::bail;
use api::Client;
use clap::{CommandFactory, FromArgMatches};
use node::config::Home;

use crate::cli::{Cli, Cmd, RunArgs};
use crate::out::Out;

/// Entry point of the binary.
fn main() -> ExitCode {
    let cli = parse_args();
    let filter = if matches!(cli.cmd, Cmd::Run(_)) {
        "info"
    } else {
        "warn"
    };
    let env_filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    if !matches!(
        cli.cmd,
        Cmd::Run(_) | Cmd::Tui | Cmd::Demo(_) | Cmd::Bench(_)
    ) {
        quiet_broken_pipe();
    }
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
        // Colour only on a terminal: a log file or journald gets plain text.
        use std::io::IsTerminal as _;
        tracing_subscriber::fmt()
            .with_env_filter(env_filter)
            .with_ansi(std::io::stderr().is_terminal())
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

/// A command whose output is cut short (`tongchou bookings | head`) ends
/// quietly, as Unix tools do, instead of panicking in `println!`: SIGPIPE
/// gets its default action again (Rust ignores it). Only for the commands
/// that print and exit; the daemon keeps ignoring it.
fn quiet_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal, before any
    // thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Whether messages (and `--help`) are in Chinese: `--lang zh`, or no
/// `--lang` and `LANG` starting with zh.
fn wants_zh(lang: Option<&str>) -> bool {
    match lang {
        Some(l) => l.starts_with("zh"),
        None => std::env::var("LANG").unwrap_or_default().starts_with("zh"),
    }
}

/// The command line, with `--help` and clap's own errors in Chinese when
/// the language is zh (read from the raw arguments: they are not parsed yet).
fn parse_args() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let lang = args
        .iter()
        .position(|a| a == "--lang")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.to_str().map(str::to_string))
        .or_else(|| {
            args.iter()
                .filter_map(|a| a.to_str())
                .find_map(|a| a.strip_prefix("--lang=").map(str::to_string))
        });
    let mut cmd = Cli::command();
    if wants_zh(lang.as_deref()) {
        cmd = help_zh::translate(cmd);
    }
    let matches = cmd.get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let home = Home::new(cli.home.clone().unwrap_or_else(Home::default_dir));
    let zh = wants_zh(cli.lang.as_deref());
    let out = Out { json: cli.json, zh };
    match cli.cmd {
        Cmd::Tui => {
            let lang = if zh { tui::Lang::Zh } else { tui::Lang::En };
            tui::run_home(
                home.dir().to_path_buf(),
                lang,
                parse::cli_zone(),
                tui::app::Screen::Resources,
                cli.user.clone(),
            )
            .await
        }
        Cmd::Run(a) => run(home, a).await,
        Cmd::Network(n) => network::network(&home, &out, n),
        Cmd::Join(a) => network::join(&home, &out, a).await,
        Cmd::Restore(a) => backup::restore(&home, &out, a),
        Cmd::Verify => backup::verify(&home, &out),
        // A stopped node is backed up from its home directly.
        Cmd::Backup(a) if node::verify::running(&home).is_none() && home.has_key() => {
            backup::backup_offline(&home, &out, a)
        }
        #[cfg(feature = "devtools")]
        Cmd::Demo(a) => tools::demo(&out, a).await,
        #[cfg(feature = "devtools")]
        Cmd::Bench(a) => tools::bench(&out, a).await,
        #[cfg(not(feature = "devtools"))]
        Cmd::Demo(_) | Cmd::Bench(_) => {
            bail!("this tongchou was built without the demo and benchmarks (feature `devtools`)")
        }
        cmd => client_command(cmd, &home, &out, cli.user.as_deref()).await,
    }
}

/// `tongchou run`: the daemon, or a bootstrap peer with `--bootstrap-only`.
async fn run(home: Home, a: RunArgs) -> anyhow::Result<()> {
    if a.bootstrap_only {
        return node::daemon::run_bootstrap(home, a.listen).await;
    }
    node::daemon::run(
        home,
        node::daemon::RunFlags {
            listen: a.listen,
            api: a.api,
            peers: a.peer,
            bootstrap: a.bootstrap,
            no_mdns: a.no_mdns,
            relay: a.relay,
            max_connections: a.max_connections,
            discover_page: a.discover_page,
        },
    )
    .await
}

/// A client of the daemon of `home`, with the token of the person named
/// by `--user` if given.
fn connect(home: &Home, user: Option<&str>) -> anyhow::Result<Client> {
    let mut info = home.api()?;
    if let Some(name) = user {
        info.token = api::read_token(home.dir(), name).map_err(|e| {
            anyhow::anyhow!("--user {name}: no token for this person ({e}); an operator adds people with `tongchou user add`")
        })?;
    }
    Ok(Client::new(&info)?)
}

/// Runs a command that talks to the daemon of `home`; a daemon that does
/// not answer is named by its home, and what the node refused is said in
/// the user's language (with the node's code, for scripts).
async fn client_command(
    cmd: Cmd,
    home: &Home,
    out: &Out,
    user: Option<&str>,
) -> anyhow::Result<()> {
    let c = connect(home, user)?;
    let result = api_command(cmd, &c, out, home).await;
    let Err(e) = result else {
        return result;
    };
    match e.downcast_ref::<api::Error>() {
        Some(ae) if ae.is_unreachable() => bail!(
            "{}",
            out.t(
                &format!(
                    "{} 的节点未运行或无应答（用 `tongchou run` 启动）",
                    home.dir().display()
                ),
                &format!(
                    "the node in {} is not running or not answering (start it with `tongchou run`)",
                    home.dir().display()
                ),
            )
        ),
        Some(ae) => bail!("{}", out.text(&ae.text())),
        None => Err(e),
    }
}

async fn api_command(cmd: Cmd, c: &Client, out: &Out, home: &Home) -> anyhow::Result<()> {
    match cmd {
        Cmd::Status => status::status(c, out).await,
        Cmd::Invite(a) => invite::invite(c, out, a).await,
        Cmd::Invites(a) => invite::invites(c, out, a).await,
        Cmd::Members => network::members(c, out).await,
        Cmd::Revoke(a) => network::revoke(c, out, a).await,
        Cmd::Block(a) => network::block(c, out, a.agency, true, a.minutes).await,
        Cmd::Unblock(a) => network::block(c, out, a.agency, false, None).await,
        Cmd::Follow(a) => follow::follow(c, out, a, true).await,
        Cmd::Unfollow(a) => follow::follow(c, out, a, false).await,
        Cmd::Follows => follow::follows(c, out).await,
        Cmd::Busy(a) => busy::busy(c, out, a).await,
        Cmd::RotateKey => network::rotate_key(c, out).await,
        Cmd::Resource(rc) => resource::resource(c, out, rc).await,
        Cmd::Resources(a) => resource::resources(c, out, a).await,
        Cmd::Book(a) => booking::book(c, out, a).await,
        Cmd::Bookings(a) => booking::bookings(c, out, a).await,
        Cmd::Cancel(a) => booking::cancel(c, out, a).await,
        Cmd::Decide(a) => booking::decide(c, out, a).await,
        Cmd::Slots(a) => slots::slots(c, out, a).await,
        Cmd::Ics(a) => ics::ics(c, out, a).await,
        Cmd::Backup(a) => backup::backup(c, out, a).await,
        Cmd::Trip(t) => trip::trip(c, out, t).await,
        Cmd::Trips(a) => trip::trips(c, out, a).await,
        Cmd::Loan(l) => warehouse::loan(c, out, l).await,
        Cmd::Loans(a) => warehouse::loans(c, out, a).await,
        Cmd::Transfer(t) => warehouse::transfer(c, out, t).await,
        Cmd::Transfers(a) => warehouse::transfers(c, out, a).await,
        Cmd::Inventory(i) => warehouse::inventory(c, out, i).await,
        Cmd::Report(a) => report::report(c, out, a).await,
        Cmd::Webhook(w) => webhook::webhook(c, out, w).await,
        Cmd::Quota(q) => quota::quota(c, out, q).await,
        Cmd::Quotas(a) => quota::quotas(c, out, a).await,
        Cmd::Checkin(a) => hold::checkin(c, out, a).await,
        Cmd::Hold(h) => hold::hold(c, out, h).await,
        Cmd::Holds(a) => hold::holds(c, out, a).await,
        Cmd::User(u) => user::user(home, c, out, u).await,
        Cmd::Users => user::users(c, out).await,
        Cmd::Run(_)
        | Cmd::Tui
        | Cmd::Network(_)
        | Cmd::Join(_)
        | Cmd::Restore(_)
        | Cmd::Verify
        | Cmd::Demo(_)
        | Cmd::Bench(_) => {
            bail!("this command does not talk to a running node")
        }
    }
}
