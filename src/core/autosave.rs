//! What the run on screen is saved as, and when: a whole save of its set first (and at its
//! end), then steps of only the rows that changed since the step before, so that a second of
//! answers costs a few KB to save whatever the set's size. Plain state, no DOM, no I/O.

/// The shortest time between two saves while a run goes, in ms: answers on screen this long
/// are stored.
pub const SAVE_EVERY_MS: f64 = 500.0;

/// Steps after which the next save is whole again (folding them in), so that a long run's
/// reading back stays short.
const MAX_STEPS: u32 = 200;

/// The next save of a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The whole set; with its IMEIs unless this page already stored them.
    Whole { with_devices: bool },
    /// Step `seq` (from 1) since the last whole save.
    Step { seq: u32 },
}

/// What this page has stored of which set.
#[derive(Clone, Debug, Default)]
pub struct Autosave {
    /// The set whose whole save this page asked for, and the steps asked since.
    whole: Option<(String, u32)>,
    /// The set whose IMEIs this page has stored.
    devices: Option<String>,
}

impl Autosave {
    /// The next save of set `key`; `ended`: its run is over (a whole save folds its steps).
    pub fn plan(&mut self, key: &str, ended: bool) -> Plan {
        match &mut self.whole {
            Some((k, seq)) if k == key && !ended && *seq < MAX_STEPS => {
                *seq += 1;
                Plan::Step { seq: *seq }
            }
            _ => {
                self.whole = Some((key.to_owned(), 0));
                Plan::Whole {
                    with_devices: self.devices.as_deref() != Some(key),
                }
            }
        }
    }

    /// Gives back the step number [`Autosave::plan`] just gave for `key` (nothing changed).
    pub fn unplan(&mut self, key: &str) {
        if let Some((k, seq)) = &mut self.whole {
            if k == key && *seq > 0 {
                *seq -= 1;
            }
        }
    }

    /// A save of `key` was written.
    pub fn saved(&mut self, key: &str, plan: Plan) {
        if plan == (Plan::Whole { with_devices: true }) {
            self.devices = Some(key.to_owned());
        }
    }

    /// A save of `key` failed: what it held is in no record, so the next save is whole.
    pub fn failed(&mut self, key: &str) {
        if self.whole.as_ref().is_some_and(|(k, _)| k == key) {
            self.whole = None;
        }
    }

    /// The sets `keys` (every set when `None`) were deleted: a set on screen is saved whole
    /// again, IMEIs too.
    pub fn deleted(&mut self, keys: Option<&[String]>) {
        let gone = |k: &str| keys.is_none_or(|keys| keys.iter().any(|g| g == k));
        if self.whole.as_ref().is_some_and(|(k, _)| gone(k)) {
            self.whole = None;
        }
        if self.devices.as_deref().is_some_and(gone) {
            self.devices = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_first_then_steps_then_whole_at_the_end() {
        let mut a = Autosave::default();
        let first = a.plan("k", false);
        assert_eq!(first, Plan::Whole { with_devices: true });
        a.saved("k", first);
        assert_eq!(a.plan("k", false), Plan::Step { seq: 1 });
        assert_eq!(a.plan("k", false), Plan::Step { seq: 2 });
        assert_eq!(
            a.plan("k", true),
            Plan::Whole {
                with_devices: false
            }
        );
        // Another set: whole, with its IMEIs.
        assert_eq!(a.plan("m", false), Plan::Whole { with_devices: true });
    }

    #[test]
    fn a_failed_save_makes_the_next_whole_and_a_failed_first_keeps_the_devices() {
        let mut a = Autosave::default();
        let first = a.plan("k", false);
        a.failed("k");
        assert_eq!(a.plan("k", false), first);
        a.saved("k", first);
        assert_eq!(a.plan("k", false), Plan::Step { seq: 1 });
        a.failed("k");
        assert_eq!(
            a.plan("k", false),
            Plan::Whole {
                with_devices: false
            }
        );
    }

    #[test]
    fn deleted_sets_are_saved_whole_again_and_long_runs_fold_their_steps() {
        let mut a = Autosave::default();
        let first = a.plan("k", false);
        a.saved("k", first);
        a.deleted(Some(&["other".to_owned()]));
        assert_eq!(a.plan("k", false), Plan::Step { seq: 1 });
        a.deleted(None);
        assert_eq!(a.plan("k", false), Plan::Whole { with_devices: true });
        for seq in 1..=MAX_STEPS {
            assert_eq!(a.plan("k", false), Plan::Step { seq });
        }
        assert!(matches!(a.plan("k", false), Plan::Whole { .. }));
    }
}
