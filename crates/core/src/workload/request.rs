use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::units::Memory;
use crate::workload::dist::{Dist, DistVisitor};

/// The memory a job declares when it is submitted.
#[derive(Clone, Debug, Default)]
pub enum RequestSpec {
    /// Nothing declared (a request of 0), as for many real batch jobs.
    #[default]
    Unknown,
    /// The job's true peak: an honest request.
    Peak,
    /// A stated amount, possibly drawn from a distribution.
    Amount(Dist<Memory>),
}

impl RequestSpec {
    pub fn check(&self) -> Result<(), String> {
        match self {
            RequestSpec::Amount(d) => d.check(),
            _ => Ok(()),
        }
    }
}

impl Serialize for RequestSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestSpec::Unknown => s.serialize_u64(0),
            RequestSpec::Peak => s.serialize_str("peak"),
            RequestSpec::Amount(d) => d.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RequestSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RequestVisitor)
    }
}

struct RequestVisitor;

impl RequestVisitor {
    fn amount() -> DistVisitor<Memory> {
        DistVisitor(PhantomData)
    }
}

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = RequestSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"peak\", a memory size, or a distribution of memory sizes")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::amount().visit_i64(v).map(RequestSpec::Amount)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::amount().visit_u64(v).map(RequestSpec::Amount)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::amount().visit_f64(v).map(RequestSpec::Amount)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "peak" => Ok(RequestSpec::Peak),
            _ => Self::amount().visit_str(v).map(RequestSpec::Amount),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Self::amount().visit_map(map).map(RequestSpec::Amount)
    }
}
