#!/usr/bin/env node
// The first-load benchmark of issue 11: how long a cold load of the release build takes, over a
// corporate-VPN-like network, until the form accepts input. Reports figures, never fails on one.
// Run through `bash .ci/bench first-load [RUNS]`, which builds dist/ and the emulator first.
//
// Served as in production: deploy/'s same-origin nginx (started by servers.js, the emulator as
// its upstream), reached through throttle.js (a real delay on every connection: 100 ms round
// trip, the handshake included, and a shared 10 Mbit/s downlink). Each load is a new browser
// context: empty cache, no open connection.
//
// "Ready": the IMEI textarea (#imeis) is in the page and enabled, and "Loading configuration…" is
// gone, so config.json has been applied (the form is rendered only once it is known). The figure
// is performance.now() at that moment, from the navigation's start (MutationObserver in an init
// script).
// Environment: BENCH_RUNS (loads, default 7), BENCH_RTT_MS (100), BENCH_DOWN_MBIT (10);
// BENCH_DEBUG=1 also prints each resource's timing and size.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS } = require('../chromium');
const { median, ms, printTable } = require('./report');
const { startThrottle } = require('./throttle');

const RUNS = Number(process.env.BENCH_RUNS || 7);
const RTT_MS = Number(process.env.BENCH_RTT_MS || 100);
const DOWN_MBIT = Number(process.env.BENCH_DOWN_MBIT || 10);
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const TARGET_MS = 550;
const SERVERS_JS = path.join(__dirname, '..', 'servers.js');

/** Starts `node servers.js ARGS`; resolves with the first stdout line matching `pattern`. */
function startServer(args, env, pattern, children) {
  const child = spawn(process.execPath, [SERVERS_JS, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (data) => {
      out += data;
      const match = pattern.exec(out);
      if (match) resolve(match);
    });
    child.once('exit', (code) => reject(new Error(`servers.js ${args.join(' ')} exited (${code}): ${out}`)));
  });
}

/** Installed before the app loads: the moment the form is ready. */
function instrument() {
  const mark = (window.__firstLoad = { ready: null, note: null });
  const check = () => {
    const field = document.getElementById('imeis');
    if (mark.ready !== null || !field || field.disabled || document.querySelector('.loading')) return;
    mark.ready = performance.now();
    const note = document.querySelector('.config-note');
    mark.note = note && note.textContent;
    observer.disconnect();
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true });
}

async function load(browser, url) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(instrument);
    const page = await context.newPage();
    const requests = [];
    page.on('request', (request) => requests.push(request.url()));
    const encodings = {};
    page.on('response', (response) => {
      encodings[path.basename(new URL(response.url()).pathname) || '/'] = response.headers()['content-encoding'] || 'identity';
    });
    const response = await page.goto(url, { waitUntil: 'commit' });
    if (!response.ok()) throw new Error(`${url} answered ${response.status()}`);
    await page.waitForFunction(() => window.__firstLoad.ready !== null, null, { timeout: 30_000, polling: 50 });
    const { ready, note, entries, html } = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        ...window.__firstLoad,
        html: { connectEnd: nav.connectEnd, responseStart: nav.responseStart, responseEnd: nav.responseEnd },
        entries: performance.getEntriesByType('resource').map((e) => ({
          name: e.name,
          start: e.startTime,
          end: e.responseEnd,
          bytes: e.transferSize,
        })),
      };
    });
    const entry = (pattern) => entries.find((e) => pattern.test(e.name)) || { start: NaN, end: NaN, bytes: 0 };
    if (process.env.BENCH_DEBUG) {
      for (const e of entries) console.log(`  ${ms(e.start)}–${ms(e.end)} ${e.bytes} B ${path.basename(e.name)}`);
    }
    const configRequests = requests.filter((u) => new URL(u).pathname.endsWith('/config.json')).length;
    return {
      ready,
      htmlEnd: html.responseEnd,
      wasmStart: entry(/_bg\.wasm$/).start,
      wasmEnd: entry(/_bg\.wasm$/).end,
      configStart: entry(/config\.json$/).start,
      configEnd: entry(/config\.json$/).end,
      bytes: entries.reduce((sum, e) => sum + e.bytes, 0),
      requests: requests.length,
      configRequests,
      wasmEncoding: Object.entries(encodings).find(([name]) => name.endsWith('_bg.wasm'))?.[1] ?? 'n/a',
      check: note ? `UNEXPECTED config note: ${note}` : configRequests === 1 ? 'ok' : `UNEXPECTED: config.json requested ${configRequests} times`,
    };
  } finally {
    await context.close();
  }
}


