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
    let cals: Vec<_> = match resource {
        Some(r) => vec![engine.calendar(r)?],
        None => engine.calendars().values().collect(),
    };
    for cal in cals {
        for b in cal.confirmed.iter().chain(&cal.tentative) {
            if let Some(a) = agency
                && b.resource.owner != *a
                && b.id.requester != *a
            {
                continue;
            }
            let name = idx
                .resources
                .get(&b.resource)
                .map(|r| r.name.zh.clone())
                .unwrap_or_else(|| b.resource.local.to_string());
            let request = idx.requests.get(&b.id);
            let purpose = request.map(|r| r.purpose.clone()).unwrap_or_default();
            lines.push("BEGIN:VEVENT".into());
            lines.push(format!("UID:{}@tongchou", b.id));
            lines.push(format!(
                "DTSTAMP:{}",
                stamp(
                    request
                        .and_then(|r| Timestamp::from_millisecond(r.hlc.wall_ms).ok())
                        .unwrap_or(b.terms.start)
                )
            ));
            lines.push(format!("DTSTART:{}", stamp(b.terms.start)));
            lines.push(format!("DTEND:{}", stamp(b.terms.end)));
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
