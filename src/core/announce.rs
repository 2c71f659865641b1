//! What a screen reader hears of a run, through one polite live region (WAI-ARIA 1.2 `status`
//! role): the start, a progress line at most every [`PROGRESS_EVERY_MS`], and the end once with
//! its summary. The visible progress line changes every frame and is not a live region; errors
//! are the alert's to announce (WAI-ARIA `alert` role), so the end of a failed run names counts
//! only.

use super::outcome::{CountName, OutcomeKind, Summary};
use super::run::Progress;

/// The shortest time between two progress announcements, in milliseconds: a screen reader reads
/// a line in about two seconds, and one every few seconds leaves room for the user's own reading.
pub const PROGRESS_EVERY_MS: f64 = 5_000.0;

/// How a run ended, as announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Every device has its outcome.
    Finished,
    /// The user pressed Cancel: the devices not sent are "Not sent".
    Cancelled,
    /// A failure stopped the run before every device was sent (the alert says which).
    Stopped,
}

impl RunEnd {
    /// How the run ended, from what it left: devices not sent mean it was stopped by an error
    /// or cancelled by the user; otherwise every device was answered, even if some failed.
    pub fn of(summary: &Summary, has_error: bool) -> RunEnd {
        match (summary.not_sent > 0, has_error) {
            (false, _) => RunEnd::Finished,
            (true, true) => RunEnd::Stopped,
            (true, false) => RunEnd::Cancelled,
        }
    }
}

/// Decides what to announce as a run goes: call [`Announcer::next`] on every change of the run;
/// it answers with a line only when one is due.
#[derive(Debug, Default)]
pub struct Announcer {
    run: u64,
    last_progress_at: Option<f64>,
    ended: bool,
}

impl Announcer {
    /// The line to announce now for run `run` (its number; a new number starts afresh), at
    /// `now_ms` (any clock in milliseconds), or `None` to stay quiet. `end` is set once the run
    /// is over, with its final summary.
    pub fn next(
        &mut self,
        run: u64,
        now_ms: f64,
        progress: &Progress,
        end: Option<(RunEnd, &Summary)>,
    ) -> Option<String> {
        if run != self.run {
            *self = Announcer {
                run,
                ..Announcer::default()
            };
        }
        if self.ended || run == 0 {
            return None;
        }
        if let Some((how, summary)) = end {
            self.ended = true;
            return Some(end_line(how, summary));
        }
        match self.last_progress_at {
            None => {
                self.last_progress_at = Some(now_ms);
                Some(format!("Sync started: {}.", devices(progress.total)))
            }
            Some(last) if now_ms - last >= PROGRESS_EVERY_MS => {
                self.last_progress_at = Some(now_ms);
                Some(format!(
                    "{} of {} done.",
                    progress.done,
                    devices(progress.total)
                ))
            }
            Some(_) => None,
        }
    }
}

/// The app's name, as `index.html`'s `<title>` has it: the tab's title with no run on screen.
pub const APP_TITLE: &str = "FOTA Sync";

/// The tab's title for the run on screen, so that a run can be followed from another tab:
/// `42% · FOTA Sync` while it goes (the share of its devices done, rounded down: 100% only once
/// every one is), `Paused · FOTA Sync` while it waits for new tokens, and once it is over
/// `Done` (every device answered by the server), `Done with errors` (some devices ended in
/// error), `Failed` (every device did, or an error stopped the run before every device was
/// sent) or `Cancelled`. `progress`: the run's, `None` with no run (or a stored run shown with
/// none), for [`APP_TITLE`] alone; `paused`: it waits for new tokens; `end`: how it ended, with
/// its summary, as [`Announcer::next`] takes it.
pub fn tab_title(
    progress: Option<&Progress>,
    paused: bool,
    end: Option<(RunEnd, &Summary)>,
) -> String {
    let Some(progress) = progress else {
        return APP_TITLE.to_owned();
    };
    let state = match end {
        Some((RunEnd::Cancelled, _)) => "Cancelled".to_owned(),
        Some((RunEnd::Stopped, _)) => "Failed".to_owned(),
        Some((RunEnd::Finished, s)) if s.error > 0 && s.error == s.total => "Failed".to_owned(),
        Some((RunEnd::Finished, s)) if s.error > 0 => "Done with errors".to_owned(),
        Some((RunEnd::Finished, _)) => "Done".to_owned(),
        None if paused => "Paused".to_owned(),
        None => format!("{}%", progress.done * 100 / progress.total.max(1)),
    };
    format!("{state} · {APP_TITLE}")
}

