//! Online backup and restore of a node's home: one file holding the home's
//! files (agency key, config, admission) and every stored entry, taken by
//! the running daemon between two group commits (see
//! `actor::Command::Backup`), so it holds everything acknowledged before it
//! began; and `restore`, which builds a fresh home from such a file.
//!
//! The file (`.tcbak`, mode 0600: it holds the agency's secret key):
//! the magic `TONGCHOU-BACKUP\0`, a format version (u32, big-endian), then
//! records `tag u8` + fields (`u32` length + bytes each): a meta record
//! (JSON: when, which agency and network, counts), home files, store
//! entries, an end record with the entry count, and last the SHA-256 of
//! everything before it. A file that is not one, of another version,
//! truncated or damaged is refused before anything is written.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Home;
use crate::store::{CHANGES_TREE, Entry, ROSTER_TREE, SledStore, Storage};

/// The first bytes of every backup file.
pub const MAGIC: &[u8; 16] = b"TONGCHOU-BACKUP\0";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The home files a backup carries (the only names `restore` writes).
pub const HOME_FILES: &[&str] = &[
    "agency.key",
    "agency.key.next",
    "config.toml",
    "admission.json",
];

const TAG_META: u8 = 1;
const TAG_FILE: u8 = 2;
const TAG_ENTRY: u8 = 3;
const TAG_END: u8 = 0;

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{what} {}: {}", .path.display(), io_text(.source))]
    Io {
        /// What was being done.
        what: &'static str,
        /// Which file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Not a backup file at all.
    #[error("{} is not a tongchou backup file (no TONGCHOU-BACKUP header)", .0.display())]
    NotBackup(PathBuf),
    /// A backup of another format version.
    #[error("{} is a backup of format {found}; this tongchou reads format {VERSION}", .path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// Truncated or altered: its checksum or structure does not hold.
    #[error("the backup {} is damaged or truncated ({detail}); nothing was restored: use another copy", .path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// `restore` into a home that already holds something.
    #[error("{} is not empty: restore writes a new home only (give --home a new directory)", .0.display())]
    HomeNotEmpty(PathBuf),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] crate::store::Error),
    /// The restored home does not work (its key or config).
    #[error("the restored home is not usable: {0}")]
    Home(String),
}

/// An OS error, with what to do for a full disk.
fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::StorageFull => {
            format!("{e} (the disk is full: free space or choose another disk)")
        }
        std::io::ErrorKind::NotFound => format!("{e} (does the directory exist?)"),
        std::io::ErrorKind::PermissionDenied => format!("{e} (no permission to write there)"),
        _ => e.to_string(),
    }
}

/// What a backup says about itself (its meta record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// When it was taken (RFC 3339).
    pub created: String,
    /// The agency whose home it is.
    pub agency: String,
    /// Its network.
    pub network: String,
    /// Signed changes in the store.
    pub changes: u64,
    /// Roster events in the store.
    pub roster_events: u64,
    /// The tongchou version that wrote it.
    pub tongchou: String,
}

/// A consistent picture of a home, taken by the actor: its files and its
/// store's entries.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Home files by name (see [`HOME_FILES`]).
    pub files: Vec<(String, Vec<u8>)>,
    /// Every stored entry.
    pub entries: Vec<Entry>,
    /// The agency.
    pub agency: String,
    /// The network id.
    pub network: String,
}

