//! `tongchou verify`: an offline check of a home (the node must be
//! stopped): the key, the config, the admission, that the store opens,
//! that every stored change decodes and verifies (signature, signer, no
//! holes in its document's sequence), and that the store holds every
//! change of this agency the node acknowledged (`acked.json`). Each check
//! says what is wrong and what to do, in both languages.

use std::path::PathBuf;

use crdt_model::agency::Text;
use crdt_model::ledger::Ledger;
use serde::{Deserialize, Serialize};

use crate::config::Home;
use crate::store::{SledStore, Storage};

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked (`key`, `config`, `admission`, `store`, `roster`,
    /// `changes`, `acknowledged`).
    pub check: String,
    /// Whether it holds.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// What to do, when it does not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<Text>,
}

/// Every check of a home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The home.
    pub home: PathBuf,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether every check holds.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    fn push(&mut self, check: &str, result: Result<String, (String, Text)>) -> bool {
        let ok = result.is_ok();
        let (detail, advice) = match result {
            Ok(d) => (d, None),
            Err((d, a)) => (d, Some(a)),
        };
        self.checks.push(Check {
            check: check.into(),
            ok,
            detail,
            advice,
        });
        ok
    }
}

/// Why a home could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Its node runs.
    #[error(
        "the node of {0} is running (pid {1}): stop it first (verify reads the store, which the node holds)"
    )]
    Running(PathBuf, u32),
    /// Not a home.
    #[error("{0} is not a node's home (no agency.key)")]
    NotAHome(PathBuf),
}

/// Whether process `pid` is alive (Linux: `/proc`; elsewhere assumed).
/// The pid of the node running on `home`, if one runs.
pub fn running(home: &Home) -> Option<u32> {
    api::ApiInfo::read(home.dir())
        .ok()
        .filter(|info| info.pid != std::process::id() && alive(info.pid))
        .map(|info| info.pid)
}

fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

fn restore_advice() -> Text {
    Text::new(
        "从备份恢复：`tongchou restore 备份文件 --home 新目录`，确认原节点不再运行后启动新目录；备份之后的变更会从对等节点取回。没有备份时请管理员重新邀请并 `join`",
        "restore from a backup: `tongchou restore FILE --home NEW`, start the new home once the old node is gone for good; what happened after the backup comes back from peers. Without a backup, ask an admin for a new invitation and `join`",
    )
}

