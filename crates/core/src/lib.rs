//! migsim's core: what a run is, whatever drives it. The discrete-event `engine`; the cluster
//! `model`; the `workload` (memory profiles, job classes, replay of a `trace` in migsim's own
//! format, which the scenario crate's importers write); the `policy` (scheduler, unscheduler, controller and the control loop every
//! driver runs); `migration` mechanisms and their cost models; the run `record`. It prints
//! nothing and depends on no CLI, plotting or dataframe crate.

pub mod atomic;
pub mod engine;
pub mod input;
pub mod keypath;
pub mod locate;
pub mod migration;
pub mod model;
pub mod policy;
pub mod record;
pub mod tagged;
pub mod trace;
pub mod units;
pub mod workload;
