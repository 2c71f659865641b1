// Answers as the front ends of ThingSpace really send them (tests/fixtures/answers/, replayed by
// the emulator): the status alone decides a retry, Retry-After is honoured in every form and on
// every status, no retry comes sooner than 250 ms, a device that failed for good says the status,
// its reason phrase and the server's own words, and the answers' odd shapes (Go's zero time,
// nulls, numeric device IDs) read as a user expects. The table, the alert, the CSV download and
// the emulator's request log (how many requests, how far apart) are checked each time.
//
// The backoff's jitter is pinned to 0 (`pinJitter`), so that the wait between two tries is only
// what the server's Retry-After and the app's 250 ms floor ask for.
import { SUCCESS, expect, expectDocumented, gapsMs, test, type App, type ConfigOverrides, type ResultRow } from './app';
import type { DocumentedDevice, Emulator, FaultRule, LoggedRequest } from './emulator';
import { validImeis } from './imei';

const THREE = validImeis(3, 2_000);

/** Known devices (tests/emulator/README.md, "Devices"): two successes, then two failures. */
const KNOWN = ['356938100000018', '356938100000026', '356938100000000', '356938100000059'];

/** Pins the jitter, serves `config`, adds `rules`, synchronizes `imeis` and waits for the end. */
async function run(
  app: App,
  emulator: Emulator,
  rules: FaultRule[],
  imeis: string[],
  config: ConfigOverrides = {},
): Promise<{ calls: LoggedRequest[]; rows: ResultRow[] }> {
  await app.pinJitter(0);
  await app.useConfig(config);
  for (const rule of rules) await emulator.addFault(rule);
  await app.start({ imeis });
  await app.expectRunOver();
  // The CSV download and the table on screen agree row for row.
  const { rows } = await app.expectTableMatchesDownload(imeis.length);
  expect(rows.map((r) => r.imei)).toEqual(imeis);
  return { calls: await emulator.syncCalls(), rows };
}

