//! Throttling of sign-in attempts per email address and per client address, with `governor`.
//!
//! Every attempt counts, the successful ones too: `governor` can only tell whether a request
//! fits by taking its cell, and the check has to come before the password is verified (or a
//! throttled guesser would still learn when a guess was right). A person signing in normally
//! stays far below the limits. The counts live in this process: each instance of the
//! application throttles on its own.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Attempts allowed in a burst per email address, and the time after which one more is allowed.
pub const EMAIL_QUOTA: (u32, Duration) = (5, Duration::from_secs(60));
/// Attempts allowed in a burst per client address (several people may share one), and the time
/// after which one more is allowed.
pub const ADDRESS_QUOTA: (u32, Duration) = (20, Duration::from_secs(15));

/// Why an attempt was refused: too many attempts, and how long until the next one is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    /// How long to wait.
    pub retry_after: Duration,
}

/// The sign-in limits of one instance.
pub struct Throttle {
    by_email: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(EMAIL_QUOTA, ADDRESS_QUOTA)
    }
}

impl Throttle {
    /// Limits of `burst` attempts per email and per client address, each regaining one attempt
    /// per `period`.
    pub fn new(email: (u32, Duration), address: (u32, Duration)) -> Self {
        Self {
            by_email: DefaultKeyedRateLimiter::keyed(quota(email)),
            by_address: DefaultKeyedRateLimiter::keyed(quota(address)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one sign-in attempt for `email` from `address`, or refuses it. An attempt refused
    /// for its client address does not count against the email, so that one address cannot use
    /// up another person's attempts faster than the address limit allows.
    pub fn attempt(&self, email: &str, address: IpAddr) -> Result<(), Throttled> {
        let now = self.clock.now();
        let refused = |not_until: governor::NotUntil<_>| Throttled {
            retry_after: not_until.wait_time_from(now).max(Duration::from_secs(1)),
        };
        self.by_address.check_key(&address).map_err(refused)?;
        self.by_email.check_key(&email.to_owned()).map_err(refused)
    }

    /// Forgets keys whose limits are back to full, so memory stays bounded by recent activity.
    pub fn forget_idle(&self) {
        self.by_email.retain_recent();
        self.by_address.retain_recent();
        self.by_email.shrink_to_fit();
        self.by_address.shrink_to_fit();
    }
}

fn quota((burst, period): (u32, Duration)) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const TWO: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn an_email_is_refused_after_its_burst_from_any_address() {
        let throttle = Throttle::new(
            (3, Duration::from_secs(3600)),
            (100, Duration::from_secs(1)),
        );
        for _ in 0..3 {
            throttle.attempt("ada@example.com", ONE).unwrap();
        }
        let refused = throttle.attempt("ada@example.com", TWO).unwrap_err();
        assert!(refused.retry_after > Duration::from_secs(60));
        throttle.attempt("bob@example.com", TWO).unwrap();
    }

    #[test]
    fn an_address_is_refused_after_its_burst_whatever_the_email() {
        let throttle = Throttle::new(
            (100, Duration::from_secs(1)),
            (3, Duration::from_secs(3600)),
        );
        for n in 0..3 {
            throttle
                .attempt(&format!("user{n}@example.com"), ONE)
                .unwrap();
        }
        throttle.attempt("other@example.com", ONE).unwrap_err();
        throttle.attempt("other@example.com", TWO).unwrap();
    }

    #[test]
    fn thirty_two_attempts_at_once_let_exactly_the_burst_through() {
        let throttle = std::sync::Arc::new(Throttle::new(
            (5, Duration::from_secs(3600)),
            (100, Duration::from_secs(3600)),
        ));
        let allowed: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..32)
                .map(|_| {
                    let throttle = &throttle;
                    scope.spawn(move || throttle.attempt("ada@example.com", ONE).is_ok())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(allowed, 5);
    }
}
