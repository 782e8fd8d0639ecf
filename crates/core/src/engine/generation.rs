/// A counter an entity stamps on the events it schedules. Bumping it invalidates every event
/// stamped earlier, which the handler then skips when it pops them (lazy cancellation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generation(u32);

impl Generation {
    /// Invalidates all earlier stamps and returns the new current one.
    pub fn bump(&mut self) -> Generation {
        self.0 = self.0.wrapping_add(1);
        *self
    }

    pub fn is_current(self, stamp: Generation) -> bool {
        self == stamp
    }
}
