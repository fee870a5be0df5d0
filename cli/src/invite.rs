//! Invitations from the command line: `invite` (a one-line token, printed or
//! written to a file), `invites` (this agency's invitations and where each
//! stands) and `invite revoke` (withdraw an unused one).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use api::*;
use crdt_model::membership::Role;

use crate::cli::*;
use crate::out::*;
use crate::parse::*;

/// `tongchou invite [revoke]`.
pub(crate) async fn invite(c: &Client, out: &Out, cmd: InviteCmd) -> anyhow::Result<()> {
    match cmd.action {
        Some(InviteAction::Revoke(a)) => withdraw(c, out, a).await,
        None => issue(c, out, cmd.issue).await,
    }
}

/// `tongchou invite`: a one-line invitation token (admins).
async fn issue(c: &Client, out: &Out, a: InviteArgs) -> anyhow::Result<()> {
    let InviteArgs {
        agency,
        role,
        expires,
        bootstrap,
        out: file,
    } = a;
    let role = match role.as_str() {
        "member" => Role::Member,
        "admin" => Role::Admin,
        other => bail!("--role: expected member or admin, got {other:?}"),
    };
    let Some(agency) = agency else {
        bail!("--agency: the name of the agency invited is required");
    };
    let hours = parse_minutes("--expires", &expires)?.div_ceil(60);
    if let Some(path) = &file
        && path.exists()
    {
        bail!(
            "{} already exists; choose another file (the token is never written over one)",
            path.display()
        );
    }
    let r = c
        .invite(&InviteRequest {
            agency,
            role,
            expires_hours: hours,
            bootstrap,
        })
        .await?;
    if let Some(path) = &file {
        write_secret(path, &r.token)?;
        if out.json {
            return out.json(&serde_json::json!({"file": path, "expires": r.expires}));
        }
        println!(
            "{} {} {}",
            out.t("邀请令牌已写入", "invitation token written to"),
            path.display(),
            out.t(
                "（仅本人可读，含密钥，请安全转交）",
                "(owner-only, it holds a secret: hand it over safely)"
            )
        );
    } else {
        if out.json {
            return out.json(&r);
        }
        println!("{}", r.token);
    }
    eprintln!(
        "{} {}",
        out.t("一次性邀请，有效期至", "one-time invitation, valid until"),
        local(r.expires, &crate::parse::cli_zone())
    );
    Ok(())
}

