//! The simulator's behaviour on whole scenarios: closed-form cases, the controller, failures,
//! each migration mechanism, trace replay and randomised properties.

mod analytic;
mod common;
mod controller;
mod failures;
mod migration;
mod properties;
mod trace_workload;
