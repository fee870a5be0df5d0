//! Records: what the replicated documents hold, one JSON value per map key,
//! and the authorship rules that decide which agency may write which record.
//!
//! In a document a record is stored without what its document and key
//! already say ([`Record::encode`], [`Record::decode`]): a request or a
//! cancellation carries no requester (the document's owner is the
//! requester), a decision no resource or number (the key is
//! `dec/<resource>/<seq>` and the owner owns the resource). So a
//! decision on another agency's resource, or a cancellation of another
//! agency's request, cannot even be written down.

use serde::{Deserialize, Serialize};

use crate::agency::AgencyProfile;
use crate::booking::{BookingRequest, Cancellation, CheckIn, Decision, ReleaseWhy, Terms, Verdict};
use crate::hlc::Hlc;
use crate::ids::{BookingId, DocId, DocKind, ResourceId};
use crate::resource::Resource;

/// Longest free-text field accepted (contact, purpose, reason), in bytes.
pub const MAX_TEXT: usize = 1_000;
/// Largest encoded record accepted, in bytes.
pub const MAX_RECORD: usize = 16 * 1024;

mod checks;

pub use checks::{MAX_PERSON, check_person, check_plain, is_unsafe_char, sanitize};
use checks::{check_decision, check_request, check_resource, check_text};

/// One record in a document. The map key is derived from the record, so a
/// record can only ever be stored under its own key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Record {
    /// The agency's profile (catalogue document).
    Profile(AgencyProfile),
    /// A published resource (catalogue document).
    Resource(Box<Resource>),
    /// A booking request (requests document).
    Request(BookingRequest),
    /// A cancellation (requests document).
    Cancel(Cancellation),
    /// A check-in (requests document).
    CheckIn(CheckIn),
    /// An owner decision (decisions document).
    Decision(Decision),
    /// A trip request (requests document, filed with the fleet's owner).
    Trip(Box<crate::trip::TripRequest>),
    /// A fleet owner's update of a trip (decisions document).
    TripUpdate(Box<crate::trip::TripUpdate>),
    /// A step of a loan: the owner's handover or return (decisions), the
    /// borrower's receipt (requests).
    Loan(Box<crate::asset::LoanEvent>),
    /// The receiver's answer to a transfer offer (requests document).
    TransferAnswer(crate::asset::TransferAnswer),
    /// An owner's inventory count (decisions document).
    Count(Box<crate::asset::InventoryCount>),
}

/// Why a record may not be written to a document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "code", content = "detail")]
pub enum RecordError {
    /// This kind of record does not belong in this kind of document.
    #[error("a {record} record does not belong in a {doc:?} document")]
    WrongDocument {
        /// Record type.
        record: String,
        /// Document kind.
        doc: DocKind,
    },
    /// The record is about something another agency owns.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Stored under a key that is not its own.
    #[error("record stored under key {0:?}, not its own")]
    WrongKey(String),
    /// Malformed content.
    #[error("invalid record: {0}")]
    Invalid(String),
    /// Overwrites or deletes an entry of an append-only document.
    #[error("append-only document: entry {0:?} may not be changed or deleted")]
    AppendOnly(String),
}

