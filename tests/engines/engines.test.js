// The flows that matter most, in every engine a portal user has: Chromium, Firefox ESR and WebKit
// (WebKitGTK's MiniBrowser), each driven through its own WebDriver server (drivers.js). One list
// of cases, `CASES`, run once per engine against the same servers (servers.js): the release build
// served by the emulator under the strict Content Security Policy, with `report-uri` reports
// collected by the test. Every case ends with no CSP report received and no error thrown in the
// page since it opened; `strict CSP` also proves the collector hears each engine.
// Run: `bash .ci/test engines`, or here, after `trunk build --release` and
// `cargo build -p fota-emulator`: `xvfb-run -a node --test engines.test.js` (ENGINES=firefox for
// one engine).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, afterEach, before, beforeEach, describe, it } = require('node:test');
const { By } = require('selenium-webdriver');
const { App, until } = require('./app');
const { WINDOW, selectedEngines, startEngine } = require('./drivers');
const { startServers, BLANK_PATH, THROW_PATH } = require('./servers');

const ACCOUNT = '0000123456-00001';
const FORM = { account: ACCOUNT, bearer: 'bearer-engines', session: 'session-engines' };
const CSV_HEADER = 'IMEI,Status,Reason,Firmware version,Updated (UTC)';

/**
 * What the stored-runs section says (src/ui/history.rs, src/ui/store.rs): every text the storage
 * cases match, in one place, so that a change of wording is made here once.
 */
const STORED = {
  /** The offer of an interrupted run (its line starts so; the start time follows). */
  unfinished: (done, total) => `Unfinished run: ${done} of ${total} devices done, account ${ACCOUNT}, started `,
  /** Resume pressed with a token field empty (tokens are never stored). */
  resumeNeedsTokens: 'Resume needs both tokens: ',
  history: (count) => `History (${count})`,
  /** A finished run's line in the History, after its start time. */
  historyItem: (devices) => `${ACCOUNT} · ${devices} devices · `,
  /** The line of a stored run opened on screen. */
  readOnly: ', read-only: ',
  /** The buttons pressed: their words. */
  resume: 'Resume',
  open: 'Open',
  compare: 'Compare with the previous run',
  /** The comparison's group labels (src/core/compare.rs), each line `label · count`. */
  groups: {
    onlyAfter: 'Only in this run',
    onlyBefore: 'Only in the earlier run',
    unchanged: 'Unchanged',
    firmware: (before, after) => `Firmware ${before} → ${after}`,
    newlyFailing: 'Newly failing',
    recovered: 'Recovered',
    stillFailing: 'Still failing',
  },
  /** The browser's quota for the site is used up. */
  quota: "This browser's storage for the site is full: the run is not saved and goes on in memory",
  /** The browser refuses the site IndexedDB. */
  refused: 'This browser does not let the app save runs',
};

/** `count` Luhn-valid IMEIs: 35693811, a 6-digit counter from `start`, the check digit. */
function imeis(count, start) {
  return Array.from({ length: count }, (_, n) => {
    const body = `35693811${String(start + n).padStart(6, '0')}`;
    const sum = [...body].reverse().reduce((acc, ch, i) => {
      const d = Number(ch) * (i % 2 === 0 ? 2 : 1);
      return acc + (d > 9 ? d - 9 : d);
    }, 0);
    return body + ((10 - (sum % 10)) % 10);
  });
}

