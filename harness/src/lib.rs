//! # harness
//!
//! One way to run real `tongchou` processes on 127.0.0.1, shared by the
//! integration tests, the demo and the benchmarks:
//! - [`node`]: a node process ([`Node`]): start on ephemeral ports, wait
//!   for its API, stop cleanly or kill -9, restart on the same port, and a
//!   typed [`api::Client`] to it; failures show its last log lines and its
//!   home's listing.
//! - [`peer`]: a bootstrap peer process.
//! - [`network`]: a network of agencies, founded, invited and joined
//!   through the real command line.
//! - [`cli`]: running commands, with failures that show everything.
//! - [`wait`]: waiting on conditions with deadlines (blocking and async).
//! - [`dates`]: dates computed from now, so tests pass on any day.
//! - [`check`]: invariants read from a node's answers (overbooking).

pub mod check;
pub mod cli;
pub mod dates;
pub mod network;
pub mod node;
pub mod peer;
pub mod wait;

pub use check::overbooking;
pub use cli::{cli, cli_json, cli_ok, fresh_dir, tongchou};
pub use dates::{ZONE, workday, workday_instant};
pub use network::{Agency, network, network_with};
pub use node::{Error, Node};
pub use peer::BootstrapPeer;
pub use wait::{wait_for, wait_until};

/// Makes the process `cmd` starts receive SIGTERM (a clean shutdown) when
/// the thread that started it ends, so the nodes of a demo, bench or test
/// killed by a signal do not outlive it.
pub fn dies_with_parent(cmd: &mut std::process::Command) -> &mut std::process::Command {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure runs in the forked child before exec and only
        // calls prctl, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd
}
