//! `[[workload.trace]]`: jobs whose memory follows a recorded trace by progress.
//!
//! Each job of the trace arrives at its `start_s` and needs as much work as the trace saw it
//! run: its `duration_s` where the trace gives one, else its samples times the trace's step (a
//! sample stands for one step of running, so a one-sample job still runs one step). Memory follows the samples by progress, linearly in
//! between or held until the next one (`step`), so a job that is frozen or waits replays the
//! same curve later. A job the source saw already running at its start begins at its first
//! sample; one still running at the end stops after its last: the trace holds nothing more.
//! A job's CPUs and request come from the trace where it has them (else 1 CPU, no request).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{SimDuration, SimTime};
use crate::input::InputError;
use crate::keypath::{FieldIssue, KeyPath};
use crate::trace::{Format, Trace};
use crate::units::{Bytes, Plain, Rate, Seconds};
use crate::workload::dist::Dist;
use crate::workload::{JobSpec, MemoryProfile};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TraceWorkloadSpec {
    /// The trace, relative to the scenario file; absolute once read.
    pub file: PathBuf,
    /// How to read it: `migsim` (the default) or an importer's format.
    #[serde(default = "migsim_format")]
    pub format: Format,
    /// Each container's limit, for a format that gives fractions of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Bytes>,
    #[serde(default)]
    pub interpolation: Interpolation,
    /// CPUs of every job; absent: the trace's, or 1 where it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Dist<Plain>>,
    /// Each job arrives up to this much later than the trace says (uniform, seeded), so that
    /// seeds give different interleavings of the same jobs; absent: exactly as recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_jitter: Option<Seconds>,
    /// Keep only the jobs of these classes; empty: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// How fast each job dirties its pages, drawn per job (traces do not record it; one
    /// entry per class with `classes` gives each class its own); absent: the scenario's
    /// `migration.pre_copy.dirty_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirty_rate: Option<Dist<Rate>>,
    /// Read at load time; the resolved parameters keep the (then absolute) path, not the data.
    #[serde(skip)]
    pub loaded: Option<Arc<Trace>>,
}

/// Reads a trace file in a format, given each container's limit for the formats that need it.
pub type ReadTrace = dyn Fn(Format, &Path, Option<f64>) -> Result<Trace, InputError>;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    #[default]
    Linear,
    /// Each sample holds until the next, as a monitoring system that scrapes every step saw it.
    Step,
}

fn migsim_format() -> Format {
    Format::Migsim
}

impl TraceWorkloadSpec {
    pub fn check(&self) -> Result<(), FieldIssue> {
        if let Some(cpu) = &self.cpu {
            cpu.check().map_err(|m| FieldIssue::at("cpu", m))?;
        }
        if self.limit.is_some_and(|l| l.value <= 0.0) {
            return Err(FieldIssue::at("limit", "must be positive"));
        }
        if self.arrival_jitter.is_some_and(|j| j.value < 0.0) {
            return Err(FieldIssue::at("arrival_jitter", "must not be negative"));
        }
        crate::workload::spec::check_dirty_rate(self.dirty_rate.as_ref())
    }

    /// Reads the trace named relative to `dir` with `read` (the importers live with the
    /// scenario loader); a read error is blamed on `file`, with the trace's own file, line and
    /// field in the message.
    pub fn read(&mut self, dir: &Path, at: &KeyPath, read: &ReadTrace) -> Result<(), FieldIssue> {
        let path = dir.join(&self.file);
        let trace = read(self.format, &path, self.limit.map(|l| l.value))
            .map_err(|e| FieldIssue::new(at.key("file"), e.to_string()))?;
        let kept = trace.jobs.iter().filter(|j| self.keeps(j)).count();
        if kept == 0 {
            let what = match self.classes.is_empty() {
                true => "no jobs".to_string(),
                false => format!("no jobs of the classes {:?}", self.classes),
            };
            return Err(FieldIssue::new(
                at.key("file"),
                format!("{} has {what}", path.display()),
            ));
        }
        self.loaded = Some(Arc::new(trace));
        // The resolved parameters in summary.json must re-run from any folder.
        self.file = path.canonicalize().unwrap_or(path);
        Ok(())
    }

    fn keeps(&self, job: &crate::trace::TraceJob) -> bool {
        self.classes.is_empty()
            || job
                .meta
                .class
                .as_ref()
                .is_some_and(|c| self.classes.contains(c))
    }

    /// The trace's jobs, drawing CPUs (if a distribution is given) from `rng` and each one's
    /// dirty rate (if one is given) with `dirty`.
    pub fn jobs<R: rand::Rng>(
        &self,
        rng: &mut R,
        dirty: &mut dyn FnMut(Option<&Dist<Rate>>) -> Option<f64>,
    ) -> Vec<JobSpec> {
        let trace = self.loaded.as_ref().expect("read at load time");
        let step = trace.step_s();
        let ns = |s: f64| SimDuration::from_secs(s).0;
        trace
            .jobs
            .iter()
            .filter(|j| self.keeps(j))
            .map(|j| {
                let points: Vec<(u64, f64)> = j.samples.iter().map(|&(t, m)| (ns(t), m)).collect();
                let profile = match self.interpolation {
                    Interpolation::Linear => MemoryProfile::from_points(&points),
                    Interpolation::Step => MemoryProfile::steps(&points),
                };
                let jitter = match self.arrival_jitter {
                    Some(j) if j.value > 0.0 => rng.random_range(0.0..j.value),
                    _ => 0.0,
                };
                let cpu = match &self.cpu {
                    Some(d) => d.sample(rng),
                    None => j.meta.cpu.unwrap_or(1.0),
                };
                JobSpec {
                    name: j.meta.job.clone(),
                    class: j.class().to_string(),
                    arrival: SimTime::from_secs(j.meta.start_s + jitter),
                    work: SimDuration::from_secs(j.meta.duration_s.unwrap_or(j.span() + step))
                        .max(SimDuration(1)),
                    cpu,
                    request: j.meta.request_bytes.unwrap_or(0.0),
                    profile,
                    dirty_rate: dirty(self.dirty_rate.as_ref()),
                }
            })
            .collect()
    }
}
