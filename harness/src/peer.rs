//! A bootstrap peer process (`tongchou run --bootstrap-only`): it holds no
//! agency data; members find each other through it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use api::BootstrapInfo;

use crate::node::{Error, diagnose};

/// A running bootstrap peer; killed when dropped.
#[derive(Debug)]
pub struct BootstrapPeer {
    /// Its home.
    pub home: PathBuf,
    /// Its first address (with `/p2p/`), for `--bootstrap`.
    pub addr: String,
    child: Option<Child>,
}

impl BootstrapPeer {
    /// Starts one in `home` (created if missing) with `exe`; `tied` makes it
    /// get SIGTERM when the starting thread ends.
    pub fn start(exe: &Path, home: &Path, tied: bool) -> Result<Self, Error> {
        let io = |what: &'static str| {
            move |source| Error::Io {
                what: what.to_string(),
                source,
            }
        };
        std::fs::create_dir_all(home).map_err(io("creating the bootstrap peer's home"))?;
        let log = std::fs::File::create(home.join("node.log")).map_err(io("node.log"))?;
        let mut cmd = Command::new(exe);
        if tied {
            crate::dies_with_parent(&mut cmd);
        }
        let mut child = cmd
            .arg("--home")
            .arg(home)
            .args([
                "run",
                "--bootstrap-only",
                "--listen",
                "/ip4/127.0.0.1/tcp/0",
            ])
            .env(
                "RUST_LOG",
                std::env::var("TONGCHOU_NODE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("node.log"))?)
            .stderr(log)
            .spawn()
            .map_err(io("starting the bootstrap peer"))?;
        let timeout = Duration::from_secs(30);
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(info) = BootstrapInfo::read(home)
                && info.pid == child.id()
                && let Some(addr) = info.listen.into_iter().next()
            {
                return Ok(Self {
                    home: home.to_path_buf(),
                    addr,
                    child: Some(child),
                });
            }
            if Instant::now() > deadline || matches!(child.try_wait(), Ok(Some(_))) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::NotReady {
                    what: format!("the bootstrap peer in {}", home.display()),
                    timeout,
                    diagnosis: diagnose(home),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Hands the process over (to live as a node's sidecar).
    pub fn into_child(mut self) -> Option<Child> {
        self.child.take()
    }
}

impl Drop for BootstrapPeer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
