//! Upper bounds on every node's free memory and CPUs, as a tree whose inner nodes hold the
//! highest bound below them: placement's, of free memory, and the controller's, of the free
//! fraction of each target. A node's memory bound falls with time at the rate its jobs are
//! known to grow, so the tree is kinetic (a tournament over falling lines): each inner node
//! keeps the child that wins now and the moment the other may overtake it, and moving the
//! present replays only the comparisons that expired. CPU bounds do not change with time.

use std::cmp::Ordering;

/// A line `at - fall * t`; `at` is negative infinity for a node that takes nothing.
#[derive(Clone, Copy, Debug)]
struct Line {
    at: f64,
    fall: f64,
}

impl Line {
    const NONE: Line = Line {
        at: f64::NEG_INFINITY,
        fall: 0.0,
    };

    fn value(&self, t: f64) -> f64 {
        match self.at == f64::NEG_INFINITY {
            true => f64::NEG_INFINITY,
            false => self.at - self.fall * t,
        }
    }
}

/// One tree node: the game played there. A leaf's game is its own line, never lost.
#[derive(Clone, Copy, Debug)]
struct Game {
    /// The line of the leaf that wins below it now, copied so that a game reads only its two
    /// children (which sit side by side) and not the leaves' lines spread across memory.
    line: Line,
    /// When the outcome may change: the earliest moment below it.
    until: f64,
    /// The highest CPU bound below it.
    cpu: f64,
    winner: u32,
}

#[derive(Debug, Default)]
pub struct Bounds {
    /// Leaves: leaf `i` is tree node `width + i`.
    width: usize,
    games: Vec<Game>,
    now: f64,
}

impl Bounds {
    pub fn new(leaves: usize) -> Self {
        let width = leaves.next_power_of_two();
        let leaf = |i: usize| Game {
            line: Line::NONE,
            until: f64::INFINITY,
            cpu: f64::NEG_INFINITY,
            winner: i as u32,
        };
        let mut b = Bounds {
            width,
            games: (0..2 * width)
                .map(|v| leaf(v.saturating_sub(width)))
                .collect(),
            now: 0.0,
        };
        (1..width).rev().for_each(|v| b.play(v));
        b
    }

    /// The first tree node that is a leaf; tree node 1 is the root.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Moves the present to `t` (never back).
    pub fn advance(&mut self, t: f64) {
        self.now = t;
        self.replay(1);
    }

    fn replay(&mut self, v: usize) {
        if self.games[v].until > self.now || v >= self.width {
            return;
        }
        self.replay(2 * v);
        self.replay(2 * v + 1);
        self.play(v);
    }

    /// Leaf `i`'s bounds from now on: free memory `free` now, falling at `fall` bytes per
    /// second, and `cpu`.
    pub fn set(&mut self, i: usize, free: f64, fall: f64, cpu: f64) {
        let mut v = self.width + i;
        let leaf = &mut self.games[v];
        leaf.line = Line {
            at: match free == f64::NEG_INFINITY {
                true => f64::NEG_INFINITY,
                false => free + fall * self.now,
            },
            fall,
        };
        leaf.cpu = cpu;
        while v > 1 {
            v /= 2;
            let was = self.outcome(v);
            self.play(v);
            // Above a game whose outcome stands, won by another leaf, nothing changes.
            if self.games[v].winner != i as u32 && self.outcome(v) == was {
                break;
            }
        }
    }

    /// What the games above tree node `v` read of it, bit for bit.
    fn outcome(&self, v: usize) -> (u32, u64, u64) {
        let g = &self.games[v];
        (g.winner, g.until.to_bits(), g.cpu.to_bits())
    }

    /// The highest memory bound below tree node `v`, now.
    pub fn free(&self, v: usize) -> f64 {
        self.games[v].line.value(self.now)
    }

    /// The highest CPU bound below tree node `v`.
    pub fn cpu(&self, v: usize) -> f64 {
        self.games[v].cpu
    }

    /// The first leaf below tree node `v`.
    pub fn first_leaf(&self, v: usize) -> usize {
        let depth = self.width.trailing_zeros() - v.ilog2();
        (v << depth) - self.width
    }

    /// The whole tree, to start a best-first search from.
    pub fn root(&self) -> Subtree {
        self.subtree(1, 0, self.width)
    }

    /// Tree node `v`, whose first leaf is `start` and which spans `span` leaves.
    pub fn subtree(&self, v: usize, start: usize, span: usize) -> Subtree {
        Subtree {
            bound: self.free(v),
            start,
            span,
            v,
        }
    }

    /// The two halves of `s`, unless it is a leaf.
    pub fn halves(&self, s: &Subtree) -> Option<[Subtree; 2]> {
        let half = s.span / 2;
        (s.v < self.width).then(|| {
            [
                self.subtree(2 * s.v, s.start, half),
                self.subtree(2 * s.v + 1, s.start + half, half),
            ]
        })
    }

