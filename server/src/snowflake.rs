//! Snowflake ids: 41 bits of milliseconds since 2024-01-01, 10 bits of node
//! id, 12 bits of sequence. Time-ordered, unique across up to 1,024 nodes as
//! long as each node has its own `PARLEY_NODE_ID`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const EPOCH_MS: u64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[derive(Debug)]
pub struct Snowflake {
    node: u64,
    /// (ms since EPOCH << SEQ_BITS) | seq of the last id handed out.
    last: AtomicU64,
}

impl Snowflake {
    pub fn new(node: u16) -> Self {
        Snowflake {
            node: u64::from(node) & ((1 << NODE_BITS) - 1),
            last: AtomicU64::new(0),
        }
    }

    pub fn next(&self) -> i64 {
        let now = (now_ms() as u64).saturating_sub(EPOCH_MS) << SEQ_BITS;
        // Lock-free: take max(now, last + 1). If the clock steps back or 4,096
        // ids are needed in one ms, we borrow from the next ms instead of
        // repeating an id.
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let next = if now > prev { now } else { prev + 1 };
            match self
                .last
                .compare_exchange_weak(prev, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    let ms = next >> SEQ_BITS;
                    let seq = next & SEQ_MASK;
                    return ((ms << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS) | seq) as i64;
                }
                Err(actual) => prev = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_increasing() {
        let g = Snowflake::new(7);
        let ids: Vec<i64> = (0..20_000).map(|_| g.next()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        assert!(ids[0] > 0);
    }
}
