//! Memory as a function of progress (executed work), compiled to exact piecewise-linear
//! segments. Between two breakpoints a job's memory is linear, so a node's total is piecewise
//! linear and its out-of-memory moment can be solved exactly; curved shapes are approximated by
//! chords within a stated tolerance, and each breakpoint becomes one event.

use rand::Rng;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::engine::SimDuration;
use crate::keypath::{FieldIssue, KeyPath};
use crate::tagged::{only_keys, required};
use crate::units::{Bytes, Memory, Plain, Rate, Seconds, Time};
use crate::workload::dist::Dist;

/// Curved shapes are split into chords until no chord is further than this fraction of the
/// profile's peak from the curve.
pub const CHORD_TOLERANCE: f64 = 1e-3;
const MAX_SPLIT_DEPTH: u32 = 12;

/// A memory profile as written in a scenario: parameters may be distributions.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "shape", rename_all = "lowercase", try_from = "ProfileTable")]
pub enum ProfileSpec {
    /// Flat at `size`.
    Constant { size: Dist<Memory> },
    /// `start + growth * progress`, flat once it reaches `cap`.
    Linear {
        start: Dist<Memory>,
        growth: Dist<Rate>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cap: Option<Dist<Memory>>,
    },
    /// `start * 2^(progress / doubling)`, flat once it reaches `cap`.
    Exponential {
        start: Dist<Memory>,
        doubling: Dist<Time>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cap: Option<Dist<Memory>>,
    },
    /// An S-curve from `start` at progress 0 to `peak` at the end of the job's work, steepest at
    /// `midpoint` (a fraction of the work).
    Logistic {
        start: Dist<Memory>,
        peak: Dist<Memory>,
        midpoint: Dist<Plain>,
        steepness: Dist<Plain>,
    },
    /// Memory at given progress points, linear in between and flat after the last one.
    Points { points: Vec<(Seconds, Bytes)> },
}

/// How a profile is read: every key of every shape, so that serde keeps exact key paths.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileTable {
    shape: ShapeName,
    size: Option<Dist<Memory>>,
    start: Option<Dist<Memory>>,
    growth: Option<Dist<Rate>>,
    cap: Option<Dist<Memory>>,
    doubling: Option<Dist<Time>>,
    peak: Option<Dist<Memory>>,
    midpoint: Option<Dist<Plain>>,
    steepness: Option<Dist<Plain>>,
    points: Option<Vec<(Seconds, Bytes)>>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ShapeName {
    Constant,
    Linear,
    Exponential,
    Logistic,
    Points,
}

impl TryFrom<ProfileTable> for ProfileSpec {
    type Error = String;

    fn try_from(t: ProfileTable) -> Result<Self, String> {
        let (name, keys): (&str, &[&str]) = match t.shape {
            ShapeName::Constant => ("a constant profile", &["size"]),
            ShapeName::Linear => ("a linear profile", &["start", "growth", "cap"]),
            ShapeName::Exponential => ("an exponential profile", &["start", "doubling", "cap"]),
            ShapeName::Logistic => (
                "a logistic profile",
                &["start", "peak", "midpoint", "steepness"],
            ),
            ShapeName::Points => ("a points profile", &["points"]),
        };
        let given = [
            ("size", t.size.is_some()),
            ("start", t.start.is_some()),
            ("growth", t.growth.is_some()),
            ("cap", t.cap.is_some()),
            ("doubling", t.doubling.is_some()),
            ("peak", t.peak.is_some()),
            ("midpoint", t.midpoint.is_some()),
            ("steepness", t.steepness.is_some()),
            ("points", t.points.is_some()),
        ];
        only_keys(name, &given, keys)?;
        Ok(match t.shape {
            ShapeName::Constant => ProfileSpec::Constant {
                size: required(name, "size", t.size, keys)?,
            },
            ShapeName::Linear => ProfileSpec::Linear {
                start: t.start.unwrap_or(Dist::constant(0.0)),
                growth: required(name, "growth", t.growth, keys)?,
                cap: t.cap,
            },
            ShapeName::Exponential => ProfileSpec::Exponential {
                start: required(name, "start", t.start, keys)?,
                doubling: required(name, "doubling", t.doubling, keys)?,
                cap: t.cap,
            },
            ShapeName::Logistic => ProfileSpec::Logistic {
                start: required(name, "start", t.start, keys)?,
                peak: required(name, "peak", t.peak, keys)?,
                midpoint: t.midpoint.unwrap_or(Dist::constant(0.5)),
                steepness: t.steepness.unwrap_or(Dist::constant(10.0)),
            },
            ShapeName::Points => ProfileSpec::Points {
                points: required(name, "points", t.points, keys)?,
            },
        })
    }
}

