//! Wiring for the long-running commands: `tongchou run` (store, actor, API,
//! signals) and the one-shot network ceremonies `network create` and `join`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use crdt_model::agency::{AgencyProfile, Text};
use crdt_model::engine::LocalOp;
use crdt_model::hlc::Hlc;
use jiff::Timestamp;
use tracing::info;

use crate::actor::{Actor, NodeHandle};
use crate::config::{Admission, Config, Home, hex, random_secret};
use crate::store::{SledStore, Storage};
use api::{ApiInfo, BootstrapInfo};

/// Flags of `tongchou run` that override the config file.
#[derive(Debug, Default, Clone)]
pub struct RunFlags {
    /// Listen multiaddrs (replace the config's when given).
    pub listen: Vec<String>,
    /// API address.
    pub api: Option<String>,
    /// Extra peers.
    pub peers: Vec<String>,
    /// Extra bootstrap peers.
    pub bootstrap: Vec<String>,
    /// Disable mDNS.
    pub no_mdns: bool,
    /// Reachable only through the bootstrap peers' relay.
    pub relay: bool,
    /// Connections to members held at most (replaces the config's).
    pub max_connections: Option<usize>,
    /// Registrations asked for in one rendezvous answer (tests).
    pub discover_page: Option<u64>,
}

fn open_store(home: &Home) -> anyhow::Result<SledStore> {
    SledStore::open(&home.db_path()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `tongchou network create`: a new key, a genesis roster, a config.
pub fn create_network(
    home: &Home,
    name: &str,
    agency: Text,
    city: Text,
) -> anyhow::Result<(String, crdt_model::ids::AgencyId)> {
    let key = home.create_key()?;
    let profile = AgencyProfile {
        id: key.id(),
        name: agency,
        city,
    };
    let (roster, genesis) =
        bootstrap::genesis::create_network(&key, name, profile, Timestamp::now().as_millisecond());
    let store = open_store(home)?;
    store.put_roster(&[genesis])?;
    store.flush()?;
    home.write_config(&Config::default())?;
    Ok((roster.network_id().to_string(), key.id()))
}

/// A write past the process's file-size limit (`ulimit -f`) fails with an
/// error the node handles like a full disk, instead of the default SIGXFSZ
/// killing the process with acknowledged replies still in flight.
fn file_size_limit_is_an_error() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: setting a signal's disposition to SIG_IGN has no
    // preconditions; no handler runs.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Starts the daemon and serves until Ctrl-C / SIGTERM.
pub async fn run(home: Home, flags: RunFlags) -> anyhow::Result<()> {
    file_size_limit_is_an_error();
    let key = home.load_key()?;
    let mut cfg = home.config()?;
    if !flags.listen.is_empty() {
        cfg.listen = flags.listen;
    }
    if let Some(api) = flags.api {
        cfg.api = api;
    }
    cfg.peers.extend(flags.peers);
    cfg.bootstrap.extend(flags.bootstrap);
    if flags.no_mdns {
        cfg.mdns = false;
    }
    if flags.relay {
        cfg.relay = true;
    }
    if let Some(max) = flags.max_connections {
        cfg.max_connections = max;
    }
    if let Some(page) = flags.discover_page {
        cfg.discover_page = page.max(1);
    }
    if cfg.max_connections < 4 {
        bail!(
            "max_connections is {}: a node needs at least 4 connections (the default is 50)",
            cfg.max_connections
        );
    }
    let store = open_store(&home)?;
    let api_addr: SocketAddr = cfg
        .api
        .parse()
        .with_context(|| format!("bad API address {}", cfg.api))?;
    if !api_addr.ip().is_loopback() {
        bail!("the API may only listen on 127.0.0.1 (got {api_addr})");
    }
    let listener = tokio::net::TcpListener::bind(api_addr)
        .await
        .with_context(|| format!("cannot bind the API on {api_addr}"))?;
    let addr = listener.local_addr()?;
    let token = hex(&random_secret());
    let (mut actor, handle) = Actor::new(key.clone(), home.clone(), cfg, Box::new(store))?;
    let info = ApiInfo {
        addr: addr.to_string(),
        token: token.clone(),
        pid: std::process::id(),
        listen: Vec::new(),
    };
    home.write_api(&info)?;
    actor.set_api(info);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let webhooks = crate::webhooks::Webhooks::open(&home)?;
    let router =
        crate::server::router_with(handle.clone(), token, home.clone(), Some(webhooks.clone()));
    let mut api_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = api_stop.changed().await;
            })
            .await
    });
    info!(api = %addr, "API listening");
    let hooks_task = tokio::spawn(webhooks.run(handle.clone(), stop_rx.clone()));
    let publish = publish_profile(handle.clone());
    let actor_task = tokio::spawn(actor.run(async move {
        shutdown_signal().await;
    }));
    publish.await;
    let result = actor_task.await.context("node task panicked")?;
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), hooks_task).await;
    home.clear_api();
    result
}

