//! A sweep's results read from its folder, running nothing: the last step of a sweep whose
//! runs were spread over shards (a Slurm job array, or shells on several hosts).

use crate::sweep::store::{Store, StoreError};
use crate::sweep::{RunKey, RunResult, Sweep};

/// What the folder holds of a sweep.
#[derive(Debug)]
pub struct Collected {
    /// The finished runs, in the order of `runs.csv`; none counts as resumed, since nothing
    /// here ran them again.
    pub results: Vec<RunResult>,
    /// The runs not in the folder, as their index in that order and their key.
    pub missing: Vec<(usize, RunKey)>,
}

/// Reads back every run of `sweep` that `store` holds.
pub fn collect(sweep: &Sweep, store: &Store) -> Result<Collected, StoreError> {
    let mut collected = Collected {
        results: Vec::new(),
        missing: Vec::new(),
    };
    for (index, key) in sweep.runs().into_iter().enumerate() {
        match store.finished(sweep, key)? {
            Some(outcome) => collected.results.push(RunResult {
                key,
                outcome,
                resumed: false,
            }),
            None => collected.missing.push((index, key)),
        }
    }
    Ok(collected)
}
