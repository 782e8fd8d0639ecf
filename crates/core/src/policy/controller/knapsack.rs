//! 0/1 knapsack for the `optimal` selection: the most valuable set of jobs whose memory adds
//! up to at most the request.

/// Capacity units of the dynamic program. Weights are rounded up to a unit (so a chosen set
/// never exceeds the capacity); a set that fills the capacity to within a few units may be
/// missed.
const UNITS: usize = 10_000;

/// Picks items (weight, value) with total weight at most `capacity`, maximising total value.
/// Returns their indices in increasing order.
pub fn knapsack(items: &[(f64, f64)], capacity: f64) -> Vec<usize> {
    if capacity <= 0.0 || items.is_empty() {
        return Vec::new();
    }
    let unit = capacity / UNITS as f64;
    // A hair of tolerance keeps 3 / 0.001 = 3000.0000000000005 at 3000 units.
    let weights: Vec<usize> = items
        .iter()
        .map(|&(w, _)| ((w / unit - 1e-9).ceil().max(0.0)).min((UNITS + 1) as f64) as usize)
        .collect();
    // Only items that fit at all matter, and no capacity beyond their total weight: when
    // everything fits, the whole set is the optimum (values are positive).
    let fits: Vec<usize> = (0..items.len())
        .filter(|&i| weights[i] <= UNITS && items[i].1 > 0.0)
        .collect();
    let top = fits.iter().map(|&i| weights[i]).sum::<usize>().min(UNITS);
    let mut best = vec![0.0f64; top + 1];
    // Bit (k, c): the optimum over the first k+1 fitting items within c takes item k.
    let stride = top / 64 + 1;
    let mut took = vec![0u64; fits.len() * stride];
    for (k, &i) in fits.iter().enumerate() {
        let w = weights[i];
        for c in (w..=top).rev() {
            let take = best[c - w] + items[i].1;
            if take > best[c] {
                best[c] = take;
                took[k * stride + c / 64] |= 1 << (c % 64);
            }
        }
    }
    let mut chosen = Vec::new();
    let mut c = top;
    for (k, &i) in fits.iter().enumerate().rev() {
        if took[k * stride + c / 64] & (1 << (c % 64)) != 0 {
            chosen.push(i);
            c -= weights[i];
        }
    }
    chosen.reverse();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_optimum_of_a_small_instance() {
        // Capacity 10: {6, 4} (value 10) beats {7} (7) and {5, 4} (9).
        let items = [(6.0, 6.0), (7.0, 7.0), (5.0, 5.0), (4.0, 4.0)];
        assert_eq!(knapsack(&items, 10.0), vec![0, 3]);
        // Discounted values change the choice: a job moved twice is worth a quarter.
        let items = [(6.0, 1.5), (7.0, 7.0), (3.0, 3.0)];
        assert_eq!(knapsack(&items, 10.0), vec![1, 2]);
        assert!(knapsack(&[(11.0, 11.0)], 10.0).is_empty());
        assert!(knapsack(&[], 10.0).is_empty());
    }

    #[test]
    fn agrees_with_brute_force_on_seeded_instances() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        // Capacities that divide the grid, so integer weights land on it exactly.
        let caps = [10.0, 16.0, 20.0, 25.0, 40.0, 50.0, 80.0, 100.0];
        for _ in 0..200 {
            let n = rng.random_range(1..9);
            let items: Vec<(f64, f64)> = (0..n)
                .map(|_| {
                    let w = rng.random_range(1..40) as f64;
                    (w, w * 0.5f64.powi(rng.random_range(0..3)))
                })
                .collect();
            let cap = caps[rng.random_range(0..caps.len())];
            let value = |set: &[usize]| set.iter().map(|&i| items[i].1).sum::<f64>();
            let weight = |set: &[usize]| set.iter().map(|&i| items[i].0).sum::<f64>();
            let got = knapsack(&items, cap);
            assert!(weight(&got) <= cap);
            let best = (0u32..1 << n)
                .map(|m| (0..n).filter(|i| m >> i & 1 == 1).collect::<Vec<_>>())
                .filter(|s| weight(s) <= cap)
                .map(|s| value(&s))
                .fold(0.0, f64::max);
            assert_eq!(value(&got), best, "items {items:?} cap {cap}");
        }
    }
}
