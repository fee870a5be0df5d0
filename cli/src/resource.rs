//! This agency's resources from the command line: add, edit, retire, import (CSV or TOML), and the catalogue.

use anyhow::{Context, bail};
use api::*;
use crdt_model::agency::Text;
use crdt_model::ids::AgencyId;
use crdt_model::resource::*;

use crate::cli::*;
use crate::out::*;
use crate::parse::*;
use crdt_model::ids::ResourceId;
use jiff::civil::Time;
use jiff::tz::TimeZone;

/// `tongchou resource add | edit | retire | import`.
pub(crate) async fn resource(c: &Client, out: &Out, rc: ResourceCmd) -> anyhow::Result<()> {
    let s = c.status().await?;
    match rc {
        ResourceCmd::Add(args) => {
            let r = args.build(s.agency)?;
            let r = c.put_resource(&r).await?;
            if out.json {
                return out.json(&r);
            }
            println!("{}: {}", out.t("已发布", "published"), r.id);
        }
        ResourceCmd::Retire { id } => {
            let mut r = own_resource(c, s.agency, &id).await?;
            r.retired = true;
            c.put_resource(&r).await?;
            println!("{}: {}", out.t("已停用", "retired"), r.id);
        }
        ResourceCmd::Edit(args) => {
            let r = own_resource(c, s.agency, &args.id).await?;
            let edited = args.apply(&r)?;
            let r = c.put_resource(&edited).await?;
            if out.json {
                return out.json(&r);
            }
            println!("{}: {}", out.t("已更新", "updated"), r.id);
        }
        ResourceCmd::Blackout(cmd) => {
            return crate::blackout::blackout(c, out, s.agency, cmd).await;
        }
        ResourceCmd::Maintenance {
            id,
            from,
            to,
            reason,
        } => {
            let mut r = own_resource(c, s.agency, &id).await?;
            let tz = r.tz();
            let start = parse_time_in("--from", &from, &tz)?;
            let end = parse_time_in("--to", &to, &tz)?;
            if end <= start {
                bail!("--to: the end must be after the start");
            }
            r.rules.blackouts.push(Blackout {
                start,
                end,
                reason: Text::new(reason.clone(), reason),
            });
            let r = c.put_resource(&r).await?;
            if out.json {
                return out.json(&r);
            }
            println!(
                "{}: {} {} → {}",
                out.t("已停用时段", "blocked"),
                r.id,
                local(start, &tz),
                local(end, &tz)
            );
        }
        ResourceCmd::Repair {
            id,
            units,
            tags,
            start,
        } => {
            return crate::warehouse::repair(c, out, &id, units, tags, start).await;
        }
        ResourceCmd::Dispose {
            id,
            units,
            tags,
            reason,
            method,
        } => {
            let how = crate::warehouse::Disposing {
                units,
                tags,
                reason,
            };
            return crate::warehouse::dispose(c, out, &id, how, &method).await;
        }
        ResourceCmd::Import { file } => {
            let rows = read_resource_rows(&file)?;
            let mut report = ImportReport::default();
            let total = rows.len();
            for (n, (row, parsed)) in rows.into_iter().enumerate() {
                let res = match parsed.and_then(|a| a.build(s.agency).map(|r| (a.id, r))) {
                    Ok((_, r)) => c.put_resource(&r).await.map(|_| ()).map_err(Into::into),
                    Err(e) => Err(e),
                };
                match res {
                    Ok(()) => report.published += 1,
                    Err(e) => report.rejected.push(RejectedRow {
                        row,
                        error: format!("{e:#}"),
                    }),
                }
                if !out.json && total >= 50 && (n + 1) % 50 == 0 {
                    eprintln!("… {}/{total}", n + 1);
                }
            }
            if out.json {
                out.json(&report)?;
            } else {
                println!("{}: {}", out.t("已发布", "published"), report.published);
                for b in &report.rejected {
                    println!("{} {}: {}", out.t("拒绝第", "rejected row"), b.row, b.error);
                }
            }
            if !report.rejected.is_empty() {
                bail!("{} rows rejected", report.rejected.len());
            }
        }
    }
    Ok(())
}

