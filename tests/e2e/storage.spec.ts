// Browser storage is the user's data (issue 20): runs stored by a released build open and resume;
// what cannot be read is named as such; a database that never answers, that another tab upgrades
// or deletes, or that the browser refuses, fails, fills up or closes is said and loses nothing on
// screen; what was shown before a reload is offered for Resume.
import type { Page } from '@playwright/test';
import { ACCOUNT, App, FORM_DEFAULTS, expect, test } from './app';
import { validImeis } from './imei';
import { database, putRecords, storedFixture, type FixtureRecord } from './stored';

test.describe.configure({ timeout: 90_000 });

const NOT_ANSWERING = "This browser's storage did not answer within 4 seconds: runs are not being saved";
const NEWER = 'A newer version of FOTA Sync has taken over this browser';
const DELETED = 'The stored runs were deleted (in another tab, or the site';
const REFUSED = 'This browser does not let the app save runs (private window or site settings)';
const FAILED = "This browser's storage failed (connection lost or a disk problem)";
const QUOTA = "This browser's storage for the site is full";
const GONE = 'That stored run is gone (deleted in another tab?).';

/** Pastes `imeis`, presses Synchronize with the default account and tokens, and waits for the end. */
async function syncAll(app: App, imeis: string[]): Promise<void> {
  await app.fill({ ...FORM_DEFAULTS });
  await app.pasteImeis(imeis.join('\n'));
  await app.synchronize();
  await app.expectRunOver({ devices: imeis.length, timeout: 60_000 });
}

/** The stored-runs section and its note. */
function stored(page: Page) {
  const region = page.getByRole('region', { name: 'Stored runs' });
  return { region, note: region.locator('.store-note'), summary: region.locator('summary'), items: region.locator('.history-list li') };
}

/** Syncs one device so that the app's database exists, and gives the request URL it stored. */
async function storedUrl(app: App, page: Page): Promise<string> {
  await syncAll(app, validImeis(1, 77_000));
  await expect.poll(async () => (await database(page))?.sets.length).toBe(1);
  return String((await database(page))!.sets[0].url);
}

test('runs stored by the released layout 1 are listed, opened and resumed, then saved in today’s layout', async ({
  app,
  emulator,
  page,
}) => {
  const fixture = storedFixture('layout-1.json');
  await app.open();
  const url = await storedUrl(app, page);
  // The stored URL is where the run went: this test's emulator, for Resume to reach it.
  await putRecords(
    page,
    fixture.records.map((r) => (r.store === 'sets' ? { ...r, value: { ...(r.value as object), url } } : r)),
  );
  await page.reload();
  const { region, note, summary, items } = stored(page);
  await expect(region.locator('.resume')).toContainText(`Unfinished run: 2 of 4 devices done, account ${ACCOUNT}, started `);
  await summary.click();
  await expect(summary).toHaveText('History (2)');
  const old = items.filter({ hasText: '6 devices' });
  await expect(old).toContainText(`${ACCOUNT} · 6 devices · 2 succeeded · 1 failed · 1 no result · 1 error · 1 not sent`);

  await old.getByRole('button', { name: 'Open' }).click();
  await expect(app.summaryValue('Total')).toHaveText('6');
  const { rows } = await app.downloadResults();
  expect(rows.map((r) => r.imei)).toEqual(validImeis(6, 76_000));
  expect(rows[1]).toMatchObject({ status: 'FirmwareVersionUpdateFailed', reason: 'Device not reachable', firmware: 'SR1.1.9', updated: 'last Tuesday' });
  expect(rows[3].reason).toBe('HTTP 502 Bad Gateway (after 4 tries)');
  await expect(note).toHaveText('');

  await app.fill({ bearer: FORM_DEFAULTS.bearer, session: FORM_DEFAULTS.session });
  await region.getByRole('button', { name: 'Resume' }).click();
  await app.expectRunOver({ devices: 4, timeout: 30_000 });
  const sent = (await emulator.syncCalls()).flatMap((c) => (JSON.parse(c.body) as { deviceList: string[] }).deviceList);
  expect(sent.filter((d) => validImeis(4, 76_006).includes(d))).toEqual(validImeis(4, 76_006).slice(2));
  const resumed = (await app.downloadResults()).rows;
  expect(resumed.map((r) => r.firmware).slice(0, 2)).toEqual(['SR1.2.0.0-10657', 'SR1.3']);
  // Saved again in today's layout, IMEIs in a record that names it too.
  await expect
    .poll(async () => {
      const db = await database(page);
      const set = db?.sets.find((s) => s.key === fixture.sets.unfinished);
      const devices = db?.columns.find(([k]) => k === `${fixture.sets.unfinished}#devices`)?.[1];
      return [set?.version, set?.waiting, devices?.version];
    })
    .toEqual([2, 0, 2]);
});

