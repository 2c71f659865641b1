#!/usr/bin/env node
// The performance benchmark of issue 4: the release build in headless Chromium against the
// emulator. Reports figures against their targets; a missed target is printed, never an error.
// Run through `.ci/bench`, which builds dist/, starts the emulator and sets BENCH_BASE_URL.
'use strict';

const os = require('node:os');
const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS } = require('../chromium');
const { median, ms, printTable, validImeis } = require('./report');

const BASE_URL = process.env.BENCH_BASE_URL;
const RUNS = Number(process.env.BENCH_RUNS || 3);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS || 50);
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const RUN_DEVICES = 10_000;
const PASTED_DEVICES = 100_000;
const ACCOUNT = '0000123456-00001';
/** The app's defaults (README, "Configuration"), for keys config.json leaves out. */
const DEFAULTS = { batchSize: 100, concurrency: 4, apiBaseUrl: 'api/fota/v3' };

/**
 * Installed in the page before the app loads: long tasks, the time of the first request and of
 * the last answer (the app's `fetch` is the global one, looked up at each call), Synchronize,
 * the end of the run and the last change to the table. Timestamps are `performance.now()`.
 */
function instrument() {
  const bench = (window.__bench = {
    longTasks: [],
    puts: 0,
    firstPut: null,
    lastAnswer: null,
    submitAt: null,
    endAt: null,
    expectRows: Infinity,
    rowsSeen: 0,
    rowsAt: null,
    lastRowChange: null,
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });

  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    const method = (init && init.method) || (input instanceof Request ? input.method : 'GET');
    const answer = realFetch.apply(this, arguments);
    if (String(method).toUpperCase() === 'PUT') {
      bench.puts += 1;
      if (bench.firstPut === null) bench.firstPut = performance.now();
      answer.then(
        () => (bench.lastAnswer = performance.now()),
        () => {},
      );
    }
    return answer;
  };
  // The press of Synchronize: the app runs on the button's click and cancels the submit.
  document.addEventListener('click', (e) => e.target.closest?.('button[type=submit]') && (bench.submitAt ??= performance.now()), true);

  const watch = () =>
    new MutationObserver((records) => {
      const now = performance.now();
      if (bench.submitAt === null) return;
      // Cheap per record: this observer runs on the thread it measures.
      let changed = false;
      for (const r of records) {
        if (r.target.nodeName === 'TABLE' && r.attributeName === 'aria-rowcount') {
          // The table holds only the rows in view; it says how many it has.
          bench.rowsSeen = Number(r.target.getAttribute('aria-rowcount')) - 1;
          changed = true;
        } else if (!changed && r.target.nodeType === Node.ELEMENT_NODE && r.target.closest('table.results')) {
          changed = true;
        } else if (!changed && r.target.parentElement?.closest('table.results')) {
          changed = true;
        }
      }
      if (changed) bench.lastRowChange = now;
      if (bench.rowsAt === null && bench.rowsSeen >= bench.expectRows) bench.rowsAt = now;
      if (bench.endAt === null) {
        const status = document.querySelector('section[aria-label="Run summary"] p.progress');
        if (status && status.textContent.includes('finished in')) bench.endAt = now;
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['aria-rowcount'],
    });
  if (document.body) watch();
  else document.addEventListener('DOMContentLoaded', watch);
}

/**
 * Scrolls the results table to its end, and resolves with the time until the next frame after
 * it: how long the page makes a user wait for a scroll.
 */
function scrollToEnd() {
  const start = performance.now();
  const wrap = document.querySelector('.table-wrap');
  wrap.scrollTop = wrap.scrollHeight;
  return new Promise((resolve) =>
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start))),
  );
}

/** Puts `text` in the IMEI field in one input event, as a paste does. */
async function paste(page, text) {
  await page.locator('#imeis').evaluate((field, value) => {
    field.value = value;
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }, text);
}

async function syncCallCount() {
  const log = await (await fetch(new URL('_emulator/requests', BASE_URL))).json();
  return log.filter((r) => r.method === 'PUT').length;
}

