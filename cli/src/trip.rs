//! Official vehicle trips from the command line: `trip request | dispatch |
//! reject | start | finish | cancel` and `trips`.

use anyhow::{Context, bail};
use api::*;
use crdt_model::agency::Text;
use crdt_model::engine::{TripCommand, TripDraft};
use crdt_model::ids::{AgencyId, ResourceId};
use crdt_model::trip::{Trip, TripFilter};

use crate::cli::*;
use crate::out::*;
use crate::parse::*;

/// `tongchou trip …`.
pub(crate) async fn trip(c: &Client, out: &Out, cmd: TripCmd) -> anyhow::Result<()> {
    let me = c.status().await?.agency;
    let step = |trip, command| TripStep { trip, command };
    let t = match cmd {
        TripCmd::Charge { trip, duration } => return charge(c, out, trip, &duration).await,
        TripCmd::Request(a) => request(c, out, *a).await?,
        TripCmd::Dispatch {
            trip,
            vehicle,
            driver,
        } => {
            let command = TripCommand::Dispatch {
                vehicle: ours(me, &vehicle)?,
                driver: ours(me, &driver)?,
            };
            c.trip_step(&step(trip, command)).await?
        }
        TripCmd::Reject { trip, reason } => {
            let reason = Text::new(reason.clone(), reason);
            c.trip_step(&step(trip, TripCommand::Reject { reason }))
                .await?
        }
        TripCmd::Start { trip, odometer } => {
            let t = c
                .trip_step(&step(
                    trip,
                    TripCommand::Start {
                        odometer_km: odometer,
                    },
                ))
                .await?;
            warn_odometer(c, out, &t, odometer).await;
            t
        }
        TripCmd::Finish {
            trip,
            odometer,
            fuel_l,
            charge_kwh,
            note,
        } => {
            let milli = |x: Option<f64>, what: &str| -> anyhow::Result<Option<u32>> {
                match x {
                    None => Ok(None),
                    Some(v) if v.is_finite() && (0.0..=100_000.0).contains(&v) => {
                        Ok(Some((v * 1000.0).round() as u32))
                    }
                    Some(v) => bail!("{what}: {v} is not a quantity"),
                }
            };
            let command = TripCommand::Finish {
                odometer_km: odometer,
                fuel_ml: milli(fuel_l, "--fuel-l")?,
                charge_wh: milli(charge_kwh, "--charge-kwh")?,
                note,
            };
            c.trip_step(&step(trip, command)).await?
        }
        TripCmd::Cancel { trip, reason } => {
            c.cancel_trip(&CancelRequest {
                booking: trip,
                reason,
            })
            .await?
        }
    };
    if out.json {
        return out.json(&t);
    }
    let names = Names::fetch(c).await?;
    print_trip(out, &names, &t);
    Ok(())
}

/// A trip request: the owner by id or name, the vehicle by any name.
async fn request(c: &Client, out: &Out, a: TripRequestArgs) -> anyhow::Result<Trip> {
    let owner = agency(c, out, &a.owner).await?;
    let vehicle = match &a.vehicle {
        Some(v) => Some(crate::pick::resource(c, out, v).await?.id),
        None => None,
    };
    let class = match &a.class {
        Some(cl) => Some(cl.parse().map_err(|e| anyhow::anyhow!("--class: {e}"))?),
        None => None,
    };
    if class.is_none() && vehicle.is_none() {
        bail!(
            "{}",
            out.t(
                "--class 或 --vehicle：请说明要哪类车或哪辆车",
                "--class or --vehicle: say which kind of vehicle, or which one"
            )
        );
    }
    let draft = TripDraft {
        owner,
        class,
        vehicle,
        start: parse_time("--from", &a.from)?,
        end: parse_time("--to", &a.to)?,
        passengers: a.passengers,
        destination: a.destination,
        purpose: a.purpose,
        contact: a.contact,
    };
    Ok(c.request_trip(&draft).await?)
}