/// Checks the home `home` (its node must not run).
pub fn verify(home: &Home) -> Result<Report, Error> {
    let dir = home.dir().to_path_buf();
    if let Ok(info) = api::ApiInfo::read(&dir)
        && info.pid != std::process::id()
        && alive(info.pid)
    {
        return Err(Error::Running(dir, info.pid));
    }
    if !home.has_key() {
        return Err(Error::NotAHome(dir));
    }
    let mut r = Report {
        home: dir,
        checks: Vec::new(),
    };
    let key = home.load_key();
    let key = match key {
        Ok(k) => {
            r.push("key", Ok(format!("agency key {}", k.public().short())));
            Some(k)
        }
        Err(e) => {
            r.push(
                "key",
                Err((
                    format!("{e:#}"),
                    Text::new(
                        "密钥文件损坏：从备份恢复（备份含密钥）；没有备份时本单位身份已丢失，请管理员撤销它并重新邀请",
                        "the key file is damaged: restore from a backup (it holds the key); without one the agency's identity is lost: ask an admin to revoke it and invite the agency again",
                    ),
                )),
            );
            None
        }
    };
    r.push(
        "config",
        home.config()
            .map(|_| "config.toml reads".into())
            .map_err(|e| {
                (
                    format!("{e:#}"),
                    Text::new(
                        "按错误所指的行改正 config.toml（或删除它，使用默认值）",
                        "fix config.toml at the line named (or remove it to use the defaults)",
                    ),
                )
            }),
    );
    r.push(
        "admission",
        home.admission()
            .map(|a| {
                if a.is_some() {
                    "admission.json reads".into()
                } else {
                    "no admission.json (a founding member)".into()
                }
            })
            .map_err(|e| (format!("{e:#}"), restore_advice())),
    );
    let store = match SledStore::open(&home.db_path()) {
        Ok(s) => {
            r.push("store", Ok("the database opens".into()));
            s
        }
        Err(e) => {
            r.push("store", Err((e.to_string(), restore_advice())));
            return Ok(r);
        }
    };
    let roster = store
        .roster()
        .map_err(|e| e.to_string())
        .and_then(|events| {
            bootstrap::genesis::roster_from_events(&events)
                .map(|roster| (roster, events.len()))
                .ok_or_else(|| "the store holds no network roster (no genesis)".to_string())
        });
    let roster = match roster {
        Ok((roster, n)) => {
            r.push("roster", Ok(format!("{n} roster events")));
            roster
        }
        Err(e) => {
            r.push("roster", Err((e, restore_advice())));
            return Ok(r);
        }
    };
    let me = key
        .as_ref()
        .map(|k| roster.agency_of_key(&k.public()).unwrap_or_else(|| k.id()));
    let mut ledger = Ledger::new(roster);
    let mut undecodable = Vec::new();
    let mut good = Vec::new();
    for c in store.changes_iter() {
        match c {
            Ok(c) => good.push(c),
            Err(e) => undecodable.push(e.to_string()),
        }
    }
    let total = good.len() + undecodable.len();
    let report = ledger.ingest(good);
    let holes = ledger.pending_summary();
    let mut problems = Vec::new();
    if !undecodable.is_empty() {
        problems.push(format!(
            "{} entries do not decode (first: {})",
            undecodable.len(),
            undecodable[0]
        ));
    }
    if !report.refused.is_empty() {
        let first = &report.refused[0];
        problems.push(format!(
            "{} changes do not verify (first: {} #{}: {:?})",
            report.refused.len(),
            first.doc,
            first.seq,
            first.reason
        ));
    }
    if !holes.is_empty() {
        let (doc, seq, n) = &holes[0];
        problems.push(format!(
            "{} documents have holes in their sequence (first: {doc} lacks #{seq}, {n} changes wait behind it)",
            holes.len()
        ));
    }
    r.push(
        "changes",
        if problems.is_empty() {
            Ok(format!("{total} changes decode and verify, no holes"))
        } else {
            Err((
                problems.join("; "),
                Text::new(
                    "其他单位的变更会在节点运行时从对等节点重新取回；若问题在本单位的文档中，见下一项",
                    "other agencies' changes are fetched again from peers while the node runs; if the problem is in this agency's own documents, see the next check",
                ),
            ))
        },
    );
    let acked = home.acked();
    let result = match (acked, me) {
        (Err(e), _) => Err((
            format!("{e:#}"),
            Text::new(
                "acked.json 损坏：删除它，节点下次写入时重建（期间无法发现丢失）",
                "acked.json is damaged: remove it; the node writes it again at its next write (losses cannot be detected until then)",
            ),
        )),
        (Ok(_), None) => Ok("not checked (no key)".into()),
        (Ok(acked), Some(_)) => {
            let heads = ledger.heads();
            let gaps: Vec<String> = acked
                .iter()
                .filter_map(|(doc, &n)| {
                    let held = heads.get(doc).copied().unwrap_or(0);
                    (held < n).then(|| format!("{doc}: holds {held} of {n}"))
                })
                .collect();
            if gaps.is_empty() {
                Ok(format!(
                    "every acknowledged change of this agency is stored ({} documents)",
                    acked.len()
                ))
            } else {
                Err((
                    format!("the store lost acknowledged changes: {}", gaps.join(", ")),
                    Text::new(
                        "启动节点并保持与对等节点的连接：节点在补回之前拒绝写入，补回后自动恢复（`tongchou status` 显示进度）；若没有对等节点持有这些变更，从备份恢复",
                        "start the node and keep it connected to its peers: it refuses writes until they have given the changes back, then resumes by itself (`tongchou status` shows progress); if no peer holds them, restore from a backup",
                    ),
                ))
            }
        }
    };
    r.push("acknowledged", result);
    Ok(r)
}
