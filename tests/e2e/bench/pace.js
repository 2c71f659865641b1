#!/usr/bin/env node
// The pace benchmark of issue 24: a run of DEVICES (20,000) devices against the emulator limited
// to RPS requests a second per account with a burst of BURST (10 and 20) and answering after
// 50 ms, in the release build in headless Chromium, once per pacing mode (the fixed concurrency
// 4 and 16, and the adaptive pace with its ceiling at 4 and 16, set through config.json). Figures: the run's time against the ideal
// (requests / rate), and the 429s the rate limit answered (the emulator's count, and the page's
// own). A figure, not a test: a missed goal is printed, never an error. Run through
// `.ci/bench pace`, which builds the release, starts the emulator and sets BENCH_BASE_URL.
'use strict';

const os = require('node:os');
const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS } = require('../chromium');
const { median, ms, printTable, validImeis } = require('./report');

const BASE_URL = process.env.BENCH_BASE_URL;
const RUNS = Number(process.env.BENCH_RUNS || 1);
const DEVICES = Number(process.env.BENCH_DEVICES || 20_000);
const RPS = Number(process.env.BENCH_RPS || 10);
const BURST = Number(process.env.BENCH_BURST || 20);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS || 50);
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ACCOUNT = '0000123456-00001';
/** The app's default (README, "Configuration"), when config.json leaves it out. */
const DEFAULT_BATCH_SIZE = 100;
/** The longest a run may take before the benchmark gives up on it. */
const RUN_DEADLINE_MS = 900_000;
/** The goals for a paced run. */
const GOAL_TIMES_IDEAL = 1.15;
const GOAL_THROTTLED_SHARE = 0.02;

/**
 * Each pacing mode measured: its name and the config.json keys that select it, over the
 * served file. With the default `maxAttempts` (4) a fixed pace gives up on batches that were
 * throttled four times; with 10 (the most) it shows how long it takes to get every device
 * through. The adaptive pace (the default) with the default `maxAttempts`, its `concurrency`
 * a ceiling.
 */
const MODES = [
  { name: 'fixed, concurrency 4', config: { pacing: 'fixed', concurrency: 4 } },
  { name: 'fixed, concurrency 16', config: { pacing: 'fixed', concurrency: 16 } },
  { name: 'fixed, concurrency 4, maxAttempts 10', config: { pacing: 'fixed', concurrency: 4, maxAttempts: 10 } },
  { name: 'fixed, concurrency 16, maxAttempts 10', config: { pacing: 'fixed', concurrency: 16, maxAttempts: 10 } },
  { name: 'adaptive, concurrency 4', config: { pacing: 'adaptive', concurrency: 4 } },
  { name: 'adaptive, concurrency 16', config: { pacing: 'adaptive', concurrency: 16 } },
];

/**
 * Installed in the page before the app loads: the press of Synchronize, the end of the run (the
 * status line says "finished in"), and the PUTs the page sent and the 429s it was answered.
 * Timestamps are `performance.now()`.
 */
