// Every documented error and every fault the emulator injects, end to end: the one message in
// role="alert", each row's outcome, a summary that adds up, results already received kept, and a
// form that still works. Runs in every project: against the emulator alone (`e2e`) and through
// both nginx set-ups (`e2e-nginx-same`, `e2e-nginx-cors`).
import type { Emulator, FaultRule } from './emulator';
import { validImeis } from './imei';
import { SUCCESS, expect, gapMs, test, type App } from './app';

const ONE = validImeis(1, 900);
const THREE = validImeis(3, 910);
const FOUR = validImeis(4, 920);
const SIX = validImeis(6, 930);

/**
 * For cases that differ from another only in the answer's body, with the same status: nginx
 * passes bodies through untouched, so the nginx projects leave these out (`grepInvert` in
 * playwright.config.ts) and the e2e project covers them.
 */
const BODY_ONLY = { tag: '@body-only' };

/** What a row ends as: the server's own answer for the device, or one of the app's outcomes. */
type Row = 'answered' | 'No result' | 'Error' | 'Not sent' | 'Waiting';

/**
 * Checks every row (status, reason, firmware) and the summary, which must add up. An `Error`
 * row's reason contains `errorReason`, or is exactly it when given as `{ exact }`.
 */
async function expectOutcome(
  app: App,
  emulator: Emulator,
  imeis: string[],
  rows: Row[],
  errorReason?: string | { exact: string },
) {
  const documented = await Promise.all(imeis.map((imei) => emulator.outcome(imei)));
  const answered = (i: number) => rows[i] === 'answered';
  // Wait for the statuses, then read the whole table and the summary at once.
  await expect(await app.column('Status')).toHaveText(
    rows.map((row, i) => (answered(i) ? documented[i].status : row)),
    { timeout: 20_000 },
  );
  const table = await app.rows.evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.children, (cell) => (cell.textContent ?? '').trim())),
  );
  const headers = await app.headers();
  const cell = (row: string[], header: string) => row[headers.indexOf(header)];
  expect(table.map((row) => cell(row, 'IMEI'))).toEqual(imeis);
  expect(table.map((row) => cell(row, 'Firmware version'))).toEqual(
    rows.map((_, i) => (answered(i) ? documented[i].firmwareVersion : '')),
  );
  for (const [i, row] of rows.entries()) {
    const reason = cell(table[i], 'Reason');
    if (row === 'answered') expect(reason, `reason of row ${i + 1}`).toBe(documented[i].Reason);
    if (row === 'No result') expect(reason, `reason of row ${i + 1}`).toBe('The answer did not include this device');
    if (row === 'Not sent') expect(reason, `reason of row ${i + 1}`).toBe('');
    if (row === 'Error' && typeof errorReason === 'string') expect(reason, `reason of row ${i + 1}`).toContain(errorReason);
    if (row === 'Error' && typeof errorReason === 'object') expect(reason, `reason of row ${i + 1}`).toBe(errorReason.exact);
  }

  const count = (predicate: (row: Row, i: number) => boolean) => rows.filter(predicate).length;
  const succeeded = count((row, i) => row === 'answered' && documented[i].status === SUCCESS);
  const expected: Record<string, string> = {
    Total: String(rows.length),
    Succeeded: String(succeeded),
    Failed: String(count((row) => row === 'answered') - succeeded),
    'No result': String(count((row) => row === 'No result')),
  };
  // Error, Not sent and Waiting are listed only when there are some.
  for (const term of ['Error', 'Not sent', 'Waiting']) {
    const n = count((row) => row === term);
    if (n > 0) expected[term] = String(n);
  }
  expect(await app.summary()).toEqual(expected);
}

/** The raw code comes beside the message in the alert. */
interface DocumentedError {
  name: string;
  rule: FaultRule;
  status: number;
  texts: (string | RegExp)[];
  bodyOnly?: boolean;
  /** A token error: the run pauses for new tokens instead of ending. */
  pauses?: boolean;
}

const INVALID_PARAMETER_MESSAGES = [
  'Invalid account name format',
  'Invalid device id format',
  'Device list is empty',
  'Input binding error',
];

