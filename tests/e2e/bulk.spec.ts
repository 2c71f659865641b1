// Bulk runs (issue 4): hundreds and thousands of devices in concurrent batches, retries the
// server asks for, a token error or Cancel in the middle, and "Retry failed"; every case checks
// that each device ends with exactly one outcome and that the summary adds up to the total.
import { ACCOUNT, SUCCESS, expect, expectDocumented, shownCells, test, type App } from './app';
import type { LoggedRequest } from './emulator';
import { validImeis } from './imei';

const BEARER = 'bearer-bulk';
const SESSION = 'session-bulk';

// The shared fixtures: the emulator, reset per test, the page object, and the page-error and
// Content-Security-Policy checks (app.ts).

// Thousands of rows on a busy 2-core machine: allow for it, but every wait stays bounded.
test.describe.configure({ timeout: 60_000 });
/** How long a run of hundreds or thousands of devices may take to end. */
const RUN = { timeout: 30_000 };

/** One row of the results table, as the user reads it. */
interface Row {
  imei: string;
  status: string;
  reason: string;
  firmware: string;
}

/** The summary's counts, by term (Total, Succeeded, Failed, No result, Error, Not sent, Waiting). */
type Counts = Record<string, number>;

/** Opens the app, pastes `imeis` as one paste, fills the rest and presses Synchronize. */
async function start(app: App, imeis: string[]): Promise<void> {
  await app.open();
  await app.fill({ account: ACCOUNT });
  await app.pasteImeis(imeis.join('\n'));
  await expect(app.imeiCount).toHaveText(`${imeis.length} valid, unique IMEIs`);
  await app.fill({ bearer: BEARER, session: SESSION });
  await app.synchronize();
}

/** The summary term a row's status counts under. */
function termOf(status: string): string {
  if (status === SUCCESS) return 'Succeeded';
  if (['No result', 'Error', 'Not sent', 'Waiting'].includes(status)) return status;
  return 'Failed';
}

/** Presses Retry failed and waits until the run over the `devices` not succeeded is over. */
async function retryFailed(app: App, devices: number): Promise<void> {
  await app.retryFailedButton.click();
  await expect(app.progress).toContainText(` of ${devices} devices`);
  await app.expectRunOver(RUN);
}

/**
 * The results hold exactly `imeis` (the result set), in input order, nothing waits, and the
 * summary's counts match the rows and add up to the total. The CSV download and the table on
 * screen agree row for row; `download: false` reads the table alone, for a check the test's
 * table reads go on after (no table read after a download: App.expectTableMatchesDownload). The
 * progress shows the last run over, `ranOver` devices (all unless it was a retry). Returns the rows.
 */
async function expectTableAndSummary(
  app: App,
  imeis: string[],
  ranOver = imeis.length,
  { download = true } = {},
): Promise<Row[]> {
  const rows: Row[] = download
    ? (await app.expectTableMatchesDownload(imeis.length)).rows
    : await app.tableRowsOnceThere(imeis.length);
  expect(rows.map((r) => r.imei)).toEqual(imeis);
  const tally: Counts = { Succeeded: 0, Failed: 0, 'No result': 0, Error: 0, 'Not sent': 0, Waiting: 0 };
  for (const row of rows) tally[termOf(row.status)] += 1;
  expect(tally.Waiting, 'rows still waiting').toBe(0);

  const counts = await app.summaryCounts();
  expect(counts.Total).toBe(imeis.length);
  // Total, Succeeded, Failed and No result are always shown; the rest only when not zero.
  for (const term of Object.keys(tally)) expect(counts[term] ?? 0, `summary "${term}"`).toBe(tally[term]);
  const parts = Object.entries(counts).filter(([term]) => term !== 'Total');
  expect(parts.reduce((sum, [, n]) => sum + n, 0), `summary ${JSON.stringify(counts)} adds up`).toBe(imeis.length);

  await expect(app.progressBar).toHaveAttribute('max', String(ranOver));
  await expect(app.progressBar).toHaveAttribute('value', String(ranOver));
  await expect(app.progress).toContainText(`${ranOver} of ${ranOver} devices`);
  return rows;
}

