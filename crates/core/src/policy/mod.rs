//! Decisions as pure functions of a [`ClusterView`]: what a monitoring system shows, never the
//! simulator's internals; and the [`control`] loop that builds those views from any cluster's
//! facts and carries the decisions out, so that every driver runs the very same policy.

mod bounds;
pub mod control;
pub mod controller;
pub mod scheduler;
mod unscheduler;
mod view;

pub use control::{ControlLoop, ControlSpec, MonitorSpec, Turn};
pub use controller::{Controller, ControllerSpec, Decisions};
pub use scheduler::{PendingJob, Placement, Reservation, Scheduler, SchedulerSpec};
pub use unscheduler::{CordonChange, UnschedulerSpec};
pub use view::{ClusterView, JobView, MigrationView, NodeView};
