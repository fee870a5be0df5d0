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
    } = a;
    let mut q = ResourceFilter {
        kind,
        city,
        owner,
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
    /// The resource `r` with the given options applied (blackouts and the
    /// retired flag are kept), checked like `resource add`.
    pub(crate) fn apply(&self, r: &Resource) -> anyhow::Result<Resource> {
        let mut a = ResourceArgs::from_resource(r);
        let set = |dst: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                *dst = v.clone();
            }
        };
        set(&mut a.kind, &self.kind);
        set(&mut a.name, &self.name);
        set(&mut a.name_en, &self.name_en);
        set(&mut a.city, &self.city);
        set(&mut a.city_en, &self.city_en);
        set(&mut a.site, &self.site);
        set(&mut a.building, &self.building);
        set(&mut a.floor, &self.floor);
        set(&mut a.approval, &self.approval);
        set(&mut a.days, &self.days);
        set(&mut a.tz, &self.tz);
        set(&mut a.share, &self.share);
        if self.people.is_some() {
            (a.people, a.units) = (self.people, None);
        }
        if self.units.is_some() {
            (a.people, a.units) = (None, self.units);
        }
        if !self.feature.is_empty() {
            a.feature = self.feature.clone();
        }
        if !self.attr.is_empty() {
            a.attr = self.attr.clone();
        }
        for (dst, v) in [
            (&mut a.min_minutes, self.min_minutes),
            (&mut a.max_minutes, self.max_minutes),
            (&mut a.advance_days, self.advance_days),
            (&mut a.buffer_minutes, self.buffer_minutes),
        ] {
            if let Some(v) = v {
                *dst = v;
            }
        }
        match self.open.as_deref() {
            Some("always" | "none" | "") => a.open = None,
            Some(o) => a.open = Some(o.to_string()),
            None => {}
        }
        let mut out = a.build(r.id.owner)?;
        out.rules.blackouts = r.rules.blackouts.clone();
        out.retired = r.retired;
        Ok(out)
    }
}

