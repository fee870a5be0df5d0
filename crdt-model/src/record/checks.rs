//! The content checks every replica applies to every record: plain text
//! (no control or reordering characters), lengths, people's names, a
//! resource's fields and rules, a request's and a decision's shape.

use super::*;

/// Refuses text that could act on a terminal or a calendar file instead of
/// being shown: control characters (C0, DEL, C1: escape sequences, carriage
/// returns that overwrite a line, line breaks that forge table rows or
/// iCalendar properties) and the bidirectional overrides and isolates that
/// reorder what a reader sees (the "Trojan Source" characters). Every
/// replica applies it to every record, so no member can publish such text.
pub fn check_plain(field: &str, text: &str) -> Result<(), RecordError> {
    match text.chars().find(|c| is_unsafe_char(*c)) {
        Some(c) => Err(RecordError::Invalid(format!(
            "{field} contains the control character U+{:04X}",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// Whether `c` is refused in record text (see [`check_plain`]).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character [`check_plain`] refuses replaced by U+FFFD:
/// what outputs (terminal tables, calendar files) print, whatever the
/// record's age or origin.
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_unsafe_char) {
        text.chars()
            .map(|c| if is_unsafe_char(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// Longest name of a person acting for an agency, in bytes.
pub const MAX_PERSON: usize = 64;

/// A person's name in a record: plain text, not empty, at most
/// [`MAX_PERSON`] bytes.
pub fn check_person(by: Option<&str>) -> Result<(), RecordError> {
    let Some(by) = by else {
        return Ok(());
    };
    if by.trim().is_empty() || by.len() > MAX_PERSON {
        return Err(RecordError::Invalid(format!(
            "a person's name has 1 to {MAX_PERSON} bytes"
        )));
    }
    check_plain("person", by)
}

pub(super) fn check_text(field: &str, t: &crate::agency::Text) -> Result<(), RecordError> {
    check_plain(field, &t.zh)?;
    check_plain(field, &t.en)
}

fn check_named(field: &str, t: &crate::agency::Text) -> Result<(), RecordError> {
    check_text(field, t)?;
    if t.zh.trim().is_empty() && t.en.trim().is_empty() {
        return Err(RecordError::Invalid(format!("{field} must not be empty")));
    }
    Ok(())
}

pub(super) fn check_resource(r: &Resource) -> Result<(), RecordError> {
    check_named("name", &r.name)?;
    check_named("city", &r.location.city)?;
    let loc = &r.location;
    for (field, v) in [
        ("site", &loc.site),
        ("building", &loc.building),
        ("floor", &loc.floor),
        ("time zone", &r.rules.time_zone),
    ] {
        check_plain(field, v)?;
    }
    for f in &r.features {
        check_plain("feature", f)?;
    }
    for (k, v) in &r.attributes {
        check_plain("attribute", k)?;
        check_plain("attribute", v)?;
    }
    for b in &r.rules.blackouts {
        check_text("blackout reason", &b.reason)?;
    }
    if let Some(problem) = r.fleet_problem().or_else(|| r.asset_problem()) {
        return Err(RecordError::Invalid(problem));
    }
    let rules = &r.rules;
    if rules.max_conflict_percent > 100 {
        return Err(RecordError::Invalid(
            "the conflict share of a series is at most 100 %".into(),
        ));
    }
    if rules.max_minutes > 0 && rules.min_minutes > rules.max_minutes {
        return Err(RecordError::Invalid(format!(
            "the shortest booking ({} min) is longer than the longest ({} min)",
            rules.min_minutes, rules.max_minutes
        )));
    }
    Ok(())
}

/// A request: by the document's owner (the requester), filed with the
/// resource's owner, well-formed.
pub(super) fn check_request(r: &BookingRequest, doc: &DocId) -> Result<(), RecordError> {
    let owner = doc.owner;
    if r.id.requester != owner {
        return Err(RecordError::Unauthorized(format!(
            "request {} of another agency",
            r.id
        )));
    }
    // Filed with the owner who decides it (documents are keyed
    // by who needs them).
    if doc.counterpart != Some(r.resource.owner) {
        return Err(RecordError::Unauthorized(format!(
            "request {} for {} filed in a document for another owner",
            r.id, r.resource
        )));
    }
    if r.end <= r.start || r.quantity == 0 {
        return Err(RecordError::Invalid(
            "request needs start < end and quantity ≥ 1".into(),
        ));
    }
    if r.contact.len() > MAX_TEXT || r.purpose.len() > MAX_TEXT {
        return Err(RecordError::Invalid("text field too long".into()));
    }
    check_plain("contact", &r.contact)?;
    check_plain("purpose", &r.purpose)?;
    check_person(r.by.as_deref())?;
    if let Some(s) = &r.series {
        if s.first.requester != owner
            || s.count == 0
            || s.count as usize > crate::recur::MAX_OCCURRENCES
            || s.index >= s.count
            || s.rule.len() > 200
        {
            return Err(RecordError::Invalid(format!(
                "request {}: malformed series",
                r.id
            )));
        }
        check_plain("series rule", &s.rule)?;
    }
    Ok(())
}

/// A decision: by the document's owner (the resource's owner at its place
/// in the log is checked by the calendar), numbered, well-formed.
pub(super) fn check_decision(d: &Decision, owner: crate::ids::AgencyId) -> Result<(), RecordError> {
    if d.author != owner {
        return Err(RecordError::Unauthorized(format!(
            "a decision on {} by another agency",
            d.resource
        )));
    }
    if d.seq == 0 || d.terms.end <= d.terms.start {
        return Err(RecordError::Invalid("decision seq or terms".into()));
    }
    check_person(d.by.as_deref())?;
    match &d.verdict {
        Verdict::Reject {
            alternatives,
            reason,
        } => {
            if alternatives.len() > 3 {
                return Err(RecordError::Invalid("at most 3 alternatives".into()));
            }
            check_text("reason", reason)?;
        }
        Verdict::Hold { note, tag, .. } => {
            if note.len() > MAX_TEXT || tag.as_ref().is_some_and(|t| t.len() > 200) {
                return Err(RecordError::Invalid("note or tag too long".into()));
            }
            check_plain("note", note)?;
            if let Some(t) = tag {
                check_plain("tag", t)?;
            }
        }
        Verdict::Transfer { to, units, note } => {
            if *to == owner || *units == Some(0) || note.len() > MAX_TEXT {
                return Err(RecordError::Invalid(
                    "a transfer names another agency and at least one unit".into(),
                ));
            }
            check_plain("note", note)?;
        }
        Verdict::Release {
            why:
                Some(ReleaseWhy::Withdrawn {
                    reason,
                    alternatives,
                }),
        } => {
            if alternatives.len() > 3 {
                return Err(RecordError::Invalid("at most 3 alternatives".into()));
            }
            check_text("reason", reason)?;
        }
        Verdict::Confirm | Verdict::Release { .. } => {}
    }
    Ok(())
}
