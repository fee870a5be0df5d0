//! A network of agencies on this machine, built through the real command
//! line: the first founds it and invites the others, who join with the
//! token; then each is started, meshed or meeting through a bootstrap peer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::node::{Error, Node};
use crate::peer::BootstrapPeer;

/// One agency of a network to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agency {
    /// Name (zh).
    pub name: String,
    /// Name (en).
    pub name_en: String,
    /// City (zh).
    pub city: String,
    /// City (en).
    pub city_en: String,
}

impl Agency {
    /// An agency from its four names.
    pub fn new(name: &str, name_en: &str, city: &str, city_en: &str) -> Self {
        Self {
            name: name.into(),
            name_en: name_en.into(),
            city: city.into(),
            city_en: city_en.into(),
        }
    }
}

/// What to build.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The `tongchou` binary.
    pub exe: PathBuf,
    /// Where the homes go (`node0`, `node1`, …, `bootstrap`).
    pub dir: PathBuf,
    /// The network's name.
    pub name: String,
    /// The agencies; the first founds the network.
    pub agencies: Vec<Agency>,
    /// Meet through a bootstrap peer (started beside the first node, its
    /// sidecar) instead of dialling each other: after joining, each home's
    /// configuration names no member, only the bootstrap peer.
    pub through_bootstrap: bool,
    /// Processes get SIGTERM when the thread that started them ends (see
    /// [`Node::tied`]).
    pub tied: bool,
    /// `RUST_LOG` of the nodes.
    pub log: String,
    /// More arguments of every node's `tongchou run`.
    pub extra: Vec<String>,
}

fn run_ok(exe: &Path, home: &Path, args: &[&str]) -> Result<String, Error> {
    crate::cli::checked(exe, home, args)
        .map(|out| out.trim().to_string())
        .map_err(Error::Command)
}

/// Removes the peers a joined home's configuration names (the inviting
/// node's address, from the invitation).
fn forget_peers(home: &Path) -> Result<(), Error> {
    let path = home.join("config.toml");
    let io = |source| Error::Io {
        what: format!("editing {}", path.display()),
        source,
    };
    let text = std::fs::read_to_string(&path).map_err(io)?;
    let mut table: toml::Table = toml::from_str(&text)
        .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    table.remove("peers");
    let text = toml::to_string_pretty(&table)
        .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    std::fs::write(&path, text).map_err(io)
}

/// Builds and starts the network; `progress` hears about each step.
pub fn build(spec: &Spec, progress: &mut dyn FnMut(&str)) -> Result<Vec<Node>, Error> {
    let mut boot = if spec.through_bootstrap {
        let b = BootstrapPeer::start(&spec.exe, &spec.dir.join("bootstrap"), spec.tied)?;
        progress(&format!("bootstrap peer (no agency data) at {}", b.addr));
        Some(b)
    } else {
        None
    };
    let boot_addr: Vec<String> = boot.iter().map(|b| b.addr.clone()).collect();
    let mut nodes: Vec<Node> = Vec::new();
    for (i, a) in spec.agencies.iter().enumerate() {
        let home = spec.dir.join(format!("node{i}"));
        let names = [
            "--agency",
            a.name.as_str(),
            "--agency-en",
            a.name_en.as_str(),
            "--city",
            a.city.as_str(),
            "--city-en",
            a.city_en.as_str(),
        ];
        if i == 0 {
            let mut args = vec!["network", "create", "--name", spec.name.as_str()];
            args.extend(names);
            run_ok(&spec.exe, &home, &args)?;
        } else {
            let token = run_ok(
                &spec.exe,
                &nodes[0].home,
                &["invite", "--agency", &a.name, "--expires", "1d"],
            )?;
            let mut args = vec!["join", token.as_str()];
            args.extend(names);
            run_ok(&spec.exe, &home, &args)?;
        }
        let mut node = Node::new(&spec.exe, &a.name, home);
        node.tied = spec.tied;
        node.log = spec.log.clone();
        node.extra = spec.extra.clone();
        if spec.through_bootstrap {
            if i > 0 {
                forget_peers(&node.home)?;
            }
            node.bootstrap = boot_addr.clone();
        } else {
            // A full mesh, all on 127.0.0.1.
            node.peers = nodes.iter().map(Node::addr).collect();
        }
        if i == 0 {
            node.sidecar = boot.take().and_then(BootstrapPeer::into_child);
        }
        node.start()?;
        progress(&format!(
            "{} ({}) is up at {}",
            a.name,
            a.city_en,
            node.addr()
        ));
        nodes.push(node);
    }
    Ok(nodes)
}

/// The tests' network: `n` agencies (`机关0`, `机关1`, …) in fresh homes,
/// meshed, all running and connected to each other.
pub fn network(name: &str, n: usize) -> Vec<Node> {
    network_with(name, n, false, &[])
}

/// The tests' network like [`network`], meeting through a bootstrap peer
/// if `through_bootstrap` (then each node connects to whom its connection
/// plan picks, and this waits until every node knows every member), each
/// node run with `extra` arguments.
pub fn network_with(name: &str, n: usize, through_bootstrap: bool, extra: &[&str]) -> Vec<Node> {
    let cities = [
        ("深圳", "Shenzhen"),
        ("杭州", "Hangzhou"),
        ("石家庄", "Shijiazhuang"),
        ("南宁", "Nanning"),
        ("广州", "Guangzhou"),
    ];
    let spec = Spec {
        exe: crate::cli::tongchou(),
        dir: crate::cli::fresh_dir(name),
        name: name.to_string(),
        agencies: (0..n)
            .map(|i| {
                let (zh, en) = cities[i % cities.len()];
                Agency::new(&format!("机关{i}"), &format!("Agency {i}"), zh, en)
            })
            .collect(),
        through_bootstrap,
        tied: false,
        log: std::env::var("TONGCHOU_NODE_LOG").unwrap_or_else(|_| "info".into()),
        extra: extra.iter().map(|s| s.to_string()).collect(),
    };
    let nodes = build(&spec, &mut |_| {}).unwrap_or_else(|e| panic!("building {name}: {e}"));
    if through_bootstrap {
        for node in &nodes {
            crate::wait_for(
                &format!(
                    "{} knows all {n} members and is connected\n{}",
                    node.name,
                    node.diagnose()
                ),
                Duration::from_secs(60),
                || (node.members().len() == n && node.connected_peers() > 0).then_some(()),
            );
        }
        return nodes;
    }
    for node in &nodes {
        crate::wait_for(
            &format!(
                "{} connected to all {} others\n{}",
                node.name,
                n - 1,
                node.diagnose()
            ),
            Duration::from_secs(30),
            || {
                let up = node.status().peers.iter().filter(|p| p.connected).count();
                (up == n - 1).then_some(())
            },
        );
    }
    nodes
}
