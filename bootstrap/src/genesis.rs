//! Network genesis: the founding agency's key signs the first roster event.

use crdt_model::agency::{AgencyKey, AgencyProfile};
use crdt_model::hlc::Hlc;
use crdt_model::membership::{Roster, SignedRosterEvent};

/// Creates a network named `name` founded by `key`. The returned event is the
/// genesis; its id is the network id.
pub fn create_network(
    key: &AgencyKey,
    name: &str,
    profile: AgencyProfile,
    now_ms: i64,
) -> (Roster, SignedRosterEvent) {
    Roster::create(
        key,
        name,
        profile,
        Hlc {
            wall_ms: now_ms,
            counter: 0,
        },
    )
}

/// Rebuilds a roster from stored events (the genesis among them).
pub fn roster_from_events(events: &[SignedRosterEvent]) -> Option<Roster> {
    let genesis = events
        .iter()
        .find_map(|e| Roster::from_genesis(e.clone()).ok())?;
    let mut roster = genesis;
    roster.add(events.iter().cloned());
    Some(roster)
}
