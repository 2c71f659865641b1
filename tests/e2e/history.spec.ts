// Runs that survive (issue 13): a run saved as it goes and resumed after a reload, the history
// of finished runs (kept over reloads, opened read-only, deleted, limited by historyLimit, off
// with historyLimit 0), the comparison of two runs, and no token in IndexedDB, ever (read back
// from the database itself).
import type { Page } from '@playwright/test';
import { ACCOUNT, FORM_DEFAULTS, SUCCESS, expect, expectDocumented, test, type App } from './app';
import { validImeis } from './imei';
import { database, storedDone } from './stored';

test.describe.configure({ timeout: 90_000 });

/** Nothing stored anywhere is one of the form's tokens. */
async function expectNoToken(page: Page, tokens: string[] = [FORM_DEFAULTS.bearer, FORM_DEFAULTS.session]): Promise<void> {
  const db = await database(page);
  const text = JSON.stringify(db);
  for (const token of tokens) expect(text.includes(token), `a token in IndexedDB: ${token}`).toBe(false);
}

/** Pastes `imeis` and presses Synchronize with the default account and tokens; waits for the end. */
async function syncAll(app: App, imeis: string[]): Promise<void> {
  await app.fill({ ...FORM_DEFAULTS });
  await app.pasteImeis(imeis.join('\n'));
  await expect(app.imeiCount).toHaveText(`${imeis.length} valid, unique IMEI${imeis.length === 1 ? '' : 's'}`);
  await app.synchronize();
  await app.expectRunOver({ timeout: 60_000 });
}

/** The IMEIs of one logged Synchronize call. */
const devicesOf = (c: { body: string }) => (JSON.parse(c.body) as { deviceList: string[] }).deviceList;

/**
 * The rule of Resume after a reload, from the emulator's log: `old` are the calls of the page
 * before the reload, `resumed` those after Resume; `shown` the devices that page showed
 * answered. Each shown device was answered to the old page and is never sent again; Resume
 * sends every other device (those in flight at the reload included) exactly once.
 */
function expectResumedByTheRule(r: { imeis: string[]; shown: Set<string>; old: { body: string; status: number | null }[]; resumed: { body: string; status: number | null }[] }): void {
  const answeredBefore = new Set(r.old.filter((c) => c.status !== null).flatMap(devicesOf));
  expect([...r.shown].filter((d) => !answeredBefore.has(d)), 'shown but never answered').toEqual([]);
  const sent = r.resumed.flatMap(devicesOf);
  expect(r.resumed.every((c) => c.status !== null), 'every resumed request answered').toBe(true);
  expect(sent.filter((d) => r.shown.has(d)), 'devices shown before the reload sent again').toEqual([]);
  expect([...sent].sort()).toEqual(r.imeis.filter((d) => !r.shown.has(d)).sort());
}

/** The devices the page shows answered (the results file's rows that are not waiting). */
async function shownAnswered(app: App): Promise<Set<string>> {
  const { rows } = await app.downloadResults();
  return new Set(rows.filter((r) => r.status !== '' && r.status !== 'Waiting').map((r) => r.imei));
}

test('a reload in the middle of 2,500 devices: Resume sends exactly the devices not shown answered, each once, and none shown is sent again', async ({
  app,
  emulator,
  page,
}) => {
  await app.useConfig({ concurrency: 1 });
  const imeis = validImeis(2_500, 70_000);
  // The 11th request never gets an answer: the reload happens with it in flight.
  await emulator.addFault({ kind: 'hang', skip: 10, times: 1 });
  await app.open();
  await app.fill({ ...FORM_DEFAULTS });
  await app.pasteImeis(imeis.join('\n'));
  await app.synchronize();
  await expect(app.progress).toContainText('1000 of 2500 devices', { timeout: 30_000 });
  // Saved as it goes: the database has the 1,000 answers.
  await expect.poll(() => storedDone(page), { timeout: 10_000 }).toEqual([1000]);
  await expectNoToken(page);
  // What the page shows answered before the reload: the rule is about these.
  const shown = await shownAnswered(app);
  expect(shown.size, 'devices shown answered before the reload').toBe(1000);

  await page.reload();
  const stored = page.getByRole('region', { name: 'Stored runs' });
  await expect(stored.locator('.resume')).toContainText(`Unfinished run: 1,000 of 2,500 devices done, account ${ACCOUNT}, started `);
  // Every call so far came from the page before the reload. Besides the hung one, that page may
  // have had another in flight as it went: the reload cancels the hung fetch, the run takes it
  // for a network failure (backoff) and sends the next batch, which the emulator answers but
  // the page never shows. Those devices are rightly sent again by Resume.
  const beforeResume = (await emulator.syncCalls()).length;
  // Tokens are never stored: Resume asks for them, and sends nothing without them.
  await stored.getByRole('button', { name: 'Resume' }).click();
  await expect(stored.locator('.store-note')).toContainText('Resume needs both tokens: Paste the bearer token. Paste the session token.');
  await app.fill({ bearer: FORM_DEFAULTS.bearer, session: FORM_DEFAULTS.session });
  await stored.getByRole('button', { name: 'Resume' }).click();
  await app.expectRunOver({ timeout: 60_000 });
  await expect(stored.locator('.resume p')).toHaveCount(0);

  const { rows } = await app.downloadResults();
  expect(rows.map((r) => r.imei)).toEqual(imeis);
  expectDocumented(rows, await emulator.outcomes(imeis));
  const calls = await emulator.syncCalls();
  const [old, resumed] = [calls.slice(0, beforeResume), calls.slice(beforeResume)];
  expectResumedByTheRule({ imeis, shown, old, resumed });
  // The hung request is one the reload cut off.
  expect(old.filter((c) => c.status === null).map(devicesOf)).toContainEqual(imeis.slice(1000, 1100));
  await expect.poll(() => storedDone(page)).toEqual([2500]);
  await expectNoToken(page);
});