const DOCUMENTED_ERRORS: DocumentedError[] = [
  ...['Missing', 'Expired', 'Invalid'].map((what) => ({
    name: `session token ${what.toLowerCase()}`,
    rule: { kind: `session_${what.toLowerCase()}` },
    status: 400,
    texts: [`REQUEST_FAILED.SessionToken.${what}`, 'Log in again to get a new session token, paste it and press Resume'],
    bodyOnly: what !== 'Expired',
    pauses: true,
  })),
  {
    name: 'bearer token missing (900902)',
    rule: { kind: 'bearer_missing' },
    status: 401,
    texts: ['900902', 'Paused: no bearer token was sent'],
    pauses: true,
  },
  {
    name: 'bearer token invalid (900901)',
    rule: { kind: 'bearer_invalid' },
    status: 401,
    texts: ['900901', 'Paused: the bearer token is invalid or expired'],
    pauses: true,
  },
  { name: 'inactive account', rule: { kind: 'inactive' }, status: 400, texts: ['INVALID_PARAMETER: Inactive account', 'not active'] },
  ...INVALID_PARAMETER_MESSAGES.map((message) => ({
    name: `400 "${message}"`,
    rule: { kind: 400, body: JSON.stringify({ errorCode: 'INVALID_PARAMETER', errorMessage: message }) },
    status: 400,
    texts: [`INVALID_PARAMETER: ${message}`],
    bodyOnly: true,
  })),
  { name: 'wrong path (900906)', rule: { kind: 'not_found' }, status: 404, texts: ['900906', 'check the API base URL'] },
  {
    name: '403 with an XML am:fault body: a token problem, whatever the body',
    rule: { kind: 'xml403' },
    status: 403,
    texts: ['HTTP 403', '900908', 'Paused: access was denied (HTTP 403 Forbidden): the bearer token may not use the FOTA API'],
    pauses: true,
  },
  {
    name: 'a bare 401 with no body and no challenge: a token problem, not the base URL',
    rule: { kind: 401, body: '' },
    status: 401,
    texts: ['HTTP 401 Unauthorized: the server answered with nothing', 'Paused: the bearer token was refused (HTTP 401 Unauthorized)'],
    pauses: true,
  },
];

test.describe('documented errors: one message with the code, no retry, the form kept', () => {
  for (const { name, rule, status, texts, bodyOnly, pauses } of DOCUMENTED_ERRORS) {
    test(name, bodyOnly ? BODY_ONLY : {}, async ({ app, emulator }) => {
      await emulator.addFault(rule);
      await app.start({ imeis: THREE });
      for (const text of texts) await expect(app.alert).toContainText(text);
      if (pauses) {
        // A token error pauses the run: the devices wait for new tokens, and Cancel ends it.
        await expect(app.progress).toContainText('Paused for new tokens · 0 of 3 devices');
        await expect(app.page).toHaveTitle('Paused · FOTA Sync');
        await expect(app.resumeButton).toBeVisible();
        await expectOutcome(app, emulator, THREE, ['Waiting', 'Waiting', 'Waiting']);
        await app.cancelButton.click();
        await app.expectRunOver();
        await expectOutcome(app, emulator, THREE, ['Not sent', 'Not sent', 'Not sent']);
        // Ended by the token error, as the screen reader hears it too ("Sync stopped").
        await expect(app.page).toHaveTitle('Failed · FOTA Sync');
      } else {
        await app.expectRunOver();
        await expectOutcome(app, emulator, THREE, ['Error', 'Error', 'Error']);
        await expect(app.page, 'every device in error: the tab says so').toHaveTitle('Failed · FOTA Sync');
      }
      await app.expectFormKept({ imeis: THREE });
      expect((await emulator.syncCalls()).map((c) => c.status)).toEqual([status]);
    });
  }
});

test.describe('token errors pause the run', () => {
  for (const [name, kind, code, field] of [
    ['an expired session token', 'session_expired', 'REQUEST_FAILED.SessionToken.Expired', 'session'],
    ['an invalid bearer token', 'bearer_invalid', '900901', 'bearer'],
  ] as const) {
    test(`${name} on the second batch: answered rows stay, the rest waits, Resume sends it once`, async ({ app, emulator }) => {
      await app.useConfig({ batchSize: 2, concurrency: 1 });
      await emulator.addFault({ kind, skip: 1, times: 1 });
      await app.start({ imeis: SIX });
      await expect(app.alert).toContainText(code);
      await expectOutcome(app, emulator, SIX, ['answered', 'answered', 'Waiting', 'Waiting', 'Waiting', 'Waiting']);
      await app[field].fill(`renewed-${field}-token`);
      await app.resumeButton.click();
      await app.expectRunOver();
      await expect(app.alert).toHaveCount(0);
      await expectOutcome(app, emulator, SIX, Array<Row>(6).fill('answered'));
      expect(await emulator.sentDeviceLists()).toEqual([SIX.slice(0, 2), SIX.slice(2, 4), SIX.slice(2, 4), SIX.slice(4, 6)]);
      await app.expectFormKept({ imeis: SIX, [field]: `renewed-${field}-token` });
    });
  }
});

