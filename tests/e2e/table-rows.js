// Every row the results table shows, in order, read as a user reads them: the table holds only
// the rows in view (and a few around), so the reader scrolls it from top to bottom, waits at each
// screen until the rows in view are drawn, places each row by its `aria-rowindex`, and scrolls
// back to where it was. Plain CommonJS and self-contained (it runs in the page): the e2e suite
// passes it to Playwright's `evaluate`, the engines layer sends its source through WebDriver's
// executeAsyncScript.
//
// The app draws a screen at the frame after a scroll, so reading a table takes a frame or two
// per screen: 2,500 devices are about 80 screens, 300,000 about 9,000. Frames slow down when the
// machine is busy (and stop in a hidden page), so the reader can read in parts of bounded
// duration (`forMs`), each continuing where the last stopped: a WebDriver script has a fixed
// time (its script timeout, 30 s by default), which a whole table read at a busy moment can pass.
// A part never waits on a frame alone: headless Chromium can go seconds without a frame (and a
// hidden page gets none), and a part awaiting one that never comes would never end, so the read
// would hang until the test's own timeout with nothing said. Each wait is a frame or
// `FRAME_WAIT_MS`, whichever comes first; whether the rows are drawn is always checked on the
// page itself, so a wait that ends early costs a check, never a wrong read.
'use strict';

/**
 * @typedef {{imei: string, status: string, reason: string, firmware: string, shown: boolean}} Row
 *   `shown`: the row has a height on screen (not collapsed by a style).
 * @param {HTMLTableElement} table the results table
 * @param {{from?: number, forMs?: number, back?: number}} [part] where to start (a scroll offset
 *   in CSS px that an earlier part returned as `next`; the top by default), for how long to go on
 *   (ms; no limit by default), and where to scroll back to once every row is read (where the
 *   table was when the first part started, by default)
 * @returns {Promise<{rows: [number, Row][], next: number | null, back: number, waiting?: string}>}
 *   each row read with its index (0 the first row), `next` the offset to go on from (null once
 *   the last row is read) and `back` for the next part; `waiting` when the part ended waiting for
 *   the rows in view to be drawn (which rows, and how many frames came meanwhile), or stopped
 *   for a newer read
 */
async function readTableRows(table, part = {}) {
  const { from = 0, forMs = Infinity } = part;
  const wrap = table.closest('.table-wrap');
  const body = table.tBodies[0];
  const back = part.back ?? wrap.scrollTop;
  const total = Number(table.getAttribute('aria-rowcount') ?? '1') - 1;
  const startedAt = performance.now();
  // The newest part reads; an older one still going (its WebDriver call timed out) stops at its
  // next screen instead of scrolling the table under the newer one.
  const reader = {};
  window.__tableRowsReader = reader;
  // The longest wait for a frame, in ms (inside the function: it runs in the page).
  const FRAME_WAIT_MS = 100;
  // Frames that came, against waits that ended on the timer: both are in `waiting`.
  let frames = 0;
  let timedOut = 0;
  const frame = () =>
    new Promise((done) => {
      const timer = setTimeout(() => {
        timedOut++;
        done();
      }, FRAME_WAIT_MS);
      requestAnimationFrame(() => {
        clearTimeout(timer);
        frames++;
        done();
      });
    });
  const index = (tr) => Number(tr.getAttribute('aria-rowindex')) - 2;
  // The rows that meet the view (below the sticky header), by their place in the body, which is
  // as tall as all its rows.
  const inView = () => {
    if (total === 0) return [0, -1];
    const view = wrap.getBoundingClientRect();
    const top = Math.max(view.top + wrap.clientTop, table.tHead?.getBoundingClientRect().bottom ?? -Infinity);
    const bottom = view.top + wrap.clientTop + wrap.clientHeight;
    const box = body.getBoundingClientRect();
    const height = box.height / total;
    const first = Math.max(0, Math.floor((top - box.top) / height));
    const last = Math.min(total - 1, Math.ceil((bottom - box.top) / height) - 1);
    return [first, last];
  };
  const drawn = () => {
    const [first, last] = inView();
    const have = new Set(Array.from(body.rows, index));
    for (let i = first; i <= last; i++) if (!have.has(i)) return false;
    return true;
  };
  const rows = new Map();
  const read = () => {
    for (const tr of body.rows) {
      const cell = (name) => tr.querySelector(`td.${name}`)?.textContent?.trim() ?? '';
      const shown = tr.getBoundingClientRect().height > 0;
      rows.set(index(tr), { imei: cell('imei'), status: cell('status'), reason: cell('reason'), firmware: cell('firmware'), shown });
    }
  };
  const result = (next, waiting) => ({ rows: [...rows], next, back, ...(waiting && { waiting }) });
  const late = () => performance.now() - startedAt > forMs;
  // A frame first: a redraw the app asked for before this part (new answers) is done by then.
  await frame();
  let at = from;
  for (;;) {
    if (window.__tableRowsReader !== reader) return result(at, 'a newer read took over');
    wrap.scrollTop = at;
    while (!drawn()) {
      if (late()) {
        const [first, last] = inView();
        const have = Array.from(body.rows, index);
        const what = `rows ${first}-${last} in view, rows ${have[0]}-${have.at(-1)} drawn, ${frames} frames and ${timedOut} waits of ${FRAME_WAIT_MS} ms with no frame in ${Math.round(performance.now() - startedAt)} ms, page ${document.visibilityState}`;
        return result(at, what);
      }
      await frame();
    }
    read();
    if (wrap.scrollTop + wrap.clientHeight >= wrap.scrollHeight - 1) {
      wrap.scrollTop = back;
      return result(null);
    }
    at = wrap.scrollTop + Math.max(wrap.clientHeight - 20, 20);
    if (late()) return result(at);
  }
}

/** How long one part of a read goes on, in ms (see the top of this file). */
const PART_MS = 5_000;
/**
 * How long no row may be drawn before the read gives up, in ms, by default: well inside an e2e
 * test's time (60 s for the longest tables), so that a table that stopped drawing fails with what
 * the page showed, not with the test's timeout. The engines layer, whose runs take minutes,
 * passes its own.
 */
const STALL_MS = 20_000;

/**
 * Every row of the table in order, read in parts: `runPart(part)` runs `readTableRows(table, part)`
 * in the page (Playwright's `evaluate`, WebDriver's executeAsyncScript) and resolves to what it
 * returns. However long the whole read takes, it goes on while the parts draw rows; it throws
 * when no row was drawn for `timeoutMs` (the page draws no frames, or the app no rows), or when
 * another read took the table over.
 * @param {(part: {from: number, forMs: number, back?: number}) => Promise<Awaited<ReturnType<typeof readTableRows>>>} runPart
 * @param {number} [timeoutMs]
 * @returns {Promise<Row[]>}
 */
async function readAllRows(runPart, timeoutMs = STALL_MS) {
  let deadline = Date.now() + timeoutMs;
  const rows = new Map();
  let part = { from: 0, forMs: PART_MS };
  for (;;) {
    const { rows: read, next, back, waiting } = await runPart(part);
    for (const [i, row] of read) rows.set(i, row);
    if (next === null) return [...rows].sort(([a], [b]) => a - b).map(([, row]) => row);
    if (read.length > 0) deadline = Date.now() + timeoutMs;
    else if (Date.now() > deadline || /newer read/.test(waiting)) {
      throw new Error(`the results table did not draw the rows in view for ${timeoutMs} ms: ${waiting}`);
    }
    part = { from: next, forMs: PART_MS, back };
  }
}

module.exports = { readTableRows, readAllRows };
