//! The `[migration]` table: which mechanism moves jobs, what it costs and what happens when a
//! move fails.

use serde::{Deserialize, Serialize};

use crate::keypath::{FieldIssue, KeyPath};
use std::path::Path;

use crate::migration::calibration::{profile, Calibration};
use crate::migration::{CostModel, CostSpec, PreCopySpec};

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MigrationSpec {
    #[serde(default)]
    pub mechanism: Mechanism,
    /// A named cost profile (see `migsim profiles`); `cost` values override it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A calibration file from `migsim calibrate fit`, relative to the scenario file; `cost`
    /// values override it. Resolving folds it into `cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
    /// The calibration's costs, once read.
    #[serde(skip)]
    pub calibrated: Option<CostModel>,
    #[serde(default)]
    pub cost: CostSpec,
    #[serde(default)]
    pub failover: Failover,
    #[serde(default)]
    pub pre_copy: PreCopySpec,
    #[serde(default)]
    pub post_copy: PostCopySpec,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mechanism {
    /// Delete the job and create it again on the target: all progress is lost.
    Restart,
    /// Freeze, checkpoint, transfer, restore.
    #[default]
    StopAndCopy,
    /// Copy memory in rounds while the job runs, then freeze for the last dirty pages.
    PreCopy,
    /// Freeze briefly, restore on the target, then pull pages while the job runs degraded.
    PostCopy,
}

impl Mechanism {
    pub const ALL: [Mechanism; 4] = [
        Mechanism::Restart,
        Mechanism::StopAndCopy,
        Mechanism::PreCopy,
        Mechanism::PostCopy,
    ];

    pub fn parse(s: &str) -> Result<Mechanism, String> {
        crate::tagged::one_of("mechanism", s, &Mechanism::ALL, Mechanism::as_str)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Restart => "restart",
            Mechanism::StopAndCopy => "stop-and-copy",
            Mechanism::PreCopy => "pre-copy",
            Mechanism::PostCopy => "post-copy",
        }
    }
}

/// What a failed migration does to its job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failover {
    /// The job resumes on its source as if nothing happened (its progress is kept).
    #[default]
    Rollback,
    /// The job is killed and queued again, losing its progress.
    Restart,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PostCopySpec {
    /// The job's speed, as a fraction of normal, while its pages are still being pulled.
    #[serde(default = "half")]
    pub degraded_speed: f64,
}

fn half() -> f64 {
    0.5
}

impl Default for PostCopySpec {
    fn default() -> Self {
        PostCopySpec {
            degraded_speed: half(),
        }
    }
}

impl MigrationSpec {
    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        if let Some(name) = &self.profile {
            profile(name).map_err(|m| FieldIssue::new(at.key("profile"), m))?;
            if self.calibration.is_some() {
                return Err(FieldIssue::new(
                    at.key("calibration"),
                    "give either `profile` or `calibration`, not both",
                ));
            }
        }
        self.cost.check(&at.key("cost"))?;
        self.pre_copy.check(&at.key("pre_copy"))?;
        let s = self.post_copy.degraded_speed;
        if !(s > 0.0 && s <= 1.0) {
            return Err(FieldIssue::new(
                at.key("post_copy").key("degraded_speed"),
                format!("must be a fraction in (0, 1], got {s}"),
            ));
        }
        Ok(())
    }

    /// Reads the calibration file, if one is named, relative to `dir` (the scenario's folder).
    pub fn read_calibration(&mut self, dir: &Path, at: &KeyPath) -> Result<(), FieldIssue> {
        let Some(name) = &self.calibration else {
            return Ok(());
        };
        let c = Calibration::read(&dir.join(name)).map_err(|e| {
            FieldIssue::new(
                at.key("calibration"),
                format!("cannot use the calibration: {e}"),
            )
        })?;
        self.calibrated = Some(c.cost);
        Ok(())
    }

    /// The profile's or calibration's costs with this scenario's overrides. Call after
    /// [`MigrationSpec::check`] and [`MigrationSpec::read_calibration`].
    pub fn cost_model(&self) -> CostModel {
        let base = match (&self.calibrated, self.profile.as_deref()) {
            (Some(c), _) => *c,
            (None, Some(name)) => profile(name).expect("checked profile"),
            (None, None) => CostModel::default(),
        };
        self.cost.over(&base)
    }

    /// Writes every cost value out, so the resolved scenario says what was used and runs the
    /// same without the calibration file (whose path is relative to the original scenario).
    pub fn resolve(&mut self) {
        self.cost = CostSpec::from(&self.cost_model());
        self.calibration = None;
        self.calibrated = None;
    }

    /// Expected seconds to move `bytes` alone over `bandwidth` bytes per second, with the job
    /// dirtying `dirty` bytes per second; infinite when pre-copy would not converge. The
    /// predictive controller compares this with a node's time to OOM.
    /// `cost` is [`MigrationSpec::cost_model`], resolved once by the caller.
    pub fn expected_duration(
        &self,
        cost: &CostModel,
        bytes: f64,
        bandwidth: f64,
        dirty: f64,
    ) -> f64 {
        self.estimate(cost, bytes, bandwidth, dirty).total
    }
}