test('a reload with two requests in flight: Resume sends both again with the devices left, and none shown', async ({ app, emulator, page }) => {
  await app.useConfig({ concurrency: 2 });
  const imeis = validImeis(800, 70_500);
  // The 5th and 6th requests never get an answer: both are in flight at the reload.
  await emulator.addFault({ kind: 'hang', skip: 4, times: 2 });
  await app.open();
  await app.fill({ ...FORM_DEFAULTS });
  await app.pasteImeis(imeis.join('\n'));
  await app.synchronize();
  await expect(app.progress).toContainText('400 of 800 devices', { timeout: 30_000 });
  await expect.poll(async () => (await emulator.syncCalls()).length).toBe(6);
  await expect.poll(() => storedDone(page), { timeout: 10_000 }).toEqual([400]);
  const shown = await shownAnswered(app);
  expect(shown.size, 'devices shown answered before the reload').toBe(400);

  await page.reload();
  const stored = page.getByRole('region', { name: 'Stored runs' });
  await expect(stored.locator('.resume')).toContainText('Unfinished run: 400 of 800 devices done');
  const calls = await emulator.syncCalls();
  const old = calls.length;
  // At least the two hung requests were cut off (the page may have sent more as it went).
  expect(calls.filter((c) => c.status === null).flatMap(devicesOf).length, 'devices in flight at the reload').toBeGreaterThanOrEqual(200);
  await app.fill({ bearer: FORM_DEFAULTS.bearer, session: FORM_DEFAULTS.session });
  await stored.getByRole('button', { name: 'Resume' }).click();
  await app.expectRunOver({ timeout: 60_000 });
  const { rows } = await app.downloadResults();
  expect(rows.map((r) => r.imei)).toEqual(imeis);
  expectDocumented(rows, await emulator.outcomes(imeis));
  const all = await emulator.syncCalls();
  expectResumedByTheRule({ imeis, shown, old: all.slice(0, old), resumed: all.slice(old) });
});

test('finished runs are kept: listed over a reload, the oldest beyond historyLimit dropped, opened read-only, deleted, cleared', async ({
  app,
  page,
}) => {
  await app.useConfig({ historyLimit: 2 });
  await app.open();
  for (const [n, from] of [[30, 71_000], [20, 72_000], [10, 73_000]]) {
    await syncAll(app, validImeis(n, from));
  }
  const stored = page.getByRole('region', { name: 'Stored runs' });
  await expect(stored.locator('summary')).toHaveText('History (2)');
  await page.reload();
  await expect(stored.locator('summary')).toHaveText('History (2)');
  await stored.locator('summary').click();
  const items = stored.locator('.history-list li');
  await expect(items).toHaveCount(2);
  await expect(items.nth(0)).toContainText(`${ACCOUNT} · 10 devices · `);
  await expect(items.nth(1)).toContainText(`${ACCOUNT} · 20 devices · `);

  // Open the older one: its table and summary, read-only (no Retry failed, no Sync again).
  await items.nth(1).getByRole('button', { name: 'Open' }).click();
  await expect(app.summaryValue('Total')).toHaveText('20');
  await app.expectRowCount(20);
  await expect(stored.locator('.read-only')).toContainText('read-only');
  await expect(app.retryFailedButton).toHaveCount(0);
  const { rows } = await app.downloadResults();
  expect(rows.map((r) => r.imei)).toEqual(validImeis(20, 72_000));
  await expectNoToken(page);

  await items.nth(0).getByRole('button', { name: 'Delete' }).click();
  await expect(stored.locator('summary')).toHaveText('History (1)');
  await stored.getByRole('button', { name: 'Clear all' }).click();
  await expect(stored.locator('summary')).toHaveText('History (0)');
  expect((await database(page))?.sets).toEqual([]);
});

