//! What this node follows (`tongchou follow`, `unfollow`, `follows`): the
//! operator's change checked against the roster, kept in `follows.json`
//! across restarts, and given to the engine, which sends every peer the
//! new interest (they answer with what it adds).

use super::*;
use api::{FollowRequest, FollowedOwner, FollowsView};
use crdt_model::interest::Follows;
use crdt_model::resource::ResourceKind;

impl Actor {
    /// Applies `r` (if any) and answers what the node follows now.
    pub(super) fn follow(&mut self, r: Option<FollowRequest>) -> Result<FollowsView, LocalError> {
        if let Some(r) = r {
            let next = changed(&self.engine, r)?;
            self.home
                .write_follows(&next)
                .map_err(|e| LocalError::Storage(format!("{e:#}")))?;
            info!(
                all = next.all,
                owners = next.owners.len(),
                cities = next.cities.len(),
                kinds = next.kinds.len(),
                "follows changed"
            );
            let out = self.engine.set_follows(next);
            self.apply(out);
        }
        Ok(view(&self.engine))
    }
}

/// What the node follows, resolved, and what it holds.
pub(super) fn view(engine: &Engine) -> FollowsView {
    let roster = engine.ledger().roster();
    let owners = engine.interest().map(|set| {
        set.iter()
            .filter_map(|a| {
                roster.member(a).map(|m| FollowedOwner {
                    agency: *a,
                    name: m.profile.name.clone(),
                    city: m.profile.city.clone(),
                })
            })
            .collect()
    });
    let ledger = engine.ledger();
    FollowsView {
        follows: engine.follows().clone(),
        owners,
        docs_held: ledger.lens().count() as u64,
        changes_held: ledger.lens().map(|(_, n)| n).sum(),
    }
}

/// The follows after `r`, or why `r` cannot be applied (nothing changes).
fn changed(engine: &Engine, r: FollowRequest) -> Result<Follows, LocalError> {
    let bad = |m: String| Err(LocalError::Invalid(m));
    let roster = engine.ledger().roster();
    let mut next = engine.follows().clone();
    if r.all {
        if !r.follow {
            return bad(
                "--all follows everything; to follow less, name owners, cities or kinds".into(),
            );
        }
        return Ok(Follows::everything());
    }
    if r.owners.is_empty() && r.cities.is_empty() && r.kinds.is_empty() {
        return bad("name an owner (--owner), a city (--city) or a kind (--kind)".into());
    }
    // The first change of a node that holds everything: from now on it
    // holds its own city, what it booked, and what it is told.
    if next.all {
        next = Follows::defaults();
    }
    for a in &r.owners {
        if roster.member(a).is_none() {
            return bad(format!("{a} is not a member of this network"));
        }
        if r.follow {
            next.owners.insert(*a);
        } else if !next.owners.remove(a) {
            return bad(format!("{a} is not followed by name"));
        }
    }
    let mine = roster.member(&engine.id()).map(|m| m.profile.city.clone());
    for c in &r.cities {
        let c = c.trim().to_lowercase();
        let known = roster.members().values().any(|m| {
            m.profile.city.zh.to_lowercase() == c || m.profile.city.en.to_lowercase() == c
        });
        if !known {
            return bad(format!("no member of this network is in the city {c:?}"));
        }
        let own = mine
            .as_ref()
            .is_some_and(|m| m.zh.to_lowercase() == c || m.en.to_lowercase() == c);
        if own {
            next.own_city = r.follow;
        } else if r.follow {
            next.cities.insert(c);
        } else if !next.cities.remove(&c) {
            return bad(format!("the city {c:?} is not followed"));
        }
    }
    for k in &r.kinds {
        let k = match k.trim().parse::<ResourceKind>() {
            Ok(k) => k.to_string(),
            Err(never) => match never {},
        };
        if r.follow {
            next.kinds.insert(k);
        } else if !next.kinds.remove(&k) {
            return bad(format!("the kind {k:?} is not followed"));
        }
    }
    Ok(next)
}