/** The emulator's control API (tests/emulator/README.md). */
function control(base) {
  const call = async (method, route, body) => {
    const response = await fetch(`${base}/_emulator/${route}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    assert.ok(response.ok, `${method} /_emulator/${route}: ${response.status}`);
    return response.status === 204 ? null : response.json();
  };
  return {
    reset: () => call('POST', 'reset'),
    addFault: (rule) => call('POST', 'faults', rule),
    setLatency: (ms) => call('PUT', 'latency', { ms, jitterMs: 0 }),
    /** The fleet's firmware release: from 1 up, about a third of the devices report another version. */
    setRelease: (release) => call('PUT', 'release', { release }),
    /** The Synchronize calls received, in arrival order, each with its `deviceList`. */
    syncCalls: async () =>
      (await call('GET', 'requests'))
        .filter((r) => r.method === 'PUT' && r.path.includes('/devices'))
        .map((r) => ({ ...r, devices: JSON.parse(r.body).deviceList })),
    /** What the emulator answers for each IMEI, as the table shows it. */
    outcomes: async (list) => {
      const rows = [];
      for (const imei of list) {
        const d = await call('GET', `outcomes/${imei}`);
        rows.push({ imei: d.deviceId, status: d.status, reason: d.Reason, firmware: d.firmwareVersion });
      }
      return rows;
    },
  };
}

/** The table's rows without `shown`, for comparing with the emulator's outcomes. */
const cells = (rows) => rows.map(({ imei, status, reason, firmware }) => ({ imei, status, reason, firmware }));

/**
 * Wraps `URL.createObjectURL` in the page so that a download's Blob is kept where a script can
 * read it (and its name, from the link's `download`); the click goes through to the browser.
 */
function captureDownloads() {
  window.__downloads = [];
  const create = URL.createObjectURL;
  URL.createObjectURL = (blob) => {
    const url = create.call(URL, blob);
    window.__downloads.push({ url, blob });
    return url;
  };
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    const entry = window.__downloads.find((d) => d.url === this.href);
    if (entry) entry.name = this.download;
    return click.call(this);
  };
}

/** The captured downloads' names and texts (an async script: Blob.text()). */
function readDownloads(done) {
  Promise.all(window.__downloads.map(async (d) => ({ name: d.name, type: d.blob.type, text: await d.blob.text() }))).then(done);
}

/**
 * The runs in the app's database, read from the page (an async script): for each, its devices
 * (`total`) and how many of them were answered when it was saved (`done`). The wait for a save
 * to land before a reload; what the user sees is asserted on the page.
 */
function readSavedRuns(done) {
  const request = (r) => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
  (async () => {
    // Opening a database that does not exist would create it: look first.
    if (!(await indexedDB.databases()).some((d) => d.name === 'fota-sync')) return [];
    const db = await request(indexedDB.open('fota-sync'));
    try {
      const sets = await request(db.transaction('sets').objectStore('sets').getAll());
      return sets.map((set) => ({ total: set.total, done: set.total - set.waiting }));
    } finally {
      db.close();
    }
  })().then(done, (error) => done({ error: String(error) }));
}

/**
 * Deletes the app's database from a page of its origin that does not hold it open (an async
 * script). Resolves once deleted: a page that still holds it delays the deletion (`blocked`)
 * until it lets go.
 */
function deleteDatabase(done) {
  const request = indexedDB.deleteDatabase('fota-sync');
  request.onsuccess = () => done('deleted');
  request.onerror = () => done(String(request.error));
}

/** Reloads the page; once the History lists `count` runs, what the stored-runs section shows. */
async function historyAfterReload(t, count) {
  await t.app.reload();
  return until(async () => {
    const stored = await t.app.stored();
    return stored.history === STORED.history(count) && stored;
  }, 10_000, `${STORED.history(count)} after the reload`);
}

/** Opens the app, fills the form (FORM unless given) and presses Synchronize. */
async function start(t, fields) {
  await t.app.open(`${t.servers.site}/`);
  await t.app.fill({ ...FORM, ...fields });
  await t.app.click('Synchronize');
}

/** `name -> { timeout (ms), run(t) }`; `t` holds driver, app, emulator, servers. */
const CASES = {
  async 'a sync of three devices: a row each with its status and firmware'(t) {
    const list = imeis(3, 100);
    await start(t, { imeis: list });
    const page = await t.app.runOver(3);
    assert.deepEqual(cells(page.rows), await t.emulator.outcomes(list));
    assert.equal(Number(page.summary.Succeeded) + Number(page.summary.Failed), 3);
    assert.deepEqual((await t.emulator.syncCalls()).map((c) => [c.status, c.devices]), [[200, list]]);
  },

  async 'a 401 (invalid bearer token): the run pauses for a new token, and the form keeps what was typed'(t) {
    const list = imeis(2, 200);
    await start(t, { imeis: list, bearer: 'invalid' });
    const page = await until(async () => {
      const p = await t.app.read();
      return /900901/.test(p.alert ?? '') && p.buttons.some((b) => b.text === 'Resume' && !b.disabled) && p;
    }, 20_000, 'the bearer-token message');
    assert.match(page.alert, /^Paused: /);
    assert.match(page.alert, /bearer token/i);
    assert.deepEqual(
      [page.values.account, page.values.imeis, page.values['bearer-token'], page.values['session-token']],
      [ACCOUNT, list.join('\n'), 'invalid', FORM.session],
    );
    assert.deepEqual((await t.emulator.syncCalls()).map((c) => c.status), [401]);
  },

  '2,500 devices with a 429 retried: every device ends with an outcome': {
    timeout: 240_000,
    async run(t) {
      const list = imeis(2_500, 10_000);
      await t.emulator.addFault({ kind: 429, skip: 3, times: 1, retryAfter: '1' });
      await start(t, { imeis: list });
      const page = await t.app.runOver(2_500, 180_000);
      assert.deepEqual(page.rows.map((r) => r.imei), list);
      assert.ok(page.rows.every((r) => /^FirmwareVersionUpdate/.test(r.status)), 'every device has its answer');
      assert.match(page.progress, /\b1 retry\b/);
      const calls = await t.emulator.syncCalls();
      assert.equal(calls.length, 26, '25 batches and one retry');
      const throttled = calls.filter((c) => c.status === 429);
      assert.equal(throttled.length, 1);
      const retried = calls.filter((c) => c.seq > throttled[0].seq && c.body === throttled[0].body);
      assert.deepEqual(retried.map((c) => c.status), [200], 'the throttled batch sent again');
      const batch = throttled[0].devices;
      const shown = page.rows.filter((r) => batch.includes(r.imei));
      assert.deepEqual(cells(shown), await t.emulator.outcomes(batch));
    },
  },

  'Cancel during a run: what was not sent shows Not sent, and nothing is sent after': {
    timeout: 120_000,
    async run(t) {
      // 20 requests, two at a time, 600 ms each: time enough to cancel in the middle.
      t.servers.setConfig({ concurrency: 2 });
      await t.emulator.setLatency(600);
      const list = imeis(2_000, 20_000);
      await start(t, { imeis: list });
      await until(async () => {
        const s = (await t.app.read()).summary;
        return Number(s.Succeeded ?? 0) + Number(s.Failed ?? 0) >= 200;
      }, 60_000, 'two batches answered');
      await t.app.click('Cancel');
      const page = await t.app.runOver(2_000, 30_000);
      const notSent = page.rows.filter((r) => r.status === 'Not sent');
      const answered = page.rows.filter((r) => /^FirmwareVersionUpdate/.test(r.status));
      assert.ok(notSent.length >= 200, `${notSent.length} Not sent`);
      assert.equal(answered.length + notSent.length, 2_000);
      assert.equal(Number(page.summary['Not sent']), notSent.length);
      assert.ok(notSent.every((r) => r.shown), 'Not sent rows are visible');
      // Requests in flight at Cancel are aborted (their devices Not sent too); none follow.
      const calls = await t.emulator.syncCalls();
      assert.ok(calls.length < 20, `${calls.length} of 20 requests sent`);
      const sent = new Set(calls.flatMap((c) => c.devices));
      assert.ok(answered.every((r) => sent.has(r.imei)), 'every answered device was sent');
      // Nothing after Cancel: the next requests are the next run's (Retry failed, answered at once).
      const unsuccessful = page.rows.filter((r) => r.status !== 'FirmwareVersionUpdateSuccess').map((r) => r.imei);
      await t.emulator.setLatency(0);
      await t.app.click('Retry failed');
      // The retry runs over the unsuccessful devices; the table keeps the whole fleet.
      const retried = new RegExp(`^${unsuccessful.length} of ${unsuccessful.length} devices .*finished in`);
      await until(async () => retried.test((await t.app.read()).progress ?? ''), 30_000, 'the retry to end');
      const after = await t.app.runOver(2_000);
      assert.equal(after.rows.filter((r) => r.status === 'Not sent').length, 0, 'the retried devices answered, in the same table');
      const next = (await t.emulator.syncCalls()).slice(calls.length);
      assert.deepEqual(next.flatMap((c) => c.devices).sort(), unsuccessful.sort(), 'after Cancel, only the retry');
    },
  },

  async 'a CSV through the file input: its IMEI column is added'(t) {
    const list = imeis(3, 30_000);
    const file = path.join(t.tmp, 'fleet.csv');
    fs.writeFileSync(file, ['Name,IMEI,Notes', ...list.map((imei, i) => `Truck ${i + 1},${imei},"front, left"`)].join('\r\n'));
    await t.app.open(`${t.servers.site}/`);
    await t.app.importFile(file);
    const page = await until(async () => {
      const p = await t.app.read();
      return p.body.includes('Added 3 lines from the “IMEI” column of fleet.csv.') && p;
    }, 10_000, 'the import message');
    assert.equal(page.values.imeis, `${list.join('\n')}\n`);
    assert.equal(page.imeiCount, '3 valid, unique IMEIs');
  },

  async 'files in UTF-16LE, UTF-16BE and Windows-1252: TextDecoder reads each as expected.json says'(t) {
    const dir = path.join(__dirname, '..', 'fixtures', 'real-world');
    const { files } = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    for (const name of ['excel-unicode-text.txt', 'utf16be-bom.csv', 'sep-semicolon-win1252.csv']) {
      const expected = files.find((f) => f.file === name);
      await t.app.open(`${t.servers.site}/`);
      await t.app.importFile(path.join(dir, name));
      const page = await until(async () => {
        const p = await t.app.read();
        if (new RegExp(`Added \\d+ lines from .*${name}\\.`).test(p.body) && p.problems.length === expected.problems.length) return p;
        throw new Error(JSON.stringify({ count: p.imeiCount, problems: p.problems }));
      }, 10_000, `${name} imported`);
      assert.equal(page.imeiCount, `${expected.devices.length} valid, unique IMEIs`, name);
      const entries = page.values.imeis.split('\n').map((line) => line.trim());
      for (const imei of expected.devices) assert.ok(entries.includes(imei), `${name}: ${imei} in the field`);
      expected.problems.forEach((problem, i) => assert.ok(page.problems[i].includes(`"${problem.text}"`), `${name}: ${page.problems[i]}`));
    }
  },

  async 'Download CSV: the header and a row per device, as the table shows them'(t) {
    const list = imeis(4, 40_000);
    await start(t, { imeis: list });
    const page = await t.app.runOver(4);
    await t.driver.executeScript(captureDownloads);
    await t.app.click('Download CSV');
    const downloads = await until(async () => {
      const d = await t.driver.executeAsyncScript(readDownloads);
      return d.length > 0 && d;
    }, 10_000, 'the download');
    assert.equal(downloads.length, 1);
    const [{ name, type, text }] = downloads;
    assert.match(name, /\.csv$/);
    assert.match(type, /^text\/csv/);
    const lines = text.split('\r\n');
    assert.equal(lines[0], CSV_HEADER);
    assert.equal(lines.at(-1), '', 'ends with CRLF');
    const rows = lines.slice(1, -1).map((line) => line.split(','));
    assert.deepEqual(
      rows.map(([imei, status, reason, firmware]) => ({ imei, status, reason, firmware })),
      cells(page.rows),
    );
    // The browser saved the same file, under its name.
    const saved = path.join(t.downloads, name);
    await until(() => fs.existsSync(saved) && fs.readFileSync(saved, 'utf8') === text, 15_000, `${saved} as the Blob`);
    await t.app.ready(); // the download did not take the page away
  },

  async "portal handoff: the portal's tokens by postMessage, a run, the result message"(t) {
    const list = imeis(3, 50_000);
    const credentials = { bearerToken: 'portal-bearer', sessionToken: 'portal-session', account: ACCOUNT };
    await t.driver.get(`${t.servers.portal}/portal.html?app=${encodeURIComponent(`${t.servers.site}/`)}`);
    const fromApp = () => t.driver.executeScript(() => window.portal.received.filter((m) => m.fromApp).map((m) => m.data));
    await until(async () => (await fromApp()).some((m) => m.type === 'fota-sync:ready'), 30_000, 'fota-sync:ready');
    await t.driver.executeScript((c) => window.portal.send(c), credentials);
    await t.driver.switchTo().frame(await t.driver.findElement(By.id('fota-sync')));
    try {
      await until(async () => (await t.app.read()).body.split('Provided by the portal').length === 3, 10_000, 'both tokens from the portal');
      await t.app.fill({ imeis: list, bearer: null, session: null });
      await t.app.click('Synchronize');
      await t.app.runOver(3);
    } finally {
      await t.driver.switchTo().defaultContent();
    }
    const result = await until(async () => (await fromApp()).find((m) => m.type === 'fota-sync:result'), 10_000, 'fota-sync:result');
    const succeeded = (await t.emulator.outcomes(list)).filter((d) => d.status === 'FirmwareVersionUpdateSuccess').length;
    assert.deepEqual(result, {
      type: 'fota-sync:result',
      account: ACCOUNT,
      total: 3,
      succeeded,
      failed: 3 - succeeded,
      noResult: 0,
      error: 0,
      notSent: 0,
    });
    const [call] = await t.emulator.syncCalls();
    assert.equal(call.headers.authorization, 'Bearer portal-bearer');
    assert.equal(call.headers['vz-m2m-token'], 'portal-session');
  },

  async 'light and dark themes: light-dark() gives each scheme its colours'(t) {
    const colours = {};
    for (const colorScheme of ['light', 'dark']) {
      t.servers.setConfig({ theme: { colorScheme } });
      await t.app.open(`${t.servers.site}/`);
      colours[colorScheme] = await until(
        () =>
          t.driver.executeScript(() => {
            if (!document.documentElement.dataset.theme) return null;
            const style = (el) => getComputedStyle(el);
            const primary = document.querySelector('button.primary') ?? document.querySelector('button[type="submit"]');
            return [document.documentElement.dataset.theme, style(document.body).backgroundColor, style(document.body).color, style(primary).backgroundColor];
          }),
        10_000,
        `data-theme ${colorScheme}`,
      );
    }
    assert.deepEqual(colours, {
      light: ['light', 'rgb(246, 247, 249)', 'rgb(27, 31, 36)', 'rgb(205, 4, 11)'],
      dark: ['dark', 'rgb(21, 24, 28)', 'rgb(230, 233, 237)', 'rgb(255, 90, 95)'],
    });
  },

  async 'a list of over 10,000 entries is kept and counted but not laid out until Show the list'(t) {
    const list = imeis(10_001, 70_000);
    await t.app.open(`${t.servers.site}/`);
    await t.app.paste(list.join('\n'));
    const laidOut = () => t.driver.executeScript(() => document.getElementById('imeis').getClientRects().length > 0);
    const page = await until(async () => {
      const p = await t.app.read();
      return p.imeiCount === '10001 valid, unique IMEIs' && p.buttons.some((b) => b.text === 'Show the list') && p;
    }, 30_000, 'the count and Show the list');
    assert.match(page.body, /Over 10,000 entries: kept as they are, not shown, so that the page stays quick\./);
    assert.equal(await laidOut(), false);
    await t.app.click('Show the list');
    const shown = await until(async () => {
      const p = await t.app.read();
      return !p.buttons.some((b) => b.text === 'Show the list') && p;
    }, 10_000, 'the list shown');
    assert.equal(await laidOut(), true);
    assert.equal(shown.values.imeis, list.join('\n'));
  },

  async 'a run saved as it goes, resumed after a reload: only the devices left are sent, each answered once'(t) {
    // Three requests one at a time; the third never gets an answer: the reload cuts it off.
    t.servers.setConfig({ concurrency: 1 });
    await t.emulator.addFault({ kind: 'hang', skip: 2, times: 1 });
    const list = imeis(300, 80_000);
    await start(t, { imeis: list });
    await until(async () => /^200 of 300 devices/.test((await t.app.read()).progress ?? ''), 30_000, '200 devices answered');
    await until(async () => {
      const saved = await t.driver.executeAsyncScript(readSavedRuns);
      if (saved.length === 1 && saved[0].done === 200) return true;
      throw new Error(JSON.stringify(saved));
    }, 15_000, 'the 200 answers saved');

    await t.app.reload();
    const offer = await until(async () => (await t.app.stored()).resume, 10_000, 'the offer to resume');
    assert.ok(offer.startsWith(STORED.unfinished(200, 300)), offer);
    // Tokens are never stored: Resume asks for them, and sends nothing without them.
    await t.app.clickStored(STORED.resume);
    const asked = await until(async () => (await t.app.stored()).note, 10_000, 'the note');
    assert.ok(asked.startsWith(STORED.resumeNeedsTokens), asked);
    await t.app.type('bearer-token', FORM.bearer);
    await t.app.type('session-token', FORM.session);
    await t.app.clickStored(STORED.resume);
    const page = await t.app.runOver(300);
    assert.deepEqual(cells(page.rows), await t.emulator.outcomes(list));
    assert.equal((await t.app.stored()).resume, '', 'nothing left to resume');
    const calls = await t.emulator.syncCalls();
    const cut = calls.filter((c) => c.status === null);
    assert.deepEqual(cut.map((c) => c.devices), [list.slice(200, 300)], 'the request the reload cut off');
    const answered = calls.filter((c) => c.status !== null).flatMap((c) => c.devices);
    assert.deepEqual(answered, list, 'every device answered once, in order');
  },

  async 'finished runs kept over a reload: compared with the previous run, one opened read-only'(t) {
    const all = imeis(45, 81_000);
    const [first, second] = [all.slice(0, 40), all.slice(10)];
    const before = await t.emulator.outcomes(first);
    await start(t, { imeis: first });
    await t.app.runOver(first.length);
    // A rollout between the two runs: some devices report another version.
    await t.emulator.setRelease(1);
    const after = await t.emulator.outcomes(second);
    await t.app.fill({ imeis: second, bearer: null, session: null });
    await t.app.click('Synchronize');
    await t.app.runOver(second.length);

    // The groups the comparison must show, from the emulator's own answers.
    const expected = {};
    const add = (label) => (expected[label] = (expected[label] ?? 0) + 1);
    const success = (o) => o?.status === 'FirmwareVersionUpdateSuccess';
    second.forEach((imei, i) => {
      const [b, a] = [before[first.indexOf(imei)], after[i]];
      const labels = STORED.groups;
      if (!b) add(labels.onlyAfter);
      else if (success(b) && success(a)) add(b.firmware === a.firmware ? labels.unchanged : labels.firmware(b.firmware, a.firmware));
      else if (success(b)) add(labels.newlyFailing);
      else if (success(a)) add(labels.recovered);
      else add(labels.stillFailing);
    });
    expected[STORED.groups.onlyBefore] = 10;
    // Both runs listed (saved): the list is drawn again at each save, its buttons with it.
    await until(async () => (await t.app.stored()).history === STORED.history(2), 10_000, STORED.history(2));
    await t.app.clickStored(STORED.compare, { startsWith: true });
    const groups = await until(async () => {
      const shown = (await t.app.stored()).comparison;
      return shown.length === Object.keys(expected).length && shown;
    }, 10_000, 'the comparison');
    assert.deepEqual(
      Object.fromEntries(groups.map((line) => line.split(' · ')).map(([label, count]) => [label, Number(count)])),
      expected,
    );

    const stored = await historyAfterReload(t, 2);
    assert.equal(stored.items.length, 2);
    assert.ok(stored.items[0].includes(STORED.historyItem(second.length)), stored.items[0]);
    assert.ok(stored.items[1].includes(STORED.historyItem(first.length)), stored.items[1]);
    // The older run, opened: its table as it was, read-only (nothing to retry or sync again).
    await t.app.clickStored(STORED.open, { item: stored.items[1] });
    const opened = await until(async () => {
      const [s, p] = [await t.app.stored(), await t.app.read()];
      return s.readOnly.includes(STORED.readOnly) && p.summary.Total === String(first.length) && p.rowCount === first.length && p;
    }, 10_000, 'the older run on screen, read-only');
    assert.ok(!opened.buttons.some((b) => b.text === 'Retry failed'), 'no Retry failed on a stored run');
    const { rows } = await t.app.readAll();
    assert.deepEqual(cells(rows), before);
  },

  async 'storage full: the note says so, the run goes on and every device is shown; nothing is kept'(t) {
    t.servers.setStorageFault('quota');
    const list = imeis(50, 82_000);
    await start(t, { imeis: list });
    const page = await t.app.runOver(50);
    assert.deepEqual(cells(page.rows), await t.emulator.outcomes(list));
    const note = await until(async () => (await t.app.stored()).note, 10_000, 'the storage note');
    assert.ok(note.startsWith(STORED.quota), note);
    const stored = await historyAfterReload(t, 0);
    assert.equal(stored.resume, '', 'nothing to resume');
  },

  async 'storage refused: said at the start, and the run goes on in memory'(t) {
    t.servers.setStorageFault('refused');
    await t.app.open(`${t.servers.site}/`);
    const note = await until(async () => (await t.app.stored()).note, 10_000, 'the storage note');
    assert.ok(note.startsWith(STORED.refused), note);
    const list = imeis(5, 83_000);
    await t.app.fill({ ...FORM, imeis: list });
    await t.app.click('Synchronize');
    const page = await t.app.runOver(5);
    assert.deepEqual(cells(page.rows), await t.emulator.outcomes(list));
    assert.ok((await t.app.stored()).note.startsWith(STORED.refused), 'the note stays');
  },

  async 'a run out of view goes on: back in front, every device has its outcome'(t) {
    // Five requests one at a time, a second each: the run goes on while its page is hidden.
    t.servers.setConfig({ concurrency: 1 });
    await t.emulator.setLatency(1_000);
    const list = imeis(500, 84_000);
    await start(t, { imeis: list });
    await t.driver.executeScript(() => {
      window.__hidden = document.visibilityState === 'hidden';
      document.addEventListener('visibilitychange', () => (window.__hidden ||= document.visibilityState === 'hidden'));
    });
    // Minimized or behind another tab, as a user puts the app aside (drivers.js says which).
    const bringBack = await t.engine.putAside();
    const answeredThen = (await t.emulator.syncCalls()).filter((c) => c.status === 200).length;
    await until(async () => (await t.emulator.syncCalls()).filter((c) => c.status === 200).length === 5, 30_000, 'the five requests answered');
    await bringBack();
    assert.ok(answeredThen < 5, `${answeredThen} of 5 answered before the window went behind`);
    assert.equal(await t.driver.executeScript(() => window.__hidden), true, "the app's page was hidden");
    // rAF stops in a hidden page: the rows are drawn once it is in front again.
    const page = await t.app.runOver(500);
    assert.deepEqual(cells(page.rows), await t.emulator.outcomes(list));
  },

  async 'strict CSP: a run reports no violation; a real one is reported'(t) {
    await start(t, { imeis: imeis(3, 60_000) });
    await t.app.runOver(3);
    // The positive control: a request the policy refuses (connect-src 'self' only). Its report
    // arrives; anything the run caused would have been sent before it.
    await t.driver.executeScript(() => void fetch('http://127.0.0.1:9/refused').catch(() => {}));
    await until(() => t.servers.reports().length > 0, 15_000, "the control violation's report");
    const reports = t.servers.reports().map((r) => r['csp-report'] ?? r);
    assert.equal(reports.length, 1, JSON.stringify(reports));
    assert.match(reports[0]['violated-directive'] ?? reports[0]['effective-directive'], /^connect-src/);
    assert.match(reports[0]['blocked-uri'], /^http:\/\/127\.0\.0\.1:9/);
    t.servers.reset(); // expected: the after-each check sees none
  },

  async 'the error watch hears this engine: a page script that throws and rejects'(t) {
    // A script injected by WebDriver is not the page's own: Chromium reports its error as "Script
    // error." and Firefox not at all. A same-origin script file is the page's, as the app's are.
    await t.app.open(`${t.servers.site}/`);
    await t.driver.executeScript((src) => document.head.append(Object.assign(document.createElement('script'), { src })), THROW_PATH);
    const errors = await until(async () => {
      const e = await t.app.errors();
      return e.length === 2 && e;
    }, 10_000, 'the two errors');
    assert.deepEqual(errors.map((e) => /(thrown|rejected) by the test/.exec(e)?.[1]).sort(), ['rejected', 'thrown'], errors.join());
    await t.driver.executeScript(() => (window.__fotaErrors = [])); // expected: the after-each check sees none
  },
};

const engines = selectedEngines();
let servers;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fota-engines-'));

before(async () => {
  servers = await startServers();
});
after(async () => {
  await servers?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const name of engines) {
  describe(name, () => {
    const t = { servers: null, tmp };
    before(async () => {
      t.downloads = fs.mkdtempSync(path.join(tmp, `${name}-downloads-`));
      const engine = await startEngine(name, t.downloads);
      console.log(`# ${name}: ${engine.version}`);
      Object.assign(t, { engine, driver: engine.driver, app: new App(engine.driver), servers, emulator: control(servers.emulator) });
    });
    after(() => t.engine?.stop());
    beforeEach(async () => {
      servers.reset();
      await t.emulator.reset();
      // Each case starts with nothing stored: no run of an earlier case offered or listed.
      await t.driver.get(`${servers.site}${BLANK_PATH}`);
      assert.equal(await t.driver.executeAsyncScript(deleteDatabase), 'deleted', 'the database deleted');
    });
    afterEach(async () => {
      assert.deepEqual(servers.reports(), [], 'Content-Security-Policy reports');
      assert.deepEqual(await t.app.errors(), [], 'errors thrown in the page');
    });
    for (const [title, spec] of Object.entries(CASES)) {
      const { timeout = 60_000, run } = typeof spec === 'function' ? { run: spec } : spec;
      it(title, { timeout }, () => run(t));
    }
  });
}