/** Go's layout `2022-08-20 16:38:35.412 +0000 UTC` as the CSV gives it: `2022-08-20T16:38:35.412Z`. */
function rfc3339FromGo(go: string): string {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? \+0000 UTC$/.exec(go);
  expect(match, `a Go UTC time: ${go}`).not.toBeNull();
  const [, date, time, fraction = ''] = match!;
  return `${date}T${time}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
}

/** The Updated cell of each row: its text and its tooltip (the UTC time). */
async function updatedCells(app: App): Promise<{ text: string; title: string }[]> {
  return app.rows.locator('td.updated').evaluateAll((cells) =>
    cells.map((cell) => ({
      text: (cell.textContent ?? '').trim(),
      title: cell.querySelector('time')?.getAttribute('title') ?? '',
    })),
  );
}

interface FailsForGood {
  name: string;
  rule: FaultRule;
  /** Tries per request (config.json `maxAttempts`). */
  maxAttempts: number;
  /** How many requests the emulator receives: maxAttempts when retried, 1 when not. */
  requests: number;
  status: number;
  /** Every device's Reason, in the table and in the CSV. */
  reason: string;
  /** The alert's raw line; `null` when the alert has none (an answer cut off). */
  raw: string | RegExp | null;
  /** The alert's headline, or its start. */
  headline: string;
  /** The least time between two tries, in ms (Retry-After, or the 250 ms floor). */
  minGap?: number;
}

const FAILS_FOR_GOOD: FailsForGood[] = [
  {
    name: 'gateway-429-throttled: WSO2 fault 900800 with Retry-After: 0, retried by its status',
    rule: { kind: 'gateway-429-throttled' },
    maxAttempts: 4,
    requests: 4,
    status: 429,
    reason: 'Rate limited: HTTP 429 Too Many Requests: fault 900800: Message throttled out (after 4 tries)',
    raw: 'Rate limited: HTTP 429 Too Many Requests: fault 900800: Message throttled out (You have exceeded your quota .nextAccessTime : 2026-11-30 08:42:00+0000 UTC)',
    headline: 'ThingSpace is limiting requests (HTTP 429 Too Many Requests).',
    minGap: 250,
  },
  {
    // Retry-After: 1 instead of the file's 2, to keep the test short.
    name: 'errorcode-429: an {errorCode} body, retried by its status, Retry-After honoured',
    rule: { kind: 'errorcode-429', retryAfter: '1' },
    maxAttempts: 4,
    requests: 4,
    status: 429,
    reason: 'Rate limited: HTTP 429 Too Many Requests: TOO_MANY_REQUESTS: Rate limit exceeded, retry later (after 4 tries)',
    raw: 'Rate limited: HTTP 429 Too Many Requests: TOO_MANY_REQUESTS: Rate limit exceeded, retry later',
    headline: 'ThingSpace is limiting requests (HTTP 429 Too Many Requests).',
    minGap: 1_000,
  },
  {
    name: "errorcode-429 with the file's own Retry-After: 2",
    rule: { kind: 'errorcode-429' },
    maxAttempts: 2,
    requests: 2,
    status: 429,
    reason: 'Rate limited: HTTP 429 Too Many Requests: TOO_MANY_REQUESTS: Rate limit exceeded, retry later (after 2 tries)',
    raw: 'Rate limited: HTTP 429 Too Many Requests: TOO_MANY_REQUESTS: Rate limit exceeded, retry later',
    headline: 'ThingSpace is limiting requests (HTTP 429 Too Many Requests).',
    minGap: 2_000,
  },
  {
    name: 'server-500: the service\'s own JSON error, retried',
    rule: { kind: 'server-500' },
    maxAttempts: 2,
    requests: 2,
    status: 500,
    reason: 'HTTP 500 Internal Server Error: INTERNAL_SERVER_ERROR: Unexpected error occurred (after 2 tries)',
    raw: 'HTTP 500 Internal Server Error: INTERNAL_SERVER_ERROR: Unexpected error occurred',
    headline: 'The server or a proxy failed (HTTP 500 Internal Server Error).',
    minGap: 250,
  },
  {
    name: "nginx-502: nginx's own page, retried",
    rule: { kind: 'nginx-502' },
    maxAttempts: 2,
    requests: 2,
    status: 502,
    reason: 'HTTP 502 Bad Gateway (after 2 tries)',
    raw: 'HTTP 502 Bad Gateway',
    headline: 'The server or a proxy failed (HTTP 502 Bad Gateway).',
    minGap: 250,
  },
  {
    name: "alb-503: the load balancer's page with a Retry-After date 60 s ago, retried",
    rule: { kind: 'alb-503' },
    maxAttempts: 2,
    requests: 2,
    status: 503,
    reason: 'HTTP 503 Service Unavailable: 503 Service Temporarily Unavailable (after 2 tries)',
    raw: 'HTTP 503 Service Unavailable: 503 Service Temporarily Unavailable',
    headline: 'The server or a proxy failed (HTTP 503 Service Unavailable).',
    minGap: 250,
  },
  {
    name: "cloudflare-522: Cloudflare's page, retried",
    rule: { kind: 'cloudflare-522' },
    maxAttempts: 2,
    requests: 2,
    status: 522,
    reason: 'HTTP 522 Connection Timed Out: example.com | 522: Connection timed out (after 2 tries)',
    raw: 'HTTP 522 Connection Timed Out: example.com | 522: Connection timed out',
    headline: 'The server or a proxy failed (HTTP 522 Connection Timed Out).',
    minGap: 250,
  },
  {
    name: "gateway-504: Synapse's send timeout, retried",
    rule: { kind: 'gateway-504' },
    maxAttempts: 2,
    requests: 2,
    status: 504,
    reason: 'HTTP 504 Gateway Timeout: fault 101504: Runtime Error (after 2 tries)',
    raw: 'HTTP 504 Gateway Timeout: fault 101504: Runtime Error (Send timeout)',
    headline: 'The server or a proxy failed (HTTP 504 Gateway Timeout).',
    minGap: 250,
  },
  {
    name: 'gateway-404-no-resource: a wrong path, not retried',
    rule: { kind: 'gateway-404-no-resource' },
    maxAttempts: 4,
    requests: 1,
    status: 404,
    reason: 'HTTP 404 Not Found: fault 900906: No matching resource found in the API for the given request',
    raw: 'HTTP 404 Not Found: fault 900906: No matching resource found in the API for the given request (Access failure for API. Check the API documentation and add a proper REST resource path to the invocation URL.)',
    headline: 'The API gateway found no such resource: check the API base URL (it should end in /api/fota/v3).',
  },
  {
    name: 'errorcode-200: an error in a 200, with the server\'s words, retried (the status gives no verdict)',
    rule: { kind: 'errorcode-200' },
    maxAttempts: 2,
    requests: 2,
    status: 200,
    reason: 'HTTP 200 OK: E1234: Upstream timeout (after 2 tries)',
    raw: 'HTTP 200 OK: E1234: Upstream timeout',
    headline: 'The server answered HTTP 200 OK, but with an error instead of device results: E1234: Upstream timeout.',
    minGap: 250,
  },
  {
    name: 'oauth-error-200: an {error, error_description} in a 200, retried',
    rule: { kind: 'oauth-error-200' },
    maxAttempts: 2,
    requests: 2,
    status: 200,
    reason: 'HTTP 200 OK: temporarily_unavailable: The service is temporarily overloaded, try again later (after 2 tries)',
    raw: 'HTTP 200 OK: temporarily_unavailable: The service is temporarily overloaded, try again later',
    headline: 'but with an error instead of device results: temporarily_unavailable: The service is temporarily overloaded, try again later.',
    minGap: 250,
  },
  {
    name: 'truncated-200: JSON that stops mid-way is a network failure, retried',
    rule: { kind: 'truncated-200' },
    maxAttempts: 3,
    requests: 3,
    status: 200,
    reason: 'Answer cut off before its end (after 3 tries)',
    raw: null,
    headline: 'The answer broke off before its end',
    minGap: 250,
  },
  {
    name: 'no-content-204: the server answered with nothing, not retried',
    rule: { kind: 'no-content-204' },
    maxAttempts: 4,
    requests: 1,
    status: 204,
    reason: 'HTTP 204 No Content: the server answered with nothing',
    raw: 'HTTP 204 No Content: the server answered with nothing',
    headline: 'The server answered with nothing (HTTP 204 No Content): no device results came back.',
  },
  {
    name: 'empty-200: an empty 200 says the server answered with nothing',
    rule: { kind: 'empty-200' },
    maxAttempts: 4,
    requests: 1,
    status: 200,
    reason: 'HTTP 200 OK: the server answered with nothing',
    raw: 'HTTP 200 OK: the server answered with nothing',
    headline: 'The server answered with nothing (HTTP 200 OK): no device results came back.',
  },
  {
    name: 'a 502 with an empty body says so, retried',
    rule: { kind: 502, body: '' },
    maxAttempts: 2,
    requests: 2,
    status: 502,
    reason: 'HTTP 502 Bad Gateway: the server answered with nothing (after 2 tries)',
    raw: 'HTTP 502 Bad Gateway: the server answered with nothing',
    headline: 'The server answered with nothing (HTTP 502 Bad Gateway). The server or a proxy failed',
    minGap: 250,
  },
  {
    name: 'problem-json-503: RFC 9457 problem details, title and detail shown, retried',
    rule: { kind: 'problem-json-503' },
    maxAttempts: 2,
    requests: 2,
    status: 503,
    reason: 'HTTP 503 Service Unavailable: Service Unavailable: Upstream service is unavailable (after 2 tries)',
    raw: 'HTTP 503 Service Unavailable: Service Unavailable: Upstream service is unavailable',
    headline: 'The server or a proxy failed (HTTP 503 Service Unavailable).',
    minGap: 250,
  },
  {
    name: 'decimal-retry-after-429: Retry-After: 1.5 waits 2 s, never less',
    rule: { kind: 'decimal-retry-after-429' },
    maxAttempts: 2,
    requests: 2,
    status: 429,
    reason: 'Rate limited: HTTP 429 Too Many Requests: TOO_MANY_REQUESTS: Rate limit exceeded, retry later (after 2 tries)',
    raw: 'Rate limited: HTTP 429 Too Many Requests: TOO_MANY_REQUESTS: Rate limit exceeded, retry later',
    headline: 'ThingSpace is limiting requests (HTTP 429 Too Many Requests).',
    minGap: 2_000,
  },
  {
    name: 'login-page-200: a sign-in page instead of results is named by its title',
    rule: { kind: 'login-page-200' },
    maxAttempts: 4,
    requests: 1,
    status: 200,
    reason: 'Answer could not be read',
    raw: /^It began: <!DOCTYPE html>\s<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account<\/title>/,
    headline: 'The answer could not be read: the server sent a web page (“Sign in to your account”) instead of device results.',
  },
];

test.describe('recorded answers that fail on every try: the reason, the alert, the CSV and the tries', () => {
  for (const c of FAILS_FOR_GOOD) {
    test(c.name, async ({ app, emulator }) => {
      const { calls, rows } = await run(app, emulator, [c.rule], THREE, { maxAttempts: c.maxAttempts });
      expect(calls.map((call) => call.status)).toEqual(Array(c.requests).fill(c.status));
      // The same devices each time.
      expect(new Set(calls.map((call) => call.body)).size).toBe(1);
      const gaps = gapsMs(calls);
      for (const gap of gaps) {
        expect(gap, `gaps ${gaps}`).toBeGreaterThanOrEqual(c.minGap ?? 0);
        // Nothing but Retry-After and the floor: no long backoff.
        expect(gap, `gaps ${gaps}`).toBeLessThan((c.minGap ?? 0) + 1_500);
      }

      expect(rows.map((r) => [r.status, r.reason, r.firmware, r.updated])).toEqual(
        THREE.map(() => ['Error', c.reason, '', '']),
      );
      await expect(app.alertHeadline).toContainText(c.headline);
      if (c.raw === null) await expect(app.alertRaw).toHaveCount(0);
      else await expect(app.alertRaw).toHaveText(c.raw);
      await expectNoParserWords(app);
      expect(await app.summary()).toEqual({ Total: '3', Succeeded: '0', Failed: '0', 'No result': '0', Error: '3' });
      await expect(app.progress).toContainText(c.requests - 1 === 1 ? '1 retry' : `${c.requests - 1} retries`);
      await app.expectFormKept({ imeis: THREE });
    });
  }

  const PAUSED_FOR_THE_BEARER = 'the bearer token is invalid or expired (bearer tokens last one hour). Request a new one';
  const TOKEN_REFUSED = [
    {
      file: 'gateway-401-invalid',
      what: PAUSED_FOR_THE_BEARER,
      raw: 'HTTP 401 Unauthorized: fault 900901: Invalid Credentials (Invalid Credentials. Make sure you have given the correct access token)',
      reason: 'HTTP 401 Unauthorized: fault 900901: Invalid Credentials',
    },
    {
      // No body at all: the WWW-Authenticate challenge, read across origins too, is the evidence.
      file: 'bearer-401-challenge',
      what: PAUSED_FOR_THE_BEARER,
      raw: 'HTTP 401 Unauthorized: invalid_token: Jwt expired at 2026-11-30T07:41:12Z',
    },
    {
      file: 'envoy-401-jwt',
      what: PAUSED_FOR_THE_BEARER,
      raw: 'HTTP 401 Unauthorized: Jwt is expired; invalid_token',
    },
    {
      file: 'xml-403',
      what: 'access was denied (HTTP 403 Forbidden): the bearer token may not use the FOTA API, or it expired. Request a new one',
      raw: 'HTTP 403 Forbidden: 900908 Runtime Error: Resource forbidden',
    },
  ];
  for (const c of TOKEN_REFUSED) {
    test(`${c.file}: the bearer token is refused, the run pauses at once and names it; Cancel ends it`, async ({ app, emulator }) => {
      const imeis = validImeis(4, 2_010);
      await app.pinJitter(0);
      await app.useConfig({ batchSize: 2, concurrency: 1 });
      await emulator.addFault({ kind: c.file });
      await app.start({ imeis });
      await expect(app.alertHeadline).toHaveText(
        `Paused: ${c.what}, paste it and press Resume. The devices without an answer wait; Cancel ends the run.`,
      );
      await expect(app.alertRaw).toHaveText(c.raw);
      await expect(app.alert).not.toContainText('base URL');
      await app.cancelButton.click();
      await app.expectRunOver();
      const { rows } = await app.downloadResults();
      expect(rows.map((r) => [r.imei, r.status, r.reason])).toEqual(imeis.map((imei) => [imei, 'Not sent', '']));
      // One request, not one a batch.
      expect((await emulator.syncCalls()).map((call) => call.status)).toEqual([Number(c.raw.slice(5, 8))]);
    });
  }

  test('bearer-401-challenge on the second batch: a new bearer token and Resume send the rest once', async ({ app, emulator }) => {
    const imeis = validImeis(6, 2_030);
    await app.pinJitter(0);
    await app.useConfig({ batchSize: 2, concurrency: 1 });
    await emulator.addFault({ kind: 'bearer-401-challenge', skip: 1, times: 1 });
    await app.start({ imeis });
    await expect(app.alertRaw).toHaveText('HTTP 401 Unauthorized: invalid_token: Jwt expired at 2026-11-30T07:41:12Z');
    await expect(app.progress).toContainText('Paused for new tokens · 2 of 6 devices');
    await app.bearer.fill('renewed-bearer-token');
    await app.resumeButton.click();
    await app.expectRunOver();
    await expect(app.alert).toHaveCount(0);
    expect(await emulator.sentDeviceLists()).toEqual([imeis.slice(0, 2), imeis.slice(2, 4), imeis.slice(2, 4), imeis.slice(4, 6)]);
    const { rows } = await app.downloadResults();
    expectDocumented(rows, await emulator.outcomes(imeis));
  });
});

interface RetriedOnce {
  name: string;
  rule: FaultRule;
  /** The least time between the failure and the retry, in ms. */
  minGap: number;
  /** The most, allowing for a busy machine. */
  maxGap: number;
}

const RETRIED_ONCE: RetriedOnce[] = [
  { name: 'gateway-429-throttled with Retry-After: 0', rule: { kind: 'gateway-429-throttled' }, minGap: 250, maxGap: 1_500 },
  { name: 'server-500', rule: { kind: 'server-500' }, minGap: 250, maxGap: 1_500 },
  { name: 'nginx-502', rule: { kind: 'nginx-502' }, minGap: 250, maxGap: 1_500 },
  { name: "alb-503, its Retry-After date 60 s ago", rule: { kind: 'alb-503' }, minGap: 250, maxGap: 1_500 },
  {
    name: 'alb-503, its Retry-After date 60 s ago in asctime form',
    rule: { kind: 'alb-503', retryAfterFormat: 'asctime' },
    minGap: 250,
    maxGap: 1_500,
  },
  { name: 'cloudflare-522', rule: { kind: 'cloudflare-522' }, minGap: 250, maxGap: 1_500 },
  { name: 'errorcode-429 with Retry-After: 1', rule: { kind: 'errorcode-429', retryAfter: '1' }, minGap: 1_000, maxGap: 2_500 },
  // Retry-After on a status other than 429.
  { name: 'nginx-502 with Retry-After: 1', rule: { kind: 'nginx-502', retryAfter: '1' }, minGap: 1_000, maxGap: 2_500 },
  // Dates in every HTTP-date form, in the past (retry after the floor) and ahead (wait for it).
  ...(['imf', 'rfc850', 'asctime'] as const).flatMap((format) => [
    {
      name: `a 429 with a Retry-After date 30 s in the past, ${format} form`,
      rule: { kind: 429, retryAfterDate: -30, retryAfterFormat: format },
      minGap: 250,
      maxGap: 1_500,
    },
    {
      // An HTTP-date has whole seconds: 2 s ahead is at least 1 s ahead.
      name: `a 429 with a Retry-After date 2 s ahead, ${format} form`,
      rule: { kind: 429, retryAfterDate: 2, retryAfterFormat: format },
      minGap: 900,
      maxGap: 3_500,
    },
  ]),
];

test.describe('recorded answers once, then success: retried no sooner than asked, never sooner than 250 ms', () => {
  for (const c of RETRIED_ONCE) {
    test(c.name, async ({ app, emulator }) => {
      const { calls, rows } = await run(app, emulator, [{ ...c.rule, times: 1 }], THREE);
      expect(calls.map((call) => call.status)).toEqual([calls[0].status, 200]);
      expect(calls[0].status).toBeGreaterThanOrEqual(400);
      expect(calls[1].body).toBe(calls[0].body);
      const [gap] = gapsMs(calls);
      expect(gap).toBeGreaterThanOrEqual(c.minGap);
      expect(gap).toBeLessThan(c.maxGap);
      expectDocumented(rows, await emulator.outcomes(THREE));
      await expect(app.progress).toContainText('1 retry');
      await expect(app.alert).toHaveCount(0);
    });
  }
});

test.describe('the status alone decides a retry, whatever the body', () => {
  const body = JSON.stringify({ errorCode: 'SOME_ERROR', errorMessage: 'Some words' });
  const ONE = validImeis(1, 2_020);
  for (const status of [408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524]) {
    test(`${status} is retried`, async ({ app, emulator, deployment }) => {
      const { calls, rows } = await run(app, emulator, [{ kind: 'status', status, body, times: 1 }], ONE);
      expect(calls.map((c) => c.status)).toEqual([status, 200]);
      // Behind a proxy that keeps its connections open, Chromium itself resends a request that
      // got a 408 on a reused connection, at once and before the app sees the 408: the second
      // request is the browser's, not a retry of the app's (the emulator alone closes every
      // connection, so there the retry is the app's).
      if (!(status === 408 && deployment.proxy)) {
        expect(gapsMs(calls)[0]).toBeGreaterThanOrEqual(250);
      }
      expectDocumented(rows, await emulator.outcomes(ONE));
    });
  }
  const PHRASES: Record<number, string> = { 400: 'Bad Request', 409: 'Conflict', 413: 'Payload Too Large', 501: 'Not Implemented' };
  for (const [status, phrase] of Object.entries(PHRASES)) {
    test(`${status} is not retried`, async ({ app, emulator }) => {
      const { calls, rows } = await run(app, emulator, [{ kind: 'status', status: Number(status), body }], ONE);
      expect(calls.map((c) => c.status)).toEqual([Number(status)]);
      expect(rows.map((r) => [r.status, r.reason])).toEqual([['Error', `HTTP ${status} ${phrase}: SOME_ERROR: Some words`]]);
      await expect(app.alertRaw).toHaveText(`HTTP ${status} ${phrase}: SOME_ERROR: Some words`);
    });
  }
});

test.describe('odd but valid 200 answers', () => {
  for (const time of ['go-zero', 'go-zero-lmt'] as const) {
    test(`Go's zero time (${time}) means never: empty Updated cells and CSV cells`, async ({ app, emulator }) => {
      const { rows } = await run(app, emulator, [{ kind: 'variant', keys: 'documented', time, every: 2 }], KNOWN);
      const documented = await emulator.outcomes(KNOWN);
      expectDocumented(rows, documented);
      // Every second device has the zero time; the others their own, in the CSV as RFC 3339 UTC.
      expect(rows.map((r) => r.updated)).toEqual(
        documented.map((d, i) => (i % 2 === 1 ? '' : rfc3339FromGo(d.VersionUpdateTime))),
      );
      const cells = await updatedCells(app);
      expect(cells.map((c) => c.text === '')).toEqual([false, true, false, true]);
      expect(cells.map((c) => c.title)).toEqual(
        documented.map((d, i) => (i % 2 === 1 ? '' : rfc3339FromGo(d.VersionUpdateTime).replace('T', ' ').replace('Z', ' UTC'))),
      );
      await expect(app.alert).toHaveCount(0);
    });
  }

  test('null fields read as empty', async ({ app, emulator }) => {
    const { rows } = await run(app, emulator, [{ kind: 'variant', keys: 'documented', nulls: true }], KNOWN);
    const documented = await emulator.outcomes(KNOWN);
    const failed = documented.map((d) => d.status !== SUCCESS);
    expect(failed).toEqual([false, false, true, true]);
    // Successes as documented; failures keep their status, the null fields are empty.
    expect(rows.map((r) => [r.imei, r.status, r.reason, r.firmware, r.updated === ''])).toEqual(
      documented.map((d, i) =>
        failed[i] ? [d.deviceId, d.status, '', '', true] : [d.deviceId, d.status, d.Reason, d.firmwareVersion, false],
      ),
    );
    expect(await app.summary()).toEqual({ Total: '4', Succeeded: '2', Failed: '2', 'No result': '0' });
    await expect(app.alert).toHaveCount(0);
  });

  test('a numeric deviceId matches its device', async ({ app, emulator }) => {
    const { calls, rows } = await run(app, emulator, [{ kind: 'variant', numericId: true }], KNOWN);
    expect(calls[0].status).toBe(200);
    expectDocumented(rows, await emulator.outcomes(KNOWN));
    expect(await app.summary()).toEqual({ Total: '4', Succeeded: '2', Failed: '2', 'No result': '0' });
  });

  test('all at once: documented keys, numeric IDs, zero times and nulls', async ({ app, emulator }) => {
    const { rows } = await run(
      app,
      emulator,
      [{ kind: 'variant', keys: 'documented', time: 'go-zero-lmt', every: 2, nulls: true, numericId: true }],
      KNOWN,
    );
    const documented = await emulator.outcomes(KNOWN);
    expect(rows).toEqual([
      { ...csvRow(documented[0]), updated: rfc3339FromGo(documented[0].VersionUpdateTime) },
      { ...csvRow(documented[1]), updated: '' },
      { ...csvRow(documented[2]), reason: '', firmware: '', updated: '' },
      { ...csvRow(documented[3]), reason: '', firmware: '', updated: '' },
    ]);
  });
});