/// Writes `token` to a new file readable by its owner only.
fn write_secret(path: &Path, token: &str) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(format!("{token}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// `tongchou invites`: this agency's invitations (every admin's with
/// `--all`), oldest first.
pub(crate) async fn invites(c: &Client, out: &Out, a: InvitesArgs) -> anyhow::Result<()> {
    let list = c.invites(&InvitesQuery { all: a.all }).await?;
    if out.json {
        return out.json(&list);
    }
    if list.is_empty() {
        println!(
            "{}",
            out.t(
                "本单位尚未发出邀请",
                "this agency has issued no invitations"
            )
        );
        return Ok(());
    }
    let tz = crate::parse::cli_zone();
    let mut rows = vec![vec![
        out.t("受邀单位", "agency invited").into(),
        out.t("角色", "role").into(),
        out.t("有效期至", "expires").into(),
        out.t("邀请编号", "invitation").into(),
        out.t("状态", "state").into(),
    ]];
    if a.all {
        rows[0].push(out.t("发出者", "issued by").into());
    }
    for e in &list {
        let mut row = vec![
            e.name.clone(),
            role_text(out, e.role).into(),
            local(e.expires, &tz),
            e.invitation.short(),
            state_text(out, &e.state),
        ];
        if a.all {
            row.push(e.by.short());
        }
        rows.push(row);
    }
    table(&rows);
    Ok(())
}

fn role_text(out: &Out, role: Role) -> &'static str {
    match role {
        Role::Admin => out.t("管理员", "admin"),
        Role::Member => out.t("成员", "member"),
    }
}

fn state_text(out: &Out, state: &InviteState) -> String {
    match state {
        InviteState::Outstanding => out.t("待使用", "outstanding").into(),
        InviteState::Used {
            agency,
            agency_name,
        } => {
            let who = agency_name
                .as_ref()
                .map_or_else(|| agency.short(), |n| out.text(n).into_owned());
            format!("{} {who}", out.t("已使用:", "used by"))
        }
        InviteState::Withdrawn { reason, .. } if reason.is_empty() => {
            out.t("已撤回", "withdrawn").into()
        }
        InviteState::Withdrawn { reason, .. } => {
            format!("{} ({reason})", out.t("已撤回", "withdrawn"))
        }
        InviteState::Expired => out.t("已过期", "expired").into(),
    }
}

/// `tongchou invite revoke ID|NAME`: withdraws an unused invitation.
async fn withdraw(c: &Client, out: &Out, a: WithdrawArgs) -> anyhow::Result<()> {
    let list = c.invites(&InvitesQuery::default()).await?;
    let e = pick(out, &list, &a.invitation)?;
    let done = c
        .withdraw_invite(&WithdrawInviteRequest {
            invitation: e.invitation,
            reason: a.reason,
        })
        .await?;
    if out.json {
        return out.json(&done);
    }
    println!(
        "{} {} ({})",
        out.t("已撤回邀请", "invitation withdrawn:"),
        done.name,
        done.invitation.short()
    );
    println!(
        "{}",
        out.t(
            "各成员节点收到撤回后将拒绝用该令牌加入。",
            "every member refuses a join with its token once the withdrawal reaches it."
        )
    );
    Ok(())
}

/// The one unused, unwithdrawn invitation that `what` names: its id, a
/// prefix of it, or the name of the agency invited.
fn pick<'a>(out: &Out, list: &'a [InviteEntry], what: &str) -> anyhow::Result<&'a InviteEntry> {
    let what = what.trim();
    let named = |e: &&InviteEntry| {
        e.name == what || (what.len() >= 4 && e.invitation.to_string().starts_with(what))
    };
    let open =
        |e: &&InviteEntry| matches!(e.state, InviteState::Outstanding | InviteState::Expired);
    let matches: Vec<&InviteEntry> = list.iter().filter(named).filter(open).collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => {
            if let Some(e) = list.iter().find(named) {
                bail!(
                    "{} {} ({}): {}",
                    out.t("邀请不可撤回", "cannot withdraw invitation"),
                    e.name,
                    e.invitation.short(),
                    state_text(out, &e.state)
                );
            }
            bail!(
                "{} {what:?} ({})",
                out.t("没有这个邀请", "no invitation of this agency matches"),
                out.t("见 tongchou invites", "see tongchou invites")
            )
        }
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|e| format!("{} {}", e.invitation.short(), e.name))
                .collect();
            bail!(
                "{} {what:?}: {}; {}",
                out.t("多个邀请匹配", "several invitations match"),
                names.join(", "),
                out.t("请用邀请编号", "name one by its id")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::agency::AgencyKey;
    use jiff::Timestamp;

    fn entry(i: u8, name: &str, state: InviteState) -> InviteEntry {
        InviteEntry {
            invitation: AgencyKey::from_secret(&[i; 32]).id(),
            by: AgencyKey::from_secret(&[1; 32]).id(),
            name: name.into(),
            role: Role::Member,
            issued: Timestamp::UNIX_EPOCH,
            expires: Timestamp::UNIX_EPOCH,
            state,
        }
    }

    #[test]
    fn an_invitation_is_named_by_id_prefix_or_name_and_a_shared_name_is_refused() {
        let out = Out {
            json: false,
            zh: false,
        };
        let list = [
            entry(2, "杭州市机关事务管理局", InviteState::Outstanding),
            entry(3, "宁波市机关事务管理局", InviteState::Outstanding),
            entry(4, "宁波市机关事务管理局", InviteState::Outstanding),
            entry(5, "温州市机关事务管理局", InviteState::Expired),
            entry(
                6,
                "湖州市机关事务管理局",
                InviteState::Used {
                    agency: AgencyKey::from_secret(&[7; 32]).id(),
                    agency_name: None,
                },
            ),
        ];
        let by_name = pick(&out, &list, "杭州市机关事务管理局").expect("by name");
        assert_eq!(by_name.invitation, list[0].invitation);
        let prefix = list[1].invitation.to_string()[..8].to_string();
        assert_eq!(
            pick(&out, &list, &prefix).expect("by id").invitation,
            list[1].invitation
        );
        assert!(pick(&out, &list, "温州市机关事务管理局").is_ok());
        let shared = pick(&out, &list, "宁波市机关事务管理局")
            .expect_err("shared name")
            .to_string();
        assert!(shared.contains("several"), "{shared}");
        let used = pick(&out, &list, "湖州市机关事务管理局")
            .expect_err("used")
            .to_string();
        assert!(used.contains("used by"), "{used}");
        assert!(pick(&out, &list, "tc").is_err(), "too short a prefix");
    }
}