test('historyLimit 0: nothing is written to IndexedDB, and nothing is offered', async ({ app, page }) => {
  await app.useConfig({ historyLimit: 0 });
  await app.open();
  await syncAll(app, validImeis(5, 74_000));
  await expect(page.getByRole('region', { name: 'Stored runs' })).toHaveCount(0);
  expect(await database(page)).toBeNull();
  await page.reload();
  await expect(app.synchronizeButton).toBeVisible();
  expect(await database(page)).toBeNull();
});

test('compare with the previous run: firmware changes per pair of versions, still failing, only in one run, unchanged', async ({
  app,
  emulator,
  page,
}) => {
  const all = validImeis(350, 75_000);
  const [first, second] = [all.slice(0, 300), all.slice(50)];
  const before = new Map((await emulator.outcomes(first)).map((o, i) => [first[i], o]));
  await app.open();
  await syncAll(app, first);
  await emulator.setRelease(1);
  const after = new Map((await emulator.outcomes(second)).map((o, i) => [second[i], o]));
  await syncAll(app, second);

  // What the groups must be, from the emulator's own answers.
  const expected = new Map<string, number>();
  const add = (label: string) => expected.set(label, (expected.get(label) ?? 0) + 1);
  for (const imei of second) {
    const [b, a] = [before.get(imei), after.get(imei)!];
    if (!b) add('Only in this run');
    else if (b.status === SUCCESS && a.status === SUCCESS)
      add(b.firmwareVersion === a.firmwareVersion ? 'Unchanged' : `Firmware ${b.firmwareVersion} → ${a.firmwareVersion}`);
    else if (b.status === SUCCESS) add('Newly failing');
    else if (a.status === SUCCESS) add('Recovered');
    else add('Still failing');
  }
  expected.set('Only in the earlier run', 50);
  expect([...expected.keys()].filter((l) => l.startsWith('Firmware ')).length, 'the release moved some devices').toBeGreaterThan(10);

  const stored = page.getByRole('region', { name: 'Stored runs' });
  await stored.locator('summary').click();
  await stored.getByRole('button', { name: /^Compare with the previous run/ }).click();
  const comparison = page.getByRole('region', { name: 'Comparison' });
  await expect(comparison.locator('li > span')).toHaveCount(expected.size);
  const shown = (await comparison.locator('li > span').allTextContents()).map((t) => {
    const [label, count] = t.split(' · ');
    return [label, Number(count.replace(/,/g, ''))] as [string, number];
  });
  expect(new Map(shown)).toEqual(expected);
  expect(shown.map(([, n]) => n)).toEqual([...shown.map(([, n]) => n)].sort((x, y) => y - x));

  // Show a group in the table: exactly its devices.
  await comparison.locator('li', { hasText: /^Unchanged · / }).getByRole('button', { name: 'Show' }).click();
  await app.expectRowCount(expected.get('Unchanged')!);
  await comparison.getByRole('button', { name: 'Show every device' }).click();
  await app.expectRowCount(300);
  // The devices only in the earlier run are not in this table: copied or downloaded only.
  const gone = comparison.locator('li', { hasText: /^Only in the earlier run · / });
  await expect(gone.getByRole('button', { name: 'Show' })).toHaveCount(0);
  const download = page.waitForEvent('download');
  await gone.getByRole('button', { name: 'Download CSV' }).click();
  const text = await (await (await download).createReadStream()).toArray();
  const lines = Buffer.concat(text).toString('utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/).slice(1);
  expect(lines.map((l) => l.split(',')[0].replace(/"/g, ''))).toEqual(first.slice(0, 50));
});

test('counts of one are written in the singular: the progress line and the stored run say "1 device"', async ({ page, app }) => {
  await app.open();
  await syncAll(app, validImeis(1, 74_000));
  await expect(app.progress).toContainText('1 of 1 device');
  await expect(app.progress).not.toContainText('1 devices');
  const stored = page.getByRole('region', { name: 'Stored runs' });
  await stored.locator('summary').click();
  const item = stored.locator('.history-list li').first();
  // The emulator's answer for this device may be a success or a failure: either way, one of it.
  await expect(item).toContainText(new RegExp(`${ACCOUNT} · 1 device · 1 (succeeded|failed)`));
});