/// A profile with every parameter drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Constant {
        size: f64,
    },
    Linear {
        start: f64,
        growth: f64,
        cap: Option<f64>,
    },
    Exponential {
        start: f64,
        doubling: f64,
        cap: Option<f64>,
    },
    Logistic {
        start: f64,
        peak: f64,
        midpoint: f64,
        steepness: f64,
    },
    Points(Vec<(f64, f64)>),
}

impl ProfileSpec {
    /// Checks what can be checked before drawing: each distribution, and relations between
    /// parameters that are constants.
    pub fn check(&self) -> Result<(), FieldIssue> {
        let dist = |key: &str, d: &Dist<_>| d.check().map_err(|m| FieldIssue::at(key, m));
        let rate = |key: &str, d: &Dist<Rate>| d.check().map_err(|m| FieldIssue::at(key, m));
        let time = |key: &str, d: &Dist<Time>| d.check().map_err(|m| FieldIssue::at(key, m));
        let plain = |key: &str, d: &Dist<Plain>| d.check().map_err(|m| FieldIssue::at(key, m));
        match self {
            ProfileSpec::Constant { size } => dist("size", size),
            ProfileSpec::Linear { start, growth, cap } => {
                dist("start", start)?;
                rate("growth", growth)?;
                check_cap(start, cap.as_ref())
            }
            ProfileSpec::Exponential {
                start,
                doubling,
                cap,
            } => {
                dist("start", start)?;
                if start.as_constant() == Some(0.0) {
                    return Err(FieldIssue::at(
                        "start",
                        "an exponential profile needs a positive `start`: 0 never grows",
                    ));
                }
                time("doubling", doubling)?;
                if doubling.as_constant() == Some(0.0) {
                    return Err(FieldIssue::at(
                        "doubling",
                        "the doubling time must be positive",
                    ));
                }
                check_cap(start, cap.as_ref())
            }
            ProfileSpec::Logistic {
                start,
                peak,
                midpoint,
                steepness,
            } => {
                dist("start", start)?;
                dist("peak", peak)?;
                plain("midpoint", midpoint)?;
                plain("steepness", steepness)?;
                if let (Some(s), Some(p)) = (start.as_constant(), peak.as_constant()) {
                    if p < s {
                        return Err(FieldIssue::at(
                            "peak",
                            format!("peak {p} is below start {s}"),
                        ));
                    }
                }
                if midpoint.upper_bound().is_some_and(|m| m > 1.0) {
                    return Err(FieldIssue::at(
                        "midpoint",
                        "the midpoint is a fraction of the work, between 0 and 1",
                    ));
                }
                if steepness.as_constant() == Some(0.0) {
                    return Err(FieldIssue::at(
                        "steepness",
                        "the steepness must be positive",
                    ));
                }
                Ok(())
            }
            ProfileSpec::Points { points } => check_points(points),
        }
    }

    /// Draws the parameters. Where two drawn values contradict each other (a cap below the
    /// start), the later one is raised to the earlier: the documented reading of such a draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Shape {
        match self {
            ProfileSpec::Constant { size } => Shape::Constant {
                size: size.sample(rng),
            },
            ProfileSpec::Linear { start, growth, cap } => {
                let start = start.sample(rng);
                let growth = growth.sample(rng);
                let cap = cap.as_ref().map(|c| c.sample(rng).max(start));
                Shape::Linear { start, growth, cap }
            }
            ProfileSpec::Exponential {
                start,
                doubling,
                cap,
            } => {
                let start = start.sample(rng);
                let doubling = doubling.sample(rng);
                let cap = cap.as_ref().map(|c| c.sample(rng).max(start));
                Shape::Exponential {
                    start,
                    doubling,
                    cap,
                }
            }
            ProfileSpec::Logistic {
                start,
                peak,
                midpoint,
                steepness,
            } => {
                let start = start.sample(rng);
                let peak = peak.sample(rng).max(start);
                let midpoint = midpoint.sample(rng).clamp(0.0, 1.0);
                let steepness = steepness.sample(rng);
                Shape::Logistic {
                    start,
                    peak,
                    midpoint,
                    steepness,
                }
            }
            ProfileSpec::Points { points } => {
                Shape::Points(points.iter().map(|(t, m)| (t.value, m.value)).collect())
            }
        }
    }
}

