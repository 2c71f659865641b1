//! What the run on screen is saved as, and when: a whole save of its set first (and at its
//! end), then steps of only the rows that changed since the step before, so that a second of
//! answers costs a few KB to save whatever the set's size; and the queue those saves wait in
//! for their write, one at a time. Plain state, no DOM, no I/O.

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

/// A save waiting for its write: the set's key, what it was planned as, what is written.
#[derive(Debug, PartialEq)]
pub struct Queued<T> {
    pub key: String,
    pub plan: Plan,
    pub write: T,
}

/// Saves waiting for their write, written one at a time and in order (the database keeps the
/// order of writes); `T` is what one write holds.
#[derive(Debug)]
pub struct SaveQueue<T> {
    waiting: Vec<Queued<T>>,
    writing: bool,
    /// A save was skipped while there was nowhere to write it: one is due once there is.
    owed: bool,
    /// When the last save was asked for, in ms since the Unix epoch.
    last_asked: f64,
}

impl<T> Default for SaveQueue<T> {
    fn default() -> Self {
        SaveQueue {
            waiting: Vec::new(),
            writing: false,
            owed: false,
            last_asked: f64::NEG_INFINITY,
        }
    }
}

impl<T> SaveQueue<T> {
    /// A save was asked for at `now` (ms since the Unix epoch), taken or not.
    pub fn asked(&mut self, now: f64) {
        self.last_asked = now;
    }

    /// Queues a save; a whole save replaces what of its set still waits (so that a new set's
    /// first save never loses the last set's end).
    pub fn push(&mut self, save: Queued<T>) {
        if let Plan::Whole { .. } = save.plan {
            self.waiting.retain(|q| q.key != save.key);
        }
        self.waiting.push(save);
    }

    /// The next save to write, unless one is being written (then it is being written).
    pub fn take_next(&mut self) -> Option<Queued<T>> {
        if self.writing || self.waiting.is_empty() {
            return None;
        }
        self.writing = true;
        Some(self.waiting.remove(0))
    }

    /// Every waiting save, to write at once (the page is being hidden or left).
    pub fn take_all(&mut self) -> Vec<Queued<T>> {
        let all = std::mem::take(&mut self.waiting);
        self.writing |= !all.is_empty();
        all
    }

    /// A write ended (written or not): the next may go.
    pub fn written(&mut self) {
        self.writing = false;
    }

    /// A save could not be taken for want of somewhere to write it.
    pub fn owe(&mut self) {
        self.owed = true;
    }

    /// Whether a save is owed; it no longer is.
    pub fn take_owed(&mut self) -> bool {
        std::mem::take(&mut self.owed)
    }

    /// In how many ms the next save of a run started at `started` is due (zero or less: now).
    pub fn due_in(&self, started: f64, now: f64) -> f64 {
        self.last_asked.max(started) + SAVE_EVERY_MS - now
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

    fn save(key: &str, plan: Plan, write: u32) -> Queued<u32> {
        Queued {
            key: key.to_owned(),
            plan,
            write,
        }
    }

    #[test]
    fn saves_are_written_one_at_a_time_and_a_whole_save_replaces_its_sets_waiting_ones() {
        let mut q = SaveQueue::default();
        let whole = Plan::Whole { with_devices: true };
        q.push(save("k", whole, 1));
        q.push(save("k", Plan::Step { seq: 1 }, 2));
        q.push(save("m", whole, 3));
        assert_eq!(q.take_next(), Some(save("k", whole, 1)));
        assert_eq!(q.take_next(), None, "one write at a time");
        q.push(save("k", whole, 4));
        q.written();
        assert_eq!(q.take_next(), Some(save("m", whole, 3)));
        q.written();
        assert_eq!(q.take_next(), Some(save("k", whole, 4)));
        q.written();
        assert_eq!(q.take_next(), None);
    }

    #[test]
    fn a_hidden_page_takes_every_waiting_save_and_the_next_waits_for_their_writes() {
        let mut q = SaveQueue::default();
        assert!(q.take_all().is_empty());
        q.push(save("k", Plan::Step { seq: 1 }, 1));
        q.push(save("k", Plan::Step { seq: 2 }, 2));
        assert_eq!(q.take_all().len(), 2);
        q.push(save("k", Plan::Step { seq: 3 }, 3));
        assert_eq!(q.take_next(), None);
        q.written();
        assert_eq!(q.take_next().map(|s| s.write), Some(3));
    }

    #[test]
    fn a_save_is_due_every_interval_after_the_later_of_the_start_and_the_last_ask() {
        let mut q = SaveQueue::<()>::default();
        assert_eq!(q.due_in(1_000.0, 1_000.0), SAVE_EVERY_MS);
        q.asked(1_200.0);
        q.push(save_unit());
        assert_eq!(q.due_in(1_000.0, 1_300.0), SAVE_EVERY_MS - 100.0);
        assert!(!q.take_owed());
        q.owe();
        assert!(q.take_owed());
        assert!(!q.take_owed(), "owed once");
    }

    fn save_unit() -> Queued<()> {
        Queued {
            key: "k".to_owned(),
            plan: Plan::Step { seq: 1 },
            write: (),
        }
    }
}
