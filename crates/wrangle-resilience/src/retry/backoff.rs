use std::time::Duration;

/// How the delay before each retry grows, before jitter and the cap.
///
/// Retry `k` counts from 0 (the delay before the second attempt is retry 0). Every formula
/// saturates instead of overflowing and is then capped by the policy's
/// [`max_delay`](crate::retry::RetryPolicyBuilder::max_delay).
///
/// | Backoff | delay before retry `k` |
/// |---|---|
/// | `Constant(d)` | `d` |
/// | `Linear { initial, step }` | `initial + k × step` |
/// | `Exponential { initial, factor }` | `initial × factor^k` |
/// | `Fibonacci { initial }` | `initial × F(k+1)`, with F = 1, 1, 2, 3, 5, 8, … |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::Backoff;
///
/// let b = Backoff::Exponential { initial: Duration::from_millis(100), factor: 2.0 };
/// assert_eq!(b.base(0), Duration::from_millis(100));
/// assert_eq!(b.base(2), Duration::from_millis(400));
/// assert_eq!(b.base(u32::MAX), Duration::MAX); // saturates
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Backoff {
    /// The same delay every time.
    Constant(Duration),
    /// A delay that grows by `step` each retry.
    Linear {
        /// The first delay.
        initial: Duration,
        /// Added for each further retry.
        step: Duration,
    },
    /// A delay multiplied by `factor` (≥ 1) each retry.
    Exponential {
        /// The first delay.
        initial: Duration,
        /// The multiplier, at least 1.
        factor: f64,
    },
    /// A delay that follows the Fibonacci sequence: gentler than doubling.
    Fibonacci {
        /// The first (and second) delay.
        initial: Duration,
    },
}

impl Backoff {
    /// The delay before retry `k` (counting from 0), before jitter and the cap.
    pub fn base(&self, k: u32) -> Duration {
        match *self {
            Self::Constant(d) => d,
            Self::Linear { initial, step } => initial.saturating_add(step.saturating_mul(k)),
            // A factor of 1 keeps the delay exactly, with no float rounding (`powi` is not
            // exact everywhere: miri, for one, models its error).
            Self::Exponential {
                initial,
                factor: 1.0,
            } => initial,
            Self::Exponential { initial, .. } if k == 0 => initial,
            Self::Exponential { initial, factor } => {
                let exp = i32::try_from(k).unwrap_or(i32::MAX);
                // A factor of at least 1 never shrinks the delay, whatever `powi`'s rounding
                // (miri models its error, and `(1 + ε)^k` may then come out below 1).
                let scale = factor.powi(exp);
                let scale = if factor >= 1.0 { scale.max(1.0) } else { scale };
                mul_f64_saturating(initial, scale)
            }
            Self::Fibonacci { initial } => initial.saturating_mul(fibonacci(k)),
        }
    }

    /// The first delay: the floor of decorrelated jitter.
    pub(crate) fn initial(&self) -> Duration {
        match *self {
            Self::Constant(d) => d,
            Self::Linear { initial, .. }
            | Self::Exponential { initial, .. }
            | Self::Fibonacci { initial } => initial,
        }
    }
}

/// `F(k+1)` with F = 1, 1, 2, 3, 5, …, saturating at `u32::MAX`.
fn fibonacci(k: u32) -> u32 {
    let (mut a, mut b) = (1u32, 1u32);
    for _ in 0..k {
        let next = a.saturating_add(b);
        a = b;
        b = next;
        if a == u32::MAX {
            break;
        }
    }
    a
}

/// `d × m`, saturating at `Duration::MAX` (also for an infinite or NaN product); zero stays
/// zero whatever `m` (`0 × ∞` is NaN, which must not read as saturation).
pub(crate) fn mul_f64_saturating(d: Duration, m: f64) -> Duration {
    if d.is_zero() {
        return Duration::ZERO;
    }
    let secs = d.as_secs_f64() * m;
    if !secs.is_finite() || secs >= Duration::MAX.as_secs_f64() {
        Duration::MAX
    } else if secs <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    }
}