fn check_cap(start: &Dist<Memory>, cap: Option<&Dist<Memory>>) -> Result<(), FieldIssue> {
    let Some(cap) = cap else { return Ok(()) };
    cap.check().map_err(|m| FieldIssue::at("cap", m))?;
    match (start.as_constant(), cap.as_constant()) {
        (Some(s), Some(c)) if c < s => {
            Err(FieldIssue::at("cap", format!("cap {c} is below start {s}")))
        }
        _ => Ok(()),
    }
}

fn check_points(points: &[(Seconds, Bytes)]) -> Result<(), FieldIssue> {
    let at = |i: usize, j: usize, m: String| {
        FieldIssue::new(KeyPath::root().key("points").index(i).index(j), m)
    };
    if points.is_empty() {
        return Err(FieldIssue::at(
            "points",
            "a points profile needs at least one [progress, memory] point",
        ));
    }
    for (i, (t, m)) in points.iter().enumerate() {
        if t.value < 0.0 {
            return Err(at(
                i,
                0,
                format!("progress must not be negative, got {}", t.value),
            ));
        }
        if m.value < 0.0 {
            return Err(at(
                i,
                1,
                format!("memory must not be negative, got {}", m.value),
            ));
        }
        if i > 0 && t.value <= points[i - 1].0.value {
            return Err(at(
                i,
                0,
                "progress points must be strictly increasing".into(),
            ));
        }
    }
    Ok(())
}

/// One line segment of a profile: memory is `bytes + slope * (progress - start)` (progress in
/// ns, slope in bytes per second) until `end`, if another segment follows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub start: u64,
    pub bytes: f64,
    pub slope: f64,
    pub end: Option<u64>,
}

impl Segment {
    #[inline]
    pub fn bytes_at(&self, progress: u64) -> f64 {
        self.bytes + self.slope * (progress.saturating_sub(self.start) as f64 / 1e9)
    }
}

/// Where a segment of a profile starts: memory `bytes` at `progress` (ns), rising `slope`
/// bytes per second of progress until the next breakpoint (0 after the last).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Breakpoint {
    progress: u64,
    bytes: f64,
    slope: f64,
}

/// Memory over progress as exact line segments, one per breakpoint; after the last
/// breakpoint memory stays flat.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryProfile {
    /// In order of progress. Flat and capped linear profiles, which most generated jobs have,
    /// fit in place: no allocations of their own (three a profile before), and a job's
    /// segments are read where its spec is.
    points: SmallVec<[Breakpoint; 2]>,
    peak: f64,
    /// Memory jumps at breakpoints (a step profile) instead of running on continuously.
    stepped: bool,
}

impl MemoryProfile {
    /// Builds from points sorted by progress; a first point after 0 is extended back to 0.
    pub fn from_points(points: &[(u64, f64)]) -> Self {
        assert!(!points.is_empty(), "a profile needs a point");
        let mut progress = Vec::with_capacity(points.len() + 1);
        let mut bytes = Vec::with_capacity(points.len() + 1);
        if points[0].0 > 0 {
            progress.push(0);
            bytes.push(points[0].1);
        }
        for &(p, b) in points {
            if progress.last() == Some(&p) {
                *bytes.last_mut().expect("nonempty") = b;
            } else {
                progress.push(p);
                bytes.push(b);
            }
        }
        let points = (0..progress.len())
            .map(|k| Breakpoint {
                progress: progress[k],
                bytes: bytes[k],
                slope: match progress.get(k + 1) {
                    Some(&next) => (bytes[k + 1] - bytes[k]) / ((next - progress[k]) as f64 / 1e9),
                    None => 0.0,
                },
            })
            .collect();
        let peak = bytes.iter().copied().fold(0.0, f64::max);
        MemoryProfile {
            points,
            peak,
            stepped: false,
        }
    }

    /// Builds a step function from points sorted by progress: memory is `points[k].1` from
    /// `points[k].0` until the next point, and jumps there; a first point after 0 is extended
    /// back to 0.
    pub fn steps(points: &[(u64, f64)]) -> Self {
        let mut flat = Self::from_points(points);
        flat.points.iter_mut().for_each(|p| p.slope = 0.0);
        flat.stepped = true;
        flat
    }

    /// Whether memory jumps at breakpoints, so that entering a segment changes it at once.
    pub fn is_stepped(&self) -> bool {
        self.stepped
    }

