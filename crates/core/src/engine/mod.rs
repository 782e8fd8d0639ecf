//! A small discrete-event engine that knows nothing about clusters.
//!
//! Time is an integer ([`SimTime`], nanoseconds). Events with equal times pop in the order they
//! were scheduled, so a run is a pure function of its inputs. Cancellation is lazy: an entity
//! stamps its events with a [`Generation`] and bumps it to invalidate them; a stale event is
//! skipped when popped instead of being searched for in the heap.

mod generation;
mod hold;
mod queue;
mod rng;
mod simulation;
mod time;

pub use generation::Generation;
pub use hold::HoldModel;
pub use queue::EventQueue;
pub use rng::{fnv1a, RngStreams, StreamRng};
pub use simulation::Simulation;
pub use time::{SimDuration, SimTime};
