use std::fmt;

/// How far a [`gather`](crate::gather()) or [`as_completed`](crate::as_completed()) has got:
/// handed to the hook set with `.progress(..)` each time an input completes.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use wrangle::Progress;
///
/// let seen = RefCell::new(Vec::new());
/// let out = wrangle::sim::run(1, |_rt| {
///     wrangle::gather((1..=3).map(|i| async move { i * 10 }))
///         .progress(|p: Progress| seen.borrow_mut().push((p.done(), p.total())))
/// });
/// assert_eq!(out, [10, 20, 30]);
/// assert_eq!(seen.into_inner(), [(1, Some(3)), (2, Some(3)), (3, Some(3))]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Progress {
    done: usize,
    total: Option<usize>,
}

impl Progress {
    pub(crate) fn new(done: usize, total: Option<usize>) -> Self {
        Self { done, total }
    }

    /// How many inputs have completed, this one included.
    pub fn done(&self) -> usize {
        self.done
    }

    /// How many inputs there are: known from the start when the input's
    /// [`size_hint`](Iterator::size_hint) is exact (a `Vec`, a range, `map` over them),
    /// otherwise once the last input has been pulled; `None` until then.
    pub fn total(&self) -> Option<usize> {
        self.total
    }
}

impl fmt::Display for Progress {
    /// `3/10`, or `3/?` while the total is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total {
            Some(total) => write!(f, "{}/{}", self.done, total),
            None => write!(f, "{}/?", self.done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        assert_eq!(Progress::new(3, Some(10)).to_string(), "3/10");
        assert_eq!(Progress::new(3, None).to_string(), "3/?");
    }
}
