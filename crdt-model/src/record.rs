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
use crate::booking::{BookingRequest, Cancellation, Decision, Terms, Verdict};
use crate::hlc::Hlc;
use crate::ids::{BookingId, DocId, DocKind, ResourceId};
use crate::resource::Resource;

/// Longest free-text field accepted (contact, purpose, reason), in bytes.
pub const MAX_TEXT: usize = 1_000;
/// Largest encoded record accepted, in bytes.
pub const MAX_RECORD: usize = 16 * 1024;

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
    /// An owner decision (decisions document).
    Decision(Decision),
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
    Decision(StoredDecision),
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
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredCancel {
    #[serde(default)]
    reason: String,
    hlc: Hlc,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredDecision {
    booking: BookingId,
    terms: Terms,
    verdict: Verdict,
    hlc: Hlc,
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
            }),
            Record::Cancel(c) => Stored::Cancel(StoredCancel {
                reason: c.reason,
                hlc: c.hlc,
            }),
            Record::Decision(d) => Stored::Decision(StoredDecision {
                booking: d.booking,
                terms: d.terms,
                verdict: d.verdict,
                hlc: d.hlc,
            }),
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
                })
            }
            Stored::Cancel(c) => {
                let local = key.strip_prefix("cancel/").ok_or_else(bad_key)?;
                Record::Cancel(Cancellation {
                    booking: BookingId::new(doc.owner, local).map_err(|_| bad_key())?,
                    reason: c.reason,
                    hlc: c.hlc,
                })
            }
            Stored::Decision(d) => {
                let rest = key.strip_prefix("dec/").ok_or_else(bad_key)?;
                let (local, seq) = rest.rsplit_once('/').ok_or_else(bad_key)?;
                Record::Decision(Decision {
                    resource: ResourceId::new(doc.owner, local).map_err(|_| bad_key())?,
                    seq: seq.parse().map_err(|_| bad_key())?,
                    booking: d.booking,
                    terms: d.terms,
                    verdict: d.verdict,
                    hlc: d.hlc,
                })
            }
        };
        record.validate(doc, key)?;
        Ok(record)
    }

    /// The map key this record is stored under.
    pub fn key(&self) -> String {
        match self {
            Record::Profile(_) => "profile".to_string(),
            Record::Resource(r) => format!("res/{}", r.id.local),
            Record::Request(r) => format!("req/{}", r.id.local),
            Record::Cancel(c) => format!("cancel/{}", c.booking.local),
            Record::Decision(d) => format!("dec/{}/{}", d.resource.local, d.seq),
        }
    }

    /// The record's HLC timestamp, if it has one.
    pub fn hlc(&self) -> Option<crate::hlc::Hlc> {
        match self {
            Record::Request(r) => Some(r.hlc),
            Record::Cancel(c) => Some(c.hlc),
            Record::Decision(d) => Some(d.hlc),
            Record::Profile(_) | Record::Resource(_) => None,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Record::Profile(_) => "profile",
            Record::Resource(_) => "resource",
            Record::Request(_) => "request",
            Record::Cancel(_) => "cancel",
            Record::Decision(_) => "decision",
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
            }
            (Record::Resource(r), DocKind::Catalog) => {
                if r.id.owner != owner {
                    return unauthorized(format!("resource {} belongs to another agency", r.id));
                }
                if r.capacity.size() == 0 {
                    return Err(RecordError::Invalid("capacity must be at least 1".into()));
                }
            }
            (Record::Request(r), DocKind::Requests) => {
                if r.id.requester != owner {
                    return unauthorized(format!("request {} of another agency", r.id));
                }
                if r.end <= r.start || r.quantity == 0 {
                    return Err(RecordError::Invalid(
                        "request needs start < end and quantity ≥ 1".into(),
                    ));
                }
                if r.contact.len() > MAX_TEXT || r.purpose.len() > MAX_TEXT {
                    return Err(RecordError::Invalid("text field too long".into()));
                }
            }
            (Record::Cancel(c), DocKind::Requests) => {
                if c.booking.requester != owner {
                    return unauthorized(format!("cancelling {} of another agency", c.booking));
                }
                if c.reason.len() > MAX_TEXT {
                    return Err(RecordError::Invalid("reason too long".into()));
                }
            }
            (Record::Decision(d), DocKind::Decisions) => {
                if d.resource.owner != owner {
                    return unauthorized(format!(
                        "deciding on {} which belongs to another agency",
                        d.resource
                    ));
                }
                if d.seq == 0 || d.terms.end <= d.terms.start {
                    return Err(RecordError::Invalid("decision seq or terms".into()));
                }
                if let Verdict::Reject { alternatives, .. } = &d.verdict
                    && alternatives.len() > 3
                {
                    return Err(RecordError::Invalid("at most 3 alternatives".into()));
                }
            }
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

    #[test]
    fn stored_records_name_only_their_owners_things() {
        let (a, b) = (AgencyId([1; 32]), AgencyId([2; 32]));
        let doc = DocId {
            kind: DocKind::Decisions,
            owner: a,
            shard: 24_322,
        };
        let t = |s: i64| jiff::Timestamp::from_second(s).expect("instant");
        let d = Record::Decision(Decision {
            resource: ResourceId::new(a, "room-1").expect("id"),
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
        assert_eq!(x.resource.owner, b);
        // Keys that do not parse, or are not canonical, are refused.
        for key in ["dec/room-1", "dec/room-1/07", "req/room-1/7"] {
            assert!(Record::decode(&doc, key, &json).is_err(), "{key}");
        }
        // A record of another agency cannot be encoded into this document.
        let req = Record::Request(BookingRequest {
            id: BookingId::new(b, "x").expect("id"),
            resource: ResourceId::new(a, "room-1").expect("id"),
            contact: Default::default(),
            purpose: Default::default(),
            start: t(1_800_000_000),
            end: t(1_800_003_600),
            quantity: 1,
            hlc: Hlc::default(),
        });
        let requests = DocId {
            kind: DocKind::Requests,
            ..doc
        };
        assert!(matches!(
            req.encode(&requests),
            Err(RecordError::Unauthorized(_))
        ));
    }
}
