//! Scheduling passes, coalesced: several requests at one instant make one pass of the control
//! loop.

use crate::engine::SimDuration;
use crate::policy::Turn;
use crate::{Event, Simulator};

impl Simulator {
    /// Asks for a pass now; several requests at one instant make one pass.
    pub(super) fn request_schedule(&mut self) {
        if !self.schedule_pending {
            self.schedule_pending = true;
            self.sim.schedule_in(SimDuration::ZERO, Event::Schedule);
        }
    }

    pub(super) fn on_schedule(&mut self) {
        self.schedule_pending = false;
        self.turn(Turn::Schedule);
    }
}
