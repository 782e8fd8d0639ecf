//! The jobs a scheduling pass found no node for, kept as the least they asked for: within a
//! pass rooms only shrink (jobs are taken, none leave), so a job that asks at least as much
//! memory and as many CPUs as one that fit nowhere fits nowhere either, and its search is
//! skipped. On a deep queue this is what keeps a pass from searching for every queued job.

/// The smallest (memory, CPUs) demands that fit nowhere in this pass: no one asks for at least
/// as much as another on both counts.
#[derive(Debug, Default)]
pub struct Unplaceable {
    least: Vec<(f64, f64)>,
}

/// How many demands are kept: enough for the few shapes a queue's misfits take, and a bound on
/// the check when they vary on both counts.
const KEPT: usize = 32;

impl Unplaceable {
    /// Whether a job asking `need` and `cpu` cannot fit, as one that asked no more did not.
    pub fn covers(&self, need: f64, cpu: f64) -> bool {
        self.least.iter().any(|&(n, c)| n <= need && c <= cpu)
    }

    /// A job asking `need` and `cpu` fit nowhere.
    pub fn add(&mut self, need: f64, cpu: f64) {
        if self.covers(need, cpu) {
            return;
        }
        self.least.retain(|&(n, c)| !(need <= n && cpu <= c));
        if self.least.len() < KEPT {
            self.least.push((need, cpu));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demand_no_smaller_than_a_misfit_is_covered() {
        let mut u = Unplaceable::default();
        assert!(!u.covers(0.0, 0.0), "nothing failed yet");
        u.add(10.0, 4.0);
        assert!(u.covers(10.0, 4.0));
        assert!(u.covers(11.0, 4.5));
        assert!(!u.covers(9.0, 8.0), "less memory may still fit");
        assert!(!u.covers(20.0, 3.0), "fewer CPUs may still fit");
        u.add(20.0, 3.0);
        assert!(u.covers(20.0, 3.5) && u.covers(12.0, 4.0));
        u.add(5.0, 2.0);
        assert_eq!(
            u.least,
            vec![(5.0, 2.0)],
            "a smaller misfit replaces those it covers"
        );
    }

    #[test]
    fn it_keeps_a_bounded_number_of_demands() {
        let mut u = Unplaceable::default();
        (0..100).for_each(|i| u.add(f64::from(i), f64::from(100 - i)));
        assert_eq!(u.least.len(), KEPT);
        assert!(u.covers(0.0, 100.0));
        assert!(!u.covers(99.0, 1.0), "a demand not kept is searched for");
    }
}