/// How randomness spreads the delays, so that many clients failing together do not retry
/// together. The formulas are those of the AWS Architecture Blog's "Exponential Backoff And
/// Jitter", with `base` the [`Backoff`] delay, `cap` the policy's maximum delay and `rand(a,
/// b)` uniform in `[a, b]`:
///
/// | Jitter | delay |
/// |---|---|
/// | `None` | `min(cap, base)` |
/// | `Full` | `rand(0, min(cap, base))` |
/// | `Equal` | `min(cap, base) / 2 + rand(0, min(cap, base) / 2)` |
/// | `Decorrelated` | `min(cap, rand(initial, 3 × previous))`, starting from `previous = initial` |
///
/// Random numbers come from the [`Timer`](crate::Timer)'s `random_u64`, so they are
/// reproducible under wrangle-sim.
///
/// # Examples
///
/// ```
/// use wrangle::retry::Jitter;
///
/// assert_eq!(Jitter::default(), Jitter::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// No randomness: exactly the backoff's delays.
    #[default]
    None,
    /// Anywhere between zero and the delay.
    Full,
    /// Half the delay, plus up to the other half.
    Equal,
    /// Between the initial delay and three times the previous one, independent of the retry
    /// count.
    Decorrelated,
}

/// A uniform sample of `[0, max]` from a random `u64`.
pub(crate) fn uniform(max: Duration, random: u64) -> Duration {
    let nanos = max.as_nanos();
    if nanos == 0 {
        return Duration::ZERO;
    }
    // Multiply-shift, `span × random / 2^64`, split in halves so it cannot overflow even for
    // `Duration::MAX`: uniform enough for jitter, and never above `max`.
    let span = nanos + 1;
    let (hi, lo) = (span >> 64, span & u128::from(u64::MAX));
    let r = u128::from(random);
    let scaled = hi * r + ((lo * r) >> 64);
    duration_from_nanos_saturating(scaled.min(nanos))
}

pub(crate) fn duration_from_nanos_saturating(nanos: u128) -> Duration {
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let sub = (nanos % 1_000_000_000) as u32;
    Duration::new(secs, sub)
}