function instrument() {
  const bench = (window.__bench = { submitAt: null, endAt: null, puts: 0, throttled: 0 });
  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    const method = (init && init.method) || (input instanceof Request ? input.method : 'GET');
    const answer = realFetch.apply(this, arguments);
    if (String(method).toUpperCase() === 'PUT') {
      bench.puts += 1;
      answer.then(
        (response) => response.status === 429 && (bench.throttled += 1),
        () => {},
      );
    }
    return answer;
  };
  document.addEventListener('click', (e) => e.target.closest?.('button[type=submit]') && (bench.submitAt ??= performance.now()), true);
  const watch = () =>
    new MutationObserver(() => {
      if (bench.submitAt === null || bench.endAt !== null) return;
      const status = document.querySelector('section[aria-label="Run summary"] p.progress');
      if (status && status.textContent.includes('finished in')) bench.endAt = performance.now();
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  if (document.body) watch();
  else document.addEventListener('DOMContentLoaded', watch);
}

/** A control call to the emulator; its JSON answer, if any. */
async function control(method, path, body) {
  const response = await fetch(new URL(`_emulator/${path}`, BASE_URL), {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} /_emulator/${path}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

/** One run of `imeis` with config.json's `config` keys over the served ones. */
async function measure(browser, imeis, config) {
  // Every run starts with a full bucket and the emulator's counts at 0.
  await control('PUT', 'latency', { ms: LATENCY_MS, jitterMs: 0 });
  await control('PUT', 'rate-limit', { rps: RPS, burst: BURST });
  const context = await browser.newContext();
  try {
    await context.addInitScript(instrument);
    const page = await context.newPage();
    await page.route('**/config.json', async (route) => {
      const response = await route.fetch();
      route.fulfill({ response, json: { ...(await response.json()), ...config } });
    });
    await page.goto(BASE_URL);
    await page.getByRole('button', { name: 'Synchronize' }).waitFor();
    await page.getByRole('textbox', { name: 'Account', exact: true }).fill(ACCOUNT);
    await page.locator('#imeis').evaluate((field, value) => {
      field.value = value;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    }, imeis.join('\n'));
    await page.locator('#imei-count').filter({ hasText: `${imeis.length} valid` }).waitFor({ timeout: 60_000 });
    await page.getByLabel('Bearer token', { exact: true }).fill('bearer-bench');
    await page.getByLabel('Session token', { exact: true }).fill('session-bench');

    await page.getByRole('button', { name: 'Synchronize' }).click();
    // Polled from here: the page's own observer holds the exact time of the end.
    const deadline = Date.now() + RUN_DEADLINE_MS;
    while ((await page.evaluate(() => window.__bench.endAt)) === null) {
      if (Date.now() > deadline) throw new Error(`the run did not finish within ${RUN_DEADLINE_MS / 60_000} minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const b = await page.evaluate(() => window.__bench);
    const { progress, counts } = await page.evaluate(() => {
      const section = document.querySelector('section[aria-label="Run summary"]');
      const counts = {};
      for (const div of section.querySelectorAll('dl > div')) {
        counts[div.querySelector('dt').textContent.trim()] = Number(div.querySelector('dd').textContent.replace(/\D/g, ''));
      }
      return { progress: section.querySelector('p.progress').textContent, counts };
    });
    const limiter = await control('GET', 'rate-limit');
    const finished = /finished in ([\d.]+) s/.exec(progress);
    const retries = /(\d+) retr(?:y|ies)/.exec(progress);
    return {
      total: b.endAt - b.submitAt,
      appFinished: finished ? Number(finished[1]) * 1000 : NaN,
      sent: limiter.admitted + limiter.throttled,
      throttled: limiter.throttled,
      pageSent: b.puts,
      pageThrottled: b.throttled,
      retries: retries ? Number(retries[1]) : NaN,
      notSynced: (counts.Error || 0) + (counts['Not sent'] || 0) + (counts.Waiting || 0),
      progress,
      counts,
    };
  } finally {
    await context.close();
  }
}

async function main() {
  if (!BASE_URL) throw new Error('BENCH_BASE_URL is not set: run the benchmark with `bash .ci/bench pace`');
  const served = await (await fetch(new URL('config.json', BASE_URL))).json().catch(() => ({}));
  const batchSize = served.batchSize ?? DEFAULT_BATCH_SIZE;
  const requests = Math.ceil(DEVICES / batchSize);
  const ideal = (requests / RPS) * 1000;

  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: CHROMIUM_ARGS });
  const cpu = (os.cpus()[0] || { model: 'unknown' }).model.trim();
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`machine: ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${load()} at start`);
  console.log(`browser: Chromium ${browser.version()}, headless, software rendering (--disable-gpu)`);
  console.log(
    `run: ${DEVICES.toLocaleString('en')} devices, ${requests} requests of ${batchSize}; the emulator lets each account ` +
      `${RPS} requests a second with a burst of ${BURST}, answering after ${LATENCY_MS} ms; ideal ${requests} / ${RPS} per s = ${ms(ideal)}`,
  );

  const imeis = validImeis(DEVICES);
  const results = MODES.map(() => []);
  try {
    for (let i = 1; i <= RUNS; i++) {
      for (const [m, mode] of MODES.entries()) {
        const run = await measure(browser, imeis, mode.config);
        results[m].push(run);
        console.log(
          `run ${i}/${RUNS}, ${mode.name}: ${ms(run.total)} (${(run.total / ideal).toFixed(2)}× ideal), ` +
            `${run.throttled} of ${run.sent} requests throttled (the page saw ${run.pageThrottled} of ${run.pageSent}); ` +
            `"${run.progress}"; ${JSON.stringify(run.counts)}`,
        );
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`load average ${load()} at the end`);

  const rows = MODES.map((mode, m) => {
    const runs = results[m];
    const total = median(runs.map((r) => r.total));
    const share = median(runs.map((r) => r.throttled / r.sent));
    const notSynced = median(runs.map((r) => r.notSynced));
    // A run that gave up on devices is quick, not paced: the goal needs every device through.
    const met = total <= ideal * GOAL_TIMES_IDEAL && share < GOAL_THROTTLED_SHARE && notSynced === 0;
    return [
      mode.name,
      `${ms(total)} (${runs.map((r) => Math.round(r.total)).join(', ')})`,
      `${(total / ideal).toFixed(2)}×`,
      String(median(runs.map((r) => r.sent))),
      String(median(runs.map((r) => r.throttled))),
      `${(share * 100).toFixed(1)} %`,
      String(median(runs.map((r) => r.retries))),
      String(notSynced),
      met ? 'met' : 'MISSED',
    ];
  });
  printTable(
    [
      `${DEVICES.toLocaleString('en')} devices, ${RPS}/s, burst ${BURST}, ${LATENCY_MS} ms`,
      `run, median of ${RUNS} (each)`,
      `× ideal ${ms(ideal)}`,
      'requests sent',
      '429s',
      'throttled',
      'retries',
      'devices left in error',
      `goal ≤ ${GOAL_TIMES_IDEAL}×, < ${GOAL_THROTTLED_SHARE * 100} %, none left`,
    ],
    rows,
  );
}

main().catch((error) => {
  console.error(`bench: could not run: ${error.stack || error}`);
  process.exit(1);
});
