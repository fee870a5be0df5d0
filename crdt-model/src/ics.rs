//! RFC 5545 iCalendar export of confirmed and tentative bookings, as the
//! [`IcsQuery`] a node answers: every text from another agency escaped and
//! stripped of control characters.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::booking::Status;
use crate::engine::Engine;
use crate::ids::{AgencyId, ResourceId};
use crate::query::{Query, QueryError};

/// An iCalendar feed: one resource, or one agency's resources (owned or
/// booked), or all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcsQuery {
    /// One resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceId>,
    /// One owner's resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<AgencyId>,
}

impl Query for IcsQuery {
    type Answer = Result<String, QueryError>;
    fn answer(&self, engine: &Engine, _now: Timestamp) -> Self::Answer {
        match &self.resource {
            Some(r) => render(engine, Some(r), self.agency.as_ref())
                .ok_or_else(|| QueryError::UnknownResource(r.clone())),
            None => Ok(render(engine, None, self.agency.as_ref()).unwrap_or_default()),
        }
    }
}

fn stamp(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values (RFC 5545 §3.3.11). Line breaks become `\n`; any
/// other control character (forbidden in TEXT, and able to end a property
/// or forge one) becomes U+FFFD, whatever a record holds.
fn esc(s: &str) -> String {
    let s = s
        .replace("\r\n", "\n")
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n");
    crate::record::sanitize(&s).into_owned()
}

/// Folds lines longer than 75 octets (RFC 5545 §3.1), on character boundaries.
fn fold(line: &str, out: &mut String) {
    let mut len = 0;
    for ch in line.chars() {
        if len + ch.len_utf8() > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(ch);
        len += ch.len_utf8();
    }
    out.push_str("\r\n");
}

/// One VEVENT: a booking on its own, or (with `rule`) the master of a
/// series, or (with `recurrence`) one occurrence that differs from it.
#[derive(Default)]
struct Extra {
    rule: Option<String>,
    exdates: Vec<Timestamp>,
    recurrence: Option<Timestamp>,
}

fn event(
    idx: &crate::ledger::Index,
    b: &crate::calendar::Booking,
    extra: Option<Extra>,
    lines: &mut Vec<String>,
) {
    let extra = extra.unwrap_or_default();
    let name = idx
        .resources
        .get(&b.resource)
        .map(|r| r.name.zh.clone())
        .unwrap_or_else(|| b.resource.local.to_string());
    let request = idx.requests.get(&b.id);
    let purpose = request.map(|r| r.purpose.clone()).unwrap_or_default();
    // A series is one calendar object: its UID is the first occurrence's.
    let uid = request
        .and_then(|r| r.series.as_ref())
        .map_or(&b.id, |s| &s.first);
    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{uid}@tongchou"));
    lines.push(format!(
        "DTSTAMP:{}",
        stamp(
            request
                .and_then(|r| Timestamp::from_millisecond(r.hlc.wall_ms).ok())
                .unwrap_or(b.terms.start)
        )
    ));
    if let Some(r) = extra.recurrence {
        lines.push(format!("RECURRENCE-ID:{}", stamp(r)));
    }
    lines.push(format!("DTSTART:{}", stamp(b.terms.start)));
    lines.push(format!("DTEND:{}", stamp(b.terms.end)));
    if let Some(rule) = &extra.rule {
        lines.push(format!("RRULE:{}", esc_rule(rule)));
    }
    if !extra.exdates.is_empty() {
        let d: Vec<String> = extra.exdates.iter().map(|t| stamp(*t)).collect();
        lines.push(format!("EXDATE:{}", d.join(",")));
    }
    lines.push(format!(
        "SUMMARY:{}",
        esc(format!("{name} {purpose}").trim())
    ));
    lines.push(format!("LOCATION:{}", esc(&name)));
    lines.push(format!(
        "STATUS:{}",
        if b.status == Status::Confirmed {
            "CONFIRMED"
        } else {
            "TENTATIVE"
        }
    ));
    lines.push("END:VEVENT".into());
}

/// A rule as stored (checked text of another agency): only what an RRULE
/// value may hold survives.
fn esc_rule(rule: &str) -> String {
    rule.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | ';' | ',' | '-' | '+'))
        .collect()
}