function deviceList(call: LoggedRequest): string[] {
  return (JSON.parse(call.body) as { deviceList: string[] }).deviceList;
}

/** The calls' device lists in input order (batches run concurrently and may arrive in any order). */
function sentInOrder(calls: LoggedRequest[], imeis: string[]): string[][] {
  const index = new Map(imeis.map((imei, i) => [imei, i]));
  return calls.map(deviceList).sort((a, b) => index.get(a[0])! - index.get(b[0])!);
}

/** `items` cut into requests of 100, as the app batches them by default. */
function batchesOf<T>(items: T[], size = 100): T[][] {
  const batches = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

test.describe('bulk runs', () => {
  test('250 devices: every row shows its documented outcome and the counts add up', async ({ app, emulator }) => {
    const imeis = validImeis(250, 10_000);
    await start(app, imeis);
    await app.expectRunOver(RUN);

    const rows = await expectTableAndSummary(app, imeis);
    expectDocumented(rows, await emulator.outcomes(imeis));
    await expect(app.progress).toContainText('0 retries');
    const calls = await emulator.syncCalls();
    expect(sentInOrder(calls, imeis)).toEqual(batchesOf(imeis));
    expect(calls.every((c) => c.status === 200)).toBeTruthy();
    await expect(app.alert).toHaveCount(0);
    await expect(app.page, 'the tab title says the run is done').toHaveTitle('Done · FOTA Sync');
  });

  test('the table can show only the devices that did not succeed; the CSV keeps them all', async ({ app }) => {
    const imeis = validImeis(250, 15_000);
    await start(app, imeis);
    await app.expectRunOver(RUN);
    const rows = await expectTableAndSummary(app, imeis, imeis.length, { download: false });
    const unsuccessful = rows.filter((r) => r.status !== SUCCESS).map((r) => r.imei);
    expect(unsuccessful.length).toBeGreaterThan(0);
    expect(unsuccessful.length).toBeLessThan(imeis.length);

    const shownImeis = async () => (await app.tableRows()).map((r) => r.imei);
    const only = app.onlyUnsuccessful;
    await only.check();
    await expect.poll(shownImeis).toEqual(unsuccessful);
    await expect(app.rowsShown).toHaveText(`Showing ${unsuccessful.length} of ${imeis.length} devices`);
    await only.uncheck();
    await expect.poll(shownImeis).toEqual(imeis);
    await expect(app.rowsShown).toHaveText(`Showing all ${imeis.length} devices`);
    // Filtered again, the CSV still holds every device; downloaded last, with no table read after
    // it (App.expectTableMatchesDownload says why).
    await only.check();
    await expect(app.rowsShown).toHaveText(`Showing ${unsuccessful.length} of ${imeis.length} devices`);
    const { rows: exported } = await app.downloadResults();
    expect(exported.map((r) => r.imei)).toEqual(imeis);
  });

  test('2,500 devices: 25 requests of 100, each device sent once, every outcome shown', async ({ app, emulator }) => {
    test.setTimeout(150_000);
    const imeis = validImeis(2_500, 20_000);
    await start(app, imeis);
    await app.expectRunOver({ timeout: 90_000 });

    const rows = await expectTableAndSummary(app, imeis);
    expectDocumented(rows, await emulator.outcomes(imeis));
    const calls = await emulator.syncCalls();
    expect(calls).toHaveLength(25);
    expect(sentInOrder(calls, imeis)).toEqual(batchesOf(imeis));
    expect(calls.every((c) => c.status === 200 && c.path === `/api/fota/v3/firmware/${ACCOUNT}/devices`)).toBeTruthy();
  });
});

test.describe('retries the server asks for', () => {
  test('a 503 on one batch is retried and the batch then succeeds', async ({ app, emulator }) => {
    const imeis = validImeis(250, 30_000);
    await emulator.addFault({ kind: 503, skip: 1, times: 1 });
    await start(app, imeis);
    await app.expectRunOver(RUN);

    const calls = await emulator.syncCalls();
    expect(calls.map((c) => c.status).sort()).toEqual([200, 200, 200, 503]);
    const failed = calls.find((c) => c.status === 503)!;
    const retry = calls.filter((c) => c.seq > failed.seq && c.body === failed.body);
    expect(retry, 'the same devices sent again').toHaveLength(1);
    expect(retry[0].status).toBe(200);
    expect(sentInOrder(calls.filter((c) => c.status === 200), imeis)).toEqual(batchesOf(imeis));

    const rows = await expectTableAndSummary(app, imeis);
    expectDocumented(rows, await emulator.outcomes(imeis));
    await expect(app.progress).toContainText('1 retry');
    await expect(app.alert).toHaveCount(0);
  });

  test('a 429 with Retry-After: 2 is retried no sooner than 2 s later', async ({ app, emulator }) => {
    // At the fixed pace only the throttled batch waits (the adaptive pace holds every send).
    await app.useConfig({ pacing: 'fixed' });
    const imeis = validImeis(250, 40_000);
    await emulator.addFault({ kind: 429, skip: 1, times: 1, retryAfter: '2' });
    await start(app, imeis);
    await app.expectRunOver(RUN);

    const calls = await emulator.syncCalls();
    expect(calls).toHaveLength(4);
    const throttled = calls.find((c) => c.status === 429)!;
    const retry = calls.find((c) => c.seq > throttled.seq && c.body === throttled.body)!;
    expect(retry, 'the throttled devices sent again').toBeDefined();
    expect(retry.status).toBe(200);
    const waited = Date.parse(retry.time) - Date.parse(throttled.time);
    // Not sooner than asked; and the wait is the server's, not a 20 s backoff.
    expect(waited, `retry ${waited} ms after the 429`).toBeGreaterThanOrEqual(2_000);
    expect(waited).toBeLessThan(8_000);
    // The other batches did not wait for it.
    const others = calls.filter((c) => c.body !== throttled.body);
    expect(others.every((c) => Date.parse(c.time) < Date.parse(retry.time))).toBeTruthy();

    const rows = await expectTableAndSummary(app, imeis);
    expectDocumented(rows, await emulator.outcomes(imeis));
    await expect(app.progress).toContainText('1 retry');
  });
});

test.describe('a run stopped in the middle', () => {
  test('a session-token error pauses the run: nothing is Not sent, a new token resumes, no device is sent twice', async ({
    app,
    emulator,
  }) => {
    // One request at a time, so "the middle" is exact: two batches answered, the third refused.
    await app.useConfig({ concurrency: 1 });
    const imeis = validImeis(500, 50_000);
    await emulator.addFault({ kind: 'session_expired', skip: 2, times: 1 });
    await start(app, imeis);

    await expect(app.alertHeadline).toHaveText(/^Paused: the session token expired/);
    await expect(app.alertHeadline).toContainText('Log in again to get a new session token, paste it and press Resume');
    await expect(app.alert).toContainText('REQUEST_FAILED.SessionToken.Expired');
    await expect(app.progress).toContainText('Paused for new tokens · 200 of 500 devices');
    const counts = await app.summaryCounts();
    expect([counts.Succeeded + counts.Failed, counts.Waiting, counts.Error ?? 0, counts['Not sent'] ?? 0]).toEqual([200, 300, 0, 0]);
    // Paused, nothing more is sent, however long one waits for the new token.
    await expect(app.cancelButton).toBeVisible();
    expect((await emulator.syncCalls()).length).toBe(3);

    // An empty token is refused with the form's words, and the run stays paused.
    await app.session.fill('');
    await app.resumeButton.click();
    await expect(app.alertItems).toHaveText(['Paste the session token.']);
    expect((await emulator.syncCalls()).length).toBe(3);

    await app.session.fill('session-renewed-7Q2');
    await app.resumeButton.click();
    await app.expectRunOver(RUN);
    await expect(app.alert).toHaveCount(0);
    const rows = await expectTableAndSummary(app, imeis);
    expectDocumented(rows, await emulator.outcomes(imeis));

    // Each batch answered once; the refused one went again, as its same attempt, with the new token.
    const calls = await emulator.syncCalls();
    expect(calls.map((c) => c.status)).toEqual([200, 200, 400, 200, 200, 200]);
    expect(calls.map(deviceList)).toEqual([...batchesOf(imeis).slice(0, 3), ...batchesOf(imeis).slice(2)]);
    expect(calls.map((c) => c.headers['vz-m2m-token'])).toEqual([SESSION, SESSION, SESSION, ...Array(3).fill('session-renewed-7Q2')]);
  });

  test('a bearer-token fault pauses too, and Cancel still ends the run for good', async ({ app, emulator }) => {
    await app.useConfig({ concurrency: 1 });
    const imeis = validImeis(300, 52_000);
    await emulator.addFault({ kind: 'bearer_invalid', skip: 1, times: 1 });
    await start(app, imeis);
    await expect(app.alertHeadline).toHaveText(/^Paused: the bearer token is invalid or expired \(bearer tokens last one hour\)/);
    await expect(app.alertHeadline).toContainText('paste it and press Resume');
    await app.cancelButton.click();
    await app.expectRunOver(RUN);
    await expect(app.resumeButton).toHaveCount(0);
    const counts = await app.summaryCounts();
    expect([counts.Succeeded + counts.Failed, counts['Not sent']]).toEqual([100, 200]);
    expect((await emulator.syncCalls()).length).toBe(2);
  });

  test('Cancel aborts what is in flight, sends nothing more, and marks the rest Not sent', async ({ app, emulator }) => {
    // 20 requests, two at a time, 600 ms each: about 6 s, time enough to cancel in the middle.
    await app.useConfig({ concurrency: 2 });
    await emulator.setLatency(600);
    const imeis = validImeis(2_000, 60_000);
    await start(app, imeis);

    await expect
      .poll(
        async () => {
          const c = await app.summaryCounts();
          return c.Succeeded + c.Failed;
        },
        { intervals: [100] },
      )
      .toBeGreaterThanOrEqual(200);
    await expect(app.synchronizeButton).toBeDisabled();
    // The tab's title follows the run: a share done, then how it ended.
    await expect(app.page).toHaveTitle(/^\d{1,2}% · FOTA Sync$/);
    await app.cancelButton.click();
    await app.expectRunOver({ timeout: 15_000 });
    await expect(app.page).toHaveTitle('Cancelled · FOTA Sync');
    const cancelled = Date.now();
    const sentBeforeCancel = await emulator.syncCalls();

    // The table alone: it is read again after Retry failed, where the CSV is checked too.
    const rows = await expectTableAndSummary(app, imeis, imeis.length, { download: false });
    const counts = await app.summaryCounts();
    expect(counts.Succeeded + counts.Failed).toBeGreaterThanOrEqual(200);
    expect(counts['Not sent']).toBeGreaterThanOrEqual(200);
    expect(counts.Succeeded + counts.Failed + counts['Not sent']).toBe(imeis.length);
    // Whole batches: a batch is answered or not sent, never half; and answered devices were sent.
    const batches = batchesOf(rows);
    const answered = batches.filter((batch) => batch.every((r) => r.status !== 'Not sent'));
    const notSent = batches.filter((batch) => batch.every((r) => r.status === 'Not sent'));
    expect(answered.length + notSent.length).toBe(batches.length);
    expect(answered.length * 100).toBe(counts.Succeeded + counts.Failed);
    const sent = new Set(sentBeforeCancel.flatMap(deviceList));
    expect(answered.flat().every((r) => sent.has(r.imei))).toBeTruthy();
    expect(sentBeforeCancel.length).toBeLessThan(20);
    expectDocumented(answered.flat(), await emulator.outcomes(answered.flat().map((r) => r.imei)));

    await expect(app.progress).toContainText('finished in');

    // No request after Cancel: the next requests the emulator sees are the next run's. Retry
    // failed (answered at once now) sends the devices that did not succeed; once that run is
    // over, the log holds the cancelled run's requests, all from before Cancel, and then exactly
    // the retry's.
    const unsuccessful = rows.filter((r) => r.status !== SUCCESS).map((r) => r.imei);
    await emulator.setLatency(0);
    await retryFailed(app, unsuccessful.length);
    await expectTableAndSummary(app, imeis, unsuccessful.length);
    const calls = await emulator.syncCalls();
    const before = calls.slice(0, sentBeforeCancel.length);
    expect(before.map((c) => c.seq)).toEqual(sentBeforeCancel.map((c) => c.seq));
    expect(before.every((c) => Date.parse(c.time) <= cancelled)).toBeTruthy();
    const after = calls.slice(sentBeforeCancel.length);
    expect(sentInOrder(after, unsuccessful), 'after Cancel, only the retry').toEqual(batchesOf(unsuccessful));
    expect(after.every((c) => c.status === 200)).toBeTruthy();
  });
});

test.describe('Retry failed', () => {
  test('after a partial failure, sends exactly the devices that did not succeed', async ({ app, emulator }) => {
    const imeis = validImeis(500, 70_000);
    // Two requests refused for good (a 400 is not retried); the other three answered.
    await emulator.addFault({ kind: 'inactive', skip: 1, times: 2 });
    await start(app, imeis);
    await app.expectRunOver(RUN);

    const first = await expectTableAndSummary(app, imeis, imeis.length, { download: false });
    const firstCalls = await emulator.syncCalls();
    expect(firstCalls.map((c) => c.status).sort()).toEqual([200, 200, 200, 400, 400]);
    const refused = new Set(firstCalls.filter((c) => c.status === 400).flatMap(deviceList));
    expect(first.filter((r) => r.status === 'Error').map((r) => r.imei)).toEqual(
      imeis.filter((imei) => refused.has(imei)),
    );
    await expect(app.alert).toContainText('INVALID_PARAMETER');
    const unsuccessful = first.filter((r) => r.status !== SUCCESS).map((r) => r.imei);
    // Both kinds of failure are in: the refused batches and devices the server reported failed.
    expect(unsuccessful.length).toBeGreaterThan(refused.size);

    const retry = app.retryFailedButton;
    await expect(retry).toHaveAttribute('title', `Run again with the ${unsuccessful.length} devices that did not succeed`);
    await retryFailed(app, unsuccessful.length);

    const secondCalls = (await emulator.syncCalls()).slice(firstCalls.length);
    expect(sentInOrder(secondCalls, unsuccessful)).toEqual(batchesOf(unsuccessful));
    for (const call of secondCalls) {
      expect(call.status).toBe(200);
      expect(call.path).toBe(`/api/fota/v3/firmware/${ACCOUNT}/devices`);
      expect(call.headers['authorization']).toBe(`Bearer ${BEARER}`);
      expect(call.headers['vz-m2m-token']).toBe(SESSION);
    }

    // One result set: every device entered is in the table, the summary and the CSV; the
    // retried ones with their new outcome, the others with the one they had.
    const second = await expectTableAndSummary(app, imeis, unsuccessful.length);
    const retried = new Set(unsuccessful);
    expectDocumented(
      second.filter((r) => retried.has(r.imei)),
      await emulator.outcomes(unsuccessful),
    );
    // `first` was read from the table, which has no Updated text to compare: the rest is compared.
    expect(second.filter((r) => !retried.has(r.imei)).map(shownCells)).toEqual(first.filter((r) => !retried.has(r.imei)).map(shownCells));
    await expect(app.alert).toHaveCount(0);
    // Devices that failed on the server's side fail again: Retry failed is offered for them alone.
    const stillFailing = second.filter((r) => r.status !== SUCCESS).length;
    await expect(app.retryFailedButton).toHaveAttribute(
      'title',
      `Run again with the ${stillFailing} devices that did not succeed`,
    );
  });
});