/** The CSV row a documented device gives (its time left to the caller). */
function csvRow(d: DocumentedDevice): ResultRow {
  return { imei: d.deviceId, status: d.status, reason: d.Reason, firmware: d.firmwareVersion, updated: '' };
}

/** No parser's words anywhere on the page: the alert, the table, the progress line. */
async function expectNoParserWords(app: App): Promise<void> {
  const text = await app.page.locator('body').innerText();
  for (const word of [/\bEOF\b/, /line \d+ column \d+/, /expected value/, /trailing characters/, /invalid type:/]) {
    expect(text, `${word} on the page`).not.toMatch(word);
  }
}

const A = '490154203237518';
const B = '356938035643809';
const NO_RESULT: ResultRow = { imei: '', status: 'No result', reason: 'The answer did not include this device', firmware: '', updated: '' };
const A_ROW: ResultRow = { imei: A, status: SUCCESS, reason: '', firmware: 'SR1.2.0.0-10657', updated: '2022-02-04T06:10:01.441Z' };
const B_ROW: ResultRow = {
  imei: B,
  status: 'FirmwareVersionUpdateFailed',
  reason: 'Device not reachable',
  firmware: 'SR1.1.9.0-10412',
  updated: '2022-01-28T17:45:09.000Z',
};

const READ_AS_RESULTS: { file: string; rows: ResultRow[] }[] = [
  { file: 'single-object-200', rows: [A_ROW, { ...NO_RESULT, imei: B }] },
  { file: 'xml-converter-200', rows: [A_ROW, B_ROW] },
  { file: 'keys-case-200', rows: [A_ROW, B_ROW] },
  { file: 'bom-200', rows: [A_ROW, B_ROW] },
  { file: 'float-id-200', rows: [A_ROW, B_ROW] },
  { file: 'null-list-200', rows: [{ ...NO_RESULT, imei: A }, { ...NO_RESULT, imei: B }] },
];