async function main() {
  const children = [];
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fota-first-load-'));
  let throttle = null;
  let browser = null;
  try {
    const [, emulatorUrl] = await startServer(['emulator'], {}, /listening on (http:\/\/127\.0\.0\.1:\d+)/, children);
    const [, site] = await startServer(
      ['nginx', 'same-origin'],
      { E2E_EMULATOR_URL: emulatorUrl, E2E_NGINX_LOG_DIR: logDir },
      /\(same-origin\): site (http:\/\/127\.0\.0\.1:(\d+))\//,
      children,
    );
    throttle = await startThrottle({
      target: { host: '127.0.0.1', port: Number(new URL(site).port) },
      rttMs: RTT_MS,
      downBitsPerSecond: DOWN_MBIT * 1e6,
    });
    const url = `http://127.0.0.1:${throttle.port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: CHROMIUM_ARGS });
    const cpu = (os.cpus()[0] || { model: 'unknown' }).model.trim();
    console.log(
      `machine: ${os.cpus().length} cores (${cpu}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at start`,
    );
    console.log(`browser: Chromium ${browser.version()}, headless; a new context (empty cache, no connection) per load`);
    console.log(
      `network: deploy/'s same-origin nginx behind throttle.js: ${RTT_MS} ms round trip (handshake included), ` +
        `${DOWN_MBIT} Mbit/s shared downlink`,
    );
    await load(browser, url); // warms the machine (Chromium's own start-up, the disk cache of dist/)
    const results = [];
    for (let i = 1; i <= RUNS; i++) {
      const before = throttle.connections();
      const r = await load(browser, url);
      r.connections = throttle.connections() - before;
      results.push(r);
      console.log(
        `load ${i}/${RUNS}: ready ${ms(r.ready)} (HTML ${ms(r.htmlEnd)}, wasm ${ms(r.wasmStart)}–${ms(r.wasmEnd)} ${r.wasmEncoding}, ` +
          `config.json ${ms(r.configStart)}–${ms(r.configEnd)}), ${r.requests} requests on ${r.connections} connections, ` +
          `${r.bytes} bytes (${r.check})`,
      );
    }
    const figure = (key) => ({ median: median(results.map((r) => r[key])), all: results.map((r) => Math.round(r[key])).join(', ') });
    const ready = figure('ready');
    const rows = [
      ['cold load → form ready', ms(ready.median), ready.all, `< ${TARGET_MS} ms`, ready.median < TARGET_MS ? 'pass' : 'MISS'],
      ['  index.html received', ms(figure('htmlEnd').median), figure('htmlEnd').all, '', ''],
      ['  wasm requested', ms(figure('wasmStart').median), figure('wasmStart').all, '', ''],
      ['  wasm received', ms(figure('wasmEnd').median), figure('wasmEnd').all, '', ''],
      ['  config.json requested', ms(figure('configStart').median), figure('configStart').all, '', ''],
      ['  config.json received', ms(figure('configEnd').median), figure('configEnd').all, '', ''],
      ['  bytes transferred', String(median(results.map((r) => r.bytes))), results.map((r) => r.bytes).join(', '), '', ''],
    ];
    const header = ['figure', `median of ${RUNS}`, 'each load', 'target', 'result'];
    printTable(header, rows);
  } finally {
    if (browser) await browser.close();
    if (throttle) await throttle.close();
    for (const child of children.reverse()) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`first-load: could not run: ${error.stack || error}`);
  process.exit(1);
});
