use super::{EventQueue, SimDuration, SimTime};

/// Owns the clock and the event queue. The model pulls events with [`Simulation::next`] and
/// schedules successors; the engine never calls into the model, so handlers are plain `match`
/// arms over the model's own event enum. Events are `Copy`: small values such as an enum of
/// ids, never boxed trait objects, because the queue moves them around constantly.
pub struct Simulation<E> {
    now: SimTime,
    queue: EventQueue<E>,
    processed: u64,
}

impl<E: Copy> Default for Simulation<E> {
    fn default() -> Self {
        Simulation {
            now: SimTime::ZERO,
            queue: EventQueue::default(),
            processed: 0,
        }
    }
}

impl<E: Copy> Simulation<E> {
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`; a time in the past is clamped to now, because an event
    /// can never happen before the one being handled.
    pub fn schedule_at(&mut self, time: SimTime, event: E) {
        self.queue.push(time.max(self.now), event);
    }

    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    /// Pops the earliest event and advances the clock to it.
    #[allow(clippy::should_implement_trait)] // not an iterator: it mutates the clock
    pub fn next(&mut self) -> Option<(SimTime, E)> {
        let (time, event) = self.queue.pop()?;
        self.now = time;
        self.processed += 1;
        Some((time, event))
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    pub fn processed(&self) -> u64 {
        self.processed
    }
}