test.describe('throttling and server failures', () => {
  test('a 503 on the second batch is retried, and every device gets its answer', async ({ app, emulator }) => {
    await app.useConfig({ batchSize: 2, concurrency: 1 });
    await emulator.addFault({ kind: 503, skip: 1, times: 1 });
    await app.start({ imeis: FOUR });
    await app.expectRunOver();
    await expectOutcome(app, emulator, FOUR, Array<Row>(4).fill('answered'));
    await expect(app.progress).toContainText('1 retry');
    await expect(app.alert).toHaveCount(0);
    expect(await emulator.sentDeviceLists()).toEqual([FOUR.slice(0, 2), FOUR.slice(2), FOUR.slice(2)]);
    expect((await emulator.syncCalls()).map((c) => c.status)).toEqual([200, 503, 200]);
  });

  test('a 429 with Retry-After in seconds: retried no sooner', async ({ app, emulator }) => {
    await emulator.addFault({ kind: 429, times: 1, retryAfter: '1' });
    await app.start({ imeis: ONE });
    await app.expectRunOver();
    await expectOutcome(app, emulator, ONE, ['answered']);
    const calls = await emulator.syncCalls();
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    // The back-off alone would wait under 500 ms: the wait shows Retry-After was read (through a
    // CORS proxy, only if it exposes the header).
    expect(gapMs(calls[0], calls[1])).toBeGreaterThanOrEqual(950);
  });

  test('a 429 with Retry-After as an HTTP-date: retried no sooner', async ({ app, emulator }) => {
    await emulator.addFault({ kind: 429, times: 1, retryAfterDate: 2 });
    await app.start({ imeis: ONE });
    await app.expectRunOver();
    await expectOutcome(app, emulator, ONE, ['answered']);
    const calls = await emulator.syncCalls();
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    // An HTTP-date has whole seconds: 2 s ahead is at least 1 s ahead.
    expect(gapMs(calls[0], calls[1])).toBeGreaterThanOrEqual(900);
  });

  test('a 429 on every try ends in the throttling message', async ({ app, emulator }) => {
    await app.useConfig({ maxAttempts: 2 });
    await emulator.addFault({ kind: 429, retryAfter: '0' });
    await app.start({ imeis: ONE });
    await expect(app.alert).toContainText('HTTP 429 Too Many Requests');
    await expect(app.alert).toContainText('limiting requests');
    await app.expectRunOver();
    await expectOutcome(app, emulator, ONE, ['Error'], {
      exact: 'Rate limited: HTTP 429 Too Many Requests (after 2 tries)',
    });
    const calls = await emulator.syncCalls();
    expect(calls).toHaveLength(2);
    // `Retry-After: 0` does not mean at once: no retry comes sooner than 250 ms.
    expect(gapMs(calls[0], calls[1])).toBeGreaterThanOrEqual(250);
  });

  test('a 503 with an HTML body on all four tries', async ({ app, emulator }) => {
    await emulator.addFault({ kind: 503, times: 4 });
    await app.start({ imeis: ONE });
    await expect(app.alert).toContainText('HTTP 503 Service Unavailable', { timeout: 20_000 });
    await app.expectRunOver();
    await expectOutcome(app, emulator, ONE, ['Error'], { exact: 'HTTP 503 Service Unavailable (after 4 tries)' });
    expect((await emulator.syncCalls()).map((c) => c.status)).toEqual([503, 503, 503, 503]);
    await app.expectFormKept({ imeis: ONE });
  });

  // Retried like a 503; one try here to keep the test short (and no "after N tries" for one).
  for (const [status, phrase] of [
    [502, 'Bad Gateway'],
    [504, 'Gateway Timeout'],
  ] as const) {
    test(`a ${status} with an HTML body`, async ({ app, emulator }) => {
      await app.useConfig({ maxAttempts: 1 });
      await emulator.addFault({ kind: status });
      await app.start({ imeis: THREE });
      await expect(app.alert).toContainText(`HTTP ${status} ${phrase}`);
      await app.expectRunOver();
      await expectOutcome(app, emulator, THREE, ['Error', 'Error', 'Error'], { exact: `HTTP ${status} ${phrase}` });
      await app.expectFormKept({ imeis: THREE });
      expect(await emulator.syncCalls()).toHaveLength(1);
    });
  }

  // The status decides: a 500 may well pass on the next try.
  test('a 500 with an HTML body is retried like a 503', async ({ app, emulator }) => {
    await emulator.addFault({ kind: 500 });
    await app.start({ imeis: THREE });
    await expect(app.alert).toContainText('HTTP 500 Internal Server Error', { timeout: 20_000 });
    await app.expectRunOver();
    const reason = { exact: 'HTTP 500 Internal Server Error (after 4 tries)' };
    await expectOutcome(app, emulator, THREE, ['Error', 'Error', 'Error'], reason);
    await app.expectFormKept({ imeis: THREE });
    expect((await emulator.syncCalls()).map((c) => c.status)).toEqual([500, 500, 500, 500]);
  });
});

