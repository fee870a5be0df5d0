//! Output: the chosen language, `--json`, a table printer that keeps other
//! agencies' text from acting on the terminal, and booking printers.

use crdt_model::agency::Text;
use crdt_model::booking::Status as BStatus;
use crdt_model::calendar::Booking;
use crdt_model::ids::ResourceId;
use crdt_model::record::sanitize;
use crdt_model::resource::{DEFAULT_TZ, Resource};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use unicode_width::UnicodeWidthStr;

pub(crate) struct Out {
    pub(crate) json: bool,
    pub(crate) zh: bool,
}

impl Out {
    pub(crate) fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh { zh } else { en }
    }
    /// A bilingual text in the chosen language, safe to print (see
    /// [`crdt_model::record::sanitize`]).
    pub(crate) fn text<'a>(&self, t: &'a Text) -> std::borrow::Cow<'a, str> {
        crdt_model::record::sanitize(t.get(if self.zh { "zh" } else { "en" }))
    }
    pub(crate) fn json<T: serde::Serialize>(&self, v: &T) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(v)?);
        Ok(())
    }
}

/// Pads to a display width (Chinese characters take two cells).
pub(crate) fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    if w >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - w))
    }
}

pub(crate) fn table(rows: &[Vec<String>]) {
    // Cells may hold other agencies' text: nothing in it acts on the terminal.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|s| crdt_model::record::sanitize(s).into_owned())
                .collect()
        })
        .collect();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| UnicodeWidthStr::width(s.as_str()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, s)| pad(s, widths[i]))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

/// `t` as a local time in `tz`, `YYYY-MM-DD HH:MM`.
pub(crate) fn local(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Each resource's own time zone, to show its times in (a resource this
/// node does not know shows in the product's default zone).
#[derive(Debug, Default)]
pub(crate) struct Zones(std::collections::BTreeMap<ResourceId, TimeZone>);

impl Zones {
    /// The zones of `resources`.
    pub(crate) fn of(resources: &[Resource]) -> Self {
        Zones(resources.iter().map(|r| (r.id.clone(), r.tz())).collect())
    }

    /// The zone of resource `r`.
    pub(crate) fn get(&self, r: &ResourceId) -> TimeZone {
        self.0
            .get(r)
            .cloned()
            .unwrap_or_else(|| TimeZone::get(DEFAULT_TZ).unwrap_or(TimeZone::UTC))
    }
}

pub(crate) fn status_text(out: &Out, s: &BStatus) -> String {
    match s {
        BStatus::Rejected { reason, .. } => {
            format!("{}: {}", out.text(&s.text()), out.text(reason))
        }
        BStatus::Released { why } => out.text(&why.text()).to_string(),
        _ => out.text(&s.text()).to_string(),
    }
}

/// A booking, its times in its resource's zone (alternatives in theirs).
pub(crate) fn print_booking(out: &Out, b: &Booking, zones: &Zones) {
    let tz = zones.get(&b.resource);
    println!("{} {}", out.t("预约", "booking"), b.id);
    println!("  {}: {}", out.t("资源", "resource"), b.resource);
    println!(
        "  {}: {} → {}",
        out.t("时间", "time"),
        local(b.terms.start, &tz),
        local(b.terms.end, &tz)
    );
    println!(
        "  {}: {}",
        out.t("状态", "status"),
        status_text(out, &b.status)
    );
    if b.checked_in.is_some() {
        println!("  {}", out.t("已签到", "checked in"));
    }
    if let Some(by) = b.request.as_ref().and_then(|r| r.by.as_deref()) {
        println!("  {}: {}", out.t("申请人", "requested by"), sanitize(by));
    }
    if let Some(by) = &b.decided_by {
        println!("  {}: {}", out.t("审批人", "decided by"), sanitize(by));
    }
    let offered = match &b.status {
        BStatus::Rejected { alternatives, .. }
        | BStatus::Released {
            why: crdt_model::booking::ReleaseWhy::Withdrawn { alternatives, .. },
        } => alternatives.as_slice(),
        _ => &[],
    };
    {
        for a in offered {
            println!(
                "  {}: {} {} → {}",
                out.t("备选", "alternative"),
                a.resource,
                local(a.start, &zones.get(&a.resource)),
                local(a.end, &zones.get(&a.resource))
            );
        }
    }
}
