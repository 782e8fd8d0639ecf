//! A sweep as it will run: the scenario's text, the grid and the seeds, and the run each
//! (grid point, seed) pair stands for.

use std::path::{Path, PathBuf};

use migsim_core::keypath::KeyPath;

use crate::scenario::{
    load_variant_str, read_sweep, read_text, resolve_variant_axis, variant_names, Axis, Origin,
    Override, Scenario, ScenarioError, SweepSpec,
};

/// One run of a sweep: a grid point and a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunKey {
    pub point: usize,
    pub seed: u64,
}

#[derive(Clone, Debug)]
pub struct Sweep {
    pub file: PathBuf,
    /// The scenario's name.
    pub name: String,
    /// The scenario as read once; every run parses this text, so editing the file during a
    /// sweep changes nothing.
    pub text: String,
    /// `--set` values applied to every run, after the grid point's.
    pub sets: Vec<Override>,
    pub spec: SweepSpec,
    /// Each grid point as the index of its value on every axis.
    pub points: Vec<Vec<usize>>,
}

/// `--set` changes each run, not the sweep: the sweep's own keys have flags of their own.
fn refuse_sweep_sets(file: &Path, sets: &[Override]) -> Result<(), ScenarioError> {
    let sweep = KeyPath::root().key("sweep");
    match sets.iter().find(|s| s.path.starts_with(&sweep)) {
        Some(set) => Err(ScenarioError {
            file: file.to_path_buf(),
            origin: Origin::Override(format!("--set {}", set.text)),
            path: Some(set.path.clone()),
            message: "--set changes every run, not the sweep".into(),
            hint: Some(
                "give the seeds with --seeds (N, A..B or a,b,c) and an axis with --vary PATH=VALUES"
                    .into(),
            ),
        }),
        None => Ok(()),
    }
}

impl Sweep {
    /// Reads a scenario's `[sweep]`, changed by `--vary` axes and `--seeds`.
    pub fn load(
        file: &Path,
        sets: Vec<Override>,
        vary: Vec<Axis>,
        seeds: Option<Vec<u64>>,
    ) -> Result<Sweep, ScenarioError> {
        let text = read_text(file)?;
        refuse_sweep_sets(file, &sets)?;
        let declared = read_sweep(&text, file)?;
        if declared.is_none() && vary.is_empty() && seeds.is_none() {
            return Err(ScenarioError {
                file: file.to_path_buf(),
                origin: Origin::Whole,
                path: None,
                message: "no [sweep] table".into(),
                hint: Some(
                    "add one (see README, \"Sweeps\"), or give --vary PATH=VALUES and --seeds N"
                        .into(),
                ),
            });
        }
        let mut spec = declared.unwrap_or(SweepSpec {
            axes: Vec::new(),
            seeds: vec![1],
        });
        for axis in vary {
            let axis = match axis.is_variant() {
                true => resolve_variant_axis(axis, &variant_names(file)?).map_err(|m| {
                    ScenarioError {
                        file: file.to_path_buf(),
                        origin: Origin::Whole,
                        path: None,
                        message: format!("--vary variant: {m}"),
                        hint: None,
                    }
                })?,
                false => axis,
            };
            spec.set_axis(axis);
        }
        if let Some(seeds) = seeds {
            spec.seeds = seeds;
        }
        Sweep::new(file, text, sets, spec)
    }

    /// A sweep of the scenario `text` (read from `file`) over `spec`, ignoring its own
    /// `[sweep]`. The scenario itself must load: a bad file or `--set` fails here, not in
    /// every run.
    pub fn new(
        file: &Path,
        text: String,
        sets: Vec<Override>,
        spec: SweepSpec,
    ) -> Result<Sweep, ScenarioError> {
        let base = load_variant_str(&text, file, None, &sets)?;
        Ok(Sweep {
            file: file.to_path_buf(),
            name: base.name(),
            points: spec.points(),
            text,
            sets,
            spec,
        })
    }

    /// Every run, grid point by grid point, seeds in the order given.
    pub fn runs(&self) -> Vec<RunKey> {
        (0..self.points.len())
            .flat_map(|point| {
                self.spec
                    .seeds
                    .iter()
                    .map(move |&seed| RunKey { point, seed })
            })
            .collect()
    }

    /// A run's folder name: `p<point>-s<seed>`, zero-padded so that names sort in grid order.
    pub fn run_id(&self, key: RunKey) -> String {
        let digits = |n: u64| n.to_string().len();
        let p = digits(self.points.len().saturating_sub(1) as u64);
        let s = digits(self.spec.seeds.iter().copied().max().unwrap_or(0));
        format!("p{:0p$}-s{:0s$}", key.point, key.seed)
    }

    /// The scenario of one run: its grid point's variant and values, then `--set`, then the
    /// seed.
    pub fn scenario(&self, key: RunKey) -> Result<Scenario, ScenarioError> {
        let (variant, mut overrides) = self.spec.changes(&self.points[key.point]);
        overrides.extend(self.sets.iter().cloned());
        overrides.push(
            Override::parse(&format!("simulation.seed={}", key.seed)).expect("a valid override"),
        );
        load_variant_str(&self.text, &self.file, variant.as_deref(), &overrides)
    }
}