/// The shortest run, in milliseconds, whose end or pause a desktop notification reports: a
/// shorter one is watched to its end.
pub const NOTIFY_AFTER_MS: f64 = 60_000.0;

/// Decides when a desktop notification tells a user who looked away that a run stopped: call
/// [`EndNotifier::next`] on every change of the run, whether or not a notification could be
/// shown, so that a run seen ending on screen is not reported later.
#[derive(Debug, Default)]
pub struct EndNotifier {
    run: u64,
    stopped: bool,
}

impl EndNotifier {
    /// Whether a notification is due now: once each time run `run` stops (`stopped`: it ended,
    /// or paused for new tokens) after `lasted_ms` of at least [`NOTIFY_AFTER_MS`] since it
    /// started; never for a run first seen stopped (a stored run opened from the history). Its
    /// title is the tab's ([`tab_title`]), its body the end's announcement ([`Announcer::next`]
    /// says it at the same change) or [`paused_line`].
    pub fn next(&mut self, run: u64, lasted_ms: f64, stopped: bool) -> bool {
        let was = std::mem::replace(&mut self.stopped, stopped);
        let seen = std::mem::replace(&mut self.run, run) == run;
        seen && stopped && !was && lasted_ms >= NOTIFY_AFTER_MS
    }
}

/// "Paused for new tokens: 120 of 400 devices done."
pub fn paused_line(progress: &Progress) -> String {
    format!(
        "Paused for new tokens: {} of {} done.",
        progress.done,
        devices(progress.total)
    )
}

fn devices(n: usize) -> String {
    match n {
        1 => "1 device".to_owned(),
        n => format!("{n} devices"),
    }
}

