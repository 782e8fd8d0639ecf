//! Workload traces: importers for published traces (the trace itself, in migsim's own
//! format, is `migsim_core::trace`), the statistics a user checks first, and a generator fitted
//! to a trace.

pub mod fit;
pub mod import;
mod stats;

pub use migsim_core::trace::{Format, JobMeta, Trace, TraceJob, TraceWriter};
pub use stats::{Spread, Stats};