/** Figures 1, 2 and 4: one 10,000-device run. */
async function measureRun(browser, imeis) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(instrument);
    const page = await context.newPage();
    await page.goto(BASE_URL);
    await page.getByRole('button', { name: 'Synchronize' }).waitFor();
    await page.getByRole('textbox', { name: 'Account', exact: true }).fill(ACCOUNT);
    await paste(page, imeis.join('\n'));
    await page.locator('#imei-count').filter({ hasText: `${imeis.length} valid` }).waitFor();
    await page.getByLabel('Bearer token', { exact: true }).fill('bearer-bench');
    await page.getByLabel('Session token', { exact: true }).fill('session-bench');
    await page.evaluate((n) => (window.__bench.expectRows = n), imeis.length);
    const callsBefore = await syncCallCount();

    await page.getByRole('button', { name: 'Synchronize' }).click();
    // Polled from here, a few times a second: a Playwright text locator would scan the page's
    // 50,000 cells every frame, on the main thread it is measuring.
    const deadline = Date.now() + 180_000;
    let midRun = null;
    while ((await page.evaluate(() => window.__bench.endAt)) === null) {
      if (Date.now() > deadline) throw new Error('the run did not finish within 180 s');
      await new Promise((r) => setTimeout(r, 200));
      // Scrolling while answers come in, once all rows are in: to the end of the table,
      // where the last answers' rows then are in view (figure 4).
      if (midRun === null && (await page.evaluate(() => window.__bench.rowsAt)) !== null) {
        midRun = await page.evaluate(scrollToEnd);
      }
    }
    // Let the last answer's rows land before reading the marks.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
    const b = await page.evaluate(() => window.__bench);
    const { statusText, waiting } = await page.evaluate(() => ({
      statusText: document.querySelector('section[aria-label="Run summary"] p.progress').textContent,
      waiting: document.querySelectorAll('tbody tr.waiting').length,
    }));
    const rowCount = await page.evaluate(() => Number(document.querySelector('table.results').getAttribute('aria-rowcount')) - 1);
    // The table was scrolled to its end: the row with the highest index is the last device.
    const lastRow = await page.evaluate(() => {
      const rows = [...document.querySelectorAll('table.results tbody tr')];
      const last = rows.reduce((a, b) => (Number(b.getAttribute('aria-rowindex')) > Number(a.getAttribute('aria-rowindex')) ? b : a));
      return [...last.querySelectorAll('td')].map((td) => td.textContent);
    });
    const lastOk = rowCount === imeis.length && lastRow[0] === imeis[imeis.length - 1] && lastRow[1] !== 'Waiting';
    const calls = (await syncCallCount()) - callsBefore;

    const during = b.longTasks.filter((t) => t.start + t.duration >= b.submitAt && t.start <= b.endAt);
    const finished = /finished in ([\d.]+) s/.exec(statusText);
    return {
      total: b.endAt - b.submitAt,
      toFirstPut: b.firstPut - b.submitAt,
      appFinished: finished ? Number(finished[1]) * 1000 : NaN,
      network: b.lastAnswer - b.firstPut,
      longest: during.reduce((m, t) => Math.max(m, t.duration), 0),
      longTasks: during.length,
      lastRows: Math.max(0, b.lastRowChange - b.lastAnswer),
      initialRows: b.rowsAt - b.submitAt,
      midRunScroll: midRun ?? NaN,
      check:
        statusText.startsWith(`${imeis.length} of ${imeis.length} devices`) && waiting === 0 && lastOk
          ? `ok: ${calls} requests, ${b.puts} sent by the page`
          : `UNEXPECTED: "${statusText}", ${waiting} rows in view waiting, ${calls} requests, ` +
            `${rowCount} rows, the last ${JSON.stringify(lastRow)}`,
    };
  } finally {
    await context.close();
  }
}

/**
 * The reference for figure 1: the same requests from a bare `fetch` loop in a page of the same
 * origin, with the same concurrency and no app at all. What this browser and machine allow.
 */
async function measureBareFetch(browser, imeis, apiBase, batchSize, concurrency) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(new URL('config.json', BASE_URL).href);
    return await page.evaluate(
      async ({ imeis, url, batchSize, concurrency }) => {
        const batches = [];
        for (let i = 0; i < imeis.length; i += batchSize) batches.push(imeis.slice(i, i + batchSize));
        let next = 0;
        const start = performance.now();
        const worker = async () => {
          while (next < batches.length) {
            const deviceList = batches[next++];
            const answer = await fetch(url, {
              method: 'PUT',
              headers: { 'Content-Type': 'application/json', Authorization: 'Bearer bench', 'VZ-M2M-Token': 'bench' },
              body: JSON.stringify({ deviceList }),
            });
            await answer.text();
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        return performance.now() - start;
      },
      { imeis, url: new URL(`${apiBase.replace(/\/$/, '')}/firmware/${ACCOUNT}/devices`, BASE_URL).href, batchSize, concurrency },
    );
  } finally {
    await context.close();
  }
}

/** Figure 3: validating a pasted list of 100,000 IMEIs. */
async function measurePaste(browser, text, count) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(BASE_URL);
    await page.getByRole('button', { name: 'Synchronize' }).waitFor();
    return await page.evaluate(
      async ({ text, count }) => {
        const field = document.querySelector('#imeis');
        const shown = document.querySelector('#imei-count');
        const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        await nextFrame();
        // Chromium's own work, before the app hears of it: the textarea lays out 100,000 lines.
        const set = performance.now();
        field.value = text;
        void field.scrollHeight;
        await nextFrame();
        const paint = performance.now() - set;

        const counted = new Promise((resolve, reject) => {
          const observer = new MutationObserver(() => {
            if (shown.textContent.startsWith(`${count} `)) {
              observer.disconnect();
              resolve(performance.now());
            }
          });
          observer.observe(shown, { subtree: true, childList: true, characterData: true });
          setTimeout(() => reject(new Error(`the count still says "${shown.textContent}" after 60 s`)), 60_000);
        });
        const start = performance.now();
        field.dispatchEvent(new Event('input', { bubbles: true }));
        const count_ = (await counted) - start;
        await new Promise((r) => requestAnimationFrame(r));
        return { paint, counted: count_, framed: performance.now() - start };
      },
      { text, count },
    );
  } finally {
    await context.close();
  }
}


