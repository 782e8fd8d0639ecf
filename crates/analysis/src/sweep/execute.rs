//! Runs a sweep's runs in parallel. Each run is a pure function of the scenario text, its grid
//! point and its seed, so the thread count and the order in which runs finish change nothing
//! in the results, which come back in grid order.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::sweep::metrics::metric_cells;
use crate::sweep::store::{Outcome, Store, StoreError};
use crate::sweep::{RunKey, Sweep};
use migsim_sim::RecordOptions;

/// What one run gave.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub key: RunKey,
    pub outcome: Outcome,
    /// It had finished before this invocation (`--resume`) and was read back, not rerun.
    pub resumed: bool,
}

/// Runs the runs `keys` of `sweep` on `jobs` threads, writing each into `store` if there is
/// one and reading back those it already holds. A run is `None` when `stop` was raised before
/// it started.
pub fn execute(
    sweep: &Sweep,
    keys: Vec<RunKey>,
    store: Option<&Store>,
    jobs: usize,
    stop: &AtomicBool,
    on_done: &(dyn Fn(&RunResult) + Sync),
) -> Result<Vec<Option<RunResult>>, StoreError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| StoreError::Conflict(format!("cannot start {jobs} threads: {e}")))?;
    pool.install(|| {
        keys.into_par_iter()
            .map(|key| {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let result = run_one(sweep, store, key)?;
                on_done(&result);
                Ok(Some(result))
            })
            .collect()
    })
}

fn run_one(sweep: &Sweep, store: Option<&Store>, key: RunKey) -> Result<RunResult, StoreError> {
    if let Some(outcome) = store.map(|s| s.finished(sweep, key)).transpose()?.flatten() {
        return Ok(RunResult {
            key,
            outcome,
            resumed: true,
        });
    }
    let outcome = match sweep.scenario(key) {
        Err(e) => Outcome::Failed(e.to_string()),
        Ok(scenario) => {
            let run = || migsim_sim::run(&scenario, RecordOptions::default(), &mut |_| {});
            match catch_unwind(AssertUnwindSafe(run)) {
                Ok(output) => {
                    if let Some(store) = store {
                        store.save(sweep, key, Ok((&scenario, &output)))?;
                    }
                    Outcome::Done(metric_cells(&output.metrics))
                }
                Err(panic) => Outcome::Failed(format!(
                    "migsim broke on this run ({}); please report it with the scenario",
                    panic_message(&*panic)
                )),
            }
        }
    };
    if let (Some(store), Outcome::Failed(message)) = (store, &outcome) {
        store.save(sweep, key, Err(message))?;
    }
    Ok(RunResult {
        key,
        outcome,
        resumed: false,
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}