test('a stored run that cannot be read is named: a newer layout, a damaged record, a renamed field; gone only when it is gone', async ({
  app,
  page,
}) => {
  const fixture = storedFixture('layout-1.json');
  await app.open();
  await storedUrl(app, page);
  const finished = fixture.records.filter((r) => r.key.startsWith(fixture.sets.finished));
  // Copies of the finished set under other keys and start times, each changed one way.
  const copy = (n: number, change: (r: FixtureRecord) => FixtureRecord | null): FixtureRecord[] =>
    finished
      .map((r) => ({ ...r, key: r.key.replace(fixture.sets.finished, `176449740000${n}-000000000`) }))
      .map((r) => (r.store === 'sets' ? { ...r, value: { ...(r.value as object), key: r.key, account: `000000000${n}-00001` } } : r))
      .map(change)
      .filter((r): r is FixtureRecord => r !== null);
  const columnsOnly = (f: (v: Record<string, unknown>) => Record<string, unknown>) => (r: FixtureRecord) =>
    r.store === 'columns' && !r.key.endsWith('#devices') ? { ...r, value: f(r.value as Record<string, unknown>) } : r;
  await putRecords(page, [
    // 1: written by a newer release (layout 3).
    ...copy(1, columnsOnly((v) => ({ ...v, version: 3 }))),
    // 2: a column missing.
    ...copy(2, columnsOnly(({ requests: _, ...v }) => v)),
    // 3: its list entry with a field renamed.
    ...copy(3, (r) => {
      if (r.store !== 'sets') return r;
      const { noResult, ...v } = r.value as Record<string, unknown>;
      return { ...r, value: { ...v, no_result: noResult } };
    }),
    // 4: really gone: its list entry is all there is.
    ...copy(4, (r) => (r.store === 'sets' ? r : null)),
  ]);
  await page.reload();
  const { note, summary, items } = stored(page);
  await summary.click();
  await expect(summary).toHaveText('History (5)');
  const at = (n: number) => items.filter({ hasText: `000000000${n}-00001` });

  await at(1).getByRole('button', { name: 'Open' }).click();
  await expect(note).toHaveText(/^That stored run was saved by a newer version of FOTA Sync \(layout 3; this version reads up to 2\)/);
  await at(2).getByRole('button', { name: 'Open' }).click();
  await expect(note).toHaveText('That stored run is damaged (its requests is missing) and cannot be read: delete it.');
  await at(4).getByRole('button', { name: 'Open' }).click();
  await expect(note).toHaveText(GONE);
  // The renamed field: listed as damaged, with Delete only; it goes.
  const damaged = items.filter({ hasText: 'A stored run damaged, cannot be read' });
  await expect(damaged).toHaveCount(1);
  await expect(damaged.getByRole('button')).toHaveText(['Delete']);
  await damaged.getByRole('button', { name: 'Delete' }).click();
  await expect(summary).toHaveText('History (4)');
  expect((await database(page))!.sets.some((s) => 'no_result' in s)).toBe(false);
});

test('IndexedDB that never answers: 4 s later the page says runs are not being saved, and the run goes on', async ({ app, page }) => {
  // Some WebKit versions leave indexedDB.open pending forever: a request that never fires.
  await page.addInitScript(() => {
    IDBFactory.prototype.open = () => ({}) as IDBOpenDBRequest;
  });
  await app.open();
  const { note } = stored(page);
  await expect(note).toHaveText('');
  await expect(note).toContainText(NOT_ANSWERING, { timeout: 8_000 });
  await syncAll(app, validImeis(30, 77_100));
  await expect(note).toContainText(NOT_ANSWERING);
});

/** A second page of the same browser context, on the app's origin but without the app. */
async function otherTab(page: Page): Promise<Page> {
  const other = await page.context().newPage();
  await other.goto(new URL('config.json', page.url()).href);
  return other;
}

test('another tab opens the database at a newer version: this tab lets go at once and says a newer version is open', async ({
  app,
  page,
}) => {
  await app.open();
  await syncAll(app, validImeis(20, 77_200));
  const other = await otherTab(page);
  // Not blocked: the app closed its connection on versionchange.
  const upgraded = await other.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const r = indexedDB.open('fota-sync', 2);
        r.onblocked = () => resolve('blocked');
        r.onsuccess = () => {
          r.result.close();
          resolve(`opened at ${r.result.version}`);
        };
        r.onerror = () => resolve(String(r.error));
      }),
  );
  expect(upgraded).toBe('opened at 2');
  const { note } = stored(page);
  await expect(note).toContainText(NEWER);
  // The app goes on, in memory.
  await syncAll(app, validImeis(10, 77_300));
  await expect(note).toContainText(NEWER);
});