    /// Compiles a drawn shape over a job's whole work.
    pub fn compile(shape: &Shape, work: SimDuration) -> Self {
        let work_s = work.as_secs();
        let ns = |s: f64| SimDuration::from_secs(s).0;
        match *shape {
            Shape::Constant { size } => Self::from_points(&[(0, size)]),
            Shape::Linear { start, growth, cap } => {
                let end = match cap {
                    Some(cap) if growth > 0.0 => ((cap - start) / growth).min(work_s),
                    _ if growth > 0.0 => work_s,
                    _ => 0.0,
                };
                Self::from_points(&[(0, start), (ns(end), start + growth * end)])
            }
            Shape::Exponential {
                start,
                doubling,
                cap,
            } => {
                let f = |t: f64| start * (t / doubling).exp2();
                let end = match cap {
                    Some(cap) if start > 0.0 => (doubling * (cap / start).log2()).min(work_s),
                    _ => work_s,
                };
                let mut pts = chords(&f, end);
                if let Some(cap) = cap.filter(|_| end < work_s) {
                    pts.last_mut().expect("chords are nonempty").1 = cap;
                }
                Self::from_points(&pts)
            }
            Shape::Logistic {
                start,
                peak,
                midpoint,
                steepness,
            } => {
                let sigma = |x: f64| 1.0 / (1.0 + (-steepness * (x - midpoint)).exp());
                let (lo, hi) = (sigma(0.0), sigma(1.0));
                let f = |t: f64| {
                    start + (peak - start) * (sigma(t / work_s.max(1e-9)) - lo) / (hi - lo)
                };
                Self::from_points(&chords(&f, work_s))
            }
            Shape::Points(ref points) => {
                let pts: Vec<(u64, f64)> = points.iter().map(|&(t, m)| (ns(t), m)).collect();
                Self::from_points(&pts)
            }
        }
    }

    pub fn peak(&self) -> f64 {
        self.peak
    }

    /// The breakpoints as (progress in ns, bytes): with [`Self::is_stepped`], enough to
    /// rebuild the profile (the live workload program does, in another process).
    pub fn points(&self) -> Vec<(u64, f64)> {
        self.points.iter().map(|p| (p.progress, p.bytes)).collect()
    }

    /// Whether every point and slope is a finite number (a curve can overflow `f64`).
    pub fn is_finite(&self) -> bool {
        self.points
            .iter()
            .all(|p| p.bytes.is_finite() && p.slope.is_finite())
    }

    pub fn segments(&self) -> usize {
        self.points.len()
    }

    /// The segment that holds `progress`.
    pub fn segment_of(&self, progress: u64) -> usize {
        self.points.partition_point(|p| p.progress <= progress) - 1
    }

    /// Segment `k`, as a value a running job keeps so that reading its memory touches nothing
    /// but the job itself.
    pub fn segment(&self, k: usize) -> Segment {
        let p = self.points[k];
        Segment {
            start: p.progress,
            bytes: p.bytes,
            slope: p.slope,
            end: self.points.get(k + 1).map(|next| next.progress),
        }
    }

    pub fn bytes_at(&self, progress: u64) -> f64 {
        self.segment(self.segment_of(progress)).bytes_at(progress)
    }
}

/// Chords of `f` over `[0, end]` seconds, as (ns, bytes) points, split until each chord is within
/// `CHORD_TOLERANCE` of the curve's largest value.
fn chords(f: &dyn Fn(f64) -> f64, end: f64) -> Vec<(u64, f64)> {
    let ns = |s: f64| SimDuration::from_secs(s).0;
    if end <= 0.0 {
        return vec![(0, f(0.0))];
    }
    let scale = f(0.0).abs().max(f(end).abs()).max(f(end / 2.0).abs());
    let tol = CHORD_TOLERANCE * scale;
    let mut out = vec![(0, f(0.0))];
    split(f, 0.0, end, tol, 0, &mut |t| out.push((ns(t), f(t))));
    out
}

