//! A keyed rate limiter whose memory has a fixed bound, whatever keys
//! strangers make up.
//!
//! Sign-in attempts are counted per email and per address, and both come
//! from the caller. A table with one entry per key grows with every key an
//! attacker invents, and pruning alone does not shrink it while those keys
//! are still counting down. So each key is hashed, with a seed secret to
//! this process, to one of `MAX_TRACKED_KEYS` slots, and governor counts
//! slots. Keys that share a slot share a budget, which can only make the
//! limit stricter, never looser: an attacker's attempts on one account all
//! land on that account's slot. With far more slots than keys in use at
//! once, an honest user rarely shares one. Slots back at a full budget are
//! dropped now and then and the table shrunk, so an idle server holds
//! almost nothing.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Most keys one limiter tracks at once: about a megabyte when all are in
/// use, and far above the keys honest users keep busy at one time.
pub const MAX_TRACKED_KEYS: u64 = 1 << 16;

/// Every this many checks, slots back at a full budget are dropped.
const PRUNE_EVERY: u64 = 1024;

/// Counts attempts per key in at most `MAX_TRACKED_KEYS` slots.
pub struct BoundedLimiter {
    slots: DefaultKeyedRateLimiter<u64>,
    /// Secret per process, so no one can pick keys that share a slot with
    /// someone else's.
    seed: RandomState,
    checks: AtomicU64,
}

impl BoundedLimiter {
    /// A limiter allowing `quota` per key.
    pub fn new(quota: Quota) -> Self {
        Self {
            slots: DefaultKeyedRateLimiter::keyed(quota),
            seed: RandomState::new(),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one attempt under `key`, or says how long to wait first
    /// (at least a second, as `Retry-After` counts whole seconds).
    pub fn check<K: Hash + ?Sized>(&self, key: &K) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune();
        }
        let slot = self.seed.hash_one(key) % MAX_TRACKED_KEYS;
        self.slots.check_key(&slot).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .max(Duration::from_secs(1))
        })
    }

    /// Drops slots indistinguishable from fresh ones and gives the memory back.
    fn prune(&self) {
        self.slots.retain_recent();
        self.slots.shrink_to_fit();
    }

    /// How many slots hold state: what the memory bound is about, exposed
    /// for the tests that hold the limiter to it.
    #[cfg(test)]
    fn tracked_keys(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::quota;
    use std::net::{IpAddr, Ipv6Addr};

    #[test]
    fn two_hundred_thousand_distinct_emails_stay_within_the_key_bound() {
        let limiter = BoundedLimiter::new(quota(Duration::from_secs(3600), 5));
        for n in 0..200_000_u32 {
            let _ = limiter.check(&format!("attacker{n}@example.test"));
        }
        let bound = usize::try_from(MAX_TRACKED_KEYS).expect("fits");
        assert!(
            limiter.tracked_keys() <= bound,
            "{} keys tracked",
            limiter.tracked_keys()
        );
    }

    #[test]
    fn two_hundred_thousand_distinct_addresses_stay_within_the_key_bound() {
        let limiter = BoundedLimiter::new(quota(Duration::from_secs(3600), 30));
        for n in 0..200_000_u128 {
            let address = IpAddr::V6(Ipv6Addr::from(0x2001_0db8_u128 << 96 | n << 64));
            let _ = limiter.check(&address);
        }
        let bound = usize::try_from(MAX_TRACKED_KEYS).expect("fits");
        assert!(limiter.tracked_keys() <= bound);
    }

    #[test]
    fn keys_back_at_a_full_budget_are_dropped_by_pruning() {
        let limiter = BoundedLimiter::new(quota(Duration::from_millis(1), 1));
        for n in 0..1000_u32 {
            let _ = limiter.check(&n);
        }
        assert!(limiter.tracked_keys() > 900, "nearly every key has a slot");
        std::thread::sleep(Duration::from_millis(20));
        limiter.prune();
        assert_eq!(limiter.tracked_keys(), 0);
    }

    #[test]
    fn a_key_over_its_budget_waits_whoever_else_is_counted() {
        let limiter = BoundedLimiter::new(quota(Duration::from_secs(3600), 2));
        assert!(limiter.check("ada@example.test").is_ok());
        assert!(limiter.check("ada@example.test").is_ok());
        for n in 0..5_000_u32 {
            let _ = limiter.check(&format!("other{n}@example.test"));
        }
        let wait = limiter.check("ada@example.test").unwrap_err();
        assert!(wait >= Duration::from_secs(1), "{wait:?}");
    }
}