test('another tab deletes the database: this tab lets go at once, says so, and saves what is on screen again', async ({ app, page }) => {
  await app.open();
  await syncAll(app, validImeis(20, 77_400));
  const other = await otherTab(page);
  const deleted = await other.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const r = indexedDB.deleteDatabase('fota-sync');
        r.onblocked = () => resolve('blocked');
        r.onsuccess = () => resolve('deleted');
        r.onerror = () => resolve(String(r.error));
      }),
  );
  expect(deleted).toBe('deleted');
  await expect(stored(page).note).toContainText(DELETED);
  await expect.poll(async () => (await database(page))?.sets.map((s) => [s.total, s.waiting])).toEqual([[20, 0]]);
});

test('a reload 1.5 s into a 2,500-device run: Resume offers every device that was shown answered', async ({ app, emulator, page }) => {
  await app.useConfig({ concurrency: 1 });
  await emulator.setLatency(120);
  const imeis = validImeis(2_500, 78_000);
  await app.open();
  await app.fill({ ...FORM_DEFAULTS });
  await app.pasteImeis(imeis.join('\n'));
  await app.synchronize();
  // About 1.5 s in (10 answers of 100 at 120 ms each), read what is shown and reload at once.
  await expect(app.progress).toContainText(/\b1\d\d\d of 2500 devices/, { timeout: 30_000 });
  const shown = Number(/(\d+) of 2500 devices/.exec((await app.progress.textContent()) ?? '')?.[1]);
  expect(shown).toBeLessThan(2_500);
  await page.reload();
  const offer = stored(page).region.locator('.resume p');
  await expect(offer).toContainText('Unfinished run: ');
  const done = Number(/Unfinished run: ([\d,]+) of 2,500/.exec((await offer.textContent()) ?? '')?.[1].replace(/,/g, ''));
  expect(done, `Resume offers ${done}, ${shown} were shown`).toBeGreaterThanOrEqual(shown);
});

// ---- The hunt (tests/fixtures/SOURCES.md, "Browser storage"): how storage fails in real browsers ----

/** Makes indexedDB.open fail the way a browser does, with a DOMException `name`. */
async function failOpen(page: Page, name: string, message: string): Promise<void> {
  await page.addInitScript(
    ([name, message]) => {
      IDBFactory.prototype.open = function () {
        const handlers: Record<string, (e: unknown) => void> = {};
        const error = new DOMException(message, name);
        const request: IDBOpenDBRequest = new Proxy(Object.create(IDBOpenDBRequest.prototype) as IDBOpenDBRequest, {
          get: (_, key) => (key === 'error' ? error : key === 'readyState' ? 'done' : handlers[key as string]),
          set: (_, key, value) => {
            handlers[key as string] = value;
            return true;
          },
        });
        setTimeout(() => handlers.onerror?.({ target: request, type: 'error', preventDefault() {} }), 0);
        return request;
      };
    },
    [name, message],
  );
}

test('Firefox private windows refuse IndexedDB (InvalidStateError on open): said once, the run goes on', async ({ app, page }) => {
  await failOpen(page, 'InvalidStateError', 'A mutation operation was attempted on a database that did not allow mutations.');
  await app.open();
  await expect(stored(page).note).toContainText(REFUSED);
  await syncAll(app, validImeis(15, 77_500));
  await expect(stored(page).note).toContainText(REFUSED);
});

test("Chromium's storage fails to open (UnknownError, backing store): said as a storage failure, the run goes on", async ({ app, page }) => {
  await failOpen(page, 'UnknownError', 'Internal error opening backing store for indexedDB.open.');
  await app.open();
  await expect(stored(page).note).toContainText(FAILED);
  await syncAll(app, validImeis(15, 77_600));
});

test('a third-party frame where reading indexedDB throws SecurityError: said, the run goes on', async ({ app, page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', {
      get() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
  });
  await app.open();
  await expect(stored(page).note).toContainText(REFUSED);
  await syncAll(app, validImeis(15, 77_700));
});

test('quota exceeded mid-run, as Chromium reports it (the transaction aborts): said, every row stays, the next save that fits clears it', async ({
  app,
  emulator,
  page,
}) => {
  await app.useConfig({ concurrency: 1 });
  await emulator.setLatency(150);
  // From the third write on, every transaction aborts with QuotaExceededError until `room`.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    let writes = 0;
    const w = window as unknown as { __full: boolean };
    w.__full = true;
    IDBObjectStore.prototype.put = function (...args: Parameters<IDBObjectStore['put']>) {
      const tx = this.transaction;
      if (this.name === 'sets' && ++writes > 2 && w.__full) {
        Object.defineProperty(tx, 'error', { get: () => new DOMException('Quota exceeded', 'QuotaExceededError') });
        const request = put.apply(this, args);
        tx.abort();
        return request;
      }
      return put.apply(this, args);
    };
  });
  await app.open();
  await app.fill({ ...FORM_DEFAULTS });
  const imeis = validImeis(2_000, 77_800);
  await app.pasteImeis(imeis.join('\n'));
  await app.synchronize();
  await expect(stored(page).note).toContainText(QUOTA, { timeout: 20_000 });
  await expect(app.progress).not.toContainText('finished in');
  await page.evaluate(() => ((window as unknown as { __full: boolean }).__full = false));
  await app.expectRunOver({ devices: 2_000, timeout: 60_000 });
  // The end is saved whole once there is room: nothing was lost.
  await expect.poll(async () => (await database(page))?.sets.map((s) => [s.total, s.waiting])).toEqual([[2000, 0]]);
  await expect(stored(page).note).toHaveText('');
});

