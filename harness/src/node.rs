//! A `tongchou run` process on 127.0.0.1: started on ephemeral ports, ready
//! when its `api.json` names its pid, stopped with SIGTERM or kill -9,
//! restarted on the same port (peers know it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use api::{ApiInfo, Client};
use serde::de::DeserializeOwned;

/// Why a process could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The process could not be spawned or its files written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// It did not become ready in time; `diagnosis` holds its log's tail.
    #[error("{what} was not ready within {timeout:?}\n{diagnosis}")]
    NotReady {
        /// Which process.
        what: String,
        /// How long it was given.
        timeout: Duration,
        /// Its last log lines and its home's listing.
        diagnosis: String,
    },
    /// A command failed.
    #[error("{0}")]
    Command(String),
    /// Its API client could not be built.
    #[error(transparent)]
    Api(#[from] api::Error),
}

/// A node process.
#[derive(Debug)]
pub struct Node {
    /// Display name (the agency's, in the demo).
    pub name: String,
    /// Its home directory.
    pub home: PathBuf,
    exe: PathBuf,
    child: Option<Child>,
    info: Option<ApiInfo>,
    client: Option<Client>,
    /// What `run --listen` gets: any port at first, then the port it got,
    /// so a restart keeps it (peers know it).
    pub listen: String,
    /// Peers given to `run --peer` (kept for restarts).
    pub peers: Vec<String>,
    /// Bootstrap peers given to `run --bootstrap`.
    pub bootstrap: Vec<String>,
    /// Further `run` arguments (kept for restarts).
    pub extra: Vec<String>,
    /// `RUST_LOG` of the process.
    pub log: String,
    /// Whether the process gets SIGTERM when the thread that started it
    /// ends (Linux): start tied nodes from a thread that lives as long as
    /// they should (not a pooled blocking thread, which ends when idle).
    pub tied: bool,
    /// A process that lives and dies with this node (the demo's bootstrap
    /// peer runs beside Shenzhen's node).
    pub sidecar: Option<Child>,
}

impl Node {
    /// A node of an existing home, not started, to run with `exe`.
    pub fn new(exe: &Path, name: &str, home: PathBuf) -> Self {
        Self {
            name: name.to_string(),
            home,
            exe: exe.to_path_buf(),
            child: None,
            info: None,
            client: None,
            listen: "/ip4/127.0.0.1/tcp/0".into(),
            peers: Vec::new(),
            bootstrap: Vec::new(),
            extra: Vec::new(),
            log: "info".into(),
            tied: false,
            sidecar: None,
        }
    }

    /// Starts the process and waits up to 30 s for its API.
    pub fn start(&mut self) -> Result<(), Error> {
        self.start_within(Duration::from_secs(30))
    }