impl Snapshot {
    /// Takes the picture of `home` whose store is `store` (nothing may
    /// write meanwhile: the actor calls it between two commits).
    pub fn take(
        home: &Home,
        store: &dyn Storage,
        agency: String,
        network: String,
    ) -> Result<Self, Error> {
        let mut files = Vec::new();
        for name in HOME_FILES {
            let path = home.dir().join(name);
            match std::fs::read(&path) {
                Ok(bytes) => files.push((name.to_string(), bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(Error::Io {
                        what: "reading",
                        path,
                        source,
                    });
                }
            }
        }
        Ok(Self {
            files,
            entries: store.snapshot()?,
            agency,
            network,
        })
    }

    fn count(&self, tree: &str) -> u64 {
        self.entries.iter().filter(|e| e.tree == tree).count() as u64
    }
}

/// Backs up the home of a stopped node to `path`: the same file a running
/// node writes (its key, config, admission and every stored entry). Refused
/// while a node runs on the home (its store is locked and moving: use the
/// online `tongchou backup`).
pub fn offline(home: &Home, path: &Path) -> Result<Written, Error> {
    if let Some(pid) = crate::verify::running(home) {
        return Err(Error::Home(format!(
            "a node (pid {pid}) runs on {}: back it up through it (`tongchou backup FILE`)",
            home.dir().display()
        )));
    }
    if !home.has_key() {
        return Err(Error::Home(format!(
            "{} is not a node's home (no agency.key)",
            home.dir().display()
        )));
    }
    let key = home.load_key().map_err(|e| Error::Home(format!("{e:#}")))?;
    let store = SledStore::open(&home.db_path())?;
    let events = store.roster()?;
    let roster = bootstrap::genesis::roster_from_events(&events)
        .ok_or_else(|| Error::Home("the store holds no network roster".into()))?;
    let agency = roster
        .agency_of_key(&key.public())
        .unwrap_or_else(|| key.id());
    let snap = Snapshot::take(
        home,
        &store,
        agency.to_string(),
        roster.network_id().to_string(),
    )?;
    drop(store);
    write(path, &snap)
}

/// What a written backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// Its size, bytes.
    pub bytes: u64,
    /// What it says about itself.
    pub meta: Meta,
    /// Store entries (changes, roster events, markers).
    pub entries: u64,
}

/// A writer that hashes what it writes.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
    n: u64,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hash.update(bytes);
        self.n += bytes.len() as u64;
        self.inner.write_all(bytes)
    }
    fn field(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let len = u32::try_from(bytes.len()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "entry over 4 GiB")
        })?;
        self.put(&len.to_be_bytes())?;
        self.put(bytes)
    }
}