test('the connection is lost mid-run (WebKit: "Connection to Indexed Database server lost"): opened again, the run saved whole', async ({
  app,
  emulator,
  page,
}) => {
  await app.useConfig({ concurrency: 1 });
  await emulator.setLatency(100);
  await page.addInitScript(() => {
    const transaction = IDBDatabase.prototype.transaction;
    let writes = 0;
    IDBDatabase.prototype.transaction = function (...args: Parameters<IDBDatabase['transaction']>) {
      if (args[1] === 'readwrite' && ++writes === 3) {
        this.close();
        throw new DOMException('Connection to Indexed Database server lost. Refresh the page to try again', 'UnknownError');
      }
      return transaction.apply(this, args);
    };
  });
  await app.open();
  await syncAll(app, validImeis(1_000, 79_000));
  await expect.poll(async () => (await database(page))?.sets.map((s) => [s.total, s.waiting])).toEqual([[1000, 0]]);
  await expect(stored(page).note).toHaveText('');
});

test('the browser closes the connection (a close event: site data cleared in its settings): the next save opens it again', async ({
  app,
  emulator,
  page,
}) => {
  await app.useConfig({ concurrency: 1 });
  await emulator.setLatency(100);
  await page.addInitScript(() => {
    const open = IDBFactory.prototype.open;
    const w = window as unknown as { __connections: IDBDatabase[] };
    w.__connections = [];
    IDBFactory.prototype.open = function (...args: Parameters<IDBFactory['open']>) {
      const request = open.apply(this, args);
      request.addEventListener('success', () => w.__connections.push(request.result));
      return request;
    };
  });
  await app.open();
  await app.fill({ ...FORM_DEFAULTS });
  const imeis = validImeis(1_000, 79_100);
  await app.pasteImeis(imeis.join('\n'));
  await app.synchronize();
  await expect(app.progress).toContainText(/[1-9]\d* of 1000 devices/);
  await page.evaluate(() => {
    for (const db of (window as unknown as { __connections: IDBDatabase[] }).__connections) {
      db.close();
      db.dispatchEvent(new Event('close'));
    }
  });
  await app.expectRunOver({ devices: 1_000, timeout: 60_000 });
  await expect.poll(async () => (await database(page))?.sets.map((s) => [s.total, s.waiting])).toEqual([[1000, 0]]);
  await expect(stored(page).note).toHaveText('');
});

test('two tabs, one unfinished run: the tab running it holds it, the other says where it runs and offers Resume once it is free', async ({
  app,
  emulator,
  page,
}) => {
  await app.useConfig({ concurrency: 1 });
  await emulator.setLatency(150);
  await app.open();
  const other = await page.context().newPage();
  const second = new App(other);
  await second.useConfig({ concurrency: 1 });
  await second.open();
  const imeis = validImeis(1_500, 79_200);
  await app.fill({ ...FORM_DEFAULTS });
  await app.pasteImeis(imeis.join('\n'));
  await app.synchronize();
  // The second tab hears of the run as it is saved, and does not offer to resume it.
  const offer = stored(other).region.locator('.resume');
  await expect(offer).toContainText('Unfinished run: ', { timeout: 10_000 });
  await expect(offer).toContainText('This run is going on in another tab.');
  await expect(offer.getByRole('button', { name: 'Resume' })).toHaveCount(0);
  // The first tab closes mid-run: the run is free, and the second tab offers it.
  await page.close({ runBeforeUnload: false });
  await expect(offer.getByRole('button', { name: 'Resume' })).toBeVisible({ timeout: 10_000 });
  await expect(offer).not.toContainText('This run is going on in another tab.');
});

test('two tabs: a run finished in one is in the other’s history at once', async ({ app, page }) => {
  await app.open();
  const other = await page.context().newPage();
  const second = new App(other);
  await second.open();
  const { summary } = stored(other);
  await expect(summary).toHaveText('History (0)');
  await syncAll(app, validImeis(12, 79_300));
  await expect(summary).toHaveText('History (1)');
  await stored(page).summary.click();
  await stored(page).region.getByRole('button', { name: 'Clear all' }).click();
  await expect(summary).toHaveText('History (0)');
});