    /// Starts the process and waits up to `timeout` for its API (a node
    /// loads its whole history before it answers). A restart listens on
    /// the port it had.
    pub fn start_within(&mut self, timeout: Duration) -> Result<(), Error> {
        let io = |what: &str| {
            let what = what.to_string();
            move |source| Error::Io { what, source }
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.home.join("node.log"))
            .map_err(io("opening node.log"))?;
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--home").arg(&self.home).args([
            "run",
            "--listen",
            &self.listen,
            "--api",
            "127.0.0.1:0",
            "--no-mdns",
        ]);
        for b in &self.bootstrap {
            cmd.args(["--bootstrap", b]);
        }
        for p in &self.peers {
            cmd.args(["--peer", p]);
        }
        cmd.args(&self.extra);
        if self.tied {
            crate::dies_with_parent(&mut cmd);
        }
        let child = cmd
            .env("RUST_LOG", &self.log)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("node.log"))?)
            .stderr(log)
            .spawn()
            .map_err(io("starting tongchou run"))?;
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + timeout;
        let info = loop {
            if let Ok(info) = ApiInfo::read(&self.home)
                && info.pid == pid
                && !info.listen.is_empty()
            {
                break info;
            }
            if Instant::now() > deadline || self.exited() {
                return Err(Error::NotReady {
                    what: format!("node {} in {}", self.name, self.home.display()),
                    timeout,
                    diagnosis: self.diagnose(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        self.listen = info.listen[0]
            .split("/p2p/")
            .next()
            .unwrap_or_default()
            .to_string();
        self.client = Some(match self.client.take() {
            Some(c) => c.rebind(&info.addr, &info.token),
            None => Client::new(&info)?,
        });
        self.info = Some(info);
        Ok(())
    }

    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))))
    }

    /// Whether the process is running.
    pub fn running(&mut self) -> bool {
        self.child.is_some() && !self.exited()
    }

    /// SIGTERM, then wait up to 20 s for a clean exit (kill -9 after).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// kill -9: no clean shutdown.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops (if running) and starts again on the same port.
    pub fn restart(&mut self) -> Result<(), Error> {
        self.stop();
        self.start()
    }

    /// Stops it gracefully and starts it again, waiting up to `timeout`
    /// for its API (a big store takes a while to load).
    pub fn restart_within(&mut self, timeout: Duration) -> Result<(), Error> {
        self.stop();
        self.start_within(timeout)
    }

    /// Resident memory of the process, KiB (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        text.lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// Its API client (panics if it was never started).
    pub fn api(&self) -> &Client {
        self.client.as_ref().expect("the node was started")
    }

    /// Its `api.json` as of its last start (panics if never started).
    pub fn info(&self) -> &ApiInfo {
        self.info.as_ref().expect("the node was started")
    }

    /// Its first libp2p address (with `/p2p/`).
    pub fn addr(&self) -> String {
        self.info().listen[0].clone()
    }

    /// The last lines of its log and its home's listing, for failure messages.
    pub fn diagnose(&self) -> String {
        diagnose(&self.home)
    }

    /// Runs `tongchou --home <home> ARGS` (it need not be running).
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        crate::cli::run(&self.exe, &self.home, args)
    }

    /// `tongchou --home <home> ARGS`, which must succeed; its stdout.
    /// Panics with the command's output and [`Node::diagnose`] otherwise.
    pub fn ok(&self, args: &[&str]) -> String {
        crate::cli::checked(&self.exe, &self.home, args)
            .unwrap_or_else(|e| panic!("{e}\n{}", self.diagnose()))
    }

    /// `tongchou --json --home <home> ARGS`, read as `T`.
    pub fn json<T: DeserializeOwned>(&self, args: &[&str]) -> T {
        crate::cli::parse_json(args, &self.ok(&crate::cli::with_json(args)))
    }

    /// Its status, read through the command line.
    pub fn status(&self) -> api::Status {
        self.json(&["status"])
    }

    /// Its agency.
    pub fn agency(&self) -> crdt_model::ids::AgencyId {
        self.status().agency
    }

    /// The catalogue it holds.
    pub fn resources(&self) -> Vec<crdt_model::resource::Resource> {
        self.json(&["resources"])
    }

    /// `tongchou bookings ARGS` (e.g. `--mine`, `--resource R`).
    pub fn bookings(&self, args: &[&str]) -> Vec<crdt_model::calendar::Booking> {
        let mut a = vec!["bookings"];
        a.extend_from_slice(args);
        self.json(&a)
    }

    /// One booking as this node sees it, if it holds it.
    pub fn booking(
        &self,
        id: &crdt_model::ids::BookingId,
    ) -> Option<crdt_model::calendar::Booking> {
        self.bookings(&[]).into_iter().find(|b| b.id == *id)
    }

    /// The roster it holds.
    pub fn members(&self) -> Vec<api::MemberEntry> {
        self.json(&["members"])
    }

    /// Waits up to 30 s until resource `rid` is in its catalogue.
    pub fn wait_resource(&self, rid: &str) {
        crate::wait_for(
            &format!("{rid} in the catalogue of {}", self.name),
            Duration::from_secs(30),
            || {
                self.resources()
                    .iter()
                    .any(|r| r.id.to_string() == rid)
                    .then_some(())
            },
        );
    }

    /// Waits up to 30 s until booking `id` is confirmed here.
    pub fn wait_confirmed(&self, id: &crdt_model::ids::BookingId) {
        crate::wait_for(
            &format!("{id} confirmed on {}", self.name),
            Duration::from_secs(30),
            || {
                self.booking(id)
                    .filter(|b| b.status == crdt_model::booking::Status::Confirmed)
                    .map(|_| ())
            },
        );
    }

    /// How many members it is connected to now.
    pub fn connected_peers(&self) -> usize {
        self.status().peers.iter().filter(|p| p.connected).count()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
        if let Some(mut c) = self.sidecar.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The last 30 lines of `home/node.log` and the files of `home`.
pub fn diagnose(home: &Path) -> String {
    let log = std::fs::read_to_string(home.join("node.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    let mut files: Vec<String> = std::fs::read_dir(home)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| {
                    let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                    format!("{} ({len} bytes)", e.file_name().to_string_lossy())
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    format!(
        "--- last lines of {}/node.log\n{tail}\n--- files in {}\n{}",
        home.display(),
        home.display(),
        files.join("\n")
    )
}
