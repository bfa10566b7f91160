//! A run's served-weighted latency distribution for one metric of one deployment: every step's
//! served requests add the distribution the step assumes (the piecewise-linear CDF through its
//! band, `Band::cdf_knots`), so the run's p50, p95 and p99 are the percentiles of the mixture, the
//! same distribution SLO attainment reads.
//!
//! Log-spaced buckets (1 % wide, 0.01 ms to about 2 × 10^8 ms) hold the mass; a segment of uniform
//! density costs O(1) whatever its width (a difference array of densities plus its two end buckets).

use crate::sim::serving::Band;

const LOW_MS: f64 = 0.01;
const RATIO: f64 = 1.01;
const BUCKETS: usize = 2400;

/// One metric's distribution over a run (empty until the first request is added).
#[derive(Default, Clone)]
pub(super) struct Distribution {
    /// Mass in each bucket from segments' end pieces and point masses.
    mass: Vec<f64>,
    /// Differences of the density (mass per ms) of segments covering whole buckets.
    density: Vec<f64>,
    total: f64,
    /// The largest latency added, ms: no quantile lies above it (a bucket's width may).
    max_ms: f64,
}

/// The lower edge of bucket `k` (`BUCKETS` for the top), from a table computed once: a step adds
/// three distributions of four segments each, so the edges are read millions of times a day.
fn edge(k: usize) -> f64 {
    static EDGES: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    EDGES.get_or_init(|| (0..=BUCKETS).map(|k| LOW_MS * RATIO.powi(k as i32)).collect())[k]
}

fn bucket(x: f64) -> usize {
    if x <= LOW_MS || x.is_nan() {
        return 0;
    }
    ((x / LOW_MS).ln() / RATIO.ln()).floor().min((BUCKETS - 1) as f64) as usize
}

impl Distribution {
    /// Adds `weight` requests whose latency follows the band's piecewise-linear CDF.
    pub(super) fn add(&mut self, weight: f64, band: Band) {
        if weight.is_nan() || weight <= 0.0 || !band.p99_ms.is_finite() {
            return;
        }
        if self.mass.is_empty() {
            self.mass = vec![0.0; BUCKETS];
            self.density = vec![0.0; BUCKETS + 1];
        }
        let knots = band.cdf_knots();
        // Each knot's position and bucket once: neighbouring segments share their ends.
        let top = edge(BUCKETS);
        let xs = knots.map(|(x, _)| x.clamp(LOW_MS, top));
        let ks = xs.map(bucket);
        for j in 0..4 {
            self.segment(xs[j], xs[j + 1], ks[j], ks[j + 1], weight * (knots[j + 1].1 - knots[j].1));
        }
        self.total += weight;
        self.max_ms = self.max_ms.max(knots[4].0);
    }

    /// `mass` spread uniformly over [a, b] ms (clamped to the buckets; `ka`, `kb` their buckets).
    fn segment(&mut self, a: f64, b: f64, ka: usize, kb: usize, mass: f64) {
        if mass <= 0.0 {
            return;
        }
        if ka >= kb || b - a <= 0.0 {
            self.mass[ka] += mass;
            return;
        }
        let c = mass / (b - a);
        self.mass[ka] += c * (edge(ka + 1) - a);
        self.mass[kb] += c * (b - edge(kb));
        self.density[ka + 1] += c;
        self.density[kb] -= c;
    }

    /// The `q`-quantile (0–1) of the mixture, ms (0 when nothing was served), uniform within a bucket.
    pub(super) fn quantile(&self, q: f64) -> f64 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let target = q.clamp(0.0, 1.0) * self.total;
        let (mut cum, mut density) = (0.0, 0.0);
        for k in 0..BUCKETS {
            density += self.density[k];
            let width = edge(k + 1) - edge(k);
            let m = self.mass[k] + density.max(0.0) * width;
            if m > 0.0 && cum + m >= target {
                return (edge(k) + (target - cum) / m * width).min(self.max_ms);
            }
            cum += m;
        }
        edge(BUCKETS).min(self.max_ms)
    }

    /// p50, p95 and p99 of the mixture, ms.
    pub(super) fn band(&self) -> Band {
        Band { p50_ms: self.quantile(0.5), p95_ms: self.quantile(0.95), p99_ms: self.quantile(0.99) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_band_gives_its_own_percentiles_back() {
        let band = Band::of(120.0, 300.0, 410.0);
        let mut d = Distribution::default();
        d.add(3.0, band);
        d.add(5.0, band);
        let got = d.band();
        for (a, b) in [(got.p50_ms, 120.0), (got.p95_ms, 300.0), (got.p99_ms, 410.0)] {
            // Within the 1 % bucket the knot falls in.
            assert!((a - b).abs() <= 0.01 * b, "{got:?}");
        }
    }

    #[test]
    fn a_mixture_weighs_its_parts() {
        let mut d = Distribution::default();
        d.add(1.0, Band::of(10.0, 10.0, 10.0));
        d.add(1.0, Band::of(1000.0, 1000.0, 1000.0));
        // Half the requests take 10 ms (point masses land in one 1 % bucket).
        assert!(d.quantile(0.25) >= 10.0 * 0.99 && d.quantile(0.25) <= 10.0 * 1.01);
        assert!(d.quantile(0.9) >= 1000.0 * 0.99 && d.quantile(0.9) <= 1000.0 * 1.01);
        assert_eq!(Distribution::default().quantile(0.5), 0.0);
    }
}
