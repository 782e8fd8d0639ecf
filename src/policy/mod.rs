//! Decisions as pure functions of a [`ClusterView`]: what a monitoring system shows, never the
//! simulator's internals, so that the live adapter can run the very same code on a real cluster.

pub mod controller;
mod scheduler;
mod unscheduler;
mod view;

pub use controller::{Controller, ControllerSpec, Decisions};
pub use scheduler::{PendingJob, Placement, Reservation, Scheduler, SchedulerSpec};
pub use unscheduler::{CordonChange, UnschedulerSpec};
pub use view::{ClusterView, JobView, MigrationView, NodeView};
