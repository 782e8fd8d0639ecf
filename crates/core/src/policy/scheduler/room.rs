//! What placement knows of one node: its capacities and what its jobs have committed.

/// CPU requests are fractional; sums of them must not fail a fit by rounding.
const CPU_SLACK: f64 = 1e-9;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Room {
    pub memory_capacity: f64,
    /// What its jobs hold (each the larger of its usage and its reservation) and the memory no
    /// job accounts for (a migration's pages).
    pub committed: f64,
    pub cpu_capacity: f64,
    pub cpu_requested: f64,
    /// It takes jobs: neither cordoned nor down.
    pub open: bool,
}

impl Room {
    /// What a node of no capacity offers: nothing.
    pub const CLOSED: Room = Room {
        memory_capacity: 0.0,
        committed: 0.0,
        cpu_capacity: 0.0,
        cpu_requested: 0.0,
        open: false,
    };

    pub fn fits(&self, need: f64, cpu: f64) -> bool {
        self.open
            && self.cpu_requested + cpu <= self.cpu_capacity + CPU_SLACK
            && self.committed + need <= self.memory_capacity
    }

    /// Memory left after placing `need` here: what best- and worst-fit compare.
    pub fn free_after(&self, need: f64) -> f64 {
        self.memory_capacity - self.committed - need
    }

    pub fn take(&mut self, need: f64, cpu: f64) {
        self.committed += need;
        self.cpu_requested += cpu;
    }

    /// Free memory, as best- and worst-fit see it; nothing fits a closed node.
    pub fn free(&self) -> f64 {
        match self.open {
            true => self.memory_capacity - self.committed,
            false => f64::NEG_INFINITY,
        }
    }

    /// At least the CPUs [`Room::fits`] lets a job ask for (CPU requests do not change with
    /// time).
    pub fn cpu_bound(&self) -> f64 {
        match self.open {
            true => self.cpu_capacity + 2.0 * CPU_SLACK - self.cpu_requested,
            false => f64::NEG_INFINITY,
        }
    }
}
