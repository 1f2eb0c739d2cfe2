//! When a batch replay against another version takes the bytecode VM's
//! answer for a result that differs from the recorded one.
//!
//! Under a decision's own version the VM only ever confirms: any other
//! answer is a DIVERGED claim, the evidence certification rests on, and the
//! interpreter decides it. Against another version most answers differ from
//! the record by design, and deciding each with the interpreter (about four
//! times slower) is what kept such batches under 20,000 decisions/s. So
//! there the VM's new answers are checked against the interpreter rather
//! than replaced by it:
//! - the first [`QUALIFY`] new answers of each program in a batch, then one
//!   in [`CHECK_EVERY`], are evaluated by the interpreter too, whose answer
//!   is the one used;
//! - at the first disagreement the program is demoted: from then on the
//!   interpreter decides every new answer, and the batch re-decides the
//!   unchecked VM answers of the chunk in hand before recording it;
//! - the report says how many answers came from the VM unchecked, how many
//!   were checked, how many disagreed, and how many unchecked answers of
//!   earlier chunks were already recorded when a demotion came.
//!
//! `gavel replay --all --against V --interpreter` has the interpreter decide
//! every new answer instead.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

/// New answers of a program that are all checked at the start of a batch.
pub const QUALIFY: u64 = 128;
/// After that, one new answer in this many is checked.
pub const CHECK_EVERY: u64 = 32;

/// What one batch has learnt of one VM program.
#[derive(Debug, Default)]
pub struct VmTrust {
    answers: AtomicU64,
    trusted: AtomicU64,
    checked: AtomicU64,
    disagreed: AtomicU64,
    demoted: AtomicBool,
}

impl VmTrust {
    /// Whether the interpreter must evaluate this new answer too; counts it.
    pub fn must_check(&self) -> bool {
        if self.demoted.load(Ordering::Relaxed) {
            return true;
        }
        let n = self.answers.fetch_add(1, Ordering::Relaxed);
        let check = n < QUALIFY || n.is_multiple_of(CHECK_EVERY);
        if !check {
            self.trusted.fetch_add(1, Ordering::Relaxed);
        }
        check
    }

    /// The outcome of a check; a disagreement demotes the program.
    pub fn checked(&self, agreed: bool) {
        if self.demoted.load(Ordering::Relaxed) {
            return;
        }
        self.checked.fetch_add(1, Ordering::Relaxed);
        if !agreed {
            self.disagreed.fetch_add(1, Ordering::Relaxed);
            self.demoted.store(true, Ordering::Relaxed);
        }
    }

    pub fn is_demoted(&self) -> bool {
        self.demoted.load(Ordering::Relaxed)
    }

    fn add_to(&self, stats: &mut VmStats) {
        stats.trusted += self.trusted.load(Ordering::Relaxed);
        stats.checked += self.checked.load(Ordering::Relaxed);
        stats.disagreed += self.disagreed.load(Ordering::Relaxed);
        stats.demoted_programs += u64::from(self.is_demoted());
    }
}

/// How a batch used the VM for new answers (all zero under own versions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VmStats {
    /// New answers taken from the VM without a check.
    pub trusted: u64,
    /// New answers the interpreter evaluated too.
    pub checked: u64,
    /// Checks in which the two disagreed (the interpreter's answer was used).
    pub disagreed: u64,
    /// Programs demoted by a disagreement.
    pub demoted_programs: u64,
    /// Unchecked VM answers re-decided by the interpreter after a demotion.
    pub redecided: u64,
    /// Unchecked VM answers already recorded when a demotion came.
    pub recorded_before_demotion: u64,
}

impl VmStats {
    pub fn of<'a>(programs: impl IntoIterator<Item = &'a VmTrust>) -> VmStats {
        let mut stats = VmStats::default();
        for p in programs {
            p.add_to(&mut stats);
        }
        stats
    }

    pub fn is_empty(&self) -> bool {
        *self == VmStats::default()
    }

    /// The report's lines on it (none when the VM gave no new answer).
    pub fn describe(&self) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut lines = vec![format!(
            "changed results: {} from the bytecode VM unchecked, {} checked against the interpreter ({} disagreed)",
            self.trusted, self.checked, self.disagreed
        )];
        if self.disagreed > 0 {
            lines.push(format!(
                "the VM disagreed with the interpreter: {} program(s) handed to the interpreter, {} unchecked answer(s) decided again, {} recorded before that; replay with --interpreter for exact figures",
                self.demoted_programs, self.redecided, self.recorded_before_demotion
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_answers_then_one_in_every_few_are_checked() {
        let t = VmTrust::default();
        assert!((0..QUALIFY).all(|_| t.must_check()));
        // Of the next ten rounds of CHECK_EVERY answers, one each.
        let later = 10 * CHECK_EVERY;
        let checks = (0..later).filter(|_| t.must_check()).count() as u64;
        assert_eq!(checks, 10);
        for _ in 0..QUALIFY + checks {
            t.checked(true);
        }
        let s = VmStats::of([&t]);
        assert_eq!(
            (s.trusted, s.checked, s.disagreed),
            (later - 10, QUALIFY + 10, 0)
        );
    }

    #[test]
    fn a_disagreement_demotes_the_program() {
        let t = VmTrust::default();
        assert!(t.must_check());
        t.checked(false);
        assert!(t.is_demoted());
        assert!((0..100).all(|_| t.must_check()));
        let s = VmStats::of([&t]);
        assert_eq!((s.disagreed, s.demoted_programs, s.trusted), (1, 1, 0));
    }
}
