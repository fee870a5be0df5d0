//! Support for multi-process tests: build and find the `tongchou` binary,
//! make fresh homes, start nodes on 127.0.0.1 with ephemeral ports, run CLI
//! commands with rich failure messages, and wait on conditions with deadlines.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

/// The `tongchou` binary, built once per test process.
pub fn tongchou() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/<test> → target/<profile>/tongchou
        let exe = std::env::current_exe().expect("test executable path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .to_path_buf();
        let profile_release = dir.ends_with("release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-q", "-p", "tongchou", "--bin", "tongchou"]);
        if profile_release {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("running cargo build");
        assert!(st.success(), "building tongchou failed");
        let bin = dir.join("tongchou");
        assert!(bin.exists(), "no binary at {}", bin.display());
        bin
    })
    .clone()
}

/// A fresh empty directory under the target dir, unique per call.
pub fn fresh_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let exe = std::env::current_exe().expect("test executable path");
    let base = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("tongchou-tests");
    let dir = base.join(format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating test dir");
    dir
}

fn describe(cmd: &str, out: &Output) -> String {
    format!(
        "command: {cmd}\nstatus: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `tongchou --home HOME ARGS…`.
pub fn cli(home: &Path, args: &[&str]) -> Output {
    Command::new(tongchou())
        .arg("--home")
        .arg(home)
        .args(args)
        .env("RUST_LOG", "warn")
        .env("TZ", ZONE)
        .stdin(Stdio::null())
        .output()
        .expect("running tongchou")
}

/// Runs a command that must succeed; returns stdout.
pub fn cli_ok(home: &Path, args: &[&str]) -> String {
    let out = cli(home, args);
    assert!(
        out.status.success(),
        "{}",
        describe(
            &format!("tongchou --home {} {}", home.display(), args.join(" ")),
            &out
        )
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command with `--json` that must succeed; parses stdout.
pub fn cli_json<T: DeserializeOwned>(home: &Path, args: &[&str]) -> T {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let text = cli_ok(home, &a);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("bad JSON from tongchou {}: {e}\n{text}", args.join(" ")))
}

/// Waits until `f` returns `Some`, or panics with `what` at the deadline.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The zone the tests' CLI runs in (`TZ` of [`cli`]): local times given to
/// `--from`/`--to` are read in it.
pub const ZONE: &str = "Asia/Shanghai";

/// A local `YYYY-MM-DDTHH:MM` on the `n`-th working day (Monday to Friday)
/// after today in [`ZONE`], at `hh_mm`. Tests compute their dates from now,
/// so the suite passes on any day the system clock says it is, and a
/// weekday keeps resources open Monday to Friday bookable.
pub fn workday(n: usize, hh_mm: &str) -> String {
    use jiff::civil::Weekday;
    let tz = jiff::tz::TimeZone::get(ZONE).expect("the test zone is in the tz database");
    let mut day = jiff::Timestamp::now().to_zoned(tz).date();
    let mut left = n.max(1);
    while left > 0 {
        day = day.tomorrow().expect("a date before 9999");
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    format!("{day}T{hh_mm}")
}

/// The instant of [`workday`]`(n, hh_mm)`.
pub fn workday_instant(n: usize, hh_mm: &str) -> jiff::Timestamp {
    let tz = jiff::tz::TimeZone::get(ZONE).expect("the test zone is in the tz database");
    workday(n, hh_mm)
        .parse::<jiff::civil::DateTime>()
        .and_then(|dt| dt.to_zoned(tz))
        .expect("a valid local time")
        .timestamp()
}

/// The API info a running node publishes.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ApiInfo {
    /// Address.
    pub addr: String,
    /// Token.
    pub token: String,
    /// Pid.
    pub pid: u32,
    /// libp2p addresses.
    pub listen: Vec<String>,
}

/// A `tongchou run` process.
#[derive(Debug)]
pub struct Node {
    /// Its home.
    pub home: PathBuf,
    child: Option<Child>,
    /// Its API info once started.
    pub api: Option<ApiInfo>,
    peers: Vec<String>,
    extra: Vec<String>,
}

impl Node {
    /// A node for an existing home (not started).
    pub fn new(home: PathBuf) -> Self {
        Self {
            home,
            child: None,
            api: None,
            peers: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Starts the daemon with extra peers and waits until it is ready.
    pub fn start(&mut self, peers: &[String]) {
        self.start_on(peers, "/ip4/127.0.0.1/tcp/0");
    }

    /// Starts the daemon with extra `run` arguments (kept for restarts).
    pub fn start_with(&mut self, args: &[&str]) {
        self.extra = args.iter().map(|a| a.to_string()).collect();
        self.start_on(&[], "/ip4/127.0.0.1/tcp/0");
    }

    fn start_on(&mut self, peers: &[String], listen: &str) {
        self.peers = peers.to_vec();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.home.join("node.log"))
            .expect("log file");
        let mut cmd = Command::new(tongchou());
        cmd.arg("--home").arg(&self.home).args([
            "run",
            "--listen",
            listen,
            "--api",
            "127.0.0.1:0",
            "--no-mdns",
        ]);
        for p in peers {
            cmd.args(["--peer", p]);
        }
        cmd.args(&self.extra);
        let child = cmd
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawning tongchou run");
        let pid = child.id();
        self.child = Some(child);
        let home = self.home.clone();
        let api = wait_for(
            &format!("node in {} to be ready (see its node.log)", home.display()),
            Duration::from_secs(30),
            || {
                let text = std::fs::read_to_string(home.join("api.json")).ok()?;
                let info: ApiInfo = serde_json::from_str(&text).ok()?;
                (info.pid == pid && !info.listen.is_empty()).then_some(info)
            },
        );
        self.api = Some(api);
    }

    /// Restarts with the same peers, on the same port (peers know it).
    pub fn restart(&mut self) {
        let peers = self.peers.clone();
        let listen = self.api.as_ref().map(|a| {
            a.listen[0]
                .split("/p2p/")
                .next()
                .unwrap_or_default()
                .to_string()
        });
        self.start_on(&peers, listen.as_deref().unwrap_or("/ip4/127.0.0.1/tcp/0"));
    }

    /// Its first libp2p address.
    pub fn addr(&self) -> String {
        self.api.as_ref().expect("started").listen[0].clone()
    }

    /// kill -9.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// `tongchou --home <this> ARGS` must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        cli_ok(&self.home, args)
    }

    /// `tongchou --json --home <this> ARGS`, parsed.
    pub fn json<T: DeserializeOwned>(&self, args: &[&str]) -> T {
        cli_json(&self.home, args)
    }

    /// Its agency id.
    pub fn agency(&self) -> String {
        let s: serde_json::Value = self.json(&["status"]);
        s["agency"].as_str().expect("agency").to_string()
    }

    /// HTTP client bits for direct API calls: (base URL, token).
    pub fn http(&self) -> (String, String) {
        let a = self.api.as_ref().expect("started");
        (format!("http://{}", a.addr), a.token.clone())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A network of `n` agencies in fresh homes: the first creates it and
/// invites the others, who join through it. All are running and connected.
pub fn network(name: &str, n: usize) -> Vec<Node> {
    let dir = fresh_dir(name);
    let cities = [
        ("深圳", "Shenzhen"),
        ("杭州", "Hangzhou"),
        ("石家庄", "Shijiazhuang"),
        ("南宁", "Nanning"),
        ("广州", "Guangzhou"),
    ];
    let home0 = dir.join("a0");
    cli_ok(
        &home0,
        &[
            "network",
            "create",
            "--name",
            name,
            "--agency",
            "机关0",
            "--agency-en",
            "Agency 0",
            "--city",
            cities[0].0,
            "--city-en",
            cities[0].1,
        ],
    );
    let mut first = Node::new(home0);
    first.start(&[]);
    let mut nodes = vec![first];
    for i in 1..n {
        let token = nodes[0]
            .ok(&["invite", "--agency", &format!("机关{i}"), "--expires", "1d"])
            .trim()
            .to_string();
        let home = dir.join(format!("a{i}"));
        let (zh, en) = cities[i % cities.len()];
        cli_ok(
            &home,
            &[
                "join",
                &token,
                "--agency",
                &format!("机关{i}"),
                "--agency-en",
                &format!("Agency {i}"),
                "--city",
                zh,
                "--city-en",
                en,
            ],
        );
        let mut node = Node::new(home);
        // Dial every node already running: a full mesh, all on 127.0.0.1.
        let peers: Vec<String> = nodes.iter().map(Node::addr).collect();
        node.start(&peers);
        nodes.push(node);
    }
    for node in &nodes {
        wait_for("all members connected", Duration::from_secs(30), || {
            let s: serde_json::Value = node.json(&["status"]);
            let up = s["peers"]
                .as_array()?
                .iter()
                .filter(|p| p["connected"] == true)
                .count();
            (up == n - 1).then_some(())
        });
    }
    nodes
}
