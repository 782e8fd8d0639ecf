//! The `[workload]` part of a scenario file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::keypath::{unique_names, FieldIssue, KeyPath};
use crate::tagged::{only_keys, required};
use crate::units::{Plain, Rate, Seconds, Time};
use crate::workload::dist::Dist;
use crate::workload::{ProfileSpec, ReadTrace, RequestSpec, TraceWorkloadSpec};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Classes of jobs drawn from distributions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generate: Vec<JobClassSpec>,
    /// Jobs given one by one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<ExplicitJobSpec>,
    /// Jobs replayed from recorded traces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TraceWorkloadSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JobClassSpec {
    /// Jobs are named `<name>-<i>`; each class draws from its own random stream, so adding a
    /// class leaves the jobs of the others unchanged.
    pub name: String,
    pub count: u32,
    pub arrival: ArrivalSpec,
    /// Executed time a job needs to finish (its run time when never paused).
    pub work: Dist<Time>,
    #[serde(default = "one_cpu")]
    pub cpu: Dist<Plain>,
    #[serde(default)]
    pub request: RequestSpec,
    pub profile: ProfileSpec,
    /// How fast its jobs dirty their pages (pre-copy re-sends them); absent: the scenario's
    /// `migration.pre_copy.dirty_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirty_rate: Option<Dist<Rate>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitJobSpec {
    pub name: String,
    #[serde(default)]
    pub arrival: Seconds,
    pub work: Seconds,
    #[serde(default = "one_cpu")]
    pub cpu: Dist<Plain>,
    #[serde(default)]
    pub request: RequestSpec,
    pub profile: ProfileSpec,
    /// As a class's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirty_rate: Option<Dist<Rate>>,
}

/// When the jobs of a class arrive.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "process", rename_all = "lowercase", try_from = "ArrivalTable")]
pub enum ArrivalSpec {
    /// All at once.
    Batch { at: Seconds },
    /// One every `gap`, the first at `start`.
    Periodic { gap: Seconds, start: Seconds },
    /// Exponentially distributed gaps with mean `mean_gap`, the first at `start`.
    Poisson { mean_gap: Seconds, start: Seconds },
}

/// How an arrival process is read: every key of every process, so serde keeps exact key paths.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrivalTable {
    process: ProcessName,
    at: Option<Seconds>,
    gap: Option<Seconds>,
    mean_gap: Option<Seconds>,
    start: Option<Seconds>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ProcessName {
    Batch,
    Periodic,
    Poisson,
}

impl TryFrom<ArrivalTable> for ArrivalSpec {
    type Error = String;

    fn try_from(t: ArrivalTable) -> Result<Self, String> {
        let (name, keys): (&str, &[&str]) = match t.process {
            ProcessName::Batch => ("a batch arrival", &["at"]),
            ProcessName::Periodic => ("a periodic arrival", &["gap", "start"]),
            ProcessName::Poisson => ("a poisson arrival", &["mean_gap", "start"]),
        };
        let given = [
            ("at", t.at.is_some()),
            ("gap", t.gap.is_some()),
            ("mean_gap", t.mean_gap.is_some()),
            ("start", t.start.is_some()),
        ];
        only_keys(name, &given, keys)?;
        let start = t.start.unwrap_or_default();
        Ok(match t.process {
            ProcessName::Batch => ArrivalSpec::Batch {
                at: t.at.unwrap_or_default(),
            },
            ProcessName::Periodic => ArrivalSpec::Periodic {
                gap: required(name, "gap", t.gap, keys)?,
                start,
            },
            ProcessName::Poisson => ArrivalSpec::Poisson {
                mean_gap: required(name, "mean_gap", t.mean_gap, keys)?,
                start,
            },
        })
    }
}

fn one_cpu() -> Dist<Plain> {
    Dist::constant(1.0)
}

impl Default for Seconds {
    fn default() -> Self {
        Seconds::new(0.0)
    }
}

