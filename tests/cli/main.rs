//! The `migsim` command, run as a user runs it: its error messages, the shipped examples,
//! sweeps, plots, trace imports, the scale bench and the thesis scenario.

mod bench;
mod calibrate;
mod cli_errors;
mod cluster_traces;
mod examples;
mod plot;
mod sweep;
mod thesis;
mod traces;