    /// Decides inner node `v` from its children as they stand now.
    fn play(&mut self, v: usize) {
        let (a, b) = (self.games[2 * v], self.games[2 * v + 1]);
        let (won, lost) = match a.line.value(self.now) >= b.line.value(self.now) {
            true => (a, b),
            false => (b, a),
        };
        self.games[v] = Game {
            line: won.line,
            until: overtaken(won.line, lost.line, self.now)
                .min(a.until)
                .min(b.until),
            cpu: a.cpu.max(b.cpu),
            winner: won.winner,
        };
    }
}

/// A subtree in a best-first search: the highest bound first, then the lowest first leaf.
#[derive(Debug)]
pub struct Subtree {
    /// The highest bound of a leaf below it, now.
    pub bound: f64,
    /// Its first leaf; a leaf's own index.
    pub start: usize,
    span: usize,
    /// Its tree node.
    pub v: usize,
}

impl Ord for Subtree {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bound
            .total_cmp(&other.bound)
            .then(other.start.cmp(&self.start))
    }
}

impl PartialOrd for Subtree {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Subtree {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Subtree {}

/// The leaf a best-first search has found so far: the highest score, the first of equals.
#[derive(Debug, Default)]
pub struct Best(Option<(usize, f64)>);

/// What a best-first search does with the subtree it popped.
#[derive(Debug, PartialEq)]
pub enum Reach {
    /// Nothing left can beat the best, as the heap holds nothing higher.
    Stop,
    /// It can at best tie with the best, which comes first.
    Skip,
    Search,
}

impl Best {
    /// Whether subtree `s`, whose leaves score at most `reach`, may hold a better leaf.
    pub fn reach(&self, s: &Subtree, reach: f64) -> Reach {
        match self.0 {
            Some((b, score)) => match reach.total_cmp(&score) {
                Ordering::Less => Reach::Stop,
                Ordering::Equal if s.start > b => Reach::Skip,
                _ => Reach::Search,
            },
            None => Reach::Search,
        }
    }

    /// Leaf `i` scores `score`.
    pub fn offer(&mut self, i: usize, score: f64) {
        let better = self.0.is_none_or(|(b, s)| match score.total_cmp(&s) {
            Ordering::Greater => true,
            Ordering::Equal => i < b,
            Ordering::Less => false,
        });
        if better {
            self.0 = Some((i, score));
        }
    }

    pub fn leaf(&self) -> Option<usize> {
        self.0.map(|(i, _)| i)
    }
}

/// When `lost` may overtake `won` (ahead at `now`): never unless it falls more slowly; else
/// the moment `won`'s lead shrinks to what rounding in evaluating the two lines can hide, so
/// that between replays the winner's value is never below the other's. Inside that margin the
/// comparison is replayed at every move until the lead changes hands.
fn overtaken(won: Line, lost: Line, now: f64) -> f64 {
    if lost.at == f64::NEG_INFINITY || lost.fall >= won.fall {
        return f64::INFINITY;
    }
    let noise = 8.0 * f64::EPSILON * won.at.abs().max(lost.at.abs());
    ((won.at - lost.at - noise) / (won.fall - lost.fall)).max(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The root and every subtree hold the highest of their lines at every moment, as a scan
    /// finds it, through changes of lines and moves of the present.
    #[test]
    fn the_tree_holds_the_highest_line_as_time_moves() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let n = 37;
        let mut tree = Bounds::new(n);
        let mut lines = vec![(f64::NEG_INFINITY, 0.0); n];
        let mut t = 0.0;
        for step in 0..20000 {
            t += rng.random_range(0.0..5.0);
            tree.advance(t);
            if step % 3 == 0 {
                let i = rng.random_range(0..n);
                let free = rng.random_range(0.0..1e6);
                let fall = rng.random_range(0.0..1e3);
                tree.set(i, free, fall, 1.0);
                lines[i] = (free + fall * t, fall);
            }
            let highest = lines
                .iter()
                .map(|&(at, fall)| match at == f64::NEG_INFINITY {
                    true => at,
                    false => at - fall * t,
                })
                .fold(f64::NEG_INFINITY, f64::max);
            let got = tree.free(1);
            assert_eq!(got, highest, "step {step}: the tree against a scan");
        }
    }

    /// Around the moment two lines cross, where rounding decides which is higher, the tree
    /// still holds the higher as a scan evaluates them.
    #[test]
    fn the_tree_holds_the_highest_line_where_two_cross() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for _ in 0..2000 {
            let mut tree = Bounds::new(2);
            let free = rng.random_range(1e10..3e11);
            let (fast, slow) = (rng.random_range(1e6..2e7), rng.random_range(0.0..1e6));
            let gap = rng.random_range(1e6..1e9);
            tree.set(0, free, fast, 1.0);
            tree.set(1, free - gap, slow, 1.0);
            let crossing = gap / (fast - slow);
            let mut t = (0..20).fold(crossing, |t, _| t.next_down());
            for _ in 0..40 {
                t = t.next_up();
                tree.advance(t);
                let (a, b) = (tree.free(2), tree.free(3));
                assert_eq!(tree.free(1), a.max(b), "at {t}, crossing near {crossing}");
            }
        }
    }
}
