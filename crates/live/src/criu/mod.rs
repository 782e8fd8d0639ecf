//! Driving the real `criu` binary: what this kernel supports, the workload process in its own
//! PID namespace, and timed dump, page-server, restore and lazy-pages steps. `migsim calibrate
//! measure` is built on it.

pub mod binary;
pub mod cleanup;
pub mod daemon;
pub mod measure;
pub mod memhog;
pub mod support;

pub use binary::{Criu, INSTALL_HINT};
pub use cleanup::Cleanup;
pub use measure::{write_csv, Measurer, Row, Status};
pub use memhog::MemhogSpec;
pub use support::Support;