/// `tongchou resources`: the catalogue, filtered.
pub(crate) async fn resources(c: &Client, out: &Out, a: ResourcesArgs) -> anyhow::Result<()> {
    let ResourcesArgs {
        kind,
        city,
        owner,
        free_from,
        free_to,
        quantity,
        idle_days,
    } = a;
    let mut q = ResourceFilter {
        kind,
        city,
        owner,
        idle_days,
        ..Default::default()
    };
    if let (Some(a), Some(b)) = (free_from, free_to) {
        let a = parse_time("--free-from", &a)?;
        let b = parse_time("--free-to", &b)?;
        if b <= a {
            bail!("--free-to must be after --free-from");
        }
        q.free_from = Some(a);
        q.free_to = Some(b);
        q.quantity = Some(quantity);
    }
    let list = c.resources(&q).await?;
    if out.json {
        return out.json(&list);
    }
    let mut rows = vec![vec![
        out.t("名称", "name").into(),
        out.t("类型", "kind").into(),
        out.t("城市", "city").into(),
        out.t("容量", "size").into(),
        "id".into(),
    ]];
    for r in &list {
        let size = match r.capacity {
            Capacity::People(n) => format!("{n}{}", out.t("人", " people")),
            Capacity::Units(n) => format!("{n}{}", out.t("个", " units")),
        };
        rows.push(vec![
            out.text(&r.name).into(),
            out.text(&r.kind.label()).into(),
            out.text(&r.location.city).into(),
            size,
            r.id.to_string(),
        ]);
    }
    table(&rows);
    Ok(())
}

impl EditArgs {
    /// The resource `r` with the given options applied to its fields
    /// (everything else, blackouts and the retired flag included, kept),
    /// naming the option at fault on bad input.
    pub(crate) fn apply(&self, r: &Resource) -> anyhow::Result<Resource> {
        let mut out = r.clone();
        let set = |dst: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                dst.clone_from(v);
            }
        };
        if let Some(k) = &self.kind {
            out.kind = parse_kind(k);
        }
        set(&mut out.name.zh, &self.name);
        set(&mut out.name.en, &self.name_en);
        set(&mut out.location.city.zh, &self.city);
        set(&mut out.location.city.en, &self.city_en);
        set(&mut out.location.site, &self.site);
        set(&mut out.location.building, &self.building);
        set(&mut out.location.floor, &self.floor);
        match (self.people, self.units) {
            (Some(_), Some(_)) => bail!("give one of --people or --units"),
            (Some(0), _) | (_, Some(0)) => bail!("--people/--units: at least 1"),
            (Some(n), None) => out.capacity = Capacity::People(n),
            (None, Some(n)) => out.capacity = Capacity::Units(n),
            (None, None) => {}
        }
        if !self.feature.is_empty() {
            out.features = self.feature.iter().cloned().collect();
        }
        if !self.attr.is_empty() {
            out.attributes = parse_attrs(&self.attr)?;
        }
        fleet_attrs(
            &mut out.attributes,
            self.class.as_deref(),
            self.energy.as_deref(),
            self.odometer,
        )?;
        if let Some(a) = &self.approval {
            out.rules.approval = parse_approval(a)?;
        }
        if let Some(tz) = &self.tz {
            check_tz(tz)?;
            out.rules.time_zone.clone_from(tz);
        }
        if let Some(s) = &self.share {
            out.sharing = parse_sharing(s)?;
        }
        let rules = &mut out.rules;
        for (dst, v) in [
            (&mut rules.min_minutes, self.min_minutes),
            (&mut rules.max_minutes, self.max_minutes),
            (&mut rules.max_advance_days, self.advance_days),
            (&mut rules.buffer_minutes, self.buffer_minutes),
            (&mut rules.max_conflicts, self.max_conflicts),
            (&mut rules.max_conflict_percent, self.max_conflict_percent),
            (&mut rules.checkin_minutes, self.checkin_minutes),
        ] {
            if let Some(v) = v {
                *dst = v;
            }
        }
        rules.opening = match (self.open.as_deref(), &self.days, rules.opening.take()) {
            (Some("always" | "none" | ""), _, _) => None,
            (Some(open), days, _) => Some(parse_opening(
                open,
                days.as_deref().unwrap_or(&default_days()),
            )?),
            (None, Some(days), Some(mut hours)) => {
                hours.days = parse_days(days)?;
                Some(hours)
            }
            (None, Some(_), None) => {
                bail!("--days: this resource has no opening hours; give --open HH:MM-HH:MM too")
            }
            (None, None, hours) => hours,
        };
        Ok(out)
    }
}

