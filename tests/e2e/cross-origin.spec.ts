// A base URL on another origin that gives no readable answer: the app probes it without CORS to
// tell a proxy whose CORS headers do not allow this site (something answers) from an address
// where nothing answers, and says which. The page is served by the suite's emulator; the "proxy"
// is a second emulator this file starts on another port, allowing another origin only.
//
// In the e2e project only (playwright.config.ts): behind nginx the site's policy (connect-src)
// would refuse any other origin before CORS is reached.
import * as net from 'node:net';
import { ACCOUNT, expect, test as base, type App } from './app';
import { Emulator, launchEmulator, type LaunchedEmulator } from './emulator';
import { validImeis } from './imei';

const FOUR = validImeis(4, 4_000);
/** The one origin the second emulator allows: not this page's. */
const OTHER_SITE = 'https://elsewhere.example';

const test = base.extend<{ api: Emulator }, { corsProxy: LaunchedEmulator }>({
  corsProxy: [
    async ({}, use) => {
      const corsProxy = await launchEmulator(['--allow-origin', OTHER_SITE]);
      await use(corsProxy);
      await corsProxy.stop();
    },
    { scope: 'worker' },
  ],
  // The second emulator's control API, reset for each test.
  api: async ({ request, corsProxy }, use) => {
    const api = new Emulator(request, corsProxy.url);
    await api.reset();
    await use(api);
  },
});

/** A port on 127.0.0.1 where nothing listens (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every device ended as Error with `reason`, in the table and the CSV, and the summary says so. */
async function expectAllErrors(app: App, imeis: string[], reason: string): Promise<void> {
  const { rows } = await app.expectTableMatchesDownload(imeis.length);
  expect(rows.map((r) => [r.imei, r.status, r.reason, r.firmware, r.updated])).toEqual(
    imeis.map((imei) => [imei, 'Error', reason, '', '']),
  );
  expect(await app.summary()).toEqual({ Total: String(imeis.length), Succeeded: '0', Failed: '0', 'No result': '0', Error: String(imeis.length) });
}

const CONFIG = { batchSize: 2, concurrency: 2, maxAttempts: 2 };

/**
 * Fills the form with FOUR and presses Synchronize, on a page opened with `openWithConfig`: no
 * route may be left, or Playwright would answer the CORS preflight itself.
 */
async function start(app: App): Promise<void> {
  await app.fillForm({ imeis: FOUR });
  await app.synchronize();
}

test.describe('a base URL on another origin', () => {
  test('a proxy whose CORS headers do not allow this site: the CORS message and reason', async ({
    app,
    emulator,
    corsProxy,
    api,
  }) => {
    const apiBaseUrl = `${corsProxy.url}/api/fota/v3`;
    await app.openWithConfig({ ...CONFIG, apiBaseUrl });
    await start(app);
    await expect(app.alertHeadline).toHaveText(
      new RegExp(
        `^The server at ${escape(`${apiBaseUrl}/firmware/${ACCOUNT}/devices`)} answered, but the browser withheld the answer: ` +
          escape(`its CORS headers do not allow this site (${new URL(app.page.url()).origin}). The proxy must answer the preflight (OPTIONS) with Access-Control-Allow-Origin: ${new URL(app.page.url()).origin},`) +
          '.*Retry-After',
      ),
      { timeout: 20_000 },
    );
    await expect(app.alertRaw).toHaveCount(0);
    await app.expectRunOver();
    await expectAllErrors(app, FOUR, "Blocked by the browser: the proxy's CORS headers do not allow this site (after 2 tries)");
    await app.expectFormKept({ imeis: FOUR });

    // The preflight was refused, so no PUT ever reached the proxy; the app's probe (a plain GET)
    // did. Nothing went to the page's own emulator.
    const reached = await api.requests();
    expect(reached.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(reached.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(1);
    expect(await emulator.syncCalls()).toEqual([]);
  });

  test('the same proxy allowing this site: the run succeeds (the difference is CORS alone)', async ({ page, app, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    const allowing = await launchEmulator(['--allow-origin', origin]);
    try {
      const api = new Emulator(page.request, allowing.url);
      await app.openWithConfig({ ...CONFIG, apiBaseUrl: `${allowing.url}/api/fota/v3` });
      await start(app);
      await app.expectRunOver();
      await expect(app.alert).toHaveCount(0);
      const calls = await api.syncCalls();
      expect(calls.map((c) => c.status)).toEqual([200, 200]);
      expect(calls.every((c) => c.headers['origin'] === origin)).toBe(true);
      const { rows } = await app.downloadResults();
      expect(rows.map((r) => [r.imei, r.status])).toEqual(
        (await api.outcomes(FOUR)).map((d) => [d.deviceId, d.status]),
      );
    } finally {
      await allowing.stop();
    }
  });

  test('a closed port: "Nothing answered at", and every device says no server answered', async ({ app, emulator }) => {
    const port = await closedPort();
    const apiBaseUrl = `http://127.0.0.1:${port}/api/fota/v3`;
    await app.openWithConfig({ ...CONFIG, apiBaseUrl });
    await start(app);
    await expect(app.alertHeadline).toHaveText(
      `Nothing answered at ${apiBaseUrl}/firmware/${ACCOUNT}/devices: the server or proxy is down, the API base URL is wrong, or this site's Content-Security-Policy (connect-src) does not list it.`,
      { timeout: 20_000 },
    );
    await app.expectRunOver();
    await expectAllErrors(app, FOUR, 'No server answered (after 2 tries)');
    await app.expectFormKept({ imeis: FOUR });
    await expect(app.baseUrl).toHaveValue(apiBaseUrl);
    expect(await emulator.syncCalls()).toEqual([]);
  });
});

/** `text` as a literal in a regular expression. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
