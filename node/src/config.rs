//! A node's home directory: key file (0600), config (TOML, only what an
//! operator edits), the admission of an agency that joined by invitation
//! (`admission.json`, beside the config), database, and the API
//! address/token file the daemon writes for the CLI and TUI.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use api::ApiInfo;
use crdt_model::agency::AgencyKey;
use crdt_model::ids::DocId;
use crdt_model::membership::SignedRosterEvent;
use serde::{Deserialize, Serialize};

/// The file of the acknowledged sequences (see [`Home::acked`]).
pub const ACKED_FILE: &str = "acked.json";

/// Defaults for the config file.
mod cfg_defaults {
    pub(super) fn listen() -> Vec<String> {
        vec!["/ip4/0.0.0.0/tcp/0".to_string()]
    }
    pub(super) fn api() -> String {
        "127.0.0.1:0".to_string()
    }
    pub(super) fn mdns() -> bool {
        true
    }
    pub(super) fn max_connections() -> usize {
        50
    }
    pub(super) fn discover_page() -> u64 {
        crate::actor::DISCOVER_PAGE
    }
}

/// `config.toml` in the home. An unknown key is an error naming its line
/// (a misspelt option must not be silently ignored).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// libp2p listen multiaddrs.
    #[serde(default = "cfg_defaults::listen")]
    pub listen: Vec<String>,
    /// Local API address (127.0.0.1 only).
    #[serde(default = "cfg_defaults::api")]
    pub api: String,
    /// Peers and bootstrap addresses to keep connected to (multiaddrs).
    #[serde(default)]
    pub peers: Vec<String>,
    /// Bootstrap peers (`tongchou run --bootstrap-only` nodes, multiaddrs
    /// ending in `/p2p/<id>`): members register and discover each other there.
    #[serde(default)]
    pub bootstrap: Vec<String>,
    /// LAN discovery.
    #[serde(default = "cfg_defaults::mdns")]
    pub mdns: bool,
    /// Behind NAT: reachable only through the bootstrap peers' relay.
    #[serde(default)]
    pub relay: bool,
    /// Connections to members held at most: half dialled by this node (the
    /// owners it follows, or peers holding their documents, and a few
    /// members at large; see `crdt_model::peers`), half opened by others.
    #[serde(default = "cfg_defaults::max_connections")]
    pub max_connections: usize,
    /// Registrations asked for in one rendezvous answer (`run
    /// --discover-page`, for tests; never in config.toml).
    #[serde(skip, default = "cfg_defaults::discover_page")]
    pub discover_page: u64,
}