test.describe('no answer, or no connection', () => {
  test('a request that hangs past the timeout: the batch fails, answered rows stay', async ({ app, emulator }) => {
    await app.useConfig({ requestTimeoutMs: 1500, maxAttempts: 1, batchSize: 2, concurrency: 1 });
    await emulator.addFault({ kind: 'hang', ms: 4000, skip: 1, times: 1 });
    await app.start({ imeis: FOUR });
    await expect(app.alert).toContainText('No answer after 1.5 s');
    await app.expectRunOver();
    await expectOutcome(app, emulator, FOUR, ['answered', 'answered', 'Error', 'Error'], 'No answer after 1.5 s');
    await app.expectFormKept({ imeis: FOUR });
  });

  test('a timed-out request is retried', async ({ app, emulator }) => {
    await app.useConfig({ requestTimeoutMs: 1500, maxAttempts: 2 });
    await emulator.addFault({ kind: 'hang', ms: 4000, times: 1 });
    await app.start({ imeis: ONE });
    await app.expectRunOver();
    await expectOutcome(app, emulator, ONE, ['answered']);
    await expect(app.alert).toHaveCount(0);
    expect((await emulator.syncCalls()).map((c) => c.status)).toEqual([null, 200]);
  });

  test('a dropped connection on every try', async ({ app, emulator, deployment }) => {
    await emulator.addFault({ kind: 'drop' });
    await app.start({ imeis: ONE });
        if (deployment.proxy) {
      // nginx answers for the upstream that hung up: 502 Bad Gateway.
      await expect(app.alert).toContainText('HTTP 502', { timeout: 20_000 });
      await app.expectRunOver();
      await expectOutcome(app, emulator, ONE, ['Error'], { exact: 'HTTP 502 Bad Gateway (after 4 tries)' });
    } else {
      await expect(app.alert).toContainText('Could not reach', { timeout: 20_000 });
      await app.expectRunOver();
      await expectOutcome(app, emulator, ONE, ['Error'], { exact: 'Server not reached (after 4 tries)' });
    }
    expect(await emulator.syncCalls()).toHaveLength(4);
    await app.expectFormKept({ imeis: ONE });
  });

  test('a dropped connection is retried', async ({ app, emulator }) => {
    await emulator.addFault({ kind: 'drop', times: 1 });
    await app.start({ imeis: ONE });
    await app.expectRunOver();
    await expectOutcome(app, emulator, ONE, ['answered']);
    await expect(app.alert).toHaveCount(0);
    expect(await emulator.syncCalls()).toHaveLength(2);
  });
});