/// Publishes this agency's profile in its catalogue once, from the roster.
async fn publish_profile(handle: NodeHandle) {
    let profile = handle
        .read(|v| {
            let me = v.engine.id();
            if v.engine.ledger().index().profiles.contains_key(&me) {
                None
            } else {
                v.engine
                    .ledger()
                    .roster()
                    .member(&me)
                    .map(|m| m.profile.clone())
            }
        })
        .await
        .flatten();
    if let Some(p) = profile {
        let _ = handle.local(LocalOp::SetProfile(p)).await;
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// `tongchou join`: prepares a fresh home from a token and performs the
/// admission handshake with a member. Returns the network id.
pub async fn join(
    home: &Home,
    token: &str,
    agency: Text,
    city: Text,
    bootstrap: Vec<String>,
    timeout: Duration,
) -> anyhow::Result<String> {
    let inv =
        bootstrap::invite::Invitation::from_token(token).map_err(|e| anyhow::anyhow!("{e}"))?;
    let roster = inv.roster().map_err(|e| anyhow::anyhow!("{e}"))?;
    let (_, expires_ms) = inv.terms().map_err(|e| anyhow::anyhow!("{e}"))?;
    if Timestamp::now().as_millisecond() > expires_ms {
        bail!("invitation expired");
    }
    if home.has_key() {
        bail!(
            "{} already holds an agency; join needs a fresh --home",
            home.dir().display()
        );
    }
    let (key, cfg) = prepare_joining_home(home, &inv, agency, city, bootstrap)?;
    let network = roster.network_id().to_string();
    let outcome = handshake(home, key, &cfg, timeout).await?;
    match outcome {
        Some(Ok(())) => Ok(network),
        Some(Err(e)) => {
            // Leave no half-joined agency behind: the user can retry with a valid token.
            let _ = std::fs::remove_dir_all(home.dir());
            bail!("join refused by the network: {e}")
        }
        None => bail!(
            "no member answered within {}s at {:?}; the home is ready and `tongchou run` will complete the join when one is reachable",
            timeout.as_secs(),
            cfg.peers
        ),
    }
}

/// Writes a joining agency's home: a new key, the roster the token shows
/// with the invite and this agency's claim, the admission presented to
/// members (`admission.json`), and a config naming the token's addresses.
fn prepare_joining_home(
    home: &Home,
    inv: &bootstrap::invite::Invitation,
    agency: Text,
    city: Text,
    bootstrap: Vec<String>,
) -> anyhow::Result<(crdt_model::agency::AgencyKey, Config)> {
    let key = home.create_key()?;
    let profile = AgencyProfile {
        id: key.id(),
        name: agency,
        city,
    };
    let join = inv.claim(
        profile,
        Hlc {
            wall_ms: Timestamp::now().as_millisecond(),
            counter: 0,
        },
    );
    let mut events: Vec<_> = inv.roster.clone();
    events.push(inv.invite.clone());
    events.push(join.clone());
    {
        let store = open_store(home)?;
        store.put_roster(&events)?;
        store.flush()?;
    }
    let mut peers = inv.bootstrap.clone();
    peers.extend(bootstrap);
    home.write_admission(&Admission {
        invite: inv.invite.clone(),
        join,
    })?;
    let cfg = Config {
        peers,
        ..Config::default()
    };
    home.write_config(&cfg)?;
    Ok((key, cfg))
}

/// Runs a short-lived node until a member answers the join handshake (or
/// `timeout` passes: `None`).
async fn handshake(
    home: &Home,
    key: crdt_model::agency::AgencyKey,
    cfg: &Config,
    timeout: Duration,
) -> anyhow::Result<Option<Result<(), String>>> {
    let mut run_cfg = cfg.clone();
    run_cfg.listen = vec!["/ip4/127.0.0.1/tcp/0".into()];
    run_cfg.mdns = false;
    let store = open_store(home)?;
    let (actor, handle) = Actor::new(key, home.clone(), run_cfg, Box::new(store))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(actor.run(async move {
        let _ = stop_rx.await;
    }));
    let deadline = tokio::time::Instant::now() + timeout;
    let outcome = loop {
        if let Some(Some(r)) = handle.read(|v| v.join.clone()).await {
            break Some(r);
        }
        if tokio::time::Instant::now() >= deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = stop_tx.send(());
    let _ = task.await;
    Ok(outcome)
}

/// `tongchou run --bootstrap-only`: a node that holds no agency data and
/// only lets members find each other (rendezvous). Its identity is a key of
/// its own, kept in `bootstrap.key` in the home; it writes its addresses to
/// `bootstrap.json`.
pub async fn run_bootstrap(home: Home, listen: Vec<String>) -> anyhow::Result<()> {
    let key_path = home.dir().join("bootstrap.key");
    let key = if key_path.exists() {
        home.load_key_from(&key_path)?
    } else {
        home.create_key_at(&key_path)?
    };
    let mut swarm = bootstrap::peer::swarm(crate::net::keypair(&key))
        .map_err(|e| anyhow::anyhow!("starting libp2p: {e}"))?;
    let listen = if listen.is_empty() {
        vec!["/ip4/0.0.0.0/tcp/4001".to_string()]
    } else {
        listen
    };
    for l in &listen {
        let ma: libp2p::Multiaddr = l.parse().with_context(|| format!("bad --listen {l}"))?;
        swarm
            .listen_on(ma)
            .with_context(|| format!("cannot listen on {l}"))?;
    }
    let mut info = BootstrapInfo {
        listen: Vec::new(),
        pid: std::process::id(),
    };
    let info_path = home.dir().join("bootstrap.json");
    info!(peer = %swarm.local_peer_id(), "bootstrap peer: no agency data, rendezvous and relay only");
    bootstrap::peer::serve(swarm, shutdown_signal(), |full| {
        info!(address = %full, "listening");
        println!("{full}");
        info.listen.push(full.to_string());
        let json = serde_json::to_vec_pretty(&info).map_err(std::io::Error::other)?;
        std::fs::write(&info_path, json)
    })
    .await
    .with_context(|| format!("writing {}", info_path.display()))?;
    let _ = std::fs::remove_file(&info_path);
    info!("bootstrap peer stopped");
    Ok(())
}