test.describe('answers that gateways and converters reshape are read as results', () => {
  for (const c of READ_AS_RESULTS) {
    test(`${c.file}: every device has the outcome its answer gives`, async ({ app, emulator }) => {
      const { calls, rows } = await run(app, emulator, [{ kind: c.file }], [A, B]);
      expect(calls.map((call) => call.status)).toEqual([200]);
      expect(rows).toEqual(c.rows);
      const answered = c.rows.filter((r) => r.status !== 'No result');
      expect(await app.summary()).toEqual({
        Total: '2',
        Succeeded: String(answered.filter((r) => r.status === SUCCESS).length),
        Failed: String(answered.filter((r) => r.status !== SUCCESS).length),
        'No result': String(2 - answered.length),
      });
      await expect(app.alert).toHaveCount(0);
    });
  }
});

test('an answer in ISO-8859-1, as its Content-Type says, reads without garbled reasons', async ({ app, emulator }) => {
  const reason = 'Mise à jour refusée : appareil injoignable';
  const body = JSON.stringify({
    accountName: '0000123456-00001',
    deviceFirmwarVersionList: [
      { deviceId: A, status: SUCCESS, Reason: '', firmwareVersion: 'SR1.2.0.0-10657', VersionUpdateTime: '2022-02-04 06:10:01.441 +0000 UTC' },
      { deviceId: B, status: 'FirmwareVersionUpdateFailed', Reason: reason, firmwareVersion: 'SR1.1.9.0-10412', VersionUpdateTime: '2022-01-28 17:45:09 +0000 UTC' },
    ],
  });
  const { rows } = await run(app, emulator, [{ kind: 200, body, contentType: 'application/json; charset=ISO-8859-1' }], [A, B]);
  expect(rows).toEqual([A_ROW, { ...B_ROW, reason }]);
  await expect(app.alert).toHaveCount(0);
});
