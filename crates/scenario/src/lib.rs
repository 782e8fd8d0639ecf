//! What a run reads and writes: scenario files (TOML in, a validated spec out, errors that name
//! the file, line and key), the importers of published traces, and a run's output folder
//! (`summary.json` and the CSV tables).

pub(crate) use migsim_core::{
    atomic, engine, input, keypath, locate, migration, model, policy, record, units, workload,
};

pub mod output;
pub mod scenario;
pub mod trace;

pub use scenario::{load, Scenario, ScenarioError};
