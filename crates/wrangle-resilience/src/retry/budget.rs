use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::loom_sync::AtomicU64;

/// Thousandths of a retry: the unit the budget counts in.
const MILLI: u64 = 1000;

/// A budget of retries shared by many calls, so that a fleet of callers cannot turn a
/// failing dependency into a retry storm.
///
/// Every successful call **earns** a fraction of a retry (`ratio`, 0.1 by default: one retry
/// per ten successes), and every retry **spends** one. The balance starts at, and never goes
/// above, `max` retries (10 by default). When a call wants to retry and the balance is below
/// one, the call stops with [`StopReason::Budget`](super::StopReason::Budget) instead. No
/// clock is involved, so the budget behaves the same under virtual time. Cloning shares the
/// balance.
///
/// # Examples
///
/// ```
/// use wrangle::retry::RetryBudget;
///
/// let budget = RetryBudget::new(2, 0.5);
/// assert!(budget.try_spend());
/// assert!(budget.try_spend());
/// assert!(!budget.try_spend()); // spent
/// budget.deposit();
/// budget.deposit(); // two successes earn one retry
/// assert!(budget.try_spend());
/// ```
#[derive(Debug, Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    balance: AtomicU64,
    max: u64,
    earn: u64,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self::new(10, 0.1)
    }
}

impl RetryBudget {
    /// A budget that holds at most `max` retries (starting full) and earns `ratio` of a retry
    /// per success. A `ratio` that is not a number or below zero earns nothing; above 1 earns
    /// more than one retry per success.
    pub fn new(max: u32, ratio: f64) -> Self {
        let max = u64::from(max) * MILLI;
        let earn = if ratio.is_finite() && ratio > 0.0 {
            (ratio * MILLI as f64).round().min(u64::MAX as f64) as u64
        } else {
            0
        };
        Self {
            inner: Arc::new(Inner {
                balance: AtomicU64::new(max),
                max,
                earn,
            }),
        }
    }

    /// Takes one retry from the budget, if it holds one.
    pub fn try_spend(&self) -> bool {
        self.inner
            .balance
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                b.checked_sub(MILLI)
            })
            .is_ok()
    }

    /// Credits a success.
    pub fn deposit(&self) {
        let max = self.inner.max;
        let earn = self.inner.earn;
        let _ = self
            .inner
            .balance
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                (b < max).then(|| b.saturating_add(earn).min(max))
            });
    }

    /// How many whole retries the budget holds now.
    pub fn available(&self) -> u64 {
        self.inner.balance.load(Ordering::Acquire) / MILLI
    }
}

/// loom models (RELIABILITY.md, "loom"): concurrent spends and deposits on one balance.
#[cfg(all(test, loom))]
mod loom_tests {
    use loom::thread;

    use super::*;
    use crate::loom_sync::model;

    /// Two callers race for the last retry: exactly one gets it, and the balance never
    /// wraps below zero.
    #[test]
    fn one_retry_two_spenders() {
        model(|| {
            let budget = RetryBudget::new(1, 0.0);
            let other = {
                let budget = budget.clone();
                thread::spawn(move || budget.try_spend())
            };
            let mine = budget.try_spend();
            let theirs = other.join().expect("the spending thread panicked");
            assert!(mine ^ theirs, "exactly one spend succeeds: {mine} {theirs}");
            assert_eq!(budget.inner.balance.load(Ordering::SeqCst), 0);
        });
    }

    /// A deposit racing two spends: every spend and the deposit count (no update is lost),
    /// and no more retries are spent than the balance held.
    #[test]
    fn deposit_races_spends() {
        model(|| {
            // Two retries at most, half a retry per success; one spent, so one held.
            let budget = RetryBudget::new(2, 0.5);
            assert!(budget.try_spend());
            let depositor = {
                let budget = budget.clone();
                thread::spawn(move || budget.deposit())
            };
            let spender = {
                let budget = budget.clone();
                thread::spawn(move || budget.try_spend())
            };
            let mine = budget.try_spend();
            depositor.join().expect("the depositing thread panicked");
            let theirs = spender.join().expect("the spending thread panicked");
            // 1.5 retries at most ever held: exactly one of the two spends succeeds.
            assert!(mine ^ theirs, "exactly one spend succeeds: {mine} {theirs}");
            let balance = budget.inner.balance.load(Ordering::SeqCst);
            assert_eq!(balance, MILLI / 2, "1 held + 0.5 earned - 1 spent");
        });
    }
}