async function main() {
  if (!BASE_URL) throw new Error('BENCH_BASE_URL is not set: run the benchmark with `bash .ci/bench`');
  const served = await (await fetch(new URL('config.json', BASE_URL))).json().catch(() => ({}));
  const batchSize = served.batchSize ?? DEFAULTS.batchSize;
  const apiBase = served.apiBaseUrl ?? DEFAULTS.apiBaseUrl;
  const concurrency = served.concurrency ?? DEFAULTS.concurrency;
  const batches = Math.ceil(RUN_DEVICES / batchSize);
  const floor = Math.ceil(batches / concurrency) * LATENCY_MS;

  const browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const cpu = (os.cpus()[0] || { model: 'unknown' }).model.trim();
  console.log(
    `machine: ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at start`,
  );
  console.log(`browser: Chromium ${browser.version()}, headless, software rendering (--disable-gpu)`);
  console.log(
    `run: ${RUN_DEVICES} devices, ${batches} requests of ${batchSize}, ${concurrency} in flight, ` +
      `emulator answers after ${LATENCY_MS} ms; floor ceil(${batches} / ${concurrency}) × ${LATENCY_MS} ms = ${floor} ms`,
  );

  const runImeis = validImeis(RUN_DEVICES);
  const pasted = validImeis(PASTED_DEVICES).join('\n');
  const results = [];
  try {
    for (let i = 1; i <= RUNS; i++) {
      const run = await measureRun(browser, runImeis);
      const paste = await measurePaste(browser, pasted, PASTED_DEVICES);
      const bare = await measureBareFetch(browser, runImeis, apiBase, batchSize, concurrency);
      results.push({ ...run, ...paste, bare });
      console.log(
        `run ${i}/${RUNS}: total ${ms(run.total)}, longest task ${ms(run.longest)}, ` +
          `count ${ms(paste.counted)}, last rows ${ms(run.lastRows)}, bare fetch loop ${ms(bare)} (${run.check})`,
      );
    }
  } finally {
    await browser.close();
  }

  const figure = (key) => {
    const xs = results.map((r) => r[key]);
    return { median: median(xs), all: xs.map((x) => Math.round(x)).join(', ') };
  };
  const verdict = (ok) => (ok ? 'pass' : 'MISS');
  const total = figure('total');
  const longest = figure('longest');
  const counted = figure('counted');
  const rows = [
    [
      '1',
      `${RUN_DEVICES.toLocaleString('en')}-device run: Synchronize → "finished in"`,
      `${ms(total.median)} (${(total.median / floor).toFixed(2)}× floor)`,
      total.all,
      `≤ 1.25 × ${floor} ms = ${Math.round(floor * 1.25)} ms`,
      verdict(total.median <= floor * 1.25),
    ],
    ['', '  the app\'s own "finished in"', ms(figure('appFinished').median), figure('appFinished').all, '', ''],
    ['', '  Synchronize → first request', ms(figure('toFirstPut').median), figure('toFirstPut').all, '', ''],
    ['', '  first request → last answer', ms(figure('network').median), figure('network').all, '', ''],
    [
      '',
      '  reference: the same requests from a bare fetch loop, no app',
      `${ms(figure('bare').median)} (${(figure('bare').median / floor).toFixed(2)}× floor)`,
      figure('bare').all,
      '',
      '',
    ],
    [
      '2',
      'longest main-thread task during the run',
      ms(longest.median),
      longest.all,
      '< 100 ms',
      verdict(longest.median < 100),
    ],
    ['', '  long tasks (> 50 ms) during the run', String(median(results.map((r) => r.longTasks))), results.map((r) => r.longTasks).join(', '), '', ''],
    [
      '3',
      `${PASTED_DEVICES.toLocaleString('en')} pasted IMEIs: input → count shown`,
      ms(counted.median),
      counted.all,
      '< 150 ms',
      verdict(counted.median < 150),
    ],
    ['', '  input → next frame', ms(figure('framed').median), figure('framed').all, '', ''],
    ['', '  textarea paint (Chromium, before input)', ms(figure('paint').median), figure('paint').all, '', ''],
    ['4', 'last answer → its rows in view redrawn', ms(figure('lastRows').median), figure('lastRows').all, '', ''],
    ['', `  Synchronize → the table has its ${RUN_DEVICES.toLocaleString('en')} rows`, ms(figure('initialRows').median), figure('initialRows').all, '', ''],
    ['', `  scroll to the end during the run → next frame`, ms(figure('midRunScroll').median), figure('midRunScroll').all, '', ''],
  ];
  const header = ['#', 'figure', `median of ${RUNS}`, 'each run (ms)', 'target', 'result'];
  printTable(header, rows);
}

main().catch((error) => {
  console.error(`bench: could not run: ${error.stack || error}`);
  process.exit(1);
});