/// A record as stored in a document: without what the document and the
/// key imply.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
enum Stored {
    Profile(AgencyProfile),
    Resource(Box<Resource>),
    Request(StoredRequest),
    Cancel(StoredCancel),
    CheckIn(StoredCheckIn),
    Decision(StoredDecision),
    Trip(Box<crate::trip::StoredTrip>),
    TripUpdate(Box<crate::trip::StoredUpdate>),
    Loan(Box<crate::asset::StoredLoan>),
    TransferAnswer(crate::asset::StoredAnswer),
    Count(Box<crate::asset::StoredCount>),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredRequest {
    resource: ResourceId,
    #[serde(default)]
    contact: compact_str::CompactString,
    #[serde(default)]
    purpose: compact_str::CompactString,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
    quantity: u32,
    hlc: Hlc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    series: Option<Box<crate::booking::Series>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    wait_list: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    by: Option<compact_str::CompactString>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredCheckIn {
    hlc: Hlc,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredCancel {
    #[serde(default)]
    reason: String,
    hlc: Hlc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    by: Option<compact_str::CompactString>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredDecision {
    booking: BookingId,
    terms: Terms,
    verdict: Verdict,
    hlc: Hlc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    by: Option<compact_str::CompactString>,
}

impl Record {
    /// The JSON stored for this record in `doc` (checked with
    /// [`Record::validate`] first).
    pub fn encode(&self, doc: &DocId) -> Result<String, RecordError> {
        self.validate(doc, &self.key())?;
        let stored = match self.clone() {
            Record::Profile(p) => Stored::Profile(p),
            Record::Resource(r) => Stored::Resource(r),
            Record::Request(r) => Stored::Request(StoredRequest {
                resource: r.resource,
                contact: r.contact,
                purpose: r.purpose,
                start: r.start,
                end: r.end,
                quantity: r.quantity,
                hlc: r.hlc,
                series: r.series,
                wait_list: r.wait_list,
                by: r.by,
            }),
            Record::CheckIn(c) => Stored::CheckIn(StoredCheckIn { hlc: c.hlc }),
            Record::Cancel(c) => Stored::Cancel(StoredCancel {
                reason: c.reason,
                hlc: c.hlc,
                by: c.by,
            }),
            Record::Decision(d) => Stored::Decision(StoredDecision {
                booking: d.booking,
                terms: d.terms,
                verdict: d.verdict,
                hlc: d.hlc,
                by: d.by,
            }),
            Record::Trip(t) => Stored::Trip(Box::new(t.stored())),
            Record::TripUpdate(u) => Stored::TripUpdate(Box::new(u.stored())),
            Record::Loan(l) => Stored::Loan(Box::new(l.stored())),
            Record::TransferAnswer(a) => Stored::TransferAnswer(a.stored()),
            Record::Count(c) => Stored::Count(Box::new(c.stored())),
        };
        serde_json::to_string(&stored).map_err(|e| RecordError::Invalid(e.to_string()))
    }

    /// The record stored under `key` in `doc`, rebuilt and validated.
    pub fn decode(doc: &DocId, key: &str, json: &str) -> Result<Self, RecordError> {
        let stored: Stored =
            serde_json::from_str(json).map_err(|e| RecordError::Invalid(format!("{key}: {e}")))?;
        let bad_key = || RecordError::WrongKey(key.to_string());
        let record = match stored {
            Stored::Profile(p) => Record::Profile(p),
            Stored::Resource(r) => Record::Resource(r),
            Stored::Request(r) => {
                let local = key.strip_prefix("req/").ok_or_else(bad_key)?;
                Record::Request(BookingRequest {
                    id: BookingId::new(doc.owner, local).map_err(|_| bad_key())?,
                    resource: r.resource,
                    contact: r.contact,
                    purpose: r.purpose,
                    start: r.start,
                    end: r.end,
                    quantity: r.quantity,
                    hlc: r.hlc,
                    series: r.series,
                    wait_list: r.wait_list,
                    by: r.by,
                })
            }
            Stored::CheckIn(c) => {
                let local = key.strip_prefix("checkin/").ok_or_else(bad_key)?;
                Record::CheckIn(CheckIn {
                    booking: BookingId::new(doc.owner, local).map_err(|_| bad_key())?,
                    hlc: c.hlc,
                })
            }
            Stored::Cancel(c) => {
                let local = key.strip_prefix("cancel/").ok_or_else(bad_key)?;
                Record::Cancel(Cancellation {
                    booking: BookingId::new(doc.owner, local).map_err(|_| bad_key())?,
                    reason: c.reason,
                    hlc: c.hlc,
                    by: c.by,
                })
            }
            Stored::Decision(d) => {
                let rest = key.strip_prefix("dec/").ok_or_else(bad_key)?;
                let (res, seq) = rest.rsplit_once('/').ok_or_else(bad_key)?;
                Record::Decision(Decision {
                    resource: crate::asset::parse_resource_key(res, doc.owner)
                        .ok_or_else(bad_key)?,
                    author: doc.owner,
                    seq: seq.parse().map_err(|_| bad_key())?,
                    booking: d.booking,
                    terms: d.terms,
                    verdict: d.verdict,
                    hlc: d.hlc,
                    by: d.by,
                })
            }
            Stored::Trip(t) => {
                Record::Trip(Box::new(crate::trip::TripRequest::rebuild(doc, key, *t)?))
            }
            Stored::TripUpdate(u) => {
                Record::TripUpdate(Box::new(crate::trip::TripUpdate::rebuild(doc, key, *u)?))
            }
            Stored::Loan(l) => {
                Record::Loan(Box::new(crate::asset::LoanEvent::rebuild(doc, key, *l)?))
            }
            Stored::TransferAnswer(a) => {
                Record::TransferAnswer(crate::asset::TransferAnswer::rebuild(doc, key, a)?)
            }
            Stored::Count(c) => Record::Count(Box::new(crate::asset::InventoryCount::rebuild(
                doc, key, *c,
            )?)),
        };
        record.validate(doc, key)?;
        Ok(record)
    }

    /// The map key this record is stored under.
    pub fn key(&self) -> String {
        match self {
            Record::Profile(_) => "profile".to_string(),
            Record::Resource(r) => format!(
                "res/{}",
                crate::asset::resource_key(&r.id, r.held_by.unwrap_or(r.id.owner))
            ),
            Record::Request(r) => format!("req/{}", r.id.local),
            Record::Cancel(c) => format!("cancel/{}", c.booking.local),
            Record::CheckIn(c) => format!("checkin/{}", c.booking.local),
            Record::Decision(d) => format!(
                "dec/{}/{}",
                crate::asset::resource_key(&d.resource, d.author),
                d.seq
            ),
            Record::Trip(t) => t.key(),
            Record::TripUpdate(u) => u.key(),
            Record::Loan(l) => l.key(),
            Record::TransferAnswer(a) => a.key(),
            Record::Count(c) => c.key(),
        }
    }

    /// The record's HLC timestamp, if it has one.
    pub fn hlc(&self) -> Option<crate::hlc::Hlc> {
        match self {
            Record::Request(r) => Some(r.hlc),
            Record::Cancel(c) => Some(c.hlc),
            Record::CheckIn(c) => Some(c.hlc),
            Record::Decision(d) => Some(d.hlc),
            Record::Trip(t) => Some(t.hlc),
            Record::TripUpdate(u) => Some(u.hlc),
            Record::Loan(l) => Some(l.hlc),
            Record::TransferAnswer(a) => Some(a.hlc),
            Record::Count(c) => Some(c.hlc),
            Record::Profile(_) | Record::Resource(_) => None,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Record::Profile(_) => "profile",
            Record::Resource(_) => "resource",
            Record::Request(_) => "request",
            Record::Cancel(_) => "cancel",
            Record::CheckIn(_) => "check-in",
            Record::Decision(_) => "decision",
            Record::Trip(_) => "trip",
            Record::TripUpdate(_) => "trip update",
            Record::Loan(_) => "loan",
            Record::TransferAnswer(_) => "transfer answer",
            Record::Count(_) => "inventory count",
        }
    }

    /// Checks that `doc`'s owner may write this record under `key`, and that
    /// the content is well-formed. This is the authorisation rule of the
    /// whole network: only an owner writes its catalogue and decisions, only a
    /// requester writes its requests and cancellations.
    pub fn validate(&self, doc: &DocId, key: &str) -> Result<(), RecordError> {
        let wrong = || RecordError::WrongDocument {
            record: self.type_name().to_string(),
            doc: doc.kind,
        };
        let unauthorized = |what: String| Err(RecordError::Unauthorized(what));
        let owner = doc.owner;
        match (self, doc.kind) {
            (Record::Profile(p), DocKind::Catalog) => {
                if p.id != owner {
                    return unauthorized("profile of another agency".into());
                }
                check_text("agency name", &p.name)?;
                check_text("agency city", &p.city)?;
            }
            (Record::Resource(r), DocKind::Catalog) => {
                // Its creator's, or (`held_by`) that of an agency it was
                // transferred to: which version counts is the index's call.
                if r.held_by.unwrap_or(r.id.owner) != owner || r.held_by == Some(r.id.owner) {
                    return unauthorized(format!("resource {} belongs to another agency", r.id));
                }
                if r.capacity.size() == 0 {
                    return Err(RecordError::Invalid("capacity must be at least 1".into()));
                }
                check_resource(r)?;
            }
            (Record::Request(r), DocKind::Requests) => check_request(r, doc)?,
            (Record::Cancel(c), DocKind::Requests) => {
                if c.booking.requester != owner {
                    return unauthorized(format!("cancelling {} of another agency", c.booking));
                }
                if c.reason.len() > MAX_TEXT {
                    return Err(RecordError::Invalid("reason too long".into()));
                }
                check_plain("reason", &c.reason)?;
                check_person(c.by.as_deref())?;
            }
            (Record::CheckIn(c), DocKind::Requests) => {
                if c.booking.requester != owner {
                    return unauthorized(format!("checking in {} of another agency", c.booking));
                }
            }
            (Record::Decision(d), DocKind::Decisions) => check_decision(d, owner)?,
            (Record::Trip(t), DocKind::Requests) => t.check(doc)?,
            (Record::TripUpdate(u), DocKind::Decisions) => u.check(doc)?,
            (Record::Loan(l), DocKind::Decisions | DocKind::Requests) => l.check(doc)?,
            (Record::TransferAnswer(a), DocKind::Requests) => {
                a.check(doc)?;
                if doc.counterpart != Some(a.resource.owner) {
                    return unauthorized(format!(
                        "answer about {} filed in a document for another agency",
                        a.resource
                    ));
                }
            }
            (Record::Count(c), DocKind::Decisions) => c.check(doc)?,
            _ => return Err(wrong()),
        }
        if self.key() != key {
            return Err(RecordError::WrongKey(key.to_string()));
        }
        Ok(())
    }

    /// Whether records of this document kind may be overwritten (edits).
    /// Requests and decisions are append-only: a change of mind is a new
    /// record (cancel, release), never an edit.
    pub fn editable(kind: DocKind) -> bool {
        kind == DocKind::Catalog
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AgencyId;

    /// Text that would act on a terminal or a calendar file is refused by
    /// every replica, whoever wrote it; so are empty names and a shortest
    /// booking longer than the longest.
    #[test]
    fn control_characters_empty_names_and_inverted_limits_are_refused() {
        let a = AgencyId([1; 32]);
        let doc = DocId::catalog(a);
        let base = crate::sim::test_resource(
            a,
            "room-1",
            crate::resource::Capacity::People(8),
            crate::resource::Approval::Automatic,
        );
        assert!(
            Record::Resource(Box::new(base.clone()))
                .encode(&doc)
                .is_ok()
        );
        let bad_names = [
            "\u{1b}]2;pwned\u{7}",
            "Room\r1",
            "Room\n1",
            "\u{202E}1 mooR",
            "\u{9b}31m",
        ];
        for bad in bad_names {
            let mut r = base.clone();
            r.name.en = bad.to_string();
            let rec = Record::Resource(Box::new(r));
            let err = rec.encode(&doc).expect_err(bad);
            assert!(err.to_string().contains("control character"), "{err}");
            // A peer's record with it is refused on decode as well.
            // (A resource is stored exactly as it serializes.)
            let stored = serde_json::to_string(&rec).expect("json");
            assert!(
                Record::decode(&doc, &rec.key(), &stored).is_err(),
                "{bad:?}"
            );
        }
        let mut r = base.clone();
        r.name = crate::agency::Text::new(" ", "");
        assert!(Record::Resource(Box::new(r)).encode(&doc).is_err());
        let mut r = base.clone();
        r.location.city = crate::agency::Text::default();
        assert!(Record::Resource(Box::new(r)).encode(&doc).is_err());
        let mut r = base;
        r.rules.min_minutes = 120;
        r.rules.max_minutes = 60;
        let err = Record::Resource(Box::new(r))
            .encode(&doc)
            .expect_err("min > max");
        assert!(err.to_string().contains("longer than the longest"), "{err}");
        // Plain text in any script passes.
        assert!(check_plain("purpose", "联席会议 — Q3 review (2/3)").is_ok());
    }

    #[test]
    fn stored_records_name_only_their_owners_things() {
        let (a, b) = (AgencyId([1; 32]), AgencyId([2; 32]));
        let doc = DocId::decisions(a, 24_322);
        let t = |s: i64| jiff::Timestamp::from_second(s).expect("instant");
        let d = Record::Decision(Decision {
            by: None,
            resource: ResourceId::new(a, "room-1").expect("id"),
            author: a,
            seq: 7,
            booking: BookingId::new(b, "x").expect("id"),
            terms: Terms {
                start: t(1_800_000_000),
                end: t(1_800_003_600),
                quantity: 1,
            },
            verdict: Verdict::Confirm,
            hlc: Hlc::default(),
        });
        let json = d.encode(&doc).expect("encodes");
        assert!(
            !json.contains("room-1"),
            "resource and seq live in the key: {json}"
        );
        assert_eq!(Record::decode(&doc, "dec/room-1/7", &json), Ok(d.clone()));
        // The same bytes in another agency's document decide on *its* room.
        let other = DocId { owner: b, ..doc };
        let Ok(Record::Decision(x)) = Record::decode(&other, "dec/room-1/7", &json) else {
            panic!("decodes");
        };
        assert_eq!((x.resource.owner, x.author), (b, b));
        // Keys that do not parse, or are not canonical, are refused.
        for key in ["dec/room-1", "dec/room-1/07", "req/room-1/7"] {
            assert!(Record::decode(&doc, key, &json).is_err(), "{key}");
        }
        // A record of another agency cannot be encoded into this document.
        let req = Record::Request(BookingRequest {
            by: None,
            wait_list: false,
            id: BookingId::new(b, "x").expect("id"),
            resource: ResourceId::new(a, "room-1").expect("id"),
            contact: Default::default(),
            purpose: Default::default(),
            start: t(1_800_000_000),
            end: t(1_800_003_600),
            quantity: 1,
            hlc: Hlc::default(),
            series: None,
        });
        let requests = DocId {
            kind: DocKind::Requests,
            ..doc
        };
        assert!(matches!(
            req.encode(&requests),
            Err(RecordError::Unauthorized(_))
        ));
        // A request lives with the owner who decides it: b's request for
        // a's room goes in b's document for a, and nowhere else.
        let shard = 24_322;
        assert!(req.encode(&DocId::requests(b, a, shard)).is_ok());
        for wrong in [
            DocId::requests(b, b, shard),
            DocId::requests(b, AgencyId([3; 32]), shard),
        ] {
            assert!(
                matches!(req.encode(&wrong), Err(RecordError::Unauthorized(_))),
                "{wrong}"
            );
        }
    }
}
