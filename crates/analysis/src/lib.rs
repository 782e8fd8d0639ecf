//! Many runs and their figures: parameter sweeps over seeds in parallel with their summary
//! tables (`sweep`), the gap between a simulated and a live run (`compare`), plots (`plot`,
//! with the `plot` feature), the scale benchmark (`bench`) and, with the `analysis` feature,
//! a run's tables as Parquet (`parquet`).

pub(crate) use migsim_core::{input, migration, record, units};
pub(crate) use migsim_live::live;
pub(crate) use migsim_scenario::{output, scenario};

pub mod bench;
pub mod compare;
#[cfg(feature = "analysis")]
pub mod parquet;
#[cfg(feature = "plot")]
pub mod plot;
pub mod sweep;