impl ResourceArgs {
    /// Builds the resource, naming the field at fault on bad input.
    pub(crate) fn build(&self, owner: AgencyId) -> anyhow::Result<Resource> {
        let id = ResourceId::new(owner, &self.id).map_err(|e| anyhow::anyhow!("--id: {e}"))?;
        let capacity = match (self.people, self.units) {
            (Some(n), None) if n > 0 => Capacity::People(n),
            (None, Some(n)) if n > 0 => Capacity::Units(n),
            _ => bail!("give exactly one of --people N or --units N (N ≥ 1)"),
        };
        check_tz(&self.tz)?;
        let opening = match (&self.open, &self.days) {
            (None, None) => None,
            // (The command line already refuses this; a file row may not.)
            (None, Some(_)) => bail!("--days: give opening hours with --open HH:MM-HH:MM too"),
            (Some(s), days) => Some(parse_opening(
                s,
                days.as_deref().unwrap_or(&default_days()),
            )?),
        };
        let mut attributes = parse_attrs(&self.attr)?;
        fleet_attrs(
            &mut attributes,
            self.class.as_deref(),
            self.energy.as_deref(),
            self.odometer,
        )?;
        {
            use crdt_model::asset::attr;
            let tags = self.tags.as_deref().map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(",")
            });
            for (k, v) in [
                (attr::TAGS, tags),
                (attr::CATEGORY, self.category.clone()),
                (attr::YEAR, self.year.map(|y| y.to_string())),
                (attr::VALUE, self.value.map(|v| v.to_string())),
            ] {
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    attributes.insert(k.into(), v);
                }
            }
        }
        Ok(Resource {
            id,
            kind: parse_kind(&self.kind),
            name: Text::new(&self.name, &self.name_en),
            location: Location {
                city: Text::new(&self.city, &self.city_en),
                site: self.site.clone(),
                building: self.building.clone(),
                floor: self.floor.clone(),
            },
            capacity,
            features: self.feature.iter().cloned().collect(),
            attributes,
            sharing: parse_sharing(&self.share)?,
            rules: BookingRules {
                approval: parse_approval(&self.approval)?,
                min_minutes: self.min_minutes,
                max_minutes: self.max_minutes,
                max_advance_days: self.advance_days,
                buffer_minutes: self.buffer_minutes,
                opening,
                blackouts: Vec::new(),
                time_zone: self.tz.clone(),
                max_conflicts: self.max_conflicts,
                max_conflict_percent: self.max_conflict_percent,
                quotas: Vec::new(),
                checkin_minutes: self.checkin_minutes,
            },
            retired: false,
            held_by: None,
        })
    }
}

