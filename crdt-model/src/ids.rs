//! Identifiers: agencies, resources, bookings and replicated documents.
//!
//! Every identifier that names something owned embeds the full [`AgencyId`] of
//! its owner, so authorship can be checked syntactically, without the catalogue.

use compact_str::CompactString;
use std::fmt;
use std::str::FromStr;

use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Text prefix of an agency id.
const AGENCY_PREFIX: &str = "tc";

/// Errors when parsing an identifier from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseIdError {
    /// The agency id does not start with `tc`.
    #[error("agency id must start with \"tc\"")]
    Prefix,
    /// The agency id is not valid base32 or has the wrong length.
    #[error("agency id is not valid base32 of the right length")]
    Encoding,
    /// The checksum at the end of the agency id does not match (a typo).
    #[error("agency id checksum does not match (typo?)")]
    Checksum,
    /// A composite id lacks its `/` separator or a part.
    #[error("expected OWNER/LOCAL, got {0:?}")]
    Shape(String),
    /// The local part has characters outside `[A-Za-z0-9._-]` or is too long.
    #[error("local id {0:?} must be 1-64 characters of A-Z a-z 0-9 . _ -")]
    Local(String),
    /// An unknown document kind or a malformed shard.
    #[error("bad document id {0:?}")]
    Doc(String),
}

/// An agency: the ed25519 public key of its node.
///
/// Text form: `tc` + lowercase base32 of the 32 key bytes and a 2-byte SHA-256
/// checksum, so a mistyped id is caught instead of naming a stranger.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgencyId(pub [u8; 32]);

impl AgencyId {
    /// The raw public key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short, human-friendly prefix (not unique enough to authorise anything).
    pub fn short(&self) -> String {
        self.to_string()[..10].to_string()
    }
}

impl fmt::Display for AgencyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 34];
        buf[..32].copy_from_slice(&self.0);
        let sum = Sha256::digest(self.0);
        buf[32..].copy_from_slice(&sum[..2]);
        write!(
            f,
            "{AGENCY_PREFIX}{}",
            BASE32_NOPAD.encode(&buf).to_ascii_lowercase()
        )
    }
}

impl fmt::Debug for AgencyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgencyId({})", self.short())
    }
}

impl FromStr for AgencyId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s.strip_prefix(AGENCY_PREFIX).ok_or(ParseIdError::Prefix)?;
        let bytes = BASE32_NOPAD
            .decode(body.to_ascii_uppercase().as_bytes())
            .map_err(|_| ParseIdError::Encoding)?;
        if bytes.len() != 34 {
            return Err(ParseIdError::Encoding);
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes[..32]);
        if Sha256::digest(key)[..2] != bytes[32..] {
            return Err(ParseIdError::Checksum);
        }
        Ok(AgencyId(key))
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
string_serde!(AgencyId);
string_serde!(ResourceId);
string_serde!(BookingId);
string_serde!(DocId);

fn check_local(local: &str) -> Result<(), ParseIdError> {
    let ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ParseIdError::Local(local.to_string()))
    }
}

fn split_owned(s: &str) -> Result<(AgencyId, &str), ParseIdError> {
    let (owner, local) = s
        .split_once('/')
        .ok_or_else(|| ParseIdError::Shape(s.to_string()))?;
    let owner = owner.parse()?;
    check_local(local)?;
    Ok((owner, local))
}

/// A shared resource: owner agency plus a local name chosen by the owner.
/// Text form `OWNER/LOCAL`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ResourceId {
    /// The agency that owns (and alone decides on) the resource.
    pub owner: AgencyId,
    /// Owner-chosen local id, `[A-Za-z0-9._-]{1,64}` (kept inline up to 24
    /// bytes: no allocation for the usual ids).
    pub local: CompactString,
}

impl ResourceId {
    /// Builds a resource id, checking the local part.
    pub fn new(owner: AgencyId, local: &str) -> Result<Self, ParseIdError> {
        check_local(local)?;
        Ok(Self {
            owner,
            local: CompactString::from(local),
        })
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.local)
    }
}

impl FromStr for ResourceId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (owner, local) = split_owned(s)?;
        Ok(Self {
            owner,
            local: CompactString::from(local),
        })
    }
}

/// A booking request: requesting agency plus a local id chosen by it.
/// Text form `REQUESTER/LOCAL`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct BookingId {
    /// The agency that made (and alone may cancel) the request.
    pub requester: AgencyId,
    /// Requester-chosen local id (inline up to 24 bytes).
    pub local: CompactString,
}

impl BookingId {
    /// Builds a booking id, checking the local part.
    pub fn new(requester: AgencyId, local: &str) -> Result<Self, ParseIdError> {
        check_local(local)?;
        Ok(Self {
            requester,
            local: CompactString::from(local),
        })
    }
}

impl fmt::Display for BookingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.requester, self.local)
    }
}

impl FromStr for BookingId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (requester, local) = split_owned(s)?;
        Ok(Self {
            requester,
            local: CompactString::from(local),
        })
    }
}

/// The kinds of replicated document. Each agency writes only its own.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// The agency's profile and its published resources (one per agency).
    Catalog,
    /// The agency's booking requests and cancellations, one per month.
    Requests,
    /// The agency's decisions on requests for its resources, one per month.
    Decisions,
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Catalog => "catalog",
            DocKind::Requests => "requests",
            DocKind::Decisions => "decisions",
        }
    }
}

/// A month shard, `yyyy * 12 + (month - 1)`; catalogues use shard 0.
pub type Shard = u32;

/// Shard for a UTC instant (its UTC calendar month).
pub fn shard_of(t: jiff::Timestamp) -> Shard {
    let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
    d.year() as u32 * 12 + (d.month() as u32 - 1)
}

