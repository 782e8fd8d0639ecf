use super::SimTime;

/// A monotone min-priority queue of events: it pops them in time order, and events with equal
/// times first in, first out, which makes runs reproducible whatever the event type.
///
/// Times never go below the last popped one (a simulation clock never runs backwards), which
/// allows a radix heap. Times are compared with `last`, the last popped time, in 4-bit digits:
/// an event whose time first differs from `last` in digit `level` sits in the bucket for
/// (`level`, its digit there), and events at exactly `last` sit in bucket 0. Buckets in
/// (level, digit) order are in time order, so a pop takes from bucket 0 and, when it runs dry,
/// refills it by spreading the lowest non-empty bucket over the buckets below it. An event
/// moves at most once per digit (for delays up to a few seconds in nanoseconds, about three
/// times), so a pop costs O(1) amortised instead of O(log n) comparisons. A bucket is only
/// filled from above while it is empty, from a bucket in insertion order, so every bucket
/// stays in insertion order and ties need no sequence number.
#[derive(Clone)]
pub struct EventQueue<E> {
    buckets: Vec<Vec<Entry<E>>>,
    /// Next unread entry of bucket 0.
    head: usize,
    /// Time of the last popped event: every queued event is at or after it.
    last: u64,
    len: usize,
    /// Bit `b` is set when bucket `b` (b >= 1) may hold entries, so the lowest one is found
    /// with a few `trailing_zeros` rather than a scan of every bucket.
    occupied: [u64; MASK_WORDS],
}

#[derive(Clone, Copy)]
struct Entry<E> {
    time: u64,
    event: E,
}

const DIGIT_BITS: u32 = 4;
const DIGITS: usize = 1 << DIGIT_BITS;
const LEVELS: usize = (u64::BITS / DIGIT_BITS) as usize;
const BUCKETS: usize = 1 + LEVELS * DIGITS;
const MASK_WORDS: usize = BUCKETS.div_ceil(64);

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue")
            .field("len", &self.len)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            head: 0,
            last: 0,
            len: 0,
            occupied: [0; MASK_WORDS],
        }
    }
}

impl<E: Copy> EventQueue<E> {
    #[inline(always)]
    fn bucket(&self, time: u64) -> usize {
        let diff = time ^ self.last;
        if diff == 0 {
            return 0;
        }
        let level = (u64::BITS - 1 - diff.leading_zeros()) / DIGIT_BITS;
        let digit = (time >> (level * DIGIT_BITS)) as usize & (DIGITS - 1);
        1 + level as usize * DIGITS + digit
    }

    #[inline(always)]
    fn put(&mut self, b: usize, entry: Entry<E>) {
        self.buckets[b].push(entry);
        self.occupied[b / 64] |= 1 << (b % 64);
    }

    /// Queues `event` at `time`; a time before the last popped event is taken as that time,
    /// since the queue serves a clock that never goes back.
    pub fn push(&mut self, time: SimTime, event: E) {
        let time = time.0.max(self.last);
        let b = self.bucket(time);
        self.put(b, Entry { time, event });
        self.len += 1;
    }

    /// Pops the next event if it is at or before `limit`, without moving the queue's present
    /// past `limit`: events may still be pushed at any time from `limit` on.
    pub fn pop_through(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        while self.head == self.buckets[0].len() {
            let b = self.lowest_occupied()?;
            if self.floor(b) > limit.0 {
                return None;
            }
            self.occupied[b / 64] &= !(1 << (b % 64));
            self.buckets[0].clear();
            self.head = 0;
            // With every entry of `b` after `limit`, the present moves to `limit` and they
            // spread over buckets whose floors are past it.
            self.refill(b, limit.0);
        }
        if self.last > limit.0 {
            return None;
        }
        let entry = self.buckets[0][self.head];
        self.head += 1;
        self.len -= 1;
        Some((SimTime(entry.time), entry.event))
    }

    /// Keeps only the events `keep` says yes to (given each one's time), in their order.
    pub fn retain(&mut self, mut keep: impl FnMut(SimTime, &E) -> bool) {
        self.buckets[0].drain(..self.head);
        self.head = 0;
        for (b, bucket) in self.buckets.iter_mut().enumerate() {
            bucket.retain(|e| keep(SimTime(e.time), &e.event));
            if bucket.is_empty() {
                self.occupied[b / 64] &= !(1 << (b % 64));
            }
        }
        self.len = self.buckets.iter().map(Vec::len).sum();
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.head == self.buckets[0].len() {
            let b = self.lowest_occupied()?;
            self.occupied[b / 64] &= !(1 << (b % 64));
            self.buckets[0].clear();
            self.head = 0;
            if self.buckets[b].len() == 1 {
                // A lone entry in the lowest bucket is the minimum: take it without a refill.
                // This is the common case when few events are pending.
                let entry = self.buckets[b].pop().expect("the bucket holds one entry");
                self.last = entry.time;
                self.len -= 1;
                return Some((SimTime(entry.time), entry.event));
            }
            self.refill(b, u64::MAX);
        }
        let entry = self.buckets[0][self.head];
        self.head += 1;
        self.len -= 1;
        Some((SimTime(entry.time), entry.event))
    }

