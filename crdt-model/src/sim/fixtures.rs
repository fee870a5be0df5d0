//! What simulations are made of: a seeded RNG, test agencies and
//! resources, and the overbooking check every test applies.

use super::*;

/// SplitMix64: a tiny seeded RNG so this crate needs no RNG dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Deterministic test key number `i`.
pub fn test_key(i: usize) -> AgencyKey {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    s[31] = 0x7c;
    AgencyKey::from_secret(&s)
}

/// A profile for test agency `i`.
pub fn test_profile(key: &AgencyKey, i: usize) -> AgencyProfile {
    let cities = [
        ("深圳", "Shenzhen"),
        ("杭州", "Hangzhou"),
        ("石家庄", "Shijiazhuang"),
        ("南宁", "Nanning"),
    ];
    let (zh, en) = cities[i % cities.len()];
    AgencyProfile {
        id: key.id(),
        name: Text::new(format!("机关{i}"), format!("Agency {i}")),
        city: Text::new(zh, en),
    }
}

/// The largest amount by which confirmed bookings exceed a resource's
/// capacity at any instant, over all calendars given (0 when the invariant
/// holds). Computed from the confirmed list alone, independently of the
/// calendar's own bookkeeping.
pub fn overbooking(
    resources: &BTreeMap<ResourceId, Box<crate::resource::Resource>>,
    cals: &BTreeMap<ResourceId, ResourceCalendar>,
) -> u32 {
    let mut worst = 0;
    for (rid, cal) in cals {
        let Some(res) = resources.get(rid) else {
            if !cal.confirmed.is_empty() {
                return u32::MAX;
            }
            continue;
        };
        debug_assert!(cal.confirmed.iter().all(|b| b.status == Status::Confirmed));
        worst = worst.max(crate::calendar::excess(res, &cal.confirmed));
    }
    worst
}

/// A test resource owned by `owner`.
pub fn test_resource(
    owner: AgencyId,
    local: &str,
    capacity: crate::resource::Capacity,
    approval: crate::resource::Approval,
) -> crate::resource::Resource {
    use crate::resource::*;
    Resource {
        id: ResourceId::new(owner, local).expect("valid local id"),
        kind: match capacity {
            Capacity::People(_) => ResourceKind::MeetingRoom,
            Capacity::Units(_) => ResourceKind::Parking,
        },
        name: Text::new(format!("资源{local}"), format!("Resource {local}")),
        location: Location {
            city: Text::new("杭州", "Hangzhou"),
            ..Default::default()
        },
        capacity,
        features: Default::default(),
        attributes: Default::default(),
        sharing: Sharing::AllMembers,
        rules: BookingRules {
            approval,
            ..Default::default()
        },
        retired: false,
        held_by: None,
    }
}