/// `--class`, `--energy`, `--odometer` as the vehicle attributes they are,
/// checked (a class nobody could dispatch against is refused here).
fn fleet_attrs(
    attrs: &mut std::collections::BTreeMap<String, String>,
    class: Option<&str>,
    energy: Option<&str>,
    odometer: Option<u32>,
) -> anyhow::Result<()> {
    use crdt_model::fleet::{Energy, VehicleClass, attr};
    if let Some(c) = class {
        let c: VehicleClass = c.parse().map_err(|e| anyhow::anyhow!("--class: {e}"))?;
        attrs.insert(attr::CLASS.into(), c.to_string());
    }
    if let Some(e) = energy {
        e.parse::<Energy>()
            .map_err(|e| anyhow::anyhow!("--energy: {e}"))?;
        attrs.insert(attr::ENERGY.into(), e.trim().to_lowercase());
    }
    if let Some(km) = odometer {
        attrs.insert(attr::ODOMETER.into(), km.to_string());
    }
    Ok(())
}

/// A kind by its code (`meeting_room`) or any other name.
fn parse_kind(s: &str) -> ResourceKind {
    s.parse().unwrap_or(ResourceKind::Other(s.to_string()))
}

/// `--approval`: `auto` or `required`.
fn parse_approval(s: &str) -> anyhow::Result<Approval> {
    match s {
        "auto" | "automatic" => Ok(Approval::Automatic),
        "required" | "manual" => Ok(Approval::Required),
        other => bail!("--approval: expected auto or required, got {other:?}"),
    }
}

/// `--tz`: a zone of the tz database.
fn check_tz(tz: &str) -> anyhow::Result<()> {
    TimeZone::get(tz).map_err(|_| anyhow::anyhow!("--tz: unknown time zone {tz:?}"))?;
    Ok(())
}

/// `--open HH:MM-HH:MM` on `--days`.
fn parse_opening(open: &str, days: &str) -> anyhow::Result<OpeningHours> {
    let (a, b) = open
        .split_once('-')
        .ok_or_else(|| anyhow::anyhow!("--open: expected HH:MM-HH:MM"))?;
    let open: Time = a
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--open: bad time {a:?}"))?;
    let close: Time = b
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--open: bad time {b:?}"))?;
    if close <= open {
        bail!("--open: closing time must be after opening time");
    }
    Ok(OpeningHours {
        days: parse_days(days)?,
        open,
        close,
    })
}