impl Config {
    /// Every address in `listen`, `peers` and `bootstrap` is a multiaddr;
    /// the first that is not is named with its line in `text` (the file).
    /// Parses the text of a `config.toml`: unknown keys and entries that
    /// are not multiaddrs are refused, naming the line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.check_addresses(text)?;
        Ok(cfg)
    }

    fn check_addresses(&self, text: &str) -> Result<(), String> {
        let lists = [
            ("listen", &self.listen),
            ("peers", &self.peers),
            ("bootstrap", &self.bootstrap),
        ];
        for (field, list) in lists {
            for entry in list {
                if entry.parse::<libp2p::Multiaddr>().is_err() {
                    let line = text
                        .lines()
                        .position(|l| l.contains(entry.as_str()))
                        .map_or(String::new(), |i| format!("line {}: ", i + 1));
                    return Err(format!(
                        "{line}{field}: {entry:?} is not a multiaddr (e.g. /ip4/192.0.2.10/tcp/4001/p2p/12D3KooW…)"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: cfg_defaults::listen(),
            api: cfg_defaults::api(),
            peers: Vec::new(),
            bootstrap: Vec::new(),
            mdns: cfg_defaults::mdns(),
            relay: false,
            max_connections: cfg_defaults::max_connections(),
            discover_page: cfg_defaults::discover_page(),
        }
    }
}

/// The roster events that admitted this agency when it joined with a
/// token, presented to members that do not know it yet. Kept in
/// `admission.json` in the home, beside the config: nothing an operator
/// edits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Admission {
    /// Invite event.
    pub invite: SignedRosterEvent,
    /// Join event.
    pub join: SignedRosterEvent,
}

/// A node's home directory.
#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
}

impl Home {
    /// The home at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default home: `$TONGCHOU_HOME`, else `$XDG_DATA_HOME/tongchou`,
    /// else `~/.local/share/tongchou`.
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
            return PathBuf::from(d).join("tongchou");
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".local/share/tongchou")
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join("agency.key")
    }

    /// The marker a restore leaves (`restored`): until a peer confirms this
    /// node holds its latest own changes, own writes wait.
    pub fn restored_marker(&self) -> PathBuf {
        self.dir().join("restored")
    }

    /// The database directory.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("db")
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    fn admission_path(&self) -> PathBuf {
        self.dir.join("admission.json")
    }

    fn acked_path(&self) -> PathBuf {
        self.dir.join(ACKED_FILE)
    }

    /// The highest sequence number the node acknowledged in each of this
    /// agency's own documents (`acked.json`, written after every group
    /// commit that stored an own change). Outside the database on purpose:
    /// a store that lost acknowledged changes (a damaged page, from which
    /// sled recovers only a prefix of its log) is caught by comparing the
    /// two at start. Empty when absent.
    pub fn acked(&self) -> anyhow::Result<BTreeMap<DocId, u64>> {
        let path = self.acked_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("{} is corrupt: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the acknowledged sequences (atomically, synced).
    pub fn write_acked(&self, acked: &BTreeMap<DocId, u64>) -> anyhow::Result<()> {
        write_atomic(&self.acked_path(), &serde_json::to_vec(acked)?)
    }

    fn api_path(&self) -> PathBuf {
        self.dir.join("api.json")
    }

    /// Whether this home already holds an agency key.
    pub fn has_key(&self) -> bool {
        self.key_path().exists()
    }

    /// Creates a new agency key (file mode 0600). Refuses to overwrite one.
    pub fn create_key(&self) -> anyhow::Result<AgencyKey> {
        if self.has_key() {
            bail!(
                "{} already holds an agency key; use another --home",
                self.dir.display()
            );
        }
        self.create_key_at(&self.key_path())
    }

    /// Creates the home directory if missing, readable by its owner only
    /// (mode 0700: it holds the agency key and the API token).
    pub fn create_dir(&self) -> anyhow::Result<()> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))
    }

    /// Creates a new key in the file `path` (mode 0600, never overwritten).
    pub fn create_key_at(&self, path: &Path) -> anyhow::Result<AgencyKey> {
        self.create_dir()?;
        let key = AgencyKey::generate(&mut os_rng());
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(path)
            .with_context(|| format!("writing the key {}", path.display()))?;
        f.write_all(hex(&key.secret()).as_bytes())?;
        f.sync_all()?;
        Ok(key)
    }

    /// Loads the agency key.
    pub fn load_key(&self) -> anyhow::Result<AgencyKey> {
        if !self.has_key() {
            bail!(
                "no agency key in {} (run `tongchou network create` or `tongchou join` first)",
                self.dir.display()
            );
        }
        self.load_key_from(&self.key_path())
    }

    /// Where a rotation keeps the key it switches to (see [`crate::rotation`]).
    pub(crate) fn next_key_path(&self) -> PathBuf {
        self.dir.join("agency.key.next")
    }

    /// Where the agency key lives.
    pub(crate) fn agency_key_path(&self) -> PathBuf {
        self.key_path()
    }

    /// Loads a key from the file `path`.
    pub fn load_key_from(&self, path: &Path) -> anyhow::Result<AgencyKey> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the key {}", path.display()))?;
        let bytes = unhex(text.trim())
            .with_context(|| format!("key file {} is corrupt", path.display()))?;
        let secret: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("key file {} is corrupt", path.display()))?;
        Ok(AgencyKey::from_secret(&secret))
    }

    /// Reads the config (defaults when absent).
    pub fn config(&self) -> anyhow::Result<Config> {
        let path = self.config_path();
        match std::fs::read_to_string(&path) {
            // toml's error names the line and the key.
            Ok(s) => Config::parse(&s).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e).context("reading config.toml"),
        }
    }

    /// Writes the config atomically.
    pub fn write_config(&self, cfg: &Config) -> anyhow::Result<()> {
        let text = toml::to_string_pretty(cfg).context("encoding config")?;
        write_atomic(&self.config_path(), text.as_bytes())
    }

    /// This agency's admission, if it joined with a token.
    pub fn admission(&self) -> anyhow::Result<Option<Admission>> {
        let path = self.admission_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{} is corrupt: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes this agency's admission atomically.
    pub fn write_admission(&self, admission: &Admission) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(admission).context("encoding the admission")?;
        write_atomic(&self.admission_path(), &json)
    }

    /// The members this node's operator blocks (`blocked.json`; none when
    /// the file is absent).
    pub fn blocked(&self) -> anyhow::Result<Vec<api::BlockedPeer>> {
        let path = self.dir.join("blocked.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("{} is corrupt: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// What this node follows (`follows.json`; everything when the file is
    /// absent).
    pub fn follows(&self) -> anyhow::Result<crdt_model::interest::Follows> {
        let path = self.dir.join("follows.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("{} is corrupt: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(crdt_model::interest::Follows::everything())
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes what this node follows atomically.
    pub fn write_follows(&self, follows: &crdt_model::interest::Follows) -> anyhow::Result<()> {
        write_atomic(
            &self.dir.join("follows.json"),
            &serde_json::to_vec_pretty(follows)?,
        )
    }

    /// Writes the blocked members atomically.
    pub fn write_blocked(&self, blocked: &[api::BlockedPeer]) -> anyhow::Result<()> {
        write_atomic(
            &self.dir.join("blocked.json"),
            &serde_json::to_vec_pretty(blocked)?,
        )
    }

    /// Publishes the API info (mode 0600: it holds the token).
    pub fn write_api(&self, info: &ApiInfo) -> anyhow::Result<()> {
        write_atomic(&self.api_path(), &serde_json::to_vec_pretty(info)?)
    }

    /// Reads the API info of the daemon, if one ever started here.
    pub fn api(&self) -> anyhow::Result<ApiInfo> {
        ApiInfo::read(&self.dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => anyhow::anyhow!("api.json is corrupt: {e}"),
            _ => anyhow::anyhow!(
                "the node in {} is not running (start it with `tongchou run`)",
                self.dir.display()
            ),
        })
    }

    /// Removes the API info (on clean shutdown).
    pub fn clear_api(&self) {
        let _ = std::fs::remove_file(self.api_path());
    }
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A fresh random secret from the OS.
pub fn random_secret() -> [u8; 32] {
    let mut out = [0u8; 32];
    rand::Rng::fill_bytes(&mut os_rng(), &mut out);
    out
}

/// The operating system's CSPRNG.
fn os_rng() -> rand::rand_core::UnwrapErr<rand::rngs::SysRng> {
    rand::rand_core::UnwrapErr(rand::rngs::SysRng)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_home(name: &str) -> Home {
        let dir =
            std::env::temp_dir().join(format!("tongchou-config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Home::new(dir.join("home"))
    }

    #[test]
    fn a_misspelt_config_key_is_refused_with_its_line() {
        let home = temp_home("typo");
        home.create_dir().expect("home");
        std::fs::write(
            home.dir().join("config.toml"),
            "listen = [\"/ip4/127.0.0.1/tcp/0\"]\nmnds = false\n",
        )
        .expect("write");
        let e = home.config().expect_err("unknown key").to_string();
        assert!(e.contains("mnds"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        let _ = std::fs::remove_dir_all(home.dir().parent().expect("parent"));
    }

    #[test]
    fn a_peer_that_is_not_an_address_is_refused_with_its_line() {
        let home = temp_home("peer");
        home.create_dir().expect("home");
        std::fs::write(
            home.dir().join("config.toml"),
            "listen = [\"/ip4/127.0.0.1/tcp/0\"]\npeers = [\n  \"/ip4/127.0.0.1/tcp/4001\",\n  \"shenzhen-node:4001\",\n]\n",
        )
        .expect("write");
        let e = home.config().expect_err("bad peer").to_string();
        assert!(e.contains("shenzhen-node:4001"), "{e}");
        assert!(e.contains("line 4"), "{e}");
        assert!(e.contains("peers"), "{e}");
        let _ = std::fs::remove_dir_all(home.dir().parent().expect("parent"));
    }

    #[test]
    fn the_admission_lives_beside_the_config_as_base64() {
        use crdt_model::agency::{AgencyProfile, Text};
        let home = temp_home("admission");
        home.create_dir().expect("home");
        assert!(home.admission().expect("absent is fine").is_none());
        let key = AgencyKey::from_secret(&[3; 32]);
        let profile = AgencyProfile {
            id: key.id(),
            name: Text::new("单位", "Agency"),
            city: Text::new("杭州", "Hangzhou"),
        };
        let (_, genesis) =
            crdt_model::membership::Roster::create(&key, "net", profile, Default::default());
        let adm = Admission {
            invite: genesis.clone(),
            join: genesis.clone(),
        };
        home.write_admission(&adm).expect("write");
        let back = home.admission().expect("read").expect("present");
        assert_eq!(back.invite, genesis);
        let text = std::fs::read_to_string(home.dir().join("admission.json")).expect("file");
        assert!(text.contains("\"sig\": \""), "{text}");
        home.write_config(&Config::default()).expect("config");
        let config = std::fs::read_to_string(home.dir().join("config.toml")).expect("config");
        assert!(
            !config.contains("admission") && config.lines().count() < 10,
            "{config}"
        );
        std::fs::write(home.dir().join("admission.json"), "{").expect("corrupt");
        let e = home.admission().expect_err("corrupt").to_string();
        assert!(e.contains("admission.json"), "{e}");
        let _ = std::fs::remove_dir_all(home.dir().parent().expect("parent"));
    }

    #[cfg(unix)]
    #[test]
    fn a_new_home_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let home = temp_home("mode");
        home.create_key().expect("key");
        let mode = std::fs::metadata(home.dir())
            .expect("home")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        let key = std::fs::metadata(home.dir().join("agency.key")).expect("key");
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
        let _ = std::fs::remove_dir_all(home.dir().parent().expect("parent"));
    }
}