impl ResourceArgs {
    /// The arguments that would build `r` (blackouts aside).
    pub(crate) fn from_resource(r: &Resource) -> Self {
        let (people, units) = match r.capacity {
            Capacity::People(n) => (Some(n), None),
            Capacity::Units(n) => (None, Some(n)),
        };
        let (open, days) = match &r.rules.opening {
            Some(o) => (
                Some(format!(
                    "{}-{}",
                    o.open.strftime("%H:%M"),
                    o.close.strftime("%H:%M")
                )),
                o.days
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            None => (None, default_days()),
        };
        Self {
            id: r.id.local.to_string(),
            kind: r.kind.to_string(),
            name: r.name.zh.clone(),
            name_en: r.name.en.clone(),
            city: r.location.city.zh.clone(),
            city_en: r.location.city.en.clone(),
            site: r.location.site.clone(),
            building: r.location.building.clone(),
            floor: r.location.floor.clone(),
            people,
            units,
            feature: r.features.iter().cloned().collect(),
            attr: r
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            approval: match r.rules.approval {
                Approval::Automatic => "auto".into(),
                Approval::Required => "required".into(),
            },
            min_minutes: r.rules.min_minutes,
            max_minutes: r.rules.max_minutes,
            advance_days: r.rules.max_advance_days,
            buffer_minutes: r.rules.buffer_minutes,
            open,
            days,
            tz: r.rules.time_zone.clone(),
            share: match &r.sharing {
                Sharing::AllMembers => "all".into(),
                Sharing::OwnerOnly => "owner".into(),
                Sharing::Agencies(list) => list
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            },
        }
    }

    /// Builds the resource, naming the field at fault on bad input.
    pub(crate) fn build(&self, owner: AgencyId) -> anyhow::Result<Resource> {
        let id = ResourceId::new(owner, &self.id).map_err(|e| anyhow::anyhow!("--id: {e}"))?;
        let capacity = match (self.people, self.units) {
            (Some(n), None) if n > 0 => Capacity::People(n),
            (None, Some(n)) if n > 0 => Capacity::Units(n),
            _ => bail!("give exactly one of --people N or --units N (N ≥ 1)"),
        };
        let approval = match self.approval.as_str() {
            "auto" | "automatic" => Approval::Automatic,
            "required" | "manual" => Approval::Required,
            other => bail!("--approval: expected auto or required, got {other:?}"),
        };
        TimeZone::get(&self.tz)
            .map_err(|_| anyhow::anyhow!("--tz: unknown time zone {:?}", self.tz))?;
        let opening = match &self.open {
            None => None,
            Some(s) => {
                let (a, b) = s
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
                Some(OpeningHours {
                    days: parse_days(&self.days)?,
                    open,
                    close,
                })
            }
        };
        let sharing = match self.share.as_str() {
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
        };
        let attributes = self
            .attr
            .iter()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .ok_or_else(|| anyhow::anyhow!("--attr: expected key=value, got {kv:?}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Resource {
            id,
            kind: self
                .kind
                .parse()
                .unwrap_or(ResourceKind::Other(self.kind.clone())),
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
            sharing,
            rules: BookingRules {
                approval,
                min_minutes: self.min_minutes,
                max_minutes: self.max_minutes,
                max_advance_days: self.advance_days,
                buffer_minutes: self.buffer_minutes,
                opening,
                blackouts: Vec::new(),
                time_zone: self.tz.clone(),
            },
            retired: false,
        })
    }
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
    if !is_csv {
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        let list = match table.get("resource") {
            Some(toml::Value::Array(list)) => list.clone(),
            _ => bail!("{}: expected [[resource]] tables", file.display()),
        };
        return Ok(list
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let a = v
                    .try_into::<ResourceArgs>()
                    .map_err(|e| anyhow::anyhow!("{}", e.message()));
                (i + 1, a)
            })
            .collect());
    }
    const NUMBERS: [&str; 6] = [
        "people",
        "units",
        "min_minutes",
        "max_minutes",
        "advance_days",
        "buffer_minutes",
    ];
    const LISTS: [&str; 2] = ["feature", "attr"];
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: reading the header row", file.display()))?
        .iter()
        .map(|h| h.trim().trim_start_matches("--").replace('-', "_"))
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let row = rec.map_err(anyhow::Error::from).and_then(|rec| {
            let mut map = serde_json::Map::new();
            for (h, v) in header.iter().zip(rec.iter()) {
                if v.is_empty() {
                    continue;
                }
                let value = if NUMBERS.contains(&h.as_str()) {
                    let n: u32 = v
                        .parse()
                        .map_err(|_| anyhow::anyhow!("column {h}: expected a number, got {v:?}"))?;
                    serde_json::Value::from(n)
                } else if LISTS.contains(&h.as_str()) {
                    v.split(';')
                        .map(|x| serde_json::Value::from(x.trim()))
                        .collect()
                } else {
                    serde_json::Value::from(v)
                };
                map.insert(h.clone(), value);
            }
            serde_json::from_value::<ResourceArgs>(serde_json::Value::Object(map))
                .map_err(|e| anyhow::anyhow!("{e}"))
        });
        rows.push((line, row));
    }
    Ok(rows)
}

/// One of this agency's resources, by `OWNER/LOCAL` or `LOCAL` id.
async fn own_resource(c: &Client, me: AgencyId, id: &str) -> anyhow::Result<Resource> {
    let rid: ResourceId = if id.contains('/') {
        id.parse()
            .map_err(|e| anyhow::anyhow!("resource id: {e}"))?
    } else {
        ResourceId::new(me, id).map_err(|e| anyhow::anyhow!("resource id: {e}"))?
    };
    if rid.owner != me {
        bail!("{rid} belongs to another agency: only its owner may change it");
    }
    let list = c
        .resources(&ResourceFilter {
            owner: Some(me),
            ..Default::default()
        })
        .await?;
    list.into_iter()
        .find(|r| r.id == rid)
        .ok_or_else(|| anyhow::anyhow!("unknown resource {rid}"))
}
