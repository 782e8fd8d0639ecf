//! Physical quantities as they appear in scenario files: a plain number in the canonical unit
//! (bytes, seconds, bytes per second) or a string with a unit (`"450GiB"`, `"90m"`,
//! `"10Gbit/s"`). Everything inside the simulator is in canonical units.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A kind of quantity: how to read it from a string with a unit.
pub trait Unit {
    /// What the quantity is, for error messages ("a memory size").
    const WHAT: &'static str;
    /// Parses a string such as `"4GiB"` into the canonical unit.
    fn parse(s: &str) -> Result<f64, String>;
}

pub struct Memory;
pub struct Time;
pub struct Rate;
pub struct Plain;

const MEMORY_UNITS: &[(&str, f64)] = &[
    ("B", 1.0),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("KiB", 1024.0),
    ("MiB", 1048576.0),
    ("GiB", 1073741824.0),
    ("TiB", 1099511627776.0),
];

const TIME_UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("min", 60.0),
    ("h", 3600.0),
    ("d", 86400.0),
];

const BIT_UNITS: &[(&str, f64)] = &[
    ("bit", 0.125),
    ("Kbit", 125.0),
    ("Mbit", 125e3),
    ("Gbit", 125e6),
    ("Tbit", 125e9),
];

impl Unit for Memory {
    const WHAT: &'static str = "a memory size";
    fn parse(s: &str) -> Result<f64, String> {
        parse_with_units(s, MEMORY_UNITS).ok_or_else(|| {
            format!("invalid memory size `{s}`: expected a number of bytes or a number with a unit ({}), e.g. \"4GiB\"", unit_names(MEMORY_UNITS))
        })
    }
}

impl Unit for Time {
    const WHAT: &'static str = "a duration";
    fn parse(s: &str) -> Result<f64, String> {
        parse_with_units(s, TIME_UNITS).ok_or_else(|| {
            format!("invalid duration `{s}`: expected a number of seconds or a number with a unit ({}), e.g. \"90m\"", unit_names(TIME_UNITS))
        })
    }
}

impl Unit for Rate {
    const WHAT: &'static str = "a rate";
    fn parse(s: &str) -> Result<f64, String> {
        parse_rate(s).ok_or_else(|| {
            format!("invalid rate `{s}`: expected bytes per second or an amount per time unit, e.g. \"10MiB/s\", \"1GiB/min\" or \"10Gbit/s\"")
        })
    }
}

impl Unit for Plain {
    const WHAT: &'static str = "a number";
    fn parse(s: &str) -> Result<f64, String> {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("invalid number `{s}`"))
    }
}

fn unit_names(units: &[(&str, f64)]) -> String {
    units.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

fn parse_with_units(s: &str, units: &[(&str, f64)]) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '_' || c == '-' || c == '+' || c == 'e')
        })
        .unwrap_or(s.len());
    // A trailing `e` would be read as an exponent marker; only digits may follow it.
    let (num, unit) = s.split_at(split);
    let value: f64 = num.replace('_', "").parse().ok()?;
    let unit = unit.trim();
    let factor = if unit.is_empty() {
        1.0
    } else {
        units.iter().find(|(name, _)| *name == unit)?.1
    };
    Some(value * factor).filter(|v| v.is_finite())
}

fn parse_rate(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        return Some(v).filter(|v| v.is_finite());
    }
    let (amount, per) = s.rsplit_once('/')?;
    let per_secs = parse_with_units(&format!("1{}", per.trim()), TIME_UNITS)?;
    let bytes =
        parse_with_units(amount, MEMORY_UNITS).or_else(|| parse_with_units(amount, BIT_UNITS))?;
    Some(bytes / per_secs).filter(|v| v.is_finite())
}

/// A quantity of unit `U`, held in the canonical unit.
pub struct Qty<U> {
    pub value: f64,
    unit: PhantomData<U>,
}

pub type Bytes = Qty<Memory>;
pub type Seconds = Qty<Time>;
pub type ByteRate = Qty<Rate>;

impl<U> Qty<U> {
    pub const fn new(value: f64) -> Self {
        Qty {
            value,
            unit: PhantomData,
        }
    }
}

impl<U> Clone for Qty<U> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<U> Copy for Qty<U> {}

impl<U> PartialEq for Qty<U> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<U> fmt::Debug for Qty<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<U> Serialize for Qty<U> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_number(self.value, s)
    }
}

/// Integral values are written as integers so that resolved parameters read naturally.
pub fn serialize_number<S: Serializer>(v: f64, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        s.serialize_i64(v as i64)
    } else {
        s.serialize_f64(v)
    }
}

impl<'de, U: Unit> Deserialize<'de> for Qty<U> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(QtyVisitor::<U>(PhantomData))
            .map(Qty::new)
    }
}

/// Reads a number in the canonical unit or a string with a unit. Also used by distribution
/// specs, where a bare quantity means a constant.
pub struct QtyVisitor<U>(pub PhantomData<U>);

impl<'de, U: Unit> Visitor<'de> for QtyVisitor<U> {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(U::WHAT)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(E::custom(format!("{} must be finite, got {v}", U::WHAT)))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        U::parse(v).map_err(E::custom)
    }
}

/// A command-line quantity that must be greater than zero.
pub fn positive<U: Unit>(s: &str) -> Result<f64, String> {
    let v = U::parse(s)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be greater than zero, got `{s}`"))
    }
}

/// A command-line quantity that must not be negative.
pub fn non_negative<U: Unit>(s: &str) -> Result<f64, String> {
    let v = U::parse(s)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("must not be negative, got `{s}`"))
    }
}

/// Formats bytes for people: `1.5 GiB`.
pub fn human_bytes(bytes: f64) -> String {
    const STEPS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes;
    let mut i = 0;
    while v.abs() >= 1024.0 && i + 1 < STEPS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.2} {}", STEPS[i])
    }
}

/// Formats seconds for people: `2h 03m 04s`.
pub fn human_duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "-".into();
    }
    if secs < 60.0 {
        return format!("{secs:.3}s");
    }
    let total = secs.round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else {
        format!("{m}m {s:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(Memory::parse("4GiB").unwrap(), 4.0 * 1073741824.0);
        assert_eq!(Memory::parse("1.5 KB").unwrap(), 1500.0);
        assert_eq!(Memory::parse("1_000").unwrap(), 1000.0);
        let err = Memory::parse("4XB").unwrap_err();
        assert!(err.contains("`4XB`") && err.contains("GiB"), "{err}");
    }

    #[test]
    fn time_units() {
        assert_eq!(Time::parse("90m").unwrap(), 5400.0);
        assert_eq!(Time::parse("2h").unwrap(), 7200.0);
        assert_eq!(Time::parse("250ms").unwrap(), 0.25);
        assert!(Time::parse("5 fortnights").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(Rate::parse("10Gbit/s").unwrap(), 1.25e9);
        assert_eq!(Rate::parse("1GiB/min").unwrap(), 1073741824.0 / 60.0);
        assert_eq!(Rate::parse("100").unwrap(), 100.0);
        assert!(Rate::parse("10GiB").is_err());
    }

    #[test]
    fn human_formats() {
        assert_eq!(human_bytes(1536.0 * 1048576.0), "1.50 GiB");
        assert_eq!(human_duration(3725.0), "1h 02m 05s");
    }
}