/// A series as one master VEVENT at its first occurrence, with its RRULE
/// (expanded in UTC from the first start, as the occurrences were in the
/// resource's zone: the same instants unless the zone changes its offset
/// between them) and an EXDATE for every occurrence not shown (rejected,
/// cancelled, void); an occurrence whose status differs from the master's
/// is overridden by a VEVENT with its RECURRENCE-ID.
fn series_events(
    idx: &crate::ledger::Index,
    cal: &crate::calendar::ResourceCalendar,
    first: &crate::ids::BookingId,
    rule: &str,
    lines: &mut Vec<String>,
) {
    let all = crate::policy::occurrences(idx, cal, first);
    let shown = |b: &crate::calendar::Booking| {
        matches!(b.status, Status::Confirmed | Status::Tentative { .. })
    };
    let (Some(head), Some(model)) = (all.first(), all.iter().find(|b| shown(b))) else {
        return;
    };
    let confirmed = model.status == Status::Confirmed;
    let exdates = all
        .iter()
        .filter(|b| !shown(b))
        .map(|b| b.terms.start)
        .collect();
    // The master carries the first occurrence's times and the status of the
    // first occurrence shown; the others that differ override it.
    let mut master = (*head).clone();
    master.status = model.status.clone();
    event(
        idx,
        &master,
        Some(Extra {
            rule: Some(rule.to_string()),
            exdates,
            recurrence: None,
        }),
        lines,
    );
    for b in all.iter().filter(|b| shown(b)) {
        if (b.status == Status::Confirmed) != confirmed {
            event(
                idx,
                b,
                Some(Extra {
                    recurrence: Some(b.terms.start),
                    ..Extra::default()
                }),
                lines,
            );
        }
    }
}

/// The calendar of one resource, or of every resource an agency owns or
/// booked (`None` if the resource is unknown).
pub fn render(
    engine: &Engine,
    resource: Option<&ResourceId>,
    agency: Option<&AgencyId>,
) -> Option<String> {
    let idx = engine.ledger().index();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Tongchou//统筹//ZH".into(),
        "CALSCALE:GREGORIAN".into(),
    ];
    let one;
    let cals: Vec<&crate::calendar::ResourceCalendar> = match resource {
        Some(r) => {
            one = engine.calendar_owned(r)?;
            vec![&*one]
        }
        None => engine.calendars().values().collect(),
    };
    for cal in cals {
        let mut series_done = std::collections::BTreeSet::new();
        for b in cal.confirmed.iter().chain(&cal.tentative) {
            if let Some(a) = agency
                && b.resource.owner != *a
                && b.id.requester != *a
            {
                continue;
            }
            let series = idx.requests.get(&b.id).and_then(|r| r.series.as_ref());
            match series {
                None => event(idx, b, None, &mut lines),
                Some(s) => {
                    if series_done.insert(s.first.clone()) {
                        series_events(idx, cal, &s.first, &s.rule, &mut lines);
                    }
                }
            }
        }
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in lines {
        fold(&l, &mut out);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_respects_utf8_and_line_length() {
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "会议室".repeat(20)), &mut out);
        for l in out.split("\r\n") {
            assert!(l.len() <= 75);
        }
        assert_eq!(esc("a,b;c"), "a\\,b\\;c");
        // No bare CR or other control character survives (RFC 5545 §3.1).
        let e = esc("x\rDTSTART:19700101T000000Z\r\nATTENDEE\u{7}:y\u{1b}[2J");
        assert!(!e.chars().any(char::is_control), "{e:?}");
        assert_eq!(
            e,
            "x\u{FFFD}DTSTART:19700101T000000Z\\nATTENDEE\u{FFFD}:y\u{FFFD}[2J"
        );
    }
}