fn split(f: &dyn Fn(f64) -> f64, a: f64, b: f64, tol: f64, depth: u32, emit: &mut dyn FnMut(f64)) {
    let (fa, fb) = (f(a), f(b));
    let off = |x: f64| (f(a + x * (b - a)) - (fa + x * (fb - fa))).abs();
    if depth >= MAX_SPLIT_DEPTH || [0.25, 0.5, 0.75].iter().all(|&x| off(x) <= tol) {
        emit(b);
        return;
    }
    let mid = (a + b) / 2.0;
    split(f, a, mid, tol, depth + 1, emit);
    split(f, mid, b, tol, depth + 1, emit);
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: f64 = 1073741824.0;
    fn secs(s: f64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    #[test]
    fn linear_with_cap_is_two_segments() {
        let p = MemoryProfile::compile(
            &Shape::Linear {
                start: GIB,
                growth: GIB,
                cap: Some(5.0 * GIB),
            },
            secs(100.0),
        );
        assert_eq!(p.segments(), 2);
        assert_eq!(p.bytes_at(secs(2.0).0), 3.0 * GIB);
        assert_eq!(p.bytes_at(secs(4.0).0), 5.0 * GIB);
        assert_eq!(p.bytes_at(secs(50.0).0), 5.0 * GIB);
        assert_eq!(p.segment(0).slope, GIB);
        assert_eq!(p.segment(0).end, Some(secs(4.0).0));
        assert_eq!(p.segment(1).end, None);
        assert_eq!(p.peak(), 5.0 * GIB);
    }

    #[test]
    fn exponential_stays_within_tolerance_and_hits_cap() {
        let shape = Shape::Exponential {
            start: GIB,
            doubling: 60.0,
            cap: Some(16.0 * GIB),
        };
        let p = MemoryProfile::compile(&shape, secs(600.0));
        for i in 0..=240 {
            let t = i as f64;
            let exact = (GIB * (t / 60.0).exp2()).min(16.0 * GIB);
            assert!(
                (p.bytes_at(secs(t).0) - exact).abs() <= CHORD_TOLERANCE * 16.0 * GIB * 1.01,
                "t={t}"
            );
        }
        assert_eq!(p.bytes_at(secs(500.0).0), 16.0 * GIB);
        assert!(p.segments() < 200, "{} segments", p.segments());
    }

    #[test]
    fn logistic_runs_from_start_to_peak() {
        let shape = Shape::Logistic {
            start: GIB,
            peak: 9.0 * GIB,
            midpoint: 0.5,
            steepness: 10.0,
        };
        let p = MemoryProfile::compile(&shape, secs(1000.0));
        assert!((p.bytes_at(0) - GIB).abs() < 1.0);
        assert!((p.bytes_at(secs(1000.0).0) - 9.0 * GIB).abs() < 1.0);
        assert!((p.bytes_at(secs(500.0).0) - 5.0 * GIB).abs() < 0.01 * GIB);
    }

    #[test]
    fn overflowing_curves_are_not_finite() {
        let shape = Shape::Exponential {
            start: 1.0,
            doubling: 1e-9,
            cap: None,
        };
        assert!(!MemoryProfile::compile(&shape, secs(3600.0)).is_finite());
        let capped = Shape::Exponential {
            start: 1.0,
            doubling: 1e-9,
            cap: Some(GIB),
        };
        assert!(MemoryProfile::compile(&capped, secs(3600.0)).is_finite());
    }

    #[test]
    fn points_before_zero_are_extended() {
        let p = MemoryProfile::compile(
            &Shape::Points(vec![(10.0, GIB), (20.0, 3.0 * GIB)]),
            secs(30.0),
        );
        assert_eq!(p.bytes_at(0), GIB);
        assert_eq!(p.bytes_at(secs(15.0).0), 2.0 * GIB);
        assert_eq!(p.bytes_at(secs(25.0).0), 3.0 * GIB);
    }

    #[test]
    fn nonsense_profiles_are_rejected() {
        let parse = |s: &str| {
            toml::from_str::<ProfileSpec>(s)
                .unwrap()
                .check()
                .unwrap_err()
        };
        assert_eq!(
            parse("shape = \"linear\"\nstart = \"4GiB\"\ngrowth = 1\ncap = \"1GiB\"")
                .path
                .to_string(),
            "cap"
        );
        assert_eq!(
            parse("shape = \"exponential\"\nstart = 0\ndoubling = 10")
                .path
                .to_string(),
            "start"
        );
        let e = parse("shape = \"points\"\npoints = [[0, 1], [5, 2], [5, 3]]");
        assert_eq!(e.path.to_string(), "points[2][0]");
    }

    #[test]
    fn keys_must_fit_the_shape() {
        let err = |s: &str| {
            toml::from_str::<ProfileSpec>(s)
                .unwrap_err()
                .message()
                .to_string()
        };
        assert_eq!(
            err("shape = \"linear\"\nsize = 1\ngrowth = 1"),
            "`size` does not apply to a linear profile (it takes start, growth, cap)"
        );
        assert_eq!(
            err("shape = \"logistic\"\nstart = 1"),
            "a logistic profile needs `peak` (it takes start, peak, midpoint, steepness)"
        );
        let linear: ProfileSpec = toml::from_str("shape = \"linear\"\ngrowth = 5").unwrap();
        assert!(
            matches!(linear, ProfileSpec::Linear { start, .. } if start.as_constant() == Some(0.0))
        );
    }
}
