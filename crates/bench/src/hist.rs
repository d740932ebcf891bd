//! A latency histogram in the HDR style: exact below 512 µs, then 256 buckets per power of two
//! (relative error under 0.4 %), up to 2^48 µs. Memory is fixed (about 80 KB) however many
//! requests are recorded, so a long run cannot grow it.

const SUB_BITS: u32 = 8;
const SUB: u64 = 1 << SUB_BITS;
const MAX_US: u64 = (1 << 48) - 1;

#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
    sum: u128,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; index(MAX_US) + 1],
            total: 0,
            max: 0,
            sum: 0,
        }
    }
}

fn index(v: u64) -> usize {
    if v < 2 * SUB {
        v as usize
    } else {
        let msb = 63 - v.leading_zeros();
        let shift = msb - SUB_BITS;
        let m = v >> shift;
        (2 * SUB + (u64::from(shift) - 1) * SUB + (m - SUB)) as usize
    }
}

/// The middle of a bucket's range.
fn value_of(idx: usize) -> u64 {
    let idx = idx as u64;
    if idx < 2 * SUB {
        idx
    } else {
        let k = idx - 2 * SUB;
        let shift = k / SUB + 1;
        let m = k % SUB + SUB;
        let lower = m << shift;
        let upper = ((m + 1) << shift) - 1;
        lower + (upper - lower) / 2
    }
}

impl Histogram {
    /// Record one latency in microseconds.
    pub fn record(&mut self, us: u64) {
        let us = us.min(MAX_US);
        self.counts[index(us)] += 1;
        self.total += 1;
        self.max = self.max.max(us);
        self.sum += u128::from(us);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max_us(&self) -> u64 {
        self.max
    }

    pub fn mean_us(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The latency at quantile `q` (0 < q ≤ 1) in microseconds; 0 when empty.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        if rank == self.total {
            return self.max;
        }
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value_of(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip_within_half_a_percent() {
        for v in (0..2_000_000u64)
            .step_by(7)
            .chain([MAX_US, 1 << 40, 12_345_678])
        {
            let back = value_of(index(v));
            let err = (back as f64 - v as f64).abs() / (v.max(1) as f64);
            assert!(err < 0.004, "{v} -> {back}");
        }
        assert!(index(MAX_US) < 20_000);
    }

    #[test]
    fn quantiles_of_a_uniform_spread() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v);
        }
        let p50 = h.quantile_us(0.5) as f64;
        let p99 = h.quantile_us(0.99) as f64;
        assert!((p50 - 5000.0).abs() / 5000.0 < 0.005, "{p50}");
        assert!((p99 - 9900.0).abs() / 9900.0 < 0.005, "{p99}");
        assert_eq!(h.quantile_us(1.0), 10_000);
        assert_eq!(h.max_us(), 10_000);
        let mut other = Histogram::default();
        other.record(20_000);
        h.merge(&other);
        assert_eq!(h.count(), 10_001);
        assert_eq!(h.quantile_us(1.0), 20_000);
    }
}
