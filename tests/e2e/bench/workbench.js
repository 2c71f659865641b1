#!/usr/bin/env node
// The workbench benchmark of issue 12: 300,000 devices against the emulator answering at once,
// in the release build in headless Chromium. Figures: the run; how long after its end the
// outcome groups and the firmware chart are up to date; the longest main-thread task while the
// run goes; Find IMEI and a sort, from the input to the table redrawn, with their longest task.
// Reports figures against their targets; a missed target is printed, never an error. Run through
// `.ci/bench workbench`, which builds dist/, starts the emulator and sets BENCH_BASE_URL.
'use strict';

const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS } = require('../chromium');
const { median, ms, printTable, validImeis } = require('./report');

const BASE_URL = process.env.BENCH_BASE_URL;
const RUNS = Number(process.env.BENCH_RUNS || 1);
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const DEVICES = Number(process.env.BENCH_DEVICES || 300_000);
const ACCOUNT = '0000123456-00001';

/** In the page before the app: when the groups list last changed. */
function instrument() {
  const bench = (window.__bench = { groupsAt: 0 });
  const watch = () =>
    new MutationObserver((records) => {
      if (records.some((r) => r.target instanceof Element && r.target.closest('ul.groups, ul.bars'))) bench.groupsAt = performance.now();
    }).observe(document.body, { subtree: true, childList: true });
  if (document.body) watch();
  else document.addEventListener('DOMContentLoaded', watch);
}

/**
 * Every task of the page's main thread, from a Chromium trace (the Long Tasks API reports only
 * those over 50 ms: the margin under the target is a figure too). `trace` is what
 * `browser.stopTracing` gave; the page marked `bench:origin` in it, which places the trace's
 * clock on the page's. Returns `{ start, duration }` in ms of the page clock.
 */
function tasksOf(trace, origin) {
  const events = JSON.parse(trace.toString()).traceEvents;
  const mark = events.find((e) => e.name === 'bench:origin');
  if (!mark) throw new Error('the trace holds no bench:origin mark');
  const main = events.find((e) => e.pid === mark.pid && e.name === 'thread_name' && e.args.name === 'CrRendererMain');
  const offsetUs = mark.ts - origin * 1000;
  return events
    .filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.ph === 'X' && e.pid === mark.pid && e.tid === main.tid)
    .map((e) => ({ start: (e.ts - offsetUs) / 1000, duration: e.dur / 1000 }));
}

/** The longest task that overlaps `from`..`to` (page clock), 0 without one. */
function longest(tasks, from, to) {
  return tasks.filter((t) => t.start + t.duration >= from && t.start <= to).reduce((m, t) => Math.max(m, t.duration), 0);
}

/**
 * Runs `act` in the page and waits for the table to show its effect: the first row drawn and the
 * "Showing" line differ from before (a find changes the count, a sort the first row). Returns
 * when it started and the ms until the frame after the change.
 */
async function timed(page, act) {
  return page.evaluate(async (act) => {
    const shown = document.getElementById('rows-shown');
    const body = document.querySelector('table.results tbody');
    const state = () => `${shown.textContent}|${body.querySelector('tr[aria-rowindex="2"] td.imei')?.textContent}`;
    const before = state();
    const start = performance.now();
    const done = new Promise((resolve) => {
      const check = () => {
        if (state() !== before) requestAnimationFrame(() => resolve(performance.now()));
      };
      new MutationObserver(check).observe(document.querySelector('.table-wrap'), { subtree: true, childList: true, characterData: true });
      new MutationObserver(check).observe(shown, { subtree: true, childList: true, characterData: true });
    });
    if (act.kind === 'find') {
      const field = document.getElementById('find-imei');
      field.value = act.text;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    } else {
      document.querySelector(`th.${act.column} button.sort`).click();
    }
    const end = await done;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { start, took: end - start };
  }, act);
}

/**
 * One run of `imeis`, then Find and the sorts. With `storage` false, config.json says
 * `historyLimit: 0` (nothing saved), to tell the saves' share of the longest task.
 */