    /// The time of the next event. Unlike a pop it must not move `last`: events may still be
    /// pushed between the present and that time.
    pub fn peek_time(&self) -> Option<SimTime> {
        if self.head < self.buckets[0].len() {
            return Some(SimTime(self.last));
        }
        let b = self.lowest_occupied()?;
        self.buckets[b].iter().map(|e| SimTime(e.time)).min()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The lowest marked bucket above 0 (bucket 0 is read through `head`, not the mask).
    fn lowest_occupied(&self) -> Option<usize> {
        self.occupied
            .iter()
            .enumerate()
            .map(|(i, &w)| if i == 0 { (i, w & !1) } else { (i, w) })
            .find(|(_, w)| *w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }

    /// The earliest time bucket `b` (above 0) may hold: `last`'s digits above the bucket's
    /// level, then the bucket's digit, then zeros. It is after `last`.
    fn floor(&self, b: usize) -> u64 {
        let (level, digit) = ((b - 1) / DIGITS, (b - 1) % DIGITS);
        let shift = level as u32 * DIGIT_BITS;
        let above = self.last.checked_shr(shift + DIGIT_BITS).unwrap_or(0);
        let high = above.checked_shl(shift + DIGIT_BITS).unwrap_or(0);
        high | (digit as u64) << shift
    }

    /// Moves `last` to the earliest time in bucket `b` (the lowest non-empty one, already
    /// unmarked), or to `cap` if that is earlier but not before the bucket's floor, and
    /// spreads that bucket over the buckets below it. Any time from the bucket's floor to
    /// its earliest entry keeps every other bucket's entries where they are.
    fn refill(&mut self, b: usize, cap: u64) {
        let mut source = std::mem::take(&mut self.buckets[b]);
        self.last = source
            .iter()
            .map(|e| e.time)
            .min()
            .expect("the bucket is not empty")
            .min(cap);
        for entry in source.drain(..) {
            let target = self.bucket(entry.time);
            debug_assert!(target < b, "an entry must move to a lower bucket");
            self.put(target, entry);
        }
        // Keep the allocation for the next time this bucket fills.
        self.buckets[b] = source;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;
    use rand::Rng;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn pops_in_time_order_and_ties_fifo() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), 'a');
        q.push(SimTime(1), 'b');
        q.push(SimTime(5), 'c');
        q.push(SimTime(1), 'd');
        q.push(SimTime(3), 'e');
        let order: String = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, "bdeac");
        assert!(q.is_empty());
    }

    #[test]
    fn extreme_times_keep_their_order() {
        let mut q = EventQueue::default();
        q.push(SimTime::MAX, 2);
        q.push(SimTime(0), 1);
        assert_eq!(q.pop(), Some((SimTime(0), 1)));
        assert_eq!(q.pop(), Some((SimTime::MAX, 2)));
        assert_eq!(q.pop(), None);
    }

    /// Random interleavings of pushes, pops and peeks, with many equal times, match a reference
    /// binary heap keyed by (time, insertion order). Peeks between pushes catch a peek that
    /// moves the radix base past the clock.
    #[test]
    fn matches_a_reference_heap() {
        let mut rng = RngStreams::new(9).stream("queue-test");
        for round in 0..50 {
            let mut q = EventQueue::default();
            let mut reference = BinaryHeap::new();
            let mut seq = 0u64;
            let mut now = 0u64;
            for _ in 0..2000 {
                let op: u32 = rng.random_range(0..10);
                if op < 5 || reference.is_empty() {
                    // Times at or after the last pop, with many ties.
                    let t = now + rng.random_range(0..(round % 7 + 1) as u64 * 3);
                    q.push(SimTime(t), seq);
                    reference.push(Reverse((t, seq)));
                    seq += 1;
                } else if op < 9 {
                    let Reverse((t, s)) = reference.pop().unwrap();
                    assert_eq!(q.pop(), Some((SimTime(t), s)));
                    now = t;
                } else {
                    assert_eq!(
                        q.peek_time(),
                        reference.peek().map(|Reverse((t, _))| SimTime(*t))
                    );
                }
                assert_eq!(q.len(), reference.len());
            }
            while let Some(Reverse((t, s))) = reference.pop() {
                assert_eq!(q.pop(), Some((SimTime(t), s)));
            }
            assert_eq!(q.pop(), None);
        }
    }

    /// Pops up to a limit that moves on, with pushes anywhere from the limit on (also between
    /// the limit and queued times, which a pop past the limit would have made impossible) and
    /// some events dropped, match a reference heap popped up to the same limits.
    #[test]
    fn pops_through_a_limit_like_a_reference_heap() {
        let mut rng = RngStreams::new(11).stream("queue-through-test");
        for round in 0..50u64 {
            let mut q = EventQueue::default();
            let mut reference = BinaryHeap::new();
            let (mut seq, mut limit) = (0u64, 0u64);
            let spread = 1 << (round % 40);
            for _ in 0..2000 {
                match rng.random_range(0..10) {
                    0..6 => {
                        let t = limit + rng.random_range(0..spread);
                        q.push(SimTime(t), seq);
                        reference.push(Reverse((t, seq)));
                        seq += 1;
                    }
                    6..9 => {
                        limit += rng.random_range(0..spread / 2 + 1);
                        while let Some(&Reverse((t, s))) = reference.peek() {
                            if t > limit {
                                break;
                            }
                            reference.pop();
                            assert_eq!(q.pop_through(SimTime(limit)), Some((SimTime(t), s)));
                        }
                        assert_eq!(q.pop_through(SimTime(limit)), None);
                    }
                    _ => {
                        let odd = |t: u64, s: u64| (t + s) % 3 != 1;
                        q.retain(|t, &s| odd(t.0, s));
                        reference.retain(|&Reverse((t, s))| odd(t, s));
                    }
                }
                assert_eq!(q.len(), reference.len());
            }
        }
    }
}
