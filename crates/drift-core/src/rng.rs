//! A small seeded generator (xoshiro256** seeded through SplitMix64) for permutation tests.
//!
//! drift-core takes randomness only as a seed: the same seed gives the same p-values on
//! every platform and every release, which a dependency's generator would not promise.

/// xoshiro256** (Blackman and Vigna), seeded by expanding a `u64` with SplitMix64.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeededRng {
    state: [u64; 4],
}

impl SeededRng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        SeededRng {
            state: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..bound` (Lemire's multiply-and-reject, unbiased).
    pub fn below(&mut self, bound: usize) -> usize {
        debug_assert!(bound > 0);
        let bound = bound as u64;
        loop {
            let wide = u128::from(self.next_u64()) * u128::from(bound);
            let low = wide as u64;
            if low >= bound.wrapping_neg() % bound {
                return (wide >> 64) as usize;
            }
        }
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The number of marked items among `draws` taken without replacement from `total`
    /// items of which `marked` are marked: a hypergeometric variate.
    ///
    /// Exact inversion, searching outward from the mode with the pmf's ratio recurrences
    /// (`P(k+1)/P(k) = (K-k)(n-k) / ((k+1)(N-K-n+k+1))`), so the expected work is of the order
    /// of the standard deviation, not of `draws`. The pmf at the mode comes from log-gamma
    /// (relative error about 1e-13).
    pub fn hypergeometric(&mut self, total: u64, marked: u64, draws: u64) -> u64 {
        debug_assert!(marked <= total && draws <= total);
        let unmarked = total - marked;
        let low = draws.saturating_sub(unmarked);
        let high = draws.min(marked);
        if low == high {
            return low;
        }
        let (n_total, k, n) = (total as f64, marked as f64, draws as f64);
        let mode = (((n + 1.0) * (k + 1.0) / (n_total + 2.0)).floor() as u64).clamp(low, high);
        let ln_pmf = |x: f64| {
            crate::special::ln_binomial(k, x) + crate::special::ln_binomial(n_total - k, n - x)
                - crate::special::ln_binomial(n_total, n)
        };
        let p_mode = ln_pmf(mode as f64).exp();
        let mut u = self.uniform() - p_mode;
        if u <= 0.0 {
            return mode;
        }
        let (mut down, mut up) = (mode, mode);
        let (mut p_down, mut p_up) = (p_mode, p_mode);
        while down > low || up < high {
            if down > low {
                let x = down as f64;
                // P(x-1) / P(x) = x (N-K-n+x) / ((K-x+1)(n-x+1))
                p_down *= x * (n_total - k - n + x) / ((k - x + 1.0) * (n - x + 1.0));
                down -= 1;
                u -= p_down;
                if u <= 0.0 {
                    return down;
                }
            }
            if up < high {
                let x = up as f64;
                p_up *= (k - x) * (n - x) / ((x + 1.0) * (n_total - k - n + x + 1.0));
                up += 1;
                u -= p_up;
                if u <= 0.0 {
                    return up;
                }
            }
        }
        // the pmf summed to a hair under 1 and u fell in that hair: the mode is as good as any
        mode
    }

    /// Moves a uniformly random `k`-subset of `items` to its front (partial Fisher-Yates).
    pub fn choose_front<T>(&mut self, items: &mut [T], k: usize) {
        let n = items.len();
        for i in 0..k.min(n) {
            let j = i + self.below(n - i);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (SeededRng::new(7), SeededRng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(SeededRng::new(7).next_u64(), SeededRng::new(8).next_u64());
    }

    #[test]
    fn hypergeometric_draws_follow_the_exact_pmf() {
        // chi-square goodness of fit of 200k draws against the pmf computed exactly by
        // products of ratios; deterministic seed, so the statistic is a fixed number
        for &(total, marked, draws) in &[
            (20u64, 7u64, 9u64),
            (2_000, 300, 1_000),
            (60, 59, 30),
            (1_000_000, 500, 400_000),
        ] {
            let mut rng = SeededRng::new(total ^ marked);
            let n_draws = 200_000;
            let mut counts = std::collections::BTreeMap::<u64, f64>::new();
            for _ in 0..n_draws {
                *counts
                    .entry(rng.hypergeometric(total, marked, draws))
                    .or_default() += 1.0;
            }
            let (n_total, k, n) = (total as f64, marked as f64, draws as f64);
            let mut chi2 = 0.0;
            let mut cells = 0;
            for (&x, &observed) in &counts {
                let x = x as f64;
                let p = (crate::special::ln_binomial(k, x)
                    + crate::special::ln_binomial(n_total - k, n - x)
                    - crate::special::ln_binomial(n_total, n))
                .exp();
                let expected = p * f64::from(n_draws);
                if expected >= 5.0 {
                    chi2 += (observed - expected).powi(2) / expected;
                    cells += 1;
                }
            }
            // the 1e-6 upper quantile of chi-square with `cells` degrees of freedom is below
            // cells + 12 sqrt(cells) + 30 for every cell count met here
            let bound = f64::from(cells) + 12.0 * f64::from(cells).sqrt() + 30.0;
            assert!(
                chi2 < bound,
                "({total}, {marked}, {draws}): chi2 {chi2} over {cells} cells"
            );
            let mean = counts.iter().map(|(&x, &c)| x as f64 * c).sum::<f64>() / f64::from(n_draws);
            let expected_mean = n * k / n_total;
            let sd =
                (n * k / n_total * (1.0 - k / n_total) * (n_total - n) / (n_total - 1.0)).sqrt();
            assert!(
                (mean - expected_mean).abs() < 6.0 * sd / f64::from(n_draws).sqrt() + 1e-9,
                "mean {mean} vs {expected_mean}"
            );
        }
    }

    #[test]
    fn hypergeometric_respects_its_support() {
        let mut rng = SeededRng::new(3);
        for _ in 0..1000 {
            let x = rng.hypergeometric(10, 8, 5);
            assert!((3..=5).contains(&x), "{x}");
        }
        assert_eq!(rng.hypergeometric(10, 10, 4), 4);
        assert_eq!(rng.hypergeometric(10, 0, 4), 0);
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = SeededRng::new(1);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[rng.below(10)] += 1;
        }
        // each expected 10000, sd 95: 5 sd is 475
        assert!(
            counts.iter().all(|&c| (9_525..=10_475).contains(&c)),
            "{counts:?}"
        );
    }
}
