//! Latency samples → percentiles (HdrHistogram, microsecond resolution).

use hdrhistogram::Histogram;
use serde_json::{json, Value};

pub struct Latencies {
    hist: Histogram<u64>,
}

impl Latencies {
    pub fn from_samples<'a>(samples: impl IntoIterator<Item = &'a Vec<u64>>) -> Latencies {
        // 1 µs .. 10 min, 3 significant digits.
        let mut hist = Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| {
            Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
        });
        for batch in samples {
            for &us in batch {
                let _ = hist.record(us.max(1));
            }
        }
        Latencies { hist }
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    pub fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn summary(&self) -> Value {
        json!({
            "count": self.count(),
            "p50_ms": self.ms(0.50),
            "p95_ms": self.ms(0.95),
            "p99_ms": self.ms(0.99),
            "max_ms": self.hist.max() as f64 / 1000.0,
        })
    }

    /// (percentile, milliseconds) points for a distribution chart.
    pub fn curve(&self) -> Vec<(f64, f64)> {
        let mut pts = Vec::new();
        for i in 0..=200 {
            // Dense towards the tail: 0 … 99.99 %.
            let q = 1.0 - 10f64.powf(-4.0 * i as f64 / 200.0);
            pts.push((q * 100.0, self.ms(q)));
        }
        pts
    }
}
