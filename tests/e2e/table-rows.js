// Every row the results table shows, in order, read as a user reads them: the table holds only
// the rows in view (and a few around), so the reader scrolls it from top to bottom, places each
// row by its `aria-rowindex`, and scrolls back to where it was. Plain CommonJS and self-contained
// (it runs in the page): the e2e suite passes it to Playwright's `evaluate`, the engines layer
// sends its source through WebDriver's executeAsyncScript.
'use strict';

/**
 * @param {HTMLTableElement} table the results table
 * @returns {Promise<{imei: string, status: string, reason: string, firmware: string, shown: boolean}[]>}
 *   `shown`: the row has a height on screen (not collapsed by a style).
 */
async function readTableRows(table) {
  const wrap = table.closest('.table-wrap');
  const total = Number(table.getAttribute('aria-rowcount') ?? '1') - 1;
  const found = new Map();
  // The app redraws on the frame after a scroll; the second frame comes after that.
  const frames = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const read = () => {
    for (const tr of table.querySelectorAll('tbody tr')) {
      const cell = (name) => tr.querySelector(`td.${name}`)?.textContent?.trim() ?? '';
      const shown = tr.getBoundingClientRect().height > 0;
      const row = { imei: cell('imei'), status: cell('status'), reason: cell('reason'), firmware: cell('firmware'), shown };
      found.set(Number(tr.getAttribute('aria-rowindex')) - 2, row);
    }
  };
  const start = wrap.scrollTop;
  wrap.scrollTop = 0;
  await frames();
  read();
  while (found.size < total) {
    const before = wrap.scrollTop;
    wrap.scrollTop = before + Math.max(wrap.clientHeight - 20, 20);
    await frames();
    read();
    if (wrap.scrollTop === before) break;
  }
  wrap.scrollTop = start;
  return [...found.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
}

module.exports = { readTableRows };
