//! What runs on the cluster: memory profiles, job classes drawn from distributions, explicit
//! job lists. Everything here is turned into concrete [`JobSpec`]s before the run starts.

pub mod dist;
mod generate;
pub mod profile;
mod request;
mod spec;
mod trace;

pub use generate::{generate, JobSpec};
pub use profile::{MemoryProfile, ProfileSpec, Shape};
pub use request::RequestSpec;
pub use spec::{ArrivalSpec, ExplicitJobSpec, JobClassSpec, WorkloadSpec};
pub use trace::{Interpolation, ReadTrace, TraceWorkloadSpec};
