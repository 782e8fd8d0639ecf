//! Distributions of scenario parameters. A bare quantity (`"4GiB"`, `3600`) is a constant; a
//! table picks a distribution: `{ dist = "lognormal", mean = "2h", std = "30m" }`.

use std::fmt;
use std::marker::PhantomData;

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Uniform};
use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::tagged::{only_keys, required};
use crate::units::{serialize_number, Qty, QtyVisitor, Unit};

/// A distribution of a non-negative quantity of unit `U`, in canonical units.
pub struct Dist<U> {
    pub kind: DistKind,
    unit: PhantomData<U>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DistKind {
    Constant(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    /// Truncated at zero by redrawing: a negative duration or size means nothing.
    Normal {
        mean: f64,
        std: f64,
    },
    /// Given by the mean and standard deviation of the values themselves, which is what a
    /// user reads off a trace, not by the parameters of the underlying normal.
    LogNormal {
        mean: f64,
        std: f64,
    },
    Exponential {
        mean: f64,
    },
}

/// The table form, in the units of `U`. A plain struct, not a tagged enum, so that serde reads
/// it key by key and an error names the exact key (`growth.min`), not just the table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
struct DistTable<U: Unit> {
    dist: DistName,
    value: Option<Qty<U>>,
    min: Option<Qty<U>>,
    max: Option<Qty<U>>,
    mean: Option<Qty<U>>,
    std: Option<Qty<U>>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum DistName {
    Constant,
    Uniform,
    Normal,
    Lognormal,
    Exponential,
}

impl<U: Unit> DistTable<U> {
    fn into_kind(self) -> Result<DistKind, String> {
        let (name, keys): (&str, &[&str]) = match self.dist {
            DistName::Constant => ("the constant distribution", &["value"]),
            DistName::Uniform => ("the uniform distribution", &["min", "max"]),
            DistName::Normal => ("the normal distribution", &["mean", "std"]),
            DistName::Lognormal => ("the lognormal distribution", &["mean", "std"]),
            DistName::Exponential => ("the exponential distribution", &["mean"]),
        };
        let given = [
            ("value", self.value.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("mean", self.mean.is_some()),
            ("std", self.std.is_some()),
        ];
        only_keys(name, &given, keys)?;
        let get = |key: &str, v: Option<Qty<U>>| required(name, key, v.map(|q| q.value), keys);
        Ok(match self.dist {
            DistName::Constant => DistKind::Constant(get("value", self.value)?),
            DistName::Uniform => DistKind::Uniform {
                min: get("min", self.min)?,
                max: get("max", self.max)?,
            },
            DistName::Normal => DistKind::Normal {
                mean: get("mean", self.mean)?,
                std: get("std", self.std)?,
            },
            DistName::Lognormal => DistKind::LogNormal {
                mean: get("mean", self.mean)?,
                std: get("std", self.std)?,
            },
            DistName::Exponential => DistKind::Exponential {
                mean: get("mean", self.mean)?,
            },
        })
    }
}

impl<U> Dist<U> {
    pub const fn constant(v: f64) -> Self {
        Dist {
            kind: DistKind::Constant(v),
            unit: PhantomData,
        }
    }

    pub fn from_kind(kind: DistKind) -> Self {
        Dist {
            kind,
            unit: PhantomData,
        }
    }

    /// Checks the parameters; the message names the bad one.
    pub fn check(&self) -> Result<(), String> {
        let nonneg = |name: &str, v: f64| match v >= 0.0 {
            true => Ok(()),
            false => Err(format!("`{name}` must not be negative, got {v}")),
        };
        let positive = |name: &str, v: f64| match v > 0.0 {
            true => Ok(()),
            false => Err(format!("`{name}` must be positive, got {v}")),
        };
        match self.kind {
            DistKind::Constant(v) => nonneg("value", v),
            DistKind::Uniform { min, max } if max < min => Err(format!(
                "uniform distribution has max {max} below min {min}"
            )),
            DistKind::Uniform { min, .. } => nonneg("min", min),
            DistKind::Normal { mean, std } => nonneg("mean", mean).and(nonneg("std", std)),
            DistKind::LogNormal { mean, std } => positive("mean", mean).and(nonneg("std", std)),
            DistKind::Exponential { mean } => positive("mean", mean),
        }
    }

    /// The constant value, if this is not a real distribution.
    pub fn as_constant(&self) -> Option<f64> {
        match self.kind {
            DistKind::Constant(v) => Some(v),
            _ => None,
        }
    }

    /// Draws a value. Parameters must have passed [`Dist::check`].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self.kind {
            DistKind::Constant(v) => v,
            DistKind::Uniform { min, max } if min == max => min,
            DistKind::Uniform { min, max } => Uniform::new_inclusive(min, max)
                .expect("checked")
                .sample(rng),
            DistKind::Normal { mean, std } => {
                let normal = Normal::new(mean, std).expect("checked");
                // Redraw negatives; after many tries the mass above zero is negligible.
                (0..1000)
                    .map(|_| normal.sample(rng))
                    .find(|v| *v >= 0.0)
                    .unwrap_or(0.0)
            }
            DistKind::LogNormal { mean, std } => {
                let sigma2 = (1.0 + (std / mean).powi(2)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                LogNormal::new(mu, sigma2.sqrt())
                    .expect("checked")
                    .sample(rng)
            }
            DistKind::Exponential { mean } => Exp::new(1.0 / mean).expect("checked").sample(rng),
        }
    }

    /// The mean of the distribution (of the untruncated one for `normal`).
    pub fn mean(&self) -> f64 {
        match self.kind {
            DistKind::Constant(v) => v,
            DistKind::Uniform { min, max } => (min + max) / 2.0,
            DistKind::Normal { mean, .. }
            | DistKind::LogNormal { mean, .. }
            | DistKind::Exponential { mean } => mean,
        }
    }

    /// The largest value it can take, where bounded.
    pub fn upper_bound(&self) -> Option<f64> {
        match self.kind {
            DistKind::Constant(v) => Some(v),
            DistKind::Uniform { max, .. } => Some(max),
            _ => None,
        }
    }
}

impl<U> Clone for Dist<U> {
    fn clone(&self) -> Self {
        Dist::from_kind(self.kind)
    }
}

impl<U> fmt::Debug for Dist<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl<U> Serialize for Dist<U> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Num(f64);
        impl Serialize for Num {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize_number(self.0, s)
            }
        }
        let (name, params): (&str, &[(&str, f64)]) = match self.kind {
            DistKind::Constant(v) => return serialize_number(v, s),
            DistKind::Uniform { min, max } => ("uniform", &[("min", min), ("max", max)]),
            DistKind::Normal { mean, std } => ("normal", &[("mean", mean), ("std", std)]),
            DistKind::LogNormal { mean, std } => ("lognormal", &[("mean", mean), ("std", std)]),
            DistKind::Exponential { mean } => ("exponential", &[("mean", mean)]),
        };
        let mut map = s.serialize_map(Some(params.len() + 1))?;
        map.serialize_entry("dist", name)?;
        for (k, v) in params {
            map.serialize_entry(k, &Num(*v))?;
        }
        map.end()
    }
}