impl WorkloadSpec {
    pub fn job_count(&self) -> usize {
        self.jobs.len()
            + self
                .generate
                .iter()
                .map(|c| c.count as usize)
                .sum::<usize>()
    }

    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        if self.job_count() == 0 && self.trace.is_empty() {
            return Err(FieldIssue::new(
                at.clone(),
                "the workload has no jobs: add a [[workload.generate]] class with count > 0 or a [[workload.jobs]] entry",
            ));
        }
        let classes = self.generate.iter().map(|c| c.name.as_str());
        unique_names(classes, |i| at.key("generate").index(i), "class")?;
        for (i, class) in self.generate.iter().enumerate() {
            class
                .check()
                .map_err(|e| e.under(&at.key("generate").index(i)))?;
        }
        let jobs = self.jobs.iter().map(|j| j.name.as_str());
        unique_names(jobs, |i| at.key("jobs").index(i), "job")?;
        for (i, job) in self.jobs.iter().enumerate() {
            job.check().map_err(|e| e.under(&at.key("jobs").index(i)))?;
        }
        for (i, t) in self.trace.iter().enumerate() {
            t.check().map_err(|e| e.under(&at.key("trace").index(i)))?;
        }
        Ok(())
    }

    /// Reads every trace, named relative to `dir`.
    pub fn read_traces(
        &mut self,
        dir: &Path,
        at: &KeyPath,
        read: &ReadTrace,
    ) -> Result<(), FieldIssue> {
        for (i, t) in self.trace.iter_mut().enumerate() {
            t.read(dir, &at.key("trace").index(i), read)?;
        }
        Ok(())
    }
}

fn nonneg(key: &str, v: f64) -> Result<(), FieldIssue> {
    match v >= 0.0 {
        true => Ok(()),
        false => Err(FieldIssue::at(
            key,
            format!("must not be negative, got {v}"),
        )),
    }
}

pub(crate) fn check_dirty_rate(rate: Option<&Dist<Rate>>) -> Result<(), FieldIssue> {
    match rate {
        Some(d) => d.check().map_err(|m| FieldIssue::at("dirty_rate", m)),
        None => Ok(()),
    }
}

fn check_common(
    cpu: &Dist<Plain>,
    request: &RequestSpec,
    profile: &ProfileSpec,
) -> Result<(), FieldIssue> {
    cpu.check().map_err(|m| FieldIssue::at("cpu", m))?;
    request.check().map_err(|m| FieldIssue::at("request", m))?;
    profile
        .check()
        .map_err(|e| e.under(&KeyPath::root().key("profile")))
}

impl JobClassSpec {
    fn check(&self) -> Result<(), FieldIssue> {
        self.work.check().map_err(|m| FieldIssue::at("work", m))?;
        if self.work.upper_bound() == Some(0.0) {
            return Err(FieldIssue::at(
                "work",
                "jobs need some work: it must be positive",
            ));
        }
        self.arrival
            .check()
            .map_err(|e| e.under(&KeyPath::root().key("arrival")))?;
        check_dirty_rate(self.dirty_rate.as_ref())?;
        check_common(&self.cpu, &self.request, &self.profile)
    }
}

impl ExplicitJobSpec {
    fn check(&self) -> Result<(), FieldIssue> {
        nonneg("arrival", self.arrival.value)?;
        if self.work.value <= 0.0 {
            return Err(FieldIssue::at(
                "work",
                format!(
                    "jobs need some work: it must be positive, got {}",
                    self.work.value
                ),
            ));
        }
        check_dirty_rate(self.dirty_rate.as_ref())?;
        check_common(&self.cpu, &self.request, &self.profile)
    }
}

impl ArrivalSpec {
    fn check(&self) -> Result<(), FieldIssue> {
        match self {
            ArrivalSpec::Batch { at } => nonneg("at", at.value),
            ArrivalSpec::Periodic { gap, start } => {
                nonneg("gap", gap.value).and(nonneg("start", start.value))
            }
            ArrivalSpec::Poisson { mean_gap, start } => {
                if mean_gap.value <= 0.0 {
                    return Err(FieldIssue::at(
                        "mean_gap",
                        format!("must be positive, got {}", mean_gap.value),
                    ));
                }
                nonneg("start", start.value)
            }
        }
    }
}
