//! Interest: which owners' documents a replica holds. Every replica holds
//! the roster and every catalogue; beyond them, a replica that follows
//! (`tongchou follow`) holds only the requests and decisions of the owners
//! it follows, its own city's and those it has booked from. One that
//! follows nothing in particular holds everything (a small network).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ids::{AgencyId, DocId, DocKind};
use crate::ledger::Ledger;

/// What an agency follows, as its operator set it. Resolved against the
/// roster and the catalogue by [`Follows::resolve`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Follows {
    /// Hold every document of the network (the default).
    pub all: bool,
    /// Follow the agencies of our own city (unless unfollowed by name).
    #[serde(default = "yes")]
    pub own_city: bool,
    /// Owners followed by name.
    #[serde(default)]
    pub owners: BTreeSet<AgencyId>,
    /// Cities whose agencies are followed (zh or en name, any case).
    #[serde(default)]
    pub cities: BTreeSet<String>,
    /// Resource kinds in their canonical text (`meeting-room`, `vehicle`,
    /// …, see [`crate::resource::ResourceKind`]): the owners of any
    /// resource of one of them are followed.
    #[serde(default)]
    pub kinds: BTreeSet<String>,
}

fn yes() -> bool {
    true
}

impl Default for Follows {
    fn default() -> Self {
        Self::everything()
    }
}

impl Follows {
    /// Hold everything.
    pub fn everything() -> Self {
        Self {
            all: true,
            own_city: true,
            owners: BTreeSet::new(),
            cities: BTreeSet::new(),
            kinds: BTreeSet::new(),
        }
    }

    /// Follow only what concerns the agency: its own city and the owners it
    /// has booked from, plus whatever is added to the result.
    pub fn defaults() -> Self {
        Self {
            all: false,
            ..Self::everything()
        }
    }

    /// The owners whose requests and decisions `me`'s replica holds, from
    /// the roster and catalogue in `ledger`; `None` for everything. Always
    /// includes `me`, the members of `me`'s city (unless
    /// [`Follows::own_city`] is off), the owners of
    /// resources `me` has requested (its requests documents), and those
    /// whose catalogue names `me` as offered an asset
    /// ([`crate::asset::attr::OFFERED_TO`]).
    pub fn resolve(&self, me: AgencyId, ledger: &Ledger) -> Option<BTreeSet<AgencyId>> {
        if self.all {
            return None;
        }
        let roster = ledger.roster();
        let city_of = |a: &AgencyId| roster.member(a).map(|m| &m.profile.city);
        let mut cities: BTreeSet<String> = self.cities.iter().map(|c| c.to_lowercase()).collect();
        if self.own_city
            && let Some(c) = city_of(&me)
        {
            cities.insert(c.zh.to_lowercase());
            cities.insert(c.en.to_lowercase());
        }
        let mut out: BTreeSet<AgencyId> = self.owners.clone();
        out.insert(me);
        for (id, m) in roster.members() {
            let c = &m.profile.city;
            if cities.contains(&c.zh.to_lowercase()) || cities.contains(&c.en.to_lowercase()) {
                out.insert(*id);
            }
        }
        // The owners of the kinds followed, and those offering us an
        // asset (their offer is in their decisions).
        let me_text = me.to_string();
        for r in ledger.index().resources.values() {
            if self.kinds.contains(&r.kind.to_string())
                || r.attributes.get(crate::asset::attr::OFFERED_TO) == Some(&me_text)
            {
                out.insert(r.owner());
            }
        }
        // Our requests documents, in one range of the ordered map (ids
        // order by kind, then writer).
        let first = DocId {
            kind: DocKind::Requests,
            owner: me,
            counterpart: None,
            shard: 0,
        };
        let open = ledger.docs().range(first.clone()..).map(|(d, _)| d);
        let sealed = ledger.sealed().range(first..).map(|(d, _)| d);
        for doc in open
            .take_while(|d| d.kind == DocKind::Requests && d.owner == me)
            .chain(sealed.take_while(|d| d.kind == DocKind::Requests && d.owner == me))
        {
            if let Some(o) = doc.counterpart {
                out.insert(o);
            }
        }
        Some(out)
    }
}

/// The agency whose resources a document concerns: the owner of a
/// catalogue or decisions document, the counterpart of a requests one.
pub fn subject(doc: &DocId) -> AgencyId {
    match doc.kind {
        DocKind::Requests => doc.counterpart.unwrap_or(doc.owner),
        DocKind::Catalog | DocKind::Decisions => doc.owner,
    }
}

/// Whether `agency`, following `owners` (`None`: everything), holds `doc`:
/// every catalogue, its own documents, and the requests and decisions
/// concerning the owners it follows.
pub fn wants(agency: AgencyId, owners: Option<&BTreeSet<AgencyId>>, doc: &DocId) -> bool {
    match owners {
        None => true,
        Some(set) => {
            doc.kind == DocKind::Catalog || doc.owner == agency || set.contains(&subject(doc))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follower_holds_catalogues_its_own_and_its_owners_documents() {
        let (me, x, y) = (AgencyId([1; 32]), AgencyId([2; 32]), AgencyId([3; 32]));
        let set: BTreeSet<AgencyId> = [me, x].into_iter().collect();
        let s = Some(&set);
        assert!(wants(me, s, &DocId::catalog(y)));
        assert!(wants(me, s, &DocId::decisions(x, 1)));
        assert!(!wants(me, s, &DocId::decisions(y, 1)));
        // Another agency's requests for x's resources, not for y's.
        assert!(wants(me, s, &DocId::requests(y, x, 1)));
        assert!(!wants(me, s, &DocId::requests(x, y, 1)));
        // Its own requests, whoever they are for.
        assert!(wants(me, s, &DocId::requests(me, y, 1)));
        assert!(wants(me, None, &DocId::requests(x, y, 1)));
    }
}
