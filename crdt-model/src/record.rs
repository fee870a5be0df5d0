//! Records: what the replicated documents hold, one JSON value per map key,
//! and the authorship rules that decide which agency may write which record.

use serde::{Deserialize, Serialize};

use crate::agency::AgencyProfile;
use crate::booking::{BookingRequest, Cancellation, Decision, Verdict};
use crate::ids::{DocId, DocKind};
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

impl Record {
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