/// "Sync finished: 400 devices, 398 succeeded, 2 failed." Only the non-zero counts after the
/// total are named, in the summary's order.
fn end_line(how: RunEnd, s: &Summary) -> String {
    let verb = match how {
        RunEnd::Finished => "Sync finished",
        RunEnd::Cancelled => "Sync cancelled",
        RunEnd::Stopped => "Sync stopped",
    };
    let mut parts = vec![devices(s.total)];
    for (name, n) in s.entries() {
        // At the end nothing waits: the total is said first, the kinds after it.
        if let CountName::Of(kind) = name {
            if n > 0 && kind != OutcomeKind::Waiting {
                parts.push(format!("{n} {}", kind.in_words(n)));
            }
        }
    }
    format!("{verb}: {}.", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(done: usize, total: usize) -> Progress {
        Progress {
            done,
            total,
            ..Progress::default()
        }
    }

    #[test]
    fn the_tab_title_follows_a_run_and_says_how_it_stopped() {
        let going = |done, total| tab_title(Some(&progress(done, total)), false, None);
        assert_eq!(going(0, 400), "0% · FOTA Sync");
        assert_eq!(going(168, 400), "42% · FOTA Sync");
        // Rounded down: 100% only when every device is done.
        assert_eq!(going(999, 1_000), "99% · FOTA Sync");
        assert_eq!(going(0, 0), "0% · FOTA Sync");
        let p = progress(120, 400);
        assert_eq!(tab_title(Some(&p), true, None), "Paused · FOTA Sync");
        let summary = |error, not_sent| Summary {
            total: 400,
            succeeded: 400 - error - not_sent,
            error,
            not_sent,
            ..Summary::default()
        };
        for (end, s, title) in [
            (RunEnd::Finished, summary(0, 0), "Done · FOTA Sync"),
            (
                RunEnd::Finished,
                summary(10, 0),
                "Done with errors · FOTA Sync",
            ),
            (RunEnd::Finished, summary(400, 0), "Failed · FOTA Sync"),
            (RunEnd::Stopped, summary(100, 300), "Failed · FOTA Sync"),
            (RunEnd::Cancelled, summary(0, 300), "Cancelled · FOTA Sync"),
        ] {
            // Over is over, paused or not when it ended.
            assert_eq!(tab_title(Some(&p), true, Some((end, &s))), title);
        }
        assert_eq!(tab_title(None, false, None), "FOTA Sync");
    }

    #[test]
    fn a_long_run_is_notified_once_each_time_it_stops_and_a_short_or_stored_one_never() {
        let minute = NOTIFY_AFTER_MS;
        let mut n = EndNotifier::default();
        let heard: Vec<bool> = [
            (1, 0.0, false),
            (1, minute, false),      // still going
            (1, minute, true),       // paused: due
            (1, minute + 1.0, true), // still paused: said once
            (1, minute + 2.0, false),
            (1, minute + 9.0, true), // ended: due again
            (1, minute + 10.0, true),
            (2, 0.0, false), // a short run ends unreported
            (2, minute - 1.0, true),
            (3, 10.0 * minute, true), // a stored run, first seen over
            (3, 10.0 * minute, true),
        ]
        .into_iter()
        .map(|(run, lasted, stopped)| n.next(run, lasted, stopped))
        .collect();
        let due: Vec<usize> = (0..heard.len()).filter(|&i| heard[i]).collect();
        assert_eq!(due, [2, 5]);
        assert_eq!(
            paused_line(&progress(120, 400)),
            "Paused for new tokens: 120 of 400 devices done."
        );
    }

    #[test]
    fn a_run_is_announced_at_its_start_then_at_most_every_five_seconds_then_once_at_its_end() {
        let mut a = Announcer::default();
        let heard: Vec<(f64, Option<String>)> = [0.0, 1_000.0, 4_999.0, 5_000.0, 9_000.0, 10_100.0]
            .into_iter()
            .enumerate()
            .map(|(i, t)| (t, a.next(1, t, &progress(i * 10, 400), None)))
            .collect();
        let said: Vec<_> = heard
            .iter()
            .filter_map(|(t, s)| s.clone().map(|s| (*t, s)))
            .collect();
        assert_eq!(
            said,
            vec![
                (0.0, "Sync started: 400 devices.".to_owned()),
                (5_000.0, "30 of 400 devices done.".to_owned()),
                (10_100.0, "50 of 400 devices done.".to_owned()),
            ]
        );
        let summary = Summary {
            total: 400,
            succeeded: 398,
            failed: 2,
            ..Summary::default()
        };
        let end = Some((RunEnd::Finished, &summary));
        assert_eq!(
            a.next(1, 10_200.0, &progress(400, 400), end).as_deref(),
            Some("Sync finished: 400 devices, 398 succeeded, 2 failed.")
        );
        // The end is said once, however often the run's state is read again.
        assert_eq!(a.next(1, 20_000.0, &progress(400, 400), end), None);
        // A new run starts afresh.
        assert_eq!(
            a.next(2, 20_001.0, &progress(0, 1), None).as_deref(),
            Some("Sync started: 1 device.")
        );
    }

    #[test]
    fn the_end_says_how_the_run_ended_and_names_only_what_happened() {
        let cancelled = Summary {
            total: 6,
            succeeded: 2,
            not_sent: 4,
            ..Summary::default()
        };
        assert_eq!(RunEnd::of(&cancelled, false), RunEnd::Cancelled);
        let mut a = Announcer::default();
        assert_eq!(
            a.next(
                3,
                0.0,
                &progress(6, 6),
                Some((RunEnd::Cancelled, &cancelled))
            )
            .as_deref(),
            Some("Sync cancelled: 6 devices, 2 succeeded, 4 not sent.")
        );
        let stopped = Summary {
            total: 4,
            error: 1,
            not_sent: 3,
            ..Summary::default()
        };
        assert_eq!(RunEnd::of(&stopped, true), RunEnd::Stopped);
        let mut a = Announcer::default();
        assert_eq!(
            a.next(4, 0.0, &progress(4, 4), Some((RunEnd::Stopped, &stopped)))
                .as_deref(),
            Some("Sync stopped: 4 devices, 1 error, 3 not sent.")
        );
        // A batch that failed for good, the others answered: the run finished.
        let answered = Summary {
            total: 4,
            succeeded: 2,
            error: 2,
            ..Summary::default()
        };
        assert_eq!(RunEnd::of(&answered, true), RunEnd::Finished);
        assert_eq!(RunEnd::of(&Summary::default(), false), RunEnd::Finished);
        // Before the first run, nothing.
        assert_eq!(
            Announcer::default().next(0, 0.0, &progress(0, 0), None),
            None
        );
    }
}
