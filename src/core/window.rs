//! Which rows of a long table are in the DOM: those in view and a margin either side.

/// Rows kept in the DOM beyond each edge of the view, so that a scroll of a few rows shows rows
/// that are already there.
pub const OVERSCAN: usize = 12;
/// The window moves in steps of this many rows: scrolling by less changes nothing in the DOM.
pub const STEP: usize = 8;

/// The rows `start..end` of `total` are rendered; the others are spacers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    pub total: usize,
}

impl Window {
    /// The window for a table of `total` rows of `row_px` each, scrolled `scroll_top` px down a
    /// view `view_px` tall.
    pub fn of(total: usize, scroll_top: f64, view_px: f64, row_px: f64) -> Window {
        let px = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
        let row_px = px(row_px).max(1.0);
        // `as usize` saturates: a huge view is a whole table, not an overflow.
        let rows_in_view = ((px(view_px) / row_px).ceil() as usize).min(total) + 1;
        let first = (px(scroll_top) / row_px) as usize;
        let size = rows_in_view + 2 * OVERSCAN + STEP;
        let start = (first.saturating_sub(OVERSCAN) / STEP * STEP).min(total);
        let end = start.saturating_add(size).min(total);
        // Scrolled past the end (the run was replaced by a shorter one): show its last rows.
        let start = start.min(end.saturating_sub(size));
        Window { start, end, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_short_table_is_rendered_whole() {
        assert_eq!(Window::of(30, 0.0, 800.0, 34.0), Window { start: 0, end: 30, total: 30 });
        assert_eq!(Window::of(0, 0.0, 800.0, 34.0), Window { start: 0, end: 0, total: 0 });
    }

    #[test]
    fn a_long_table_renders_only_what_is_near_the_view() {
        let w = Window::of(10_000, 0.0, 800.0, 34.0);
        assert_eq!(w.start, 0);
        assert!(w.end < 100, "{w:?}");
        // Row 5,000 starts at 170,000 px.
        let w = Window::of(10_000, 170_000.0, 800.0, 34.0);
        assert!(w.start <= 5_000 - OVERSCAN + 1 && w.end >= 5_000 + 24 + OVERSCAN, "{w:?}");
        assert!(w.end - w.start < 100, "{w:?}");
    }

    #[test]
    fn the_bottom_of_the_table_shows_its_last_rows() {
        let w = Window::of(10_000, 10_000.0 * 34.0 - 600.0, 600.0, 34.0);
        assert_eq!(w.end, 10_000);
        assert!(w.start < 10_000 - 18, "{w:?}");
    }

    #[test]
    fn scrolled_past_a_shorter_table_shows_its_end() {
        let w = Window::of(50, 170_000.0, 800.0, 34.0);
        assert_eq!((w.start, w.end), (0, 50));
        let w = Window::of(500, 170_000.0, 340.0, 34.0);
        assert_eq!(w.end, 500);
        assert!(w.end - w.start >= 11, "{w:?}");
    }

    #[test]
    fn nonsense_sizes_do_not_panic() {
        for px in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let w = Window::of(100, px, px, px);
            assert!(w.start <= w.end && w.end <= 100);
        }
    }

    proptest! {
        /// Every row in view is rendered, and the window stays small.
        #[test]
        fn every_row_in_view_is_rendered(
            total in 0usize..60_000,
            row_px in 16.0f64..80.0,
            view_px in 100.0f64..3_000.0,
            at in 0.0f64..1.0,
        ) {
            let height = total as f64 * row_px;
            let scroll_top = (height - view_px).max(0.0) * at;
            let w = Window::of(total, scroll_top, view_px, row_px);
            let first_in_view = (scroll_top / row_px) as usize;
            let last_in_view = (((scroll_top + view_px) / row_px).ceil() as usize).min(total);
            prop_assert!(w.start <= first_in_view.min(total), "{:?} first {}", w, first_in_view);
            prop_assert!(w.end >= last_in_view, "{:?} last {}", w, last_in_view);
            prop_assert!(w.end <= total && w.total == total);
            prop_assert!(w.end - w.start <= (view_px / row_px).ceil() as usize + 1 + 2 * OVERSCAN + STEP);
        }
    }
}