async function measure(browser, imeis, storage = true) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addInitScript(instrument);
    const page = await context.newPage();
    if (!storage) {
      await page.route('**/config.json', async (route) => {
        const response = await route.fetch();
        route.fulfill({ response, json: { ...(await response.json()), historyLimit: 0 } });
      });
    }
    await page.goto(BASE_URL);
    await page.getByRole('button', { name: 'Synchronize' }).waitFor();
    await page.getByRole('textbox', { name: 'Account', exact: true }).fill(ACCOUNT);
    await page.locator('#imeis').evaluate((field, value) => {
      field.value = value;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    }, imeis.join('\n'));
    await page.locator('#imei-count').filter({ hasText: `${imeis.length.toLocaleString('en').replace(/,/g, '')} valid` }).waitFor({ timeout: 120_000 });
    await page.getByLabel('Bearer token', { exact: true }).fill('bearer-bench');
    await page.getByLabel('Session token', { exact: true }).fill('session-bench');
    await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
    const origin = await page.evaluate(() => performance.mark('bench:origin').startTime);
    const submitAt = await page.evaluate(() => {
      const at = performance.now();
      document.querySelector('button[type=submit]').click();
      return at;
    });
    const deadline = Date.now() + 900_000;
    let endAt = null;
    while (endAt === null) {
      if (Date.now() > deadline) throw new Error('the run did not finish within 15 minutes');
      await new Promise((r) => setTimeout(r, 250));
      endAt = await page.evaluate(() =>
        document.querySelector('section[aria-label="Run summary"] p.progress')?.textContent.includes('finished in') ? performance.now() : null,
      );
    }
    // The panels after the end: the last change to the groups or bars, once they are stable.
    await page.waitForTimeout(1_500);
    const b = await page.evaluate(() => window.__bench);
    const runTasks = tasksOf(await browser.stopTracing(), origin);
    // A trace whose buffer filled up stops recording: its last task would come before the end.
    if (!runTasks.some((t) => t.start > endAt)) throw new Error('the trace ends before the run: tasks were lost');
    // The run's end is seen by polling every 250 ms, and its last save is written after it: the
    // figures take in the 1.5 s after it.
    const until = endAt + 1_500;
    const progress = await page.locator('section[aria-label="Run summary"] p.progress').textContent();
    const finished = /finished in ([\d.]+) s/.exec(progress);
    // The saved set: the last save, at the end, holds every device; then what the origin stores.
    const storedBytes = storage
      ? await page.evaluate(async (total) => {
          const deadline = Date.now() + 60_000;
          for (;;) {
            const db = await new Promise((resolve, reject) => {
              const r = indexedDB.open('fota-sync');
              r.onsuccess = () => resolve(r.result);
              r.onerror = () => reject(r.error);
            });
            const sets = await new Promise((resolve) => {
              const r = db.transaction('sets').objectStore('sets').getAll();
              r.onsuccess = () => resolve(r.result);
            });
            db.close();
            if (sets.some((s) => s.total === total && s.waiting === 0 && s.endedAt !== null)) break;
            if (Date.now() > deadline) throw new Error('the finished run was not saved within a minute');
            await new Promise((r) => setTimeout(r, 250));
          }
          return (await navigator.storage.estimate()).usage;
        }, imeis.length)
      : NaN;
    const run = {
      storedBytes,
      run: finished ? Number(finished[1]) * 1000 : NaN,
      panelsAfterEnd: Math.max(0, b.groupsAt - endAt),
      longestDuringRun: longest(runTasks, submitAt, until),
      // The same without the press of Synchronize itself (its task sets up every device).
      longestAfterStart: longest(runTasks.filter((t) => t.start > submitAt + 5), submitAt, until),
      startTask: longest(runTasks.filter((t) => t.start <= submitAt + 5), submitAt, until),
      // The five longest, in the order they came.
      longestFive: runTasks
        .filter((t) => t.start > submitAt + 5 && t.start < until)
        .sort((a, b) => b.duration - a.duration)
        .slice(0, 5)
        .sort((a, b) => a.start - b.start)
        .map((t) => `${Math.round(t.duration)} ms at ${((t.start - submitAt) / 1000).toFixed(1)} s`),
    };
    await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
    const origin2 = await page.evaluate(() => performance.mark('bench:origin').startTime);
    const target = imeis[Math.floor(imeis.length / 2)];
    const find = await timed(page, { kind: 'find', text: target.slice(7, 13) });
    const clear = await timed(page, { kind: 'find', text: '' });
    // The IMEIs were entered in ascending order: the first press (ascending) changes nothing on
    // screen, so the second (descending) is the one measured.
    await page.locator('th.imei button.sort').click();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const sortStatus = await timed(page, { kind: 'sort', column: 'imei' });
    const sortFirmware = await timed(page, { kind: 'sort', column: 'firmware' });
    const tasks = tasksOf(await browser.stopTracing(), origin2);
    return {
      ...run,
      find: find.took,
      findLongest: longest(tasks, find.start, find.start + find.took),
      clear: clear.took,
      sortStatus: sortStatus.took,
      sortFirmware: sortFirmware.took,
      sortLongest: Math.max(
        longest(tasks, sortStatus.start, sortStatus.start + sortStatus.took),
        longest(tasks, sortFirmware.start, sortFirmware.start + sortFirmware.took),
      ),
      check: progress,
    };
  } finally {
    await context.close();
  }
}

