//! Official vehicles and drivers (公务用车): a vehicle is a resource of kind
//! `vehicle` whose seats are its capacity (one trip at a time) and whose
//! class, energy, plate and odometer are well-known attributes; a driver is
//! a resource of kind `driver` (capacity one person, licence class as an
//! attribute). Both are published, edited and blocked for maintenance or
//! leave (blackouts) like any resource; trips ([`crate::trip`]) hold them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::resource::{Resource, ResourceKind};

/// Attribute keys with a meaning for vehicles and drivers.
pub mod attr {
    /// Vehicle class (`sedan`, `suv`, `van`, `bus`, `truck`, `law-enforcement`).
    pub const CLASS: &str = "class";
    /// Energy (`petrol`, `hybrid`, `ev`).
    pub const ENERGY: &str = "energy";
    /// Number plate.
    pub const PLATE: &str = "plate";
    /// Odometer reading when published, km.
    pub const ODOMETER: &str = "odometer";
    /// A driver's licence class (`A1`, `B2`, `C1` …).
    pub const LICENCE: &str = "licence";
}

/// What kind of vehicle a trip needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VehicleClass {
    /// 轿车.
    Sedan,
    /// 越野车/SUV.
    Suv,
    /// 商务车/面包车.
    Van,
    /// 大客车.
    Bus,
    /// 货车.
    Truck,
    /// 执法执勤用车.
    LawEnforcement,
}

impl VehicleClass {
    /// Every class, in display order.
    pub const ALL: [VehicleClass; 6] = [
        VehicleClass::Sedan,
        VehicleClass::Suv,
        VehicleClass::Van,
        VehicleClass::Bus,
        VehicleClass::Truck,
        VehicleClass::LawEnforcement,
    ];

    /// Its name in both languages.
    pub fn label(self) -> Text {
        match self {
            VehicleClass::Sedan => Text::new("轿车", "sedan"),
            VehicleClass::Suv => Text::new("越野车", "SUV"),
            VehicleClass::Van => Text::new("商务车", "van"),
            VehicleClass::Bus => Text::new("大客车", "bus"),
            VehicleClass::Truck => Text::new("货车", "truck"),
            VehicleClass::LawEnforcement => Text::new("执法执勤车", "law-enforcement"),
        }
    }
}

impl VehicleClass {
    /// Its code, as stored in the `class` attribute.
    pub fn code(self) -> &'static str {
        match self {
            VehicleClass::Sedan => "sedan",
            VehicleClass::Suv => "suv",
            VehicleClass::Van => "van",
            VehicleClass::Bus => "bus",
            VehicleClass::Truck => "truck",
            VehicleClass::LawEnforcement => "law-enforcement",
        }
    }
}

impl fmt::Display for VehicleClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A class name that is not one of [`VehicleClass::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown vehicle class {0:?} (sedan, suv, van, bus, truck, law-enforcement)")]
pub struct UnknownClass(pub String);

impl FromStr for VehicleClass {
    type Err = UnknownClass;
    /// The code or either language's name: `van`, `商务车`, `面包车`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The stored codes first, without allocating: this runs for every
        // vehicle a dispatch looks at.
        let t = s.trim();
        if let Some(c) = VehicleClass::ALL.into_iter().find(|c| c.code() == t) {
            return Ok(c);
        }
        let l = t.to_lowercase();
        VehicleClass::ALL
            .into_iter()
            .find(|c| c.code() == l || c.label().zh == t || c.label().en.to_lowercase() == l)
            .or(match t {
                "面包车" | "minivan" => Some(VehicleClass::Van),
                "执法车" | "law" => Some(VehicleClass::LawEnforcement),
                _ => None,
            })
            .ok_or_else(|| UnknownClass(s.to_string()))
    }
}

impl Serialize for VehicleClass {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VehicleClass {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a vehicle runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Energy {
    /// 燃油.
    Petrol,
    /// 混合动力.
    Hybrid,
    /// 新能源（纯电）.
    Ev,
}

impl FromStr for Energy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "petrol" | "gasoline" | "diesel" | "燃油" => Ok(Energy::Petrol),
            "hybrid" | "混合动力" => Ok(Energy::Hybrid),
            "ev" | "electric" | "新能源" | "纯电" => Ok(Energy::Ev),
            other => Err(format!("unknown energy {other:?} (petrol, hybrid, ev)")),
        }
    }
}

impl Resource {
    /// Whether it is a vehicle.
    pub fn is_vehicle(&self) -> bool {
        self.kind == ResourceKind::Vehicle
    }

    /// Whether it is a driver.
    pub fn is_driver(&self) -> bool {
        self.kind == ResourceKind::Driver
    }

    /// A vehicle's class, when it names a known one.
    pub fn vehicle_class(&self) -> Option<VehicleClass> {
        self.attributes.get(attr::CLASS)?.parse().ok()
    }

    /// A vehicle's energy, when it names a known one.
    pub fn energy(&self) -> Option<Energy> {
        self.attributes.get(attr::ENERGY)?.parse().ok()
    }

    /// A vehicle's odometer reading when published, km.
    pub fn odometer_km(&self) -> Option<u32> {
        self.attributes.get(attr::ODOMETER)?.trim().parse().ok()
    }

    /// A vehicle's or driver's attributes that do not parse, for the
    /// record check: a class or energy nobody could dispatch against.
    pub fn fleet_problem(&self) -> Option<String> {
        if !self.is_vehicle() {
            return None;
        }
        if let Some(c) = self.attributes.get(attr::CLASS)
            && let Err(e) = c.parse::<VehicleClass>()
        {
            return Some(e.to_string());
        }
        if let Some(e) = self.attributes.get(attr::ENERGY)
            && let Err(e) = e.parse::<Energy>()
        {
            return Some(e);
        }
        if let Some(o) = self.attributes.get(attr::ODOMETER)
            && o.trim().parse::<u32>().is_err()
        {
            return Some(format!("odometer {o:?} is not a whole number of km"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_read_in_either_language() {
        assert_eq!("van".parse(), Ok(VehicleClass::Van));
        assert_eq!("商务车".parse(), Ok(VehicleClass::Van));
        assert_eq!("面包车".parse(), Ok(VehicleClass::Van));
        assert_eq!("SUV".parse(), Ok(VehicleClass::Suv));
        assert_eq!("law-enforcement".parse(), Ok(VehicleClass::LawEnforcement));
        assert!("rocket".parse::<VehicleClass>().is_err());
        assert_eq!("电动".parse::<Energy>().ok(), None);
        assert_eq!("ev".parse(), Ok(Energy::Ev));
        for c in VehicleClass::ALL {
            assert_eq!(c.to_string().parse(), Ok(c), "{c}");
        }
    }
}