/// `--share`: `all`, `owner`, or a comma-separated list of agency ids.
fn parse_sharing(s: &str) -> anyhow::Result<Sharing> {
    Ok(match s {
        "all" => Sharing::AllMembers,
        "owner" => Sharing::OwnerOnly,
        list => Sharing::Agencies(
            list.split(',')
                .map(|s| {
                    s.trim()
                        .parse::<AgencyId>()
                        .map_err(|e| anyhow::anyhow!("--share: {e}"))
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// `--attr key=value`, repeated.
fn parse_attrs(attrs: &[String]) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    attrs
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| anyhow::anyhow!("--attr: expected key=value, got {kv:?}"))
        })
        .collect()
}

/// Rows of a resource file, each with its row number (the line in a CSV
/// file, the `[[resource]]` table's position in a TOML file) and either the
/// arguments or why the row is unreadable.
type Rows = Vec<(usize, anyhow::Result<ResourceArgs>)>;

/// Reads a `.csv` file (header = the `resource add` option names, e.g.
/// `id,name,name_en,city,people,feature`; several features or attributes
/// in one cell separated by `;`) or a TOML file of `[[resource]]` tables.
fn read_resource_rows(file: &std::path::Path) -> anyhow::Result<Rows> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let is_csv = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let rows = crate::import::rows(&text, is_csv)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    Ok(rows
        .into_iter()
        .map(|(line, row)| {
            let args = row
                .and_then(|v| serde_json::from_value::<ResourceArgs>(v).map_err(|e| e.to_string()));
            (line, args.map_err(|e| anyhow::anyhow!("{e}")))
        })
        .collect())
}

/// One of this agency's resources, by `OWNER/LOCAL` or `LOCAL` id.
pub(crate) async fn own_resource(c: &Client, me: AgencyId, id: &str) -> anyhow::Result<Resource> {
    let rid: ResourceId = if id.contains('/') {
        id.parse()
            .map_err(|e| anyhow::anyhow!("resource id: {e}"))?
    } else {
        ResourceId::new(me, id).map_err(|e| anyhow::anyhow!("resource id: {e}"))?
    };
    let r = c
        .resources(&ResourceFilter::default())
        .await?
        .into_iter()
        .find(|r| r.id == rid)
        .ok_or_else(|| anyhow::anyhow!("unknown resource {rid}"))?;
    if r.owner() != me {
        bail!("{rid} belongs to another agency: only its owner may change it");
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use crdt_model::resource::{Approval, Capacity};
    use crdt_model::sim::test_resource;

    use crate::cli::{Cli, Cmd, ResourceCmd};

    fn edit(args: &[&str]) -> Box<crate::cli::EditArgs> {
        let mut all = vec!["tongchou", "resource", "edit", "room"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).expect("valid command line").cmd {
            Cmd::Resource(ResourceCmd::Edit(e)) => e,
            other => panic!("not an edit: {other:?}"),
        }
    }

    #[test]
    fn an_edit_changes_only_the_fields_given() {
        let owner = crdt_model::sim::test_key(0).id();
        let r = test_resource(owner, "room", Capacity::People(8), Approval::Required);
        let out = edit(&["--people", "16", "--name-en", "Big room"])
            .apply(&r)
            .expect("valid edit");
        assert_eq!(out.capacity, Capacity::People(16));
        assert_eq!(out.name.en, "Big room");
        assert_eq!(out.name.zh, r.name.zh, "untouched");
        assert_eq!(out.rules, r.rules, "untouched");
        assert_eq!(out.location, r.location, "untouched");

        let open = edit(&["--open", "08:30-18:00"]).apply(&r).expect("valid");
        let hours = open.rules.opening.clone().expect("opening hours");
        assert_eq!(
            hours.days.len(),
            7,
            "every day unless --days says otherwise"
        );
        let days = edit(&["--days", "1-3"]).apply(&open).expect("valid");
        let new_hours = days.rules.opening.expect("still open");
        assert_eq!(new_hours.days.len(), 3);
        assert_eq!((new_hours.open, new_hours.close), (hours.open, hours.close));
        let always = edit(&["--open", "always"]).apply(&open).expect("valid");
        assert!(always.rules.opening.is_none());
    }

    #[test]
    fn a_bad_edit_names_its_option() {
        let owner = crdt_model::sim::test_key(0).id();
        let r = test_resource(owner, "room", Capacity::People(8), Approval::Required);
        for (args, option) in [
            (&["--days", "1-3"][..], "--days"),
            (&["--open", "18:00-08:00"][..], "--open"),
            (&["--tz", "Mars/Olympus"][..], "--tz"),
            (&["--approval", "maybe"][..], "--approval"),
            (&["--attr", "novalue"][..], "--attr"),
            (&["--people", "0"][..], "--people"),
        ] {
            let e = edit(args).apply(&r).expect_err("refused");
            assert!(e.to_string().contains(option), "{args:?}: {e}");
        }
    }

    #[test]
    fn open_days_without_opening_hours_are_refused_when_adding() {
        // On the command line, clap refuses --days without --open.
        let add = [
            "tongchou", "resource", "add", "--id", "r", "--name", "n", "--city", "c",
        ];
        let mut args = add.to_vec();
        args.extend(["--people", "2", "--days", "1-5"]);
        assert!(Cli::try_parse_from(&args).is_err());
        args.extend(["--open", "08:00-18:00"]);
        assert!(Cli::try_parse_from(&args).is_ok());
        // A file row is refused with the option named.
        let row: crate::cli::ResourceArgs =
            toml::from_str("id = 'r'\nname = 'n'\ncity = 'c'\npeople = 2\ndays = '1-5'\n")
                .expect("a row");
        let owner = crdt_model::sim::test_key(0).id();
        let e = row.build(owner).expect_err("days without hours");
        assert!(e.to_string().contains("--days"), "{e}");
    }
}
