//! People of the agency from the command line: `user add` and `users`.
//! The token is printed once and kept in the home's `users/NAME.token`
//! (mode 0600), which `--user NAME` reads.

use anyhow::Context;
use api::*;
use node::config::Home;

use crate::cli::*;
use crate::out::*;

/// `tongchou user …`.
pub(crate) async fn user(home: &Home, c: &Client, out: &Out, cmd: UserCmd) -> anyhow::Result<()> {
    let UserCmd::Add(a) = cmd;
    let role: Role = a
        .role
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
    let mut resources = Vec::new();
    for r in &a.resources {
        resources.push(crate::pick::resource(c, out, r.trim()).await?.id);
    }
    let path = api::token_path(home.dir(), &a.name);
    if path.as_ref().is_some_and(|p| p.exists()) {
        anyhow::bail!("{}: a token file for this name already exists", a.name);
    }
    let added = c
        .add_user(&UserAdd {
            name: a.name,
            role,
            resources,
        })
        .await?;
    if let Some(path) = &path {
        write_private(path, &added.token).with_context(|| format!("writing {}", path.display()))?;
    }
    if out.json {
        return out.json(&added);
    }
    println!(
        "{} {} ({})",
        out.t("已添加", "added"),
        added.user.name,
        out.text(&added.user.role.text())
    );
    println!("{}: {}", out.t("令牌", "token"), added.token);
    if let Some(path) = path {
        println!(
            "{} {} · tongchou --user {} …",
            out.t("令牌已保存到", "token kept in"),
            path.display(),
            added.user.name
        );
    }
    Ok(())
}

/// `tongchou users`.
pub(crate) async fn users(c: &Client, out: &Out) -> anyhow::Result<()> {
    let list = c.users().await?;
    if out.json {
        return out.json(&list);
    }
    let mut rows = vec![vec![
        out.t("姓名", "name").to_string(),
        out.t("角色", "role").to_string(),
        out.t("审批的资源", "decides for").to_string(),
    ]];
    for u in &list {
        rows.push(vec![
            u.name.clone(),
            out.text(&u.role.text()).to_string(),
            u.resources
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    table(&rows);
    Ok(())
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}