/// The delay before retry `k`, after jitter and the cap.
pub(crate) fn delay(
    backoff: &Backoff,
    jitter: Jitter,
    cap: Duration,
    k: u32,
    previous: Option<Duration>,
    random: u64,
) -> Duration {
    match jitter {
        Jitter::None => backoff.base(k).min(cap),
        Jitter::Full => uniform(backoff.base(k).min(cap), random),
        Jitter::Equal => {
            let d = backoff.base(k).min(cap);
            let half = d / 2;
            // `d - half` keeps an odd nanosecond, so the result never exceeds `d`.
            half + uniform(d - half, random)
        }
        Jitter::Decorrelated => {
            let floor = backoff.initial().min(cap);
            let prev = previous.unwrap_or(floor);
            let ceil = prev.saturating_mul(3).min(cap).max(floor);
            floor + uniform(ceil - floor, random)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn formulas() {
        assert_eq!(Backoff::Constant(MS).base(9), MS);
        let lin = Backoff::Linear {
            initial: MS,
            step: MS * 2,
        };
        assert_eq!(lin.base(3), MS * 7);
        let fib = Backoff::Fibonacci { initial: MS };
        let seq: Vec<u32> = (0..7).map(|k| (fib.base(k).as_millis()) as u32).collect();
        assert_eq!(seq, [1, 1, 2, 3, 5, 8, 13]);
        assert_eq!(fib.base(u32::MAX), MS * u32::MAX);
        let exp = Backoff::Exponential {
            initial: MS * 100,
            factor: 2.0,
        };
        assert_eq!(exp.base(3), MS * 800);
    }

    #[test]
    fn saturation() {
        let lin = Backoff::Linear {
            initial: Duration::MAX,
            step: Duration::MAX,
        };
        assert_eq!(lin.base(u32::MAX), Duration::MAX);
        let exp = Backoff::Exponential {
            initial: Duration::MAX,
            factor: 10.0,
        };
        assert_eq!(exp.base(u32::MAX), Duration::MAX);
        assert_eq!(mul_f64_saturating(MS, f64::NAN), Duration::MAX);
    }

    /// Zero stays zero at every retry count, for every backoff and jitter (issue 15, defect
    /// 10: `0 × ∞` is NaN, which was read as saturation).
    #[test]
    fn zero_stays_zero() {
        let zero = Duration::ZERO;
        let kinds = [
            Backoff::Constant(zero),
            Backoff::Linear {
                initial: zero,
                step: zero,
            },
            Backoff::Exponential {
                initial: zero,
                factor: 2.0,
            },
            Backoff::Exponential {
                initial: zero,
                factor: f64::INFINITY,
            },
            Backoff::Exponential {
                initial: zero,
                factor: f64::MAX,
            },
            Backoff::Fibonacci { initial: zero },
        ];
        let cap = Duration::from_secs(30);
        for b in kinds {
            for k in [0, 1, 64, 1024, 1025, i32::MAX as u32, u32::MAX] {
                assert_eq!(b.base(k), zero, "{b:?} at {k}");
                for j in [
                    Jitter::None,
                    Jitter::Full,
                    Jitter::Equal,
                    Jitter::Decorrelated,
                ] {
                    for r in [0, u64::MAX] {
                        assert_eq!(delay(&b, j, cap, k, None, r), zero, "{b:?} {j:?} at {k}");
                    }
                }
            }
        }
    }

    /// Extreme bases, factors and retry counts: no NaN, no panic, saturation where it grows.
    #[test]
    fn extremes_saturate_without_nan() {
        let cap = Duration::MAX;
        let ns = Duration::from_nanos(1);
        for initial in [ns, MS, Duration::MAX] {
            for factor in [1.0, 1.0 + f64::EPSILON, 2.0, 1e300, f64::MAX, f64::INFINITY] {
                let b = Backoff::Exponential { initial, factor };
                assert_eq!(b.base(0), initial, "{b:?}");
                for k in [1, 1024, u32::MAX] {
                    let d = b.base(k);
                    assert!(d >= initial, "{b:?} at {k}: {d:?}");
                    if factor >= 2.0 && k >= 1024 {
                        assert_eq!(d, Duration::MAX, "{b:?} at {k}");
                    }
                }
            }
            let b = Backoff::Exponential {
                initial,
                factor: 1.0,
            };
            assert_eq!(b.base(u32::MAX), initial, "factor 1 keeps the delay");
            for b in [
                Backoff::Constant(initial),
                Backoff::Linear {
                    initial,
                    step: initial,
                },
                Backoff::Fibonacci { initial },
                b,
            ] {
                for k in [0, u32::MAX] {
                    for j in [
                        Jitter::None,
                        Jitter::Full,
                        Jitter::Equal,
                        Jitter::Decorrelated,
                    ] {
                        for r in [0, u64::MAX] {
                            let d = delay(&b, j, cap, k, Some(Duration::MAX), r);
                            assert!(d <= cap, "{b:?} {j:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn uniform_bounds() {
        let max = Duration::from_secs(3);
        assert_eq!(uniform(max, 0), Duration::ZERO);
        assert_eq!(uniform(max, u64::MAX), max);
        assert_eq!(uniform(Duration::ZERO, u64::MAX), Duration::ZERO);
        let top = uniform(Duration::MAX, u64::MAX);
        assert!(top <= Duration::MAX && top >= Duration::MAX - Duration::from_secs(1));
    }

    #[test]
    fn jitter_bounds_at_extremes() {
        let b = Backoff::Exponential {
            initial: MS * 100,
            factor: 2.0,
        };
        let cap = MS * 300;
        for r in [0, u64::MAX / 2, u64::MAX] {
            assert!(delay(&b, Jitter::Full, cap, 5, None, r) <= cap);
            let eq = delay(&b, Jitter::Equal, cap, 5, None, r);
            assert!(eq >= cap / 2 && eq <= cap);
            let de = delay(&b, Jitter::Decorrelated, cap, 5, Some(MS * 200), r);
            assert!(de >= MS * 100 && de <= cap);
        }
    }
}
