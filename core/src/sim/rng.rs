//! A small seeded random number generator (SplitMix64), so the simulator needs no `rand` crate and the
//! same seed gives the same bytes on every platform.

/// SplitMix64 (Steele, Lea and Flood 2014): one 64-bit state, passes BigCrush, two multiplies a draw.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed ^ 0x5DEE_CE66_D1CE_4E5B }
    }

    /// A derived generator for an independent stream (spot interruptions, spikes, arrivals).
    pub fn fork(&mut self, stream: u64) -> Rng {
        Rng::new(self.next_u64() ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An approximately standard-normal draw: the Irwin–Hall sum of four 16-bit uniforms from one
    /// 64-bit draw, centred and scaled to unit variance. Cheap enough for every simulation step; its
    /// tails stop at ±3.46, which is fine for arrival noise.
    pub fn normal_fast(&mut self) -> f64 {
        let x = self.next_u64();
        let sum = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48);
        // Each 16-bit part is uniform on [0, 65535]: mean 32767.5, variance (65536² - 1) / 12.
        (sum as f64 - 4.0 * 32767.5) * (1.0 / (65536.0 * 0.577_350_269_189_625_8))
    }

    /// An approximately standard-normal draw and a uniform one from a single 64-bit draw: the normal
    /// is the Irwin–Hall sum of three 16-bit parts (tails stop at ±3), the uniform the last 16 bits.
    pub fn normal_and_uniform(&mut self) -> (f64, f64) {
        let x = self.next_u64();
        let sum = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF);
        // Three uniforms on [0, 65535]: mean 3 × 32767.5, standard deviation 65536 × sqrt(3 / 12).
        let z = (sum as f64 - 3.0 * 32767.5) * (1.0 / (65536.0 * 0.5));
        let u = (x >> 48) as f64 * (1.0 / 65536.0);
        (z, u)
    }

    /// Exponentially distributed with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }
}

/// Draws for core's seeded unit tests (fuzz-style and property tests), so they share this generator.
#[cfg(test)]
impl Rng {
    /// Uniform in `0..n` (`0` when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An index into a slice of `len` items (`0` when empty).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_sane_moments() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut r = Rng::new(1);
        let n = 100_000;
        let (mut sum, mut sq) = (0.0, 0.0);
        for _ in 0..n {
            let z = r.normal_fast();
            sum += z;
            sq += z * z;
        }
        let mean = sum / n as f64;
        let var = sq / n as f64 - mean * mean;
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
        let u: f64 = (0..n).map(|_| r.uniform()).sum::<f64>() / n as f64;
        assert!((u - 0.5).abs() < 0.01);
    }
}