impl<'de, U: Unit> Deserialize<'de> for Dist<U> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DistVisitor::<U>(PhantomData))
    }
}

/// Reads a bare quantity as a constant and a table as a distribution.
pub struct DistVisitor<U>(pub PhantomData<U>);

impl<'de, U: Unit> Visitor<'de> for DistVisitor<U> {
    type Value = Dist<U>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} or a distribution table such as {{ dist = \"uniform\", min = ..., max = ... }}",
            U::WHAT
        )
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        QtyVisitor::<U>(PhantomData)
            .visit_i64(v)
            .map(Dist::constant)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        QtyVisitor::<U>(PhantomData)
            .visit_u64(v)
            .map(Dist::constant)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        QtyVisitor::<U>(PhantomData)
            .visit_f64(v)
            .map(Dist::constant)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        QtyVisitor::<U>(PhantomData)
            .visit_str(v)
            .map(Dist::constant)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let table = DistTable::<U>::deserialize(MapAccessDeserializer::new(map))?;
        table
            .into_kind()
            .map(Dist::from_kind)
            .map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;
    use crate::units::{Memory, Time};

    fn parse<U: Unit>(src: &str) -> Result<Dist<U>, String> {
        #[derive(Deserialize)]
        #[serde(bound = "")]
        struct W<U: Unit> {
            d: Dist<U>,
        }
        toml::from_str::<W<U>>(src)
            .map(|w| w.d)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn scalars_are_constants_and_tables_are_distributions() {
        assert_eq!(
            parse::<Memory>("d = \"2GiB\"").unwrap().kind,
            DistKind::Constant(2147483648.0)
        );
        assert_eq!(
            parse::<Time>("d = { dist = \"uniform\", min = \"1m\", max = \"2m\" }")
                .unwrap()
                .kind,
            DistKind::Uniform {
                min: 60.0,
                max: 120.0
            }
        );
        let err =
            parse::<Time>("d = { dist = \"uniform\", min = \"1m\", mx = \"2m\" }").unwrap_err();
        assert!(err.contains("unknown field `mx`"), "{err}");
        let err = parse::<Time>("d = { dist = \"gauss\", mean = 1 }").unwrap_err();
        assert!(err.contains("unknown variant `gauss`"), "{err}");
        let err = parse::<Time>("d = { dist = \"uniform\", min = 1 }").unwrap_err();
        assert_eq!(
            err,
            "the uniform distribution needs `max` (it takes min, max)"
        );
        let err = parse::<Time>("d = { dist = \"exponential\", mean = 1, std = 2 }").unwrap_err();
        assert_eq!(
            err,
            "`std` does not apply to the exponential distribution (it takes mean)"
        );
    }

    #[test]
    fn checks_reject_nonsense() {
        assert!(
            Dist::<Time>::from_kind(DistKind::Uniform { min: 5.0, max: 1.0 })
                .check()
                .is_err()
        );
        assert!(Dist::<Time>::from_kind(DistKind::Exponential { mean: 0.0 })
            .check()
            .is_err());
        assert!(Dist::<Time>::constant(-1.0).check().is_err());
        assert!(Dist::<Time>::from_kind(DistKind::LogNormal {
            mean: 10.0,
            std: 2.0
        })
        .check()
        .is_ok());
    }

    #[test]
    fn lognormal_matches_requested_mean() {
        let d = Dist::<Time>::from_kind(DistKind::LogNormal {
            mean: 100.0,
            std: 50.0,
        });
        let mut rng = RngStreams::new(7).stream("test");
        let n = 200_000;
        let mean = (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64;
        assert!((mean - 100.0).abs() < 1.0, "sample mean {mean}");
    }

    #[test]
    fn truncated_normal_never_negative() {
        let d = Dist::<Time>::from_kind(DistKind::Normal {
            mean: 1.0,
            std: 5.0,
        });
        let mut rng = RngStreams::new(1).stream("test");
        assert!((0..10_000).all(|_| d.sample(&mut rng) >= 0.0));
    }
}
