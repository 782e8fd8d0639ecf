//! A controller order is decided on a snapshot that may be stale; before it is carried out it
//! is checked against the cluster as it is now.

use crate::policy::control::facts::Facts;
use crate::policy::controller::Order;

/// Whether `order` can still be carried out: the job still runs on the order's source with no
/// migration in flight, and the target is up with CPUs free for it.
pub fn is_current(facts: &impl Facts, order: &Order) -> bool {
    let job = facts.job(order.job);
    let target = facts.node(order.target);
    let cpu_room = target.cpu_requested + job.cpu <= target.cpu_capacity + 1e-9;
    job.node == Some(order.source) && !job.migrating && !target.down && cpu_room
}
