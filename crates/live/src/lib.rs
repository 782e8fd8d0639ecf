//! Running a scenario's policies on a real cluster (`live`), and the real `criu` binary it and
//! the calibration measurements use (`criu`).

pub(crate) use migsim_core::{engine, migration, model, policy, record, workload};
pub(crate) use migsim_scenario::{output, scenario};

pub mod criu;
pub mod live;
