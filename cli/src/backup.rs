//! `tongchou backup` (the running node writes a consistent snapshot of its
//! home to a file), `tongchou restore` (a new home from such a file) and
//! `tongchou verify` (the offline check of a home).

use api::*;
use node::config::Home;

use crate::cli::*;
use crate::out::Out;

/// `tongchou backup FILE` with the node stopped: the command reads the
/// home itself and writes the same file.
pub(crate) fn backup_offline(home: &Home, out: &Out, a: BackupArgs) -> anyhow::Result<()> {
    let path = std::path::absolute(&a.file).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}",
            out.t("备份文件路径无效", "not a usable backup path")
        )
    })?;
    if !out.json {
        eprintln!(
            "{} {} → {} …",
            out.t(
                "节点未运行，直接读取目录备份",
                "the node is stopped: backing up its home"
            ),
            home.dir().display(),
            path.display()
        );
    }
    let t = std::time::Instant::now();
    let w = node::backup::offline(home, &path).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}",
            out.t("备份失败，未写入任何文件", "backup failed, nothing written")
        )
    })?;
    let r = BackupReport {
        path: path.display().to_string(),
        bytes: w.bytes,
        changes: w.meta.changes,
        roster_events: w.meta.roster_events,
        entries: w.entries,
        created: w.meta.created.clone(),
        millis: t.elapsed().as_millis() as u64,
    };
    report(out, &r)
}

/// `tongchou backup FILE`: the node writes the file (so the picture is
/// consistent with what it acknowledged); the command waits and reports.
pub(crate) async fn backup(c: &Client, out: &Out, a: BackupArgs) -> anyhow::Result<()> {
    let path = std::path::absolute(&a.file).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}",
            out.t("备份文件路径无效", "not a usable backup path")
        )
    })?;
    if path.is_dir() {
        anyhow::bail!(
            "{} {}",
            path.display(),
            out.t(
                "是一个目录：请给出文件名，如 backup.tcbak",
                "is a directory: give a file name, e.g. backup.tcbak"
            )
        );
    }
    if !out.json {
        eprintln!(
            "{} {} …",
            out.t("正在备份到", "backing up to"),
            path.display()
        );
    }
    let r = c
        .backup(&BackupRequest {
            path: path.display().to_string(),
        })
        .await?;
    report(out, &r)
}

/// Prints what a backup wrote.
fn report(out: &Out, r: &BackupReport) -> anyhow::Result<()> {
    if out.json {
        return out.json(&r);
    }
    println!(
        "{} {}: {}, {} {}, {} {}, {:.1} s",
        out.t("已备份到", "backed up to"),
        r.path,
        size(r.bytes),
        r.changes,
        out.t("条变更", "changes"),
        r.roster_events,
        out.t("条名册事件", "roster events"),
        r.millis as f64 / 1000.0
    );
    println!(
        "{}",
        out.t(
            "此文件含本单位的私钥：像保管密钥一样保管它。",
            "This file holds the agency's secret key: keep it like the key."
        )
    );
    Ok(())
}

/// `tongchou restore FILE --home NEW`: a new home from a backup, refusing
/// a home that holds anything.
pub(crate) fn restore(home: &Home, out: &Out, a: RestoreArgs) -> anyhow::Result<()> {
    let r = node::backup::restore(&a.file, home).map_err(|e| {
        let zh = match &e {
            node::backup::Error::NotBackup(_) => "不是统筹备份文件",
            node::backup::Error::Version { .. } => "备份文件格式版本不符",
            node::backup::Error::Damaged { .. } => "备份文件已损坏或不完整，未恢复任何内容",
            node::backup::Error::HomeNotEmpty(_) => {
                "目标节点目录不是空的：恢复只写入新的目录（用 --home 指定新目录）"
            }
            _ => "恢复失败",
        };
        anyhow::anyhow!("{}", out.t(&format!("{zh}：{e}"), &e.to_string()))
    })?;
    if out.json {
        return out.json(&r);
    }
    println!(
        "{} {}: {} {} ({}), {} {}, {} {}",
        out.t("已恢复到", "restored into"),
        r.home.display(),
        out.t("单位", "agency"),
        r.meta.agency,
        r.meta.created,
        r.meta.changes,
        out.t("条变更", "changes"),
        r.meta.roster_events,
        out.t("条名册事件", "roster events")
    );
    println!(
        "{}",
        out.t(
            "警告：恢复的节点用来替换丢失的节点。切勿让它与原节点同时运行：同一密钥的两个节点会写出相互冲突的变更，其他成员将拒收（分叉）。\n用 `tongchou --home 新目录 run` 启动；备份之后的变更会从其他成员处同步回来。",
            "WARNING: a restored node replaces a lost one. Never run it while the original still runs: two nodes with one key write conflicting changes that members refuse (a fork).\nStart it with `tongchou --home NEW run`; what happened after the backup syncs back from the other members."
        )
    );
    Ok(())
}

/// `tongchou verify`: each check, OK or the problem and what to do; a
/// problem makes the command fail (exit 1).
pub(crate) fn verify(home: &Home, out: &Out) -> anyhow::Result<()> {
    let r = node::verify::verify(home).map_err(|e| {
        let zh = match &e {
            node::verify::Error::Running(..) => "节点正在运行：请先停止它再检查",
            node::verify::Error::NotAHome(_) => "这不是节点目录（没有 agency.key）",
        };
        anyhow::anyhow!("{}", out.t(&format!("{zh}（{e}）"), &e.to_string()))
    })?;
    if out.json {
        out.json(&r)?;
    } else {
        println!("{} {}", out.t("检查", "checking"), r.home.display());
        for c in &r.checks {
            let mark = if c.ok { "✓" } else { "✗" };
            println!("{mark} {:<12} {}", c.check, c.detail);
            if let Some(a) = &c.advice {
                println!("  → {}", out.text(a));
            }
        }
    }
    if r.ok() {
        if !out.json {
            println!("{}", out.t("未发现问题", "no problem found"));
        }
        Ok(())
    } else {
        let n = r.checks.iter().filter(|c| !c.ok).count();
        anyhow::bail!(
            "{}",
            out.t(
                &format!("发现 {n} 个问题（见上）"),
                &format!("{n} problem(s) found (see above)")
            )
        )
    }
}