async function main() {
  if (!BASE_URL) throw new Error('BENCH_BASE_URL is not set: run the benchmark with `bash .ci/bench workbench`');
  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: CHROMIUM_ARGS });
  // A 7-digit counter: 300,000 devices need more than the default prefix leaves.
  const imeis = validImeis(DEVICES, '3569381');
  const runs = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const withoutStorage = await measure(browser, imeis, false);
      runs.push({ ...(await measure(browser, imeis)), longestWithoutStorage: withoutStorage.longestDuringRun });
      console.log(`run ${i + 1}: ${runs.at(-1).check}`);
      console.log(`  the five longest tasks after the press of Synchronize: ${runs.at(-1).longestFive.join(', ')}`);
      console.log(`  the same with historyLimit 0: ${withoutStorage.longestFive.join(', ')}`);
    }
  } finally {
    await browser.close();
  }
  const figure = (key) => ({ median: median(runs.map((r) => r[key])), all: runs.map((r) => ms(r[key])).join(', ') });
  const row = (label, key, target) => {
    const f = figure(key);
    return ['', label, ms(f.median), f.all, target === undefined ? '' : `≤ ${ms(target)}`, target === undefined ? '' : f.median <= target ? 'met' : 'MISSED'];
  };
  printTable(
    ['', `${DEVICES.toLocaleString('en')} devices, emulator at 0 ms`, 'median', 'runs', 'target', ''],
    [
      row('Synchronize → finished (the app\'s own figure)', 'run'),
      row('run ended → groups and chart up to date', 'panelsAfterEnd', 100),
      row('longest main-thread task during the run (saved as it goes)', 'longestDuringRun', 50),
      row('  the same with historyLimit 0 (nothing saved)', 'longestWithoutStorage', 50),
      row('  the press of Synchronize (sets up every device)', 'startTask'),
      row('  longest after it', 'longestAfterStart', 50),
      row('Find IMEI (6 digits) → rows redrawn', 'find', 100),
      row('  longest task meanwhile', 'findLongest', 50),
      row('clear the find → rows redrawn', 'clear', 100),
      row('sort by IMEI, descending → rows redrawn', 'sortStatus', 100),
      row('sort by Firmware version → rows redrawn', 'sortFirmware', 100),
      row('  longest task of the two sorts', 'sortLongest', 50),
    ],
  );
  const mb = median(runs.map((r) => r.storedBytes)) / 1e6;
  console.log(`\nStored in IndexedDB for the finished run of ${DEVICES.toLocaleString('en')} devices: ${mb.toFixed(1)} MB (navigator.storage.estimate()).`);
}

main().catch((error) => {
  console.error(`bench: could not run: ${error.stack || error}`);
  process.exit(1);
});
