//! Sweeps: a scenario's `[sweep]` grid times its seeds, run in parallel with rayon, written
//! run by run so that a killed sweep resumes where it stopped, and summarised per grid point
//! (with polars, the `analysis` feature).

mod collect;
mod execute;
mod headline;
mod metrics;
mod plan;
mod runs_table;
mod shard;
mod store;
#[cfg(feature = "analysis")]
mod summary;

pub use collect::{collect, Collected};
pub use execute::{execute, RunResult};
pub use headline::{label_of, Headline, HEADLINES};
pub use metrics::{cell_number, cell_text, metric_cells, MetricCells};
pub use plan::{RunKey, Sweep};
pub use runs_table::{metric_names, write_runs};
pub use shard::Shard;
pub use store::{Access, Outcome, Store, StoreError};
#[cfg(feature = "analysis")]
pub use summary::{ci95_half_width, write_summary};
