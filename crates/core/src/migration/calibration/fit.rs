//! Ordinary least squares of seconds on bytes: `seconds = intercept + bytes * per_byte`.

/// A fitted line and how well it explains the points.
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinearFit {
    pub intercept: f64,
    /// Seconds per byte.
    pub per_byte: f64,
    pub r_squared: f64,
    pub points: usize,
}

impl LinearFit {
    /// Fits `points` of (bytes, seconds). With one distinct size the slope is zero and the
    /// intercept is the mean. `None` without points.
    pub fn fit(points: &[(f64, f64)]) -> Option<Self> {
        if points.is_empty() {
            return None;
        }
        let n = points.len() as f64;
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let per_byte = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        let intercept = my - per_byte * mx;
        let ss_tot: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
        let ss_res: f64 = points
            .iter()
            .map(|p| (p.1 - intercept - per_byte * p.0).powi(2))
            .sum();
        let r_squared = if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            1.0
        };
        Some(LinearFit {
            intercept,
            per_byte,
            r_squared,
            points: points.len(),
        })
    }

    pub fn predict(&self, bytes: f64) -> f64 {
        self.intercept + self.per_byte * bytes
    }

    /// The fixed cost, never negative: a fit can cross zero slightly below the smallest size.
    pub fn overhead(&self) -> f64 {
        self.intercept.max(0.0)
    }

    /// Bytes per second; infinite when time does not grow with size.
    pub fn rate(&self) -> f64 {
        if self.per_byte > 0.0 {
            1.0 / self.per_byte
        } else {
            f64::INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_line_and_reports_r_squared() {
        let pts: Vec<(f64, f64)> = (0..5)
            .map(|i| (i as f64 * 1e9, 2.0 + i as f64 * 0.5))
            .collect();
        let f = LinearFit::fit(&pts).unwrap();
        assert!((f.intercept - 2.0).abs() < 1e-9);
        assert!((f.rate() - 2e9).abs() < 1e-3);
        assert!((f.r_squared - 1.0).abs() < 1e-12);
        // Noise lowers R^2 below 1.
        let noisy = [(0.0, 1.0), (1.0, 3.0), (2.0, 2.0), (3.0, 5.0)];
        let g = LinearFit::fit(&noisy).unwrap();
        assert!(g.r_squared < 0.9 && g.r_squared > 0.0);
        assert_eq!(LinearFit::fit(&[]), None);
        assert_eq!(
            LinearFit::fit(&[(5.0, 3.0), (5.0, 5.0)])
                .unwrap()
                .predict(1e9),
            4.0
        );
    }
}
