//! Naming a resource on the command line: by its full id (`OWNER/LOCAL`),
//! by a unique prefix of it, by its local id, or by its name (Chinese or
//! English). A name that fits several resources is never resolved
//! silently: the command fails and lists them with city and owner.

use anyhow::bail;
use api::*;
use crdt_model::resource::Resource;

use crate::out::*;

/// The one resource `arg` names in the catalogue.
pub(crate) async fn resource(c: &Client, out: &Out, arg: &str) -> anyhow::Result<Resource> {
    let arg = arg.trim();
    let all = c.resources(&ResourceFilter::default()).await?;
    let matches = crdt_model::query::named(&all, arg);
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!(
            "{} {arg:?}{}",
            out.t("未知资源", "unknown resource"),
            out.t(
                "（用 `tongchou resources` 查看全部资源）",
                " (list them with `tongchou resources`)"
            )
        ),
        many => {
            let members = c.members().await.unwrap_or_default();
            let owner = |r: &Resource| {
                members
                    .iter()
                    .find(|m| m.agency == r.id.owner)
                    .map(|m| out.text(&m.member.profile.name).into_owned())
                    .unwrap_or_else(|| r.id.owner.short())
            };
            let lines: Vec<String> = many
                .iter()
                .map(|r| {
                    format!(
                        "  {} · {} · {}  ({})",
                        out.text(&r.name),
                        out.text(&r.location.city),
                        owner(r),
                        r.id
                    )
                })
                .collect();
            bail!(
                "{arg:?} {}\n{}",
                out.t(
                    "对应多个资源，请用资源标识（OWNER/LOCAL）或其唯一前缀指明：",
                    "names several resources; give the id (OWNER/LOCAL) or a unique prefix of it:"
                ),
                lines.join("\n")
            )
        }
    }
}
