//! Workload traces: migsim's own format, importers for published traces, and the statistics a
//! user checks first.

pub mod fit;
mod format;
pub mod import;
mod stats;

pub use format::{JobMeta, Trace, TraceJob};
pub use stats::{Spread, Stats};
