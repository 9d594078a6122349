//! Retry delays after failed syncs: exponential from 1 s to 60 s, with jitter.

use std::time::Duration;

const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(60);

/// Spreads retries out so a server coming back is not hit by every client at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait before the next attempt after one more failure.
    ///
    /// `jitter` in `0.0..=1.0` comes from the caller (the browser's
    /// `Math.random`, a fixed value in tests) so this stays pure. The delay is
    /// between half and all of the exponential step ("equal jitter").
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let step = FIRST_DELAY
            .saturating_mul(1u32 << self.failures.min(6))
            .min(MAX_DELAY);
        self.failures = self.failures.saturating_add(1);
        step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    /// Forgets past failures after a sync succeeds.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_one_second_up_to_a_minute() {
        let mut backoff = Backoff::default();
        let delays: Vec<u64> = (0..9).map(|_| backoff.next_delay(1.0).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn jitter_keeps_at_least_half_the_step_and_reset_starts_over() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.next_delay(0.0), Duration::from_millis(500));
        assert_eq!(backoff.next_delay(1.0), Duration::from_secs(2));
        backoff.reset();
        assert_eq!(backoff.next_delay(1.0), Duration::from_secs(1));
    }
}