/// One replicated document: kind, owner (its only writer), for a requests
/// document the agency its requests are for, and month shard. Text form
/// `catalog/OWNER`, `decisions/OWNER/2026-12` or
/// `requests/REQUESTER/RESOURCE-OWNER/2026-12`.
///
/// Documents are keyed by who needs them: an agency's requests for one
/// owner's resources live apart from its requests for any other owner's,
/// so that owner (and the agencies interested in its resources) can hold
/// exactly the requests that concern it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct DocId {
    /// What the document holds.
    pub kind: DocKind,
    /// The agency that alone writes it.
    pub owner: AgencyId,
    /// For a requests document, the agency whose resources its requests are
    /// for (it decides them); `None` for catalogues and decisions.
    pub counterpart: Option<AgencyId>,
    /// Month shard (0 for catalogues).
    pub shard: Shard,
}

impl DocId {
    /// Whether the id is in canonical form: catalogues have shard 0, only
    /// requests documents (and all of them) name a counterpart.
    pub fn is_canonical(&self) -> bool {
        (self.kind != DocKind::Catalog || self.shard == 0)
            && (self.kind == DocKind::Requests) == self.counterpart.is_some()
    }

    /// The catalogue document of an agency.
    pub fn catalog(owner: AgencyId) -> Self {
        Self {
            kind: DocKind::Catalog,
            owner,
            counterpart: None,
            shard: 0,
        }
    }

    /// `requester`'s requests (and cancellations) for `owner`'s resources,
    /// written in month `shard`.
    pub fn requests(requester: AgencyId, owner: AgencyId, shard: Shard) -> Self {
        Self {
            kind: DocKind::Requests,
            owner: requester,
            counterpart: Some(owner),
            shard,
        }
    }

    /// `owner`'s decisions written in month `shard`.
    pub fn decisions(owner: AgencyId, shard: Shard) -> Self {
        Self {
            kind: DocKind::Decisions,
            owner,
            counterpart: None,
            shard,
        }
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.counterpart) {
            (DocKind::Catalog, _) => write!(f, "catalog/{}", self.owner),
            (k, Some(with)) => write!(
                f,
                "{}/{}/{with}/{:04}-{:02}",
                k.as_str(),
                self.owner,
                self.shard / 12,
                self.shard % 12 + 1
            ),
            (k, None) => write!(
                f,
                "{}/{}/{:04}-{:02}",
                k.as_str(),
                self.owner,
                self.shard / 12,
                self.shard % 12 + 1
            ),
        }
    }
}

impl FromStr for DocId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseIdError::Doc(s.to_string());
        let mut parts = s.split('/');
        let kind = match parts.next() {
            Some("catalog") => DocKind::Catalog,
            Some("requests") => DocKind::Requests,
            Some("decisions") => DocKind::Decisions,
            _ => return Err(bad()),
        };
        let owner = parts.next().ok_or_else(bad)?.parse()?;
        let counterpart = match kind {
            DocKind::Requests => Some(parts.next().ok_or_else(bad)?.parse()?),
            _ => None,
        };
        let shard = match (kind, parts.next()) {
            (DocKind::Catalog, None) => 0,
            (DocKind::Catalog, Some(_)) => return Err(bad()),
            (_, Some(ym)) => {
                let (y, m) = ym.split_once('-').ok_or_else(bad)?;
                let y: u32 = y.parse().map_err(|_| bad())?;
                let m: u32 = m.parse().map_err(|_| bad())?;
                if !(1..=12).contains(&m) || !(1970..=9999).contains(&y) {
                    return Err(bad());
                }
                y * 12 + m - 1
            }
            (_, None) => return Err(bad()),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self {
            kind,
            owner,
            counterpart,
            shard,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_id_round_trips_and_catches_typos() {
        let id = AgencyId([7; 32]);
        let text = id.to_string();
        assert!(text.starts_with("tc"));
        assert_eq!(text.parse::<AgencyId>(), Ok(id));
        let mut typo = text.clone().into_bytes();
        typo[5] = if typo[5] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(typo).unwrap();
        assert_eq!(typo.parse::<AgencyId>(), Err(ParseIdError::Checksum));
        assert_eq!("xx".parse::<AgencyId>(), Err(ParseIdError::Prefix));
    }

    #[test]
    fn composite_ids_round_trip() {
        let a = AgencyId([1; 32]);
        let r = ResourceId::new(a, "room-101").unwrap();
        assert_eq!(r.to_string().parse::<ResourceId>().unwrap(), r);
        assert!(ResourceId::new(a, "bad id").is_err());
        let b = AgencyId([2; 32]);
        let d = DocId::requests(a, b, 2026 * 12 + 11);
        assert!(d.to_string().ends_with(&format!("/{b}/2026-12")), "{d}");
        assert_eq!(d.to_string().parse::<DocId>().unwrap(), d);
        assert!(d.is_canonical());
        let dec = DocId::decisions(a, 2026 * 12 + 11);
        assert_eq!(dec.to_string().parse::<DocId>().unwrap(), dec);
        assert!(dec.is_canonical());
        // A requests document names whose resources it is for.
        assert!(format!("requests/{a}/2026-12").parse::<DocId>().is_err());
        assert!(
            format!("decisions/{a}/{b}/2026-12")
                .parse::<DocId>()
                .is_err()
        );
        assert_eq!(
            DocId::catalog(a).to_string().parse::<DocId>().unwrap(),
            DocId::catalog(a)
        );
        assert!("requests/x/2026-13".parse::<DocId>().is_err());
    }
}