test.describe('a 200 that cannot be read', () => {
  for (const [kind, what] of [
    ['truncated', 'a body that ends mid-JSON'],
    ['cut', 'a connection dropped in the middle of a chunked body'],
  ] as const) {
    test(`${what} on the second batch is retried like a dropped connection`, async ({ app, emulator }) => {
      await app.useConfig({ batchSize: 2, concurrency: 1 });
      await emulator.addFault({ kind, skip: 1, times: 1 });
      await app.start({ imeis: FOUR });
      await app.expectRunOver();
      await expect(app.alert).toHaveCount(0);
      await expectOutcome(app, emulator, FOUR, ['answered', 'answered', 'answered', 'answered']);
      await expect(app.progress).toContainText('1 retry');
      expect(await emulator.sentDeviceLists()).toEqual([FOUR.slice(0, 2), FOUR.slice(2, 4), FOUR.slice(2, 4)]);
    });
  }

  test('a body cut off on every try: the reason says so, in plain words', async ({ app, emulator }) => {
    await app.useConfig({ maxAttempts: 2 });
    await emulator.addFault({ kind: 'cut' });
    await app.start({ imeis: THREE });
    await app.expectRunOver();
    await expect(app.alertHeadline).toHaveText(
      'The answer broke off before its end: the connection dropped, or the body was cut short on the way. Nothing you typed was lost: you can try again.',
    );
    await expectOutcome(app, emulator, THREE, ['Error', 'Error', 'Error'], { exact: 'Answer cut off before its end (after 2 tries)' });
    await app.expectFormKept({ imeis: THREE });
    expect(await emulator.syncCalls()).toHaveLength(2);
  });

  test('an HTML sign-in page instead of JSON', async ({ app, emulator }) => {
    await emulator.addFault({ kind: 'not_json' });
    await app.start({ imeis: THREE });
    await expect(app.alertHeadline).toHaveText(
      'The answer could not be read: the server sent a web page (“Sign in”) instead of device results.',
    );
    await expect(app.alert).toContainText('It began: <');
    await app.expectRunOver();
    await expectOutcome(app, emulator, THREE, ['Error', 'Error', 'Error'], 'Answer could not be read');
    await app.expectFormKept({ imeis: THREE });
    expect(await emulator.syncCalls()).toHaveLength(1);
  });
});

test.describe('answers the app accepts', () => {
  test('an answer without every second device: those have no result', BODY_ONLY, async ({ app, emulator }) => {
    await emulator.addFault({ kind: 'omit', every: 2 });
    await app.start({ imeis: FOUR });
    await app.expectRunOver();
    await expectOutcome(app, emulator, FOUR, ['answered', 'No result', 'answered', 'No result']);
    await expect(app.alert).toHaveCount(0);
  });

  test('an answer without its last device', BODY_ONLY, async ({ app, emulator }) => {
    await emulator.addFault({ kind: 'omit', count: 1 });
    await app.start({ imeis: THREE });
    await app.expectRunOver();
    await expectOutcome(app, emulator, THREE, ['answered', 'answered', 'No result']);
  });

  for (const time of ['rfc3339', 'go', 'empty'] as const) {
    test(`the other field spellings, times ${time}`, BODY_ONLY, async ({ app, emulator }) => {
      await emulator.addFault({ kind: 'variant', time });
      await app.start({ imeis: THREE });
      await app.expectRunOver();
      await expectOutcome(app, emulator, THREE, ['answered', 'answered', 'answered']);
      const updated = await app.column('Updated');
      if (time === 'empty') await expect(updated).toHaveText(['', '', '']);
      else await expect(updated).toHaveText([/\d{4}/, /\d{4}/, /\d{4}/]);
      await expect(app.alert).toHaveCount(0);
    });
  }

  test('added latency only slows the answer', BODY_ONLY, async ({ app, emulator }) => {
    await emulator.addFault({ kind: 'latency', ms: 400, jitterMs: 100 });
    await app.start({ imeis: THREE });
    await app.expectRunOver();
    await expectOutcome(app, emulator, THREE, ['answered', 'answered', 'answered']);
    expect((await emulator.syncCalls()).map((c) => c.fault)).toEqual(['latency']);
  });
});

test.describe('after a failure', () => {
  test('Synchronize again: the new run replaces every row, the alert goes', async ({ app, emulator }) => {
    await app.useConfig({ batchSize: 2, concurrency: 1 });
    await emulator.addFault({ kind: 'inactive', skip: 1, times: 1 });
    await app.start({ imeis: SIX });
    await expect(app.alert).toContainText('INVALID_PARAMETER: Inactive account');
    await app.expectRunOver();
    await expectOutcome(app, emulator, SIX, ['answered', 'answered', 'Error', 'Error', 'answered', 'answered']);

    // Once the account is active again (here: the fault used up), the same form runs again in full.
    await app.expectFormKept({ imeis: SIX });
    await app.synchronize();
    await expectOutcome(app, emulator, SIX, Array<Row>(6).fill('answered'));
    await expect(app.alert).toHaveCount(0);
    expect(await emulator.syncCalls()).toHaveLength(6);
  });
});
