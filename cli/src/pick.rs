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
    let matches = candidates(&all, arg);
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!(
            "{} {arg:?}{}",
            out.t("没有资源叫", "no resource is named"),
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

/// The resources `arg` may mean: its exact id if there is one; otherwise
/// those whose id starts with it (4 characters at least), whose local id
/// is it, or whose name is it (English in any case). Retired resources
/// only when nothing else fits.
fn candidates<'a>(all: &'a [Resource], arg: &str) -> Vec<&'a Resource> {
    if let Some(r) = all.iter().find(|r| r.id.to_string() == arg) {
        return vec![r];
    }
    let fits = |r: &&Resource| {
        (arg.chars().count() >= 4 && r.id.to_string().starts_with(arg))
            || r.id.local.as_str() == arg
            || r.name.zh == arg
            || r.name.en.eq_ignore_ascii_case(arg)
    };
    let found: Vec<&Resource> = all.iter().filter(fits).collect();
    let open: Vec<&Resource> = found.iter().copied().filter(|r| !r.retired).collect();
    if open.is_empty() { found } else { open }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::agency::{AgencyKey, Text};
    use crdt_model::ids::ResourceId;

    fn room(owner: u8, local: &str, zh: &str, en: &str) -> Resource {
        let id = AgencyKey::from_secret(&[owner; 32]).id();
        Resource {
            id: ResourceId::new(id, local).expect("id"),
            name: Text::new(zh, en),
            ..crdt_model::sim::test_resource(
                id,
                local,
                crdt_model::resource::Capacity::People(10),
                crdt_model::resource::Approval::Automatic,
            )
        }
    }

    #[test]
    fn a_name_resolves_only_when_it_is_unique() {
        let all = vec![
            room(1, "room-large", "大会议室", "Large meeting room"),
            room(2, "room-large", "大会议室", "Large meeting room"),
            room(2, "hall", "报告厅", "Auditorium"),
        ];
        assert_eq!(candidates(&all, "大会议室").len(), 2, "ambiguous: both");
        assert_eq!(candidates(&all, "报告厅").len(), 1);
        assert_eq!(candidates(&all, "auditorium").len(), 1);
        let full = all[1].id.to_string();
        assert_eq!(candidates(&all, &full), vec![&all[1]]);
        let prefix: String = full.chars().take(10).collect();
        let by_prefix = candidates(&all, &prefix);
        assert!(by_prefix.iter().all(|r| r.id.owner == all[1].id.owner));
        assert_eq!(by_prefix.len(), 2, "prefix of the owner: both of its rooms");
        assert!(candidates(&all, "不存在").is_empty());
    }
}
