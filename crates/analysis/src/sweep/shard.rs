//! A share of a sweep's runs, for sweeps spread over machines (a Slurm job array, or shells on
//! hosts that share the results folder): shard K of N takes the runs whose index, in the order
//! of `runs.csv` (grid point by grid point, seeds in the order given), is K modulo N. Shards
//! are disjoint and together hold every run, whatever N.

use std::fmt;

use crate::sweep::{RunKey, Sweep};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `K/N`, with 0 <= K < N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}`: give the shard as K/N, e.g. 0/4"))?;
        let number = |s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{text}`: `{s}` is not a whole number; give K/N, e.g. 0/4"))
        };
        let (index, count) = (number(k)?, number(n)?);
        if count == 0 {
            return Err(format!("`{text}`: there must be at least one shard"));
        }
        if index >= count {
            return Err(format!(
                "`{text}`: shards of {count} are numbered 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard of `count` that takes the run at `index` in the order of `runs.csv`.
    pub fn holding(index: usize, count: usize) -> Shard {
        Shard {
            index: index % count,
            count,
        }
    }

    /// The runs of `sweep` this shard takes.
    pub fn runs(self, sweep: &Sweep) -> Vec<RunKey> {
        sweep
            .runs()
            .into_iter()
            .enumerate()
            .filter(|&(i, _)| Shard::holding(i, self.count) == self)
            .map(|(_, key)| key)
            .collect()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_is_k_of_n_and_nothing_else() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        for (bad, says) in [
            ("3/3", "numbered 0 to 2"),
            ("1/0", "at least one shard"),
            ("1", "give the shard as K/N"),
            ("a/2", "`a` is not a whole number"),
        ] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