/// `trip charge`: the first of the fleet owner's EV chargers free from the
/// trip's return, booked for `duration`.
async fn charge(
    c: &Client,
    out: &Out,
    trip: crdt_model::ids::BookingId,
    duration: &str,
) -> anyhow::Result<()> {
    let minutes = parse_minutes("--for", duration)?;
    let t = c
        .trips(&TripFilter {
            id: Some(trip.clone()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .next()
        .with_context(|| format!("{} {trip}", out.t("没有这个行程", "no such trip")))?;
    let Some(vehicle) = &t.vehicle else {
        bail!(
            "{}",
            out.t(
                "行程尚未派车：派车后才知道是哪辆车",
                "the trip is not dispatched yet: which vehicle is not known"
            )
        );
    };
    let resources = c.resources(&ResourceFilter::default()).await?;
    let v = resources
        .iter()
        .find(|r| &r.id == vehicle)
        .with_context(|| format!("{vehicle}"))?;
    if v.energy() != Some(crdt_model::fleet::Energy::Ev) {
        bail!(
            "{} {}",
            out.text(&v.name),
            out.t("不是新能源车，不需要充电桩", "is not an electric vehicle")
        );
    }
    let start = t.request.end;
    let end = start + jiff::SignedDuration::from_mins(i64::from(minutes));
    let free = c
        .resources(&ResourceFilter {
            kind: Some("ev-charger".into()),
            owner: Some(t.request.owner),
            free_from: Some(start),
            free_to: Some(end),
            ..Default::default()
        })
        .await?;
    let Some(charger) = free.first() else {
        bail!(
            "{}",
            out.t(
                "车队所属单位在收车后没有空闲的充电桩",
                "no charger of the fleet's owner is free after the return"
            )
        );
    };
    let plate = v
        .attributes
        .get(crdt_model::fleet::attr::PLATE)
        .cloned()
        .unwrap_or_default();
    let b = c
        .book(&BookRequest {
            wait_list: false,
            resource: charger.id.clone(),
            start,
            end,
            quantity: 1,
            contact: String::new(),
            purpose: format!("{} {plate}", out.t("充电", "charging")),
        })
        .await?;
    if out.json {
        return out.json(&b);
    }
    let zones = crate::booking::zones(c).await?;
    print_booking(out, &b, &zones);
    Ok(())
}

/// An agency named by its id, a unique prefix of it, or its name.
pub(crate) async fn agency(c: &Client, out: &Out, arg: &str) -> anyhow::Result<AgencyId> {
    if let Ok(id) = arg.parse::<AgencyId>() {
        return Ok(id);
    }
    let members = c.members().await?;
    let found: Vec<&MemberEntry> = members
        .iter()
        .filter(|m| {
            let n = &m.member.profile.name;
            n.zh == arg || n.en.eq_ignore_ascii_case(arg) || m.agency.to_string().starts_with(arg)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.agency),
        [] => bail!(
            "{} {arg:?} {}",
            out.t("没有成员", "no member"),
            out.t("（见 `tongchou members`）", "(see `tongchou members`)")
        ),
        _ => bail!(
            "{arg:?} {}",
            out.t(
                "对应多个成员，请用单位标识",
                "names several members; give the agency id"
            )
        ),
    }
}

/// A vehicle or driver of this agency: `car-01` or `OWNER/car-01`.
fn ours(me: AgencyId, arg: &str) -> anyhow::Result<ResourceId> {
    if arg.contains('/') {
        arg.parse().with_context(|| format!("{arg:?}"))
    } else {
        ResourceId::new(me, arg).with_context(|| format!("{arg:?}"))
    }
}

/// Warns when a departure's reading differs from the vehicle's last return.
async fn warn_odometer(c: &Client, out: &Out, t: &Trip, odometer: u32) {
    let Some(vehicle) = &t.vehicle else { return };
    let Ok(all) = c
        .trips(&TripFilter {
            vehicle: Some(vehicle.clone()),
            ..Default::default()
        })
        .await
    else {
        return;
    };
    let last = all
        .iter()
        .filter(|x| x.request.id != t.request.id && x.odometer_in.is_some())
        .max_by_key(|x| x.request.end);
    if let Some(last_in) = last.and_then(|x| x.odometer_in)
        && last_in != odometer
    {
        eprintln!(
            "{}: {odometer} km ≠ {last_in} km",
            out.t(
                "注意：出车读数与该车上次收车读数不同",
                "note: the departure reading differs from this vehicle's last return"
            )
        );
    }
}

/// Names of agencies and resources, for printing.
pub(crate) struct Names {
    members: Vec<MemberEntry>,
    resources: Vec<crdt_model::resource::Resource>,
}

impl Names {
    pub(crate) async fn fetch(c: &Client) -> anyhow::Result<Self> {
        Ok(Self {
            members: c.members().await?,
            resources: c.resources(&ResourceFilter::default()).await?,
        })
    }

    pub(crate) fn agency(&self, out: &Out, a: &AgencyId) -> String {
        self.members
            .iter()
            .find(|m| m.agency == *a)
            .map(|m| out.text(&m.member.profile.name).into_owned())
            .unwrap_or_else(|| a.short())
    }

    pub(crate) fn resource(&self, out: &Out, r: &ResourceId) -> String {
        self.resources
            .iter()
            .find(|x| x.id == *r)
            .map(|x| {
                let plate = x
                    .attributes
                    .get(crdt_model::fleet::attr::PLATE)
                    .map(|p| format!(" {p}"))
                    .unwrap_or_default();
                format!("{}{plate}", out.text(&x.name))
            })
            .unwrap_or_else(|| r.local.to_string())
    }
}

fn print_trip(out: &Out, names: &Names, t: &Trip) {
    let tz = cli_zone();
    let r = &t.request;
    println!("{} {}", out.t("行程", "trip"), r.id);
    println!(
        "  {}: {}",
        out.t("状态", "status"),
        match &t.status {
            crdt_model::trip::TripStatus::Rejected { reason } => {
                format!("{}: {}", out.text(&t.status.text()), out.text(reason))
            }
            s => out.text(&s.text()).into_owned(),
        }
    );
    println!(
        "  {}: {} → {}",
        out.t("时间", "time"),
        local(r.start, &tz),
        local(r.end, &tz)
    );
    println!(
        "  {}: {} · {} {} · {}",
        out.t("车队", "fleet"),
        names.agency(out, &r.owner),
        r.passengers,
        out.t("人", "passengers"),
        crdt_model::record::sanitize(&r.destination)
    );
    if let Some(order) = t.order {
        println!("  {}: {order}", out.t("派车单号", "dispatch order"));
    }
    if let (Some(v), Some(d)) = (&t.vehicle, &t.driver) {
        println!(
            "  {}: {} · {}",
            out.t("车辆/驾驶员", "vehicle/driver"),
            names.resource(out, v),
            names.resource(out, d)
        );
    }
    if let Some(km) = t.km() {
        println!("  {}: {km} km", out.t("行驶里程", "driven"));
    }
    if let Some(p) = &t.problem {
        println!("  {}: {p}", out.t("问题", "problem"));
    }
}

/// `tongchou trips`.
pub(crate) async fn trips(c: &Client, out: &Out, a: TripsArgs) -> anyhow::Result<()> {
    let me = c.status().await?.agency;
    let pick = |x: &Option<String>| -> anyhow::Result<Option<ResourceId>> {
        x.as_deref().map(|v| ours(me, v)).transpose()
    };
    let filter = TripFilter {
        pending: a.pending,
        mine: a.mine,
        vehicle: pick(&a.vehicle)?,
        driver: pick(&a.driver)?,
        from: a
            .from
            .as_deref()
            .map(|f| parse_time("--from", f))
            .transpose()?,
        to: a.to.as_deref().map(|f| parse_time("--to", f)).transpose()?,
        ..Default::default()
    };
    let list = c.trips(&filter).await?;
    if out.json {
        return out.json(&list);
    }
    let names = Names::fetch(c).await?;
    let tz = cli_zone();
    let mut rows = vec![vec![
        out.t("出发", "from").into(),
        out.t("返回", "to").into(),
        out.t("状态", "status").into(),
        out.t("申请单位", "requester").into(),
        out.t("人数", "pax").into(),
        out.t("目的地", "destination").into(),
        out.t("车辆", "vehicle").into(),
        out.t("驾驶员", "driver").into(),
        out.t("派车单", "order").into(),
        "id".into(),
    ]];
    for t in &list {
        let r = &t.request;
        rows.push(vec![
            local(r.start, &tz),
            local(r.end, &tz),
            out.text(&t.status.text()).into_owned(),
            names.agency(out, &r.id.requester),
            r.passengers.to_string(),
            r.destination.to_string(),
            t.vehicle
                .as_ref()
                .map(|v| names.resource(out, v))
                .unwrap_or_default(),
            t.driver
                .as_ref()
                .map(|d| names.resource(out, d))
                .unwrap_or_default(),
            t.order.map(|o| o.to_string()).unwrap_or_default(),
            r.id.to_string(),
        ]);
    }
    table(&rows);
    Ok(())
}