/// Writes `snap` to `path` (a temporary file beside it, mode 0600, synced,
/// then renamed over it: a failed backup never leaves a partial file
/// under its name).
pub fn write(path: &Path, snap: &Snapshot) -> Result<Written, Error> {
    let io = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { what, path, source }
    };
    let name = path.file_name().ok_or_else(|| Error::Io {
        what: "writing",
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let meta = Meta {
        created: jiff::Timestamp::now().to_string(),
        agency: snap.agency.clone(),
        network: snap.network.clone(),
        changes: snap.count(CHANGES_TREE),
        roster_events: snap.count(ROSTER_TREE),
        tongchou: env!("CARGO_PKG_VERSION").to_string(),
    };
    let result = (|| -> Result<u64, Error> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(&tmp).map_err(io("writing", path))?;
        let mut w = Hashing {
            inner: std::io::BufWriter::with_capacity(1 << 20, file),
            hash: Sha256::new(),
            n: 0,
        };
        let meta_json = serde_json::to_vec(&meta).map_err(|e| Error::Home(e.to_string()))?;
        let body = (|| -> std::io::Result<()> {
            w.put(MAGIC)?;
            w.put(&VERSION.to_be_bytes())?;
            w.put(&[TAG_META])?;
            w.field(&meta_json)?;
            for (name, bytes) in &snap.files {
                w.put(&[TAG_FILE])?;
                w.field(name.as_bytes())?;
                w.field(bytes)?;
            }
            for e in &snap.entries {
                w.put(&[TAG_ENTRY])?;
                w.field(e.tree.as_bytes())?;
                w.field(&e.key)?;
                w.field(&e.value)?;
            }
            w.put(&[TAG_END])?;
            w.put(&(snap.entries.len() as u64).to_be_bytes())?;
            let digest = w.hash.clone().finalize();
            w.inner.write_all(&digest)?;
            w.n += digest.len() as u64;
            Ok(())
        })();
        body.map_err(io("writing", path))?;
        let n = w.n;
        let file = w.inner.into_inner().map_err(|e| Error::Io {
            what: "writing",
            path: path.to_path_buf(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io("syncing", path))?;
        std::fs::rename(&tmp, path).map_err(io("writing", path))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(n)
    })();
    match result {
        Ok(bytes) => Ok(Written {
            bytes,
            meta,
            entries: snap.entries.len() as u64,
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// A backup read back and checked.
#[derive(Debug, Clone)]
pub struct Read {
    /// What it says about itself.
    pub meta: Meta,
    /// Home files.
    pub files: Vec<(String, Vec<u8>)>,
    /// Store entries.
    pub entries: Vec<Entry>,
}

/// Reads and checks the backup at `path`: magic, version, checksum, every
/// record's bounds. Nothing is trusted before the checksum holds.
pub fn read(path: &Path) -> Result<Read, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        what: "reading",
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &bytes)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Read, Error> {
    let damaged = |detail: &str| Error::Damaged {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::NotBackup(path.to_path_buf()));
    }
    let rest = &bytes[MAGIC.len()..];
    let version = rest
        .get(..4)
        .and_then(|v| <[u8; 4]>::try_from(v).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| damaged("cut short after its header"))?;
    if version != VERSION {
        return Err(Error::Version {
            path: path.to_path_buf(),
            found: version,
        });
    }
    if bytes.len() < MAGIC.len() + 4 + 32 {
        return Err(damaged("cut short after its header"));
    }
    let (body, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(damaged("its checksum does not match: cut short or altered"));
    }
    let mut cur = Cursor {
        bytes: &body[MAGIC.len() + 4..],
    };
    let mut meta = None;
    let mut files = Vec::new();
    let mut entries = Vec::new();
    loop {
        let tag = cur.take(1).ok_or_else(|| damaged("no end record"))?[0];
        match tag {
            TAG_META => {
                let m: Meta = serde_json::from_slice(cur.field().ok_or_else(|| damaged("meta"))?)
                    .map_err(|e| damaged(&format!("meta: {e}")))?;
                meta = Some(m);
            }
            TAG_FILE => {
                let name = cur.field().ok_or_else(|| damaged("file name"))?;
                let name = std::str::from_utf8(name)
                    .ok()
                    .filter(|n| HOME_FILES.contains(n))
                    .ok_or_else(|| damaged("a file that is not part of a home"))?
                    .to_string();
                let content = cur.field().ok_or_else(|| damaged("file"))?.to_vec();
                files.push((name, content));
            }
            TAG_ENTRY => {
                let tree = std::str::from_utf8(cur.field().ok_or_else(|| damaged("entry"))?)
                    .map_err(|_| damaged("tree name"))?
                    .to_string();
                let key = cur.field().ok_or_else(|| damaged("entry key"))?.to_vec();
                let value = cur.field().ok_or_else(|| damaged("entry value"))?.to_vec();
                entries.push(Entry { tree, key, value });
            }
            TAG_END => {
                let n = cur
                    .take(8)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| damaged("end record"))?;
                if n != entries.len() as u64 || !cur.bytes.is_empty() {
                    return Err(damaged("entry count"));
                }
                break;
            }
            _ => return Err(damaged("unknown record")),
        }
    }
    let meta = meta.ok_or_else(|| damaged("no meta record"))?;
    if !files.iter().any(|(n, _)| n == "agency.key") {
        return Err(damaged("no agency key"));
    }
    Ok(Read {
        meta,
        files,
        entries,
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }
    fn field(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize;
        self.take(len)
    }
}

/// What `restore` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restored {
    /// The new home.
    pub home: PathBuf,
    /// What the backup says about itself.
    pub meta: Meta,
    /// Store entries written.
    pub entries: u64,
}

/// Builds a new home at `home` from the backup at `file`: refuses a home
/// that exists and is not empty; writes the home (0700, files 0600) and
/// its store; on failure removes what it wrote.
pub fn restore(file: &Path, home: &Home) -> Result<Restored, Error> {
    let dir = home.dir().to_path_buf();
    let existed = dir.exists();
    if existed {
        let mut listing = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            what: "reading",
            path: dir.clone(),
            source,
        })?;
        if listing.next().is_some() {
            return Err(Error::HomeNotEmpty(dir));
        }
    }
    let backup = read(file)?;
    let result = write_home(home, &backup);
    if result.is_err() {
        if existed {
            if let Ok(listing) = std::fs::read_dir(&dir) {
                for e in listing.flatten() {
                    let _ = std::fs::remove_dir_all(e.path());
                    let _ = std::fs::remove_file(e.path());
                }
            }
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    result?;
    Ok(Restored {
        home: dir,
        meta: backup.meta,
        entries: backup.entries.len() as u64,
    })
}

fn write_home(home: &Home, backup: &Read) -> Result<(), Error> {
    home.create_dir()
        .map_err(|e| Error::Home(format!("{e:#}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(home.dir(), std::fs::Permissions::from_mode(0o700)).map_err(
            |source| Error::Io {
                what: "securing",
                path: home.dir().to_path_buf(),
                source,
            },
        )?;
    }
    for (name, bytes) in &backup.files {
        let path = home.dir().join(name);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let io = |source| Error::Io {
            what: "writing",
            path: path.clone(),
            source,
        };
        let mut f = opts.open(&path).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    // The key and config must load as the node will load them.
    home.load_key().map_err(|e| Error::Home(format!("{e:#}")))?;
    home.config().map_err(|e| Error::Home(format!("{e:#}")))?;
    home.admission()
        .map_err(|e| Error::Home(format!("{e:#}")))?;
    // Own writes wait for a peer after a restore (the original may have
    // written more after the backup); see `Actor::check_restored`.
    let marker = home.restored_marker();
    std::fs::write(
        &marker,
        "restored from a backup: own writes wait until a peer shows this node holds its latest own changes\n",
    )
    .map_err(|source| Error::Io {
        what: "writing",
        path: marker.clone(),
        source,
    })?;
    let store = SledStore::open(&home.db_path())?;
    store.import(&backup.entries)?;
    // Every change reads back as one.
    store.changes()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Snapshot {
            files: vec![("agency.key".into(), b"00".repeat(32))],
            entries: vec![Entry {
                tree: "changes".into(),
                key: b"k".to_vec(),
                value: vec![7; 100],
            }],
            agency: "a".into(),
            network: "n".into(),
        }
    }

    #[test]
    fn a_backup_reads_back_and_any_damage_is_refused() {
        let dir = std::env::temp_dir().join(format!("tongchou-backup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("b.tcbak");
        let w = write(&path, &snap()).expect("write");
        assert_eq!(w.bytes, std::fs::metadata(&path).expect("file").len());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("f").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = read(&path).expect("read");
        assert_eq!(back.entries, snap().entries);
        assert_eq!(back.files, snap().files);
        let bytes = std::fs::read(&path).expect("bytes");
        for cut in [0, 10, 20, bytes.len() / 2, bytes.len() - 1] {
            let e = parse(&path, &bytes[..cut]).expect_err("truncated");
            assert!(
                matches!(e, Error::Damaged { .. } | Error::NotBackup(_)),
                "{cut}: {e}"
            );
        }
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        assert!(matches!(parse(&path, &flipped), Err(Error::Damaged { .. })));
        assert!(matches!(
            parse(&path, b"hello world, not a backup at all, no"),
            Err(Error::NotBackup(_))
        ));
        let e = write(&dir.join("missing/b.tcbak"), &snap()).expect_err("no dir");
        assert!(e.to_string().contains("does the directory exist"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
