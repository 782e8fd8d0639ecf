//! migsim: a deterministic discrete-event simulator for clusters that run long-lived, stateful
//! jobs whose memory grows while they run. This crate is the `migsim` command; the library is
//! the workspace's crates, re-exported here under one name:
//! `migsim-core` (engine, model, workload, policy, migration, record), `migsim-scenario`
//! (scenario files, run outputs), `migsim-sim` (the simulator), `migsim-live` (live backends,
//! criu) and `migsim-analysis` (sweeps, comparisons, plots).

#[cfg(feature = "analysis")]
pub use migsim_analysis::parquet;
#[cfg(feature = "plot")]
pub use migsim_analysis::plot;
pub use migsim_analysis::{bench, compare, sweep};
pub use migsim_core::{
    engine, input, keypath, migration, model, policy, record, tagged, units, workload,
};
pub use migsim_live::{criu, live};
pub use migsim_scenario::{load, output, scenario, trace, Scenario, ScenarioError};
pub use migsim_sim as sim;
pub use migsim_sim::{run, run_to_dir, Progress, RecordOptions, RunOutput, Simulator};
