// The app inside a portal and hosted anywhere: the postMessage handoff from a parent page on
// another origin, sub-path hosting, the strict Content Security Policy, server and portal strings
// rendered as text, tokens kept secret, light and dark themes, the narrow layout.
//
// This file starts its own servers, so it controls the policy and config.json: an emulator
// serving a copy of dist/ at / and at /tools/fota-sync/ under the strict policy (connect-src
// 'self' only), and three portal pages (tests/e2e/fixtures/) on origins of their own. As in every
// spec (app.ts), a test fails on any `securitypolicyviolation` event and any uncaught page error.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIRequestContext, Frame, Page, TestInfo } from '@playwright/test';
import { ACCOUNT, App, SUCCESS, expect, test as base } from './app';
import { validImeis } from './imei';
import { expectAccessible } from './axe';
import { DIST_DIR, Emulator, launchEmulator, type FaultRule } from './emulator';

const IMEIS = ['490154203237518', '356938035643809', '353879234252633'];
const SUB_PATH = '/tools/fota-sync/';

/** What this file's servers are and where. */
interface Servers {
  /** The emulator serving the app and the API, `http://127.0.0.1:PORT`. */
  app: string;
  /** The folder the app is served from: a copy of dist/ whose config.json the tests rewrite. */
  site: string;
  /** A portal on `allowedParentOrigins`. */
  allowed: string;
  /** A portal the policy lets frame the app, but not on `allowedParentOrigins`. */
  foreign: string;
  /** A portal the policy does not let frame the app. */
  stranger: string;
  /** The Content-Security-Policy the app is served with. */
  policy: string;
  /** Control API requests to the app's emulator. */
  api: APIRequestContext;
}

/** Serves the portal fixtures on 127.0.0.1 at a port of its own: an origin of its own. */
async function startPortal(): Promise<{ origin: string; close(): Promise<void> }> {
  const dir = path.join(__dirname, 'fixtures');
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const files = new Set(fs.readdirSync(dir));
  const server = http.createServer((request, response) => {
    const name = new URL(request.url ?? '/', 'http://portal').pathname.slice(1);
    if (!files.has(name)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': `${types[path.extname(name)]}; charset=utf-8` });
    response.end(fs.readFileSync(path.join(dir, name)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const test = base.extend<{ fresh: void }, { servers: Servers }>({
  servers: [
    async ({ playwright }, use) => {
      if (!fs.existsSync(path.join(DIST_DIR, 'index.html'))) {
        throw new Error(`no build in ${DIST_DIR}: run \`.ci/test build\` or set E2E_DIST_DIR`);
      }
      const site = fs.mkdtempSync(path.join(os.tmpdir(), 'fota-embed-'));
      fs.cpSync(DIST_DIR, site, { recursive: true });
      const [allowed, foreign, stranger] = await Promise.all([startPortal(), startPortal(), startPortal()]);
      const emulator = await launchEmulator([
        '--serve-dir',
        site,
        '--mount',
        SUB_PATH,
        '--csp-connect-src',
        "'self'",
        '--frame-ancestors',
        allowed.origin,
        '--frame-ancestors',
        foreign.origin,
      ]);
      const api = await playwright.request.newContext({ baseURL: emulator.url });
      const policy =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; " +
        `connect-src 'self'; frame-ancestors ${allowed.origin} ${foreign.origin}; base-uri 'self'; ` +
        "form-action 'self'; object-src 'none'";
      await use({
        app: emulator.url,
        site,
        allowed: allowed.origin,
        foreign: foreign.origin,
        stranger: stranger.origin,
        policy,
        api,
      });
      await api.dispose();
      await emulator.stop();
      await Promise.all([allowed.close(), foreign.close(), stranger.close()]);
      fs.rmSync(site, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],

  // Control calls go to this file's emulator.
  emulator: async ({ servers }, use) => {
    await use(new Emulator(servers.api, servers.app));
  },

  // Every test starts from the default config.json and a reset emulator.
  fresh: [
    async ({ servers, emulator }, use) => {
      writeConfig(servers);
      await emulator.reset();
      await use();
    },
    { auto: true },
  ],
});

/** Rewrites the served config.json: the allowed portal, plus `extra`. Served fresh on each load. */
function writeConfig(servers: Servers, extra: Record<string, unknown> = {}): void {
  const config = { allowedParentOrigins: [servers.allowed], ...extra };
  fs.writeFileSync(path.join(servers.site, 'config.json'), JSON.stringify(config, null, 2));
}

interface Credentials {
  bearerToken: string;
  sessionToken: string;
  account?: string;
  apiBaseUrl?: string;
}

interface PortalOptions {
  /** The portal's origin; the allowed one unless given. */
  portal?: string;
  /** Where the app is, on its server. */
  appPath?: string;
  /** What the portal answers `fota-sync:ready` with; nothing if not given. */
  credentials?: Credentials;
  /** What the portal answers `fota-sync:credentials-needed` with; nothing if not given. */
  renewal?: Credentials;
  /** The frame's shape (`window.portalFrame` in fixtures/portal.js): sandbox, allow, early posts. */
  frame?: {
    sandbox?: string;
    allow?: string;
    postAtLoad?: Credentials;
    postEarly?: Credentials;
    size?: [number, number];
    below?: number;
  };
  /** Waits for the app's form before returning (default true). */
  waitForForm?: boolean;
}

/**
 * Opens a portal page framing the app and waits for the app's form; returns the app in its frame.
 * The app's window also counts the messages it receives (`messagesAtApp`).
 */
async function openPortal(page: Page, servers: Servers, options: PortalOptions = {}): Promise<App> {
  const portal = options.portal ?? servers.allowed;
  // Registered before the app's own listener, so when a message is counted here, the app has
  // had it too (the same dispatch), and what it did with it is on screen by the next look.
  await page.addInitScript((appOrigin) => {
    const w = window as unknown as { __fotaMessages?: string[] };
    if (location.origin !== appOrigin || w.__fotaMessages) return;
    const seen: string[] = [];
    w.__fotaMessages = seen;
    addEventListener('message', (event) => seen.push(event.origin));
  }, new URL(servers.app).origin);
  if (options.credentials) {
    await page.addInitScript(
      ({ origin, credentials }) => {
        if (location.origin === origin) (window as unknown as { portalCredentials: unknown }).portalCredentials = credentials;
      },
      { origin: portal, credentials: options.credentials },
    );
  }
  if (options.renewal) {
    await page.addInitScript(
      ({ origin, renewal }) => {
        if (location.origin === origin) (window as unknown as { portalRenewal: unknown }).portalRenewal = renewal;
      },
      { origin: portal, renewal: options.renewal },
    );
  }
  if (options.frame) {
    await page.addInitScript(
      ({ origin, frame }) => {
        if (location.origin === origin) (window as unknown as { portalFrame: unknown }).portalFrame = frame;
      },
      { origin: portal, frame: options.frame },
    );
  }
  const appUrl = servers.app + (options.appPath ?? '/');
  const waitForForm = options.waitForForm ?? true;
  await page.goto(`${portal}/portal.html?app=${encodeURIComponent(appUrl)}`, { waitUntil: waitForForm ? 'load' : 'commit' });
  const app = new App(page.frameLocator('#fota-sync'));
  if (waitForForm) await expect(app.synchronizeButton).toBeVisible();
  return app;
}

/** The app's frame, for evaluating in it. */
function appFrame(page: Page): Frame {
  const frame = page.frame({ name: 'fota-sync' });
  if (!frame) throw new Error('the portal has no app frame');
  return frame;
}

/** How many messages the app's window has received. */
async function messagesAtApp(page: Page): Promise<number> {
  return appFrame(page).evaluate(() => (window as unknown as { __fotaMessages: string[] }).__fotaMessages.length);
}

interface Received {
  origin: string;
  fromApp: boolean;
  data: unknown;
  /** When the portal received it, `performance.now()` in the portal page, in ms. */
  at: number;
}

/** Every message the portal page received, in order. */
async function received(page: Page): Promise<Received[]> {
  return page.evaluate(() => (window as unknown as { portal: { received: Received[] } }).portal.received);
}

/** Whether a message is a run's progress (checked on its own in "the parent hears how far a run has got"). */
const isProgress = (m: Received) => (m.data as { type?: string } | null)?.type === 'fota-sync:progress';

/** The messages the portal received from the app, in order, but a run's progress. */
async function fromAppButProgress(page: Page): Promise<Received[]> {
  return (await received(page)).filter((m) => m.fromApp && !isProgress(m));
}

/** The `type` of each message the portal received from the app, but a run's progress. */
async function typesFromApp(page: Page): Promise<string[]> {
  return (await fromAppButProgress(page)).map((m) => (m.data as { type: string }).type);
}

/** Runs `code` in the portal page (`window.portal`, see fixtures/portal.js). */
async function portalDo(page: Page, code: (portal: PortalApi) => unknown): Promise<void> {
  await page.evaluate(`(${code.toString()})(window.portal)`);
}

interface PortalApi {
  send(credentials: Credentials): void;
  post(message: unknown): void;
  openSibling(credentials: Credentials): Promise<void>;
}

/** Presses Synchronize and waits for the run of `devices` to end. */
async function synchronize(app: App, devices: number = IMEIS.length): Promise<void> {
  await app.synchronize();
  await app.expectRunOver({ devices });
}

/** The expected result message for IMEIS, from the emulator's documented outcomes. */
async function expectedResult(emulator: Emulator, imeis: string[] = IMEIS) {
  const outcomes = await Promise.all(imeis.map((imei) => emulator.outcome(imei)));
  const succeeded = outcomes.filter((o) => o.status === SUCCESS).length;
  return {
    type: 'fota-sync:result',
    account: ACCOUNT,
    total: imeis.length,
    succeeded,
    failed: imeis.length - succeeded,
    noResult: 0,
    error: 0,
    notSent: 0,
  };
}

/** Types the account and tokens, runs IMEIS, and checks that the typed bearer token went out. */
async function runOnTypedTokens(app: App, emulator: Emulator): Promise<void> {
  await app.fill({ account: ACCOUNT, bearer: 'typed-bearer', session: 'typed-session', imeis: IMEIS });
  await synchronize(app);
  const [call] = await emulator.syncCalls();
  expect(call.headers['authorization']).toBe('Bearer typed-bearer');
}

function expectNone(haystack: string, needles: string[], where: string): void {
  for (const needle of needles) {
    expect(haystack.includes(needle), `${where} contains "${needle}"`).toBe(false);
  }
}

test.describe('handoff from the parent page', () => {
  const credentials = { bearerToken: 'portal-bearer-K7f2', sessionToken: 'portal-session-Q9d4', account: ACCOUNT };

  test('an allowed origin hands over tokens; the run uses them and the result has counts only', async ({
    page,
    servers,
    emulator,
    consoleMessages,
  }) => {
    const app = await openPortal(page, servers, { credentials });
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.bearer).toHaveCount(0);
    await expect(app.session).toHaveCount(0);
    await expect(app.account).toHaveValue(ACCOUNT);
    expect(await appFrame(page).evaluate(() => document.documentElement.classList.contains('framed'))).toBe(true);

    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const calls = await emulator.syncCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].headers['authorization']).toBe(`Bearer ${credentials.bearerToken}`);
    expect(calls[0].headers['vz-m2m-token']).toBe(credentials.sessionToken);

    await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready', 'fota-sync:result']);
    const messages = await fromAppButProgress(page);
    expect(messages.every((m) => m.origin === servers.app)).toBe(true);
    expect(messages[0].data).toEqual({ type: 'fota-sync:ready' });
    expect(messages[1].data).toEqual(await expectedResult(emulator));
    const posted = JSON.stringify(await received(page));
    expectNone(posted, [credentials.bearerToken, credentials.sessionToken, ...IMEIS], 'messages to the parent');
    expectNone(consoleMessages.join('\n'), [credentials.bearerToken, credentials.sessionToken], 'the console');
    expectNone(appFrame(page).url(), [credentials.bearerToken, credentials.sessionToken], "the app's URL");
  });

  test('the parent hears how far a run has got, at most once a second, counts only', async ({ page, servers, emulator }) => {
    // 20 requests, one at a time, 250 ms each: about 5 s of run, so several messages.
    const devices = validImeis(2_000, 40_000);
    await new App(page).useConfig({ concurrency: 1 });
    await emulator.setLatency(250);
    const app = await openPortal(page, servers, { credentials });
    await app.pasteImeis(devices.join('\n'));
    await app.synchronize();
    await app.expectRunOver({ devices: devices.length, timeout: 30_000 });
    await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready', 'fota-sync:result']);

    const fromApp = (await received(page)).filter((m) => m.fromApp);
    const progress = fromApp.filter(isProgress);
    const data = progress.map((m) => m.data as { done: number; total: number; paused: boolean });
    expect(progress.length, JSON.stringify(data)).toBeGreaterThanOrEqual(3);
    for (const message of data) {
      expect(Object.keys(message).sort()).toEqual(['done', 'paused', 'total', 'type']);
      expect([message.total, message.paused]).toEqual([devices.length, false]);
    }
    // It grows, never past the total, and every progress message comes before the result.
    const done = data.map((m) => m.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBeLessThanOrEqual(devices.length);
    const result = fromApp.findIndex((m) => (m.data as { type: string }).type === 'fota-sync:result');
    expect(fromApp.indexOf(progress.at(-1)!)).toBeLessThan(result);
    // At most one a second, counted over the run as the portal saw it: from the first progress to
    // the result, t seconds hold at most t + 1 messages, and one more for delivery (a message
    // waits for the page's main thread, which a run's start keeps busy). One per answer would be
    // 20 here. The exact spacing is core::embed's native test.
    const seconds = (fromApp[result].at - progress[0].at) / 1_000;
    const gaps = progress.slice(1).map((m, i) => Math.round(m.at - progress[i].at));
    expect(progress.length, `${seconds} s, gaps ${gaps.join(', ')} ms`).toBeLessThanOrEqual(Math.floor(seconds) + 2);
    expectNone(JSON.stringify(data), [credentials.bearerToken, credentials.sessionToken, ...devices.slice(0, 50)], 'progress messages');
  });

  test("the user can type their own tokens instead, and Forget tokens drops the portal's", async ({
    page,
    servers,
    emulator,
  }) => {
    const app = await openPortal(page, servers, { credentials });
    await expect(app.providedByPortal).toHaveCount(2);
    await app.useOwnTokens.click();
    await app.fill({ bearer: 'own-bearer', session: 'own-session' });
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const [call] = await emulator.syncCalls();
    expect([call.headers['authorization'], call.headers['vz-m2m-token']]).toEqual(['Bearer own-bearer', 'own-session']);
    await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready', 'fota-sync:result']);
    expectNone(JSON.stringify(await received(page)), ['own-bearer', 'own-session'], 'messages to the parent');

    await app.usePortalTokens.click();
    await expect(app.providedByPortal).toHaveCount(2);
    await app.forgetTokens.click();
    await expect(app.providedByPortal).toHaveCount(0);
    await expect(app.usePortalTokens).toHaveCount(0);
    await expect(app.bearer).toHaveValue('');
    await expect(app.session).toHaveValue('');
    await app.synchronize();
    await expect(app.alert).toContainText('Paste the bearer token.');
    expect(await emulator.syncCalls()).toHaveLength(1);
  });

  test('a foreign origin is ignored: no ready message reaches it, its credentials are not read', async ({
    page,
    servers,
    emulator,
  }) => {
    const app = await openPortal(page, servers, { portal: servers.foreign, credentials });
    await portalDo(page, (portal) => portal.send({ bearerToken: 'foreign-bearer', sessionToken: 'foreign-session', account: '0000111111-00001' }));
    // The message reached the app's window, and the app did nothing with it.
    await expect.poll(() => messagesAtApp(page)).toBe(1);
    await expect(app.providedByPortal).toHaveCount(0);
    await expect(app.account).toHaveValue('');

    // What the user types is what is sent.
    await runOnTypedTokens(app, emulator);
    await expect(app.providedByPortal).toHaveCount(0);
    // The app posts only to allowed origins: the browser delivered nothing here.
    expect(await received(page)).toEqual([]);
  });

  test('the allowed origin is heard only from the parent, and only with a well-formed message', async ({
    page,
    servers,
    emulator,
  }) => {
    const app = await openPortal(page, servers);
    await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready']);
    // Each message to ignore also names another account and API base URL: one read by mistake
    // would leave them in the form, which the valid message sent last cannot undo (it fills the
    // account only when empty, and names no API base URL).
    await portalDo(page, (portal) =>
      portal.openSibling({
        bearerToken: 'sibling-bearer',
        sessionToken: 'sibling-session',
        account: '0000111111-00001',
        apiBaseUrl: '/elsewhere/api/fota/v3',
      }),
    );
    await portalDo(page, (portal) => {
      const elsewhere = { account: '0000111111-00001', apiBaseUrl: '/elsewhere/api/fota/v3' };
      portal.post('fota-sync:credentials');
      portal.post({ type: 'fota-sync:credentials', bearerToken: 'b', ...elsewhere });
      portal.post({ type: 'fota-sync:credentials', bearerToken: 1, sessionToken: 's', ...elsewhere });
      portal.post({ type: 'fota-sync:credentials', bearerToken: ' ', sessionToken: 's', ...elsewhere });
      portal.post({ type: 'something-else', bearerToken: 'b', sessionToken: 's', ...elsewhere });
    });
    // All six reached the app's window, and the app did nothing with them.
    await expect.poll(() => messagesAtApp(page)).toBe(6);
    await expect(app.providedByPortal).toHaveCount(0);
    await expect(app.bearer).toBeVisible();

    // Then a well-formed message from the parent: read, and nothing before it was.
    await portalDo(page, (portal) =>
      portal.send({ bearerToken: 'parent-bearer', sessionToken: 'parent-session', account: '0000123456-00001' }),
    );
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.account).toHaveValue(ACCOUNT);
    await expect(app.baseUrl).toHaveValue('api/fota/v3');
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const calls = await emulator.syncCalls();
    expect(calls.map((c) => [c.path, c.headers['authorization'], c.headers['vz-m2m-token']])).toEqual([
      [`/api/fota/v3/firmware/${ACCOUNT}/devices`, 'Bearer parent-bearer', 'parent-session'],
    ]);
  });

  test('fresh credentials mid-session: the next run uses the new session token', async ({ page, servers, emulator }) => {
    const app = await openPortal(page, servers, { credentials });
    await expect(app.providedByPortal).toHaveCount(2);
    await app.fill({ imeis: IMEIS });
    await synchronize(app);

    await portalDo(page, (portal) =>
      portal.send({ bearerToken: 'portal-bearer-K7f2', sessionToken: 'renewed-session-M3p8', account: '0000654321-00001' }),
    );
    // The account the user already has is kept; only the tokens change.
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.account).toHaveValue(ACCOUNT);
    await synchronize(app);

    const calls = await emulator.syncCalls();
    expect(calls.map((c) => c.headers['vz-m2m-token'])).toEqual([credentials.sessionToken, 'renewed-session-M3p8']);
    expect(calls.map((c) => c.path)).toEqual(Array(2).fill(`/api/fota/v3/firmware/${ACCOUNT}/devices`));
    await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready', 'fota-sync:result', 'fota-sync:result']);
    expectNone(JSON.stringify(await received(page)), ['renewed-session-M3p8'], 'messages to the parent');
  });

  test('a session token expires mid-run: the app asks its portal, which renews it, and the run finishes by itself', async ({
    page,
    servers,
    emulator,
  }) => {
    const renewal = { bearerToken: credentials.bearerToken, sessionToken: 'renewed-session-Q4t1' };
    const app = await openPortal(page, servers, { credentials, renewal });
    await expect(app.providedByPortal).toHaveCount(2);
    await emulator.addFault({ kind: 'session_expired', times: 1 });
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    await expect(app.alert).toHaveCount(0);
    expect(await app.summary()).toMatchObject({ Total: '3' });

    const calls = await emulator.syncCalls();
    expect(calls.map((c) => [c.status, c.headers['vz-m2m-token']])).toEqual([
      [400, credentials.sessionToken],
      [200, 'renewed-session-Q4t1'],
    ]);
    const fromApp = (await fromAppButProgress(page)).map((m) => m.data);
    expect(fromApp).toEqual([
      { type: 'fota-sync:ready' },
      { type: 'fota-sync:credentials-needed', reason: 'session-expired' },
      await expectedResult(emulator),
    ]);
    expectNone(JSON.stringify(fromApp), [credentials.sessionToken, 'renewed-session-Q4t1', credentials.bearerToken], 'messages to the parent');
  });

  test('typed tokens expire mid-run: the portal is not asked, the user pastes a new one', async ({ page, servers, emulator }) => {
    const app = await openPortal(page, servers, { credentials, renewal: credentials });
    await app.useOwnTokens.click();
    await emulator.addFault({ kind: 'session_expired', times: 1 });
    await app.fill({ imeis: IMEIS, bearer: 'own-bearer', session: 'own-session' });
    await app.synchronize();
    await expect(app.resumeButton).toBeVisible();
    await app.session.fill('own-session-2');
    await app.resumeButton.click();
    await app.expectRunOver({ devices: IMEIS.length });
    expect((await emulator.syncCalls()).map((c) => c.headers['vz-m2m-token'])).toEqual(['own-session', 'own-session-2']);
    await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready', 'fota-sync:result']);
  });

  test('portal tokens are cleaned as typed ones: scheme, header name and whitespace go', async ({
    page,
    servers,
    emulator,
  }) => {
    const app = await openPortal(page, servers, {
      credentials: {
        bearerToken: `\n  Authorization: Bearer ${credentials.bearerToken} \r\n`,
        sessionToken: ` VZ-M2M-Token: ${credentials.sessionToken}\n`,
        account: ACCOUNT,
      },
    });
    await expect(app.providedByPortal).toHaveCount(2);
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    await expect(app.alert).toHaveCount(0);
    const calls = await emulator.syncCalls();
    expect(calls.map((c) => [c.status, c.headers['authorization'], c.headers['vz-m2m-token']])).toEqual([
      [200, `Bearer ${credentials.bearerToken}`, credentials.sessionToken],
    ]);
  });

  test('a portal token with a line break inside is refused, and nothing is sent', async ({ page, servers, emulator }) => {
    const app = await openPortal(page, servers, {
      credentials: { bearerToken: 'portal-bearer\nK7f2', sessionToken: credentials.sessionToken, account: ACCOUNT },
    });
    await expect(app.providedByPortal).toHaveCount(2);
    await app.fill({ imeis: IMEIS });
    await app.synchronize();
    await expect(app.alertItems).toHaveText([
      'The bearer token has a space or line break inside it. Copy it again in one piece and paste it.',
    ]);
    expect(await emulator.syncCalls()).toEqual([]);

    // A renewed session token with a space inside: the same, for the session token.
    await portalDo(page, (portal) => portal.send({ bearerToken: 'portal-bearer-K7f2', sessionToken: 'portal session' }));
    // The message arrives in its own time: press again until the form has read it.
    await expect(async () => {
      await app.synchronize();
      await expect(app.alertItems).toHaveText(
        ['The session token has a space or line break inside it. Copy it again in one piece and paste it.'],
        { timeout: 1_000 },
      );
    }).toPass();
    expect(await emulator.syncCalls()).toEqual([]);
    await expect(app.synchronizeButton).toBeEnabled();
  });

  test('the apiBaseUrl from the portal replaces the configured one', async ({ page, servers, emulator }) => {
    const app = await openPortal(page, servers, {
      credentials: { ...credentials, apiBaseUrl: '/tools/fota-sync/api/fota/v3' },
    });
    await expect(app.baseUrl).toHaveValue('/tools/fota-sync/api/fota/v3');
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    expect((await emulator.syncCallsAnywhere()).map((c) => c.path)).toEqual([
      `/tools/fota-sync/api/fota/v3/firmware/${ACCOUNT}/devices`,
    ]);
  });
});

test('hosted under a sub-path: assets, config.json and the API resolve under it', async ({ page, servers, emulator }) => {
  const requested: string[] = [];
  page.on('request', (request) => {
    if (request.url().startsWith(servers.app)) requested.push(request.url().slice(servers.app.length));
  });
  writeConfig(servers, { allowedParentOrigins: [servers.allowed], apiBaseUrl: 'api/fota/v3' });
  const app = await openPortal(page, servers, {
    appPath: SUB_PATH,
    credentials: { bearerToken: 'sub-bearer', sessionToken: 'sub-session', account: ACCOUNT },
  });
  await expect(app.providedByPortal).toHaveCount(2);
  await app.fill({ imeis: IMEIS });
  await synchronize(app);

  expect(requested).toContain(`${SUB_PATH}config.json`);
  expect(requested.some((p) => p.startsWith(SUB_PATH) && p.endsWith('.wasm'))).toBe(true);
  expect(requested.filter((p) => !p.startsWith(SUB_PATH)), 'requests outside the sub-path').toEqual([]);
  expect(await emulator.syncCalls(), 'calls at the root').toEqual([]);
  const calls = await emulator.syncCallsAnywhere();
  expect(calls.map((c) => c.path)).toEqual([`${SUB_PATH}api/fota/v3/firmware/${ACCOUNT}/devices`]);
  await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready', 'fota-sync:result']);

  // Opened directly, without the trailing slash: redirected so relative URLs stay under it.
  await page.goto(servers.app + SUB_PATH.replace(/\/$/, ''));
  expect(page.url()).toBe(servers.app + SUB_PATH);
  await expect(new App(page).synchronizeButton).toBeVisible();
});

test.describe('Content Security Policy', () => {
  test('every file is served with the strict policy, and the page has nothing inline', async ({ servers }) => {
    const index = await servers.api.get('/');
    expect(index.headers()['content-security-policy']).toBe(servers.policy);
    const html = await index.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, 'a script with a src').toMatch(/\ssrc=/);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    for (const file of fs.readdirSync(servers.site)) {
      const response = await servers.api.get(`/${file}`);
      expect(response.headers()['content-security-policy'], file).toBe(servers.policy);
    }
  });

  test('a whole sync runs under it, and a violation would be caught, framed or not', async ({ page, app, servers, emulator, csp }) => {
    await app.open(servers.app + '/');
    await app.fill({ account: ACCOUNT, imeis: IMEIS, bearer: 'csp-bearer', session: 'csp-session' });
    await synchronize(app);
    await expect(app.alert).toHaveCount(0);
    expect(await emulator.syncCalls()).toHaveLength(1);

    // The guard is live: an inline script is refused and reported.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.append(script);
    });
    await expect.poll(() => csp.take()).toEqual([expect.stringContaining('script-src-elem blocked inline')]);
    expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();

    // In the app framed by a portal on another origin too.
    await openPortal(page, servers);
    await appFrame(page).evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { background: red }';
      document.head.append(style);
    });
    await expect
      .poll(() => csp.take())
      .toEqual([expect.stringMatching(new RegExp(`^${servers.app}/: style-src-elem blocked inline`))]);
  });

  test('a page not listed in frame-ancestors cannot frame the app', async ({ page, servers }) => {
    await page.goto(`${servers.stranger}/portal.html?app=${encodeURIComponent(servers.app + '/')}`);
    await expect.poll(() => page.evaluate(() => (window as unknown as { portal: { loaded: boolean } }).portal.loaded)).toBe(true);
    expect(appFrame(page).url()).not.toContain(servers.app);
    await expect(new App(page.frameLocator('#fota-sync')).synchronizeButton).toHaveCount(0);
  });
});

test('markup and script from the server and the portal are shown as text and never run', async ({
  page,
  servers,
  emulator,
}) => {
  // One attempt per request: the 502 below is not retried.
  writeConfig(servers, { maxAttempts: 1 });
  const imei = IMEIS[0];
  const markupAccount = '<img src=x onerror="window.__xss=10">';
  const app = await openPortal(page, servers, {
    credentials: { bearerToken: 'xss-bearer', sessionToken: 'xss-session', account: markupAccount },
  });
  const frame = appFrame(page);
  const nothingRan = async () => {
    expect(await frame.evaluate(() => (window as unknown as { __xss?: number }).__xss), 'window.__xss in the app').toBeUndefined();
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), 'window.__xss in the portal').toBeUndefined();
    const injected = app.root.locator('body').locator('img[src="x"], [onerror], [onload], [onclick], iframe, script, #xss');
    await expect(injected).toHaveCount(0);
  };
  const account = app.account;
  await expect(account).toHaveValue(markupAccount);
  await app.fill({ imeis: [imei] });
  await app.synchronize();
  await expect(app.alert).toBeVisible();
  await nothingRan();
  expect(await emulator.syncCalls()).toEqual([]);
  await account.fill(ACCOUNT);

  // A 200 answer with markup in every string the table shows.
  const device = {
    deviceId: imei,
    status: '<img src=x onerror="window.__xss=1">',
    Reason: '<script>window.__xss=2</script>',
    firmwareVersion: '<svg onload="window.__xss=3"></svg>',
    VersionUpdateTime: '<iframe srcdoc="<script>parent.__xss=4</script>"></iframe>',
  };
  await emulator.addFault({
    kind: 'status',
    status: 200,
    times: 1,
    body: JSON.stringify({ accountName: '<b id="xss">0000123456-00001</b>', deviceFirmwarVersionList: [device] }),
  });
  await synchronize(app, 1);
  const row = app.rows;
  await expect(row.locator('td.status')).toHaveText(device.status);
  await expect(row.locator('td.reason')).toHaveText(device.Reason);
  await expect(row.locator('td.firmware')).toHaveText(device.firmwareVersion);
  await expect(row.locator('td.updated')).toHaveText(device.VersionUpdateTime);
  await nothingRan();

  // Error answers: ThingSpace's JSON, the gateway's fault, a proxy's HTML page.
  const errorCode = '<img src=x onerror=window.__xss=5>';
  const errorMessage = '<script>window.__xss=6</script>';
  const faultCode = '<svg onload=window.__xss=7>';
  const faultMessage = '<b onclick=window.__xss=8>m</b>';
  const proxyPage = '<script>window.__xss=9</script><img src=x onerror=window.__xss=11>';
  const errors: [Omit<FaultRule, 'kind'>, string[]][] = [
    [{ status: 400, body: JSON.stringify({ errorCode, errorMessage }) }, [`${errorCode}: ${errorMessage}`]],
    [
      { status: 401, body: JSON.stringify({ fault: { code: faultCode, message: faultMessage, description: '<i>d</i>' } }) },
      [`fault ${faultCode}: ${faultMessage}`],
    ],
    // A proxy's page shows its title, the server's own words.
    [
      {
        status: 502,
        contentType: 'text/html',
        body: `<html><head><title>${proxyPage}</title></head><body>Bad gateway</body></html>`,
      },
      [`HTTP 502 Bad Gateway: ${proxyPage}`],
    ],
  ];
  for (const [rule, shown] of errors) {
    await emulator.addFault({ kind: 'status', times: 1, ...rule });
    await app.synchronize();
    for (const text of shown) await expect(app.alert).toContainText(text);
    // A 401 pauses the run for a new token: Cancel ends it.
    if (rule.status === 401) await app.cancelButton.click();
    await expect(app.synchronizeButton).toBeEnabled();
    await nothingRan();
  }
});

test('tokens stay secret: memory only by default, sessionStorage only when asked, gone when forgotten', async ({
  page,
  app,
  servers,
  emulator,
  consoleMessages,
}) => {
  const bearer = 'tok-bearer-Zr81XvQ';
  const session = 'tok-session-Hd52WkP';
  const secrets = [bearer, session];
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  const storage = () =>
    page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
      url: location.href,
      text: document.body.innerText,
    }));

  await app.open(servers.app + '/');
  await app.fill({ account: ACCOUNT, imeis: IMEIS, bearer, session });
  await synchronize(app);
  // An error answer must not echo them either.
  await emulator.addFault({ kind: 'session_expired', times: 1 });
  await app.synchronize();
  await expect(app.alert).toContainText('REQUEST_FAILED.SessionToken.Expired');
  expect((await emulator.syncCalls()).map((c) => c.headers['vz-m2m-token'])).toEqual([session, session]);

  const before = await storage();
  for (const [where, value] of Object.entries(before)) expectNone(value, secrets, where);
  expect(before.cookie).toBe('');

  // Opt in: this tab's sessionStorage, nowhere else; a reload brings them back.
  await app.rememberTokens.check();
  await expect
    .poll(() => page.evaluate(() => [sessionStorage.getItem('fota-sync.bearerToken'), sessionStorage.getItem('fota-sync.sessionToken')]))
    .toEqual(secrets);
  const remembered = await storage();
  expectNone(remembered.local, secrets, 'localStorage');
  expect(remembered.cookie).toBe('');
  await page.reload();
  await expect(app.bearer).toHaveValue(bearer);
  await expect(app.session).toHaveValue(session);
  await expect(app.rememberTokens).toBeChecked();

  await app.forgetTokens.click();
  await expect(app.bearer).toHaveValue('');
  await expect(app.rememberTokens).not.toBeChecked();
  const after = await storage();
  for (const [where, value] of Object.entries(after)) expectNone(value, secrets, where);

  expectNone(urls.join('\n'), secrets, 'request URLs');
  expectNone(consoleMessages.join('\n'), secrets, 'the console');
});

test.describe('looks', () => {
  const LIGHT = { background: 'rgb(246, 247, 249)', text: 'rgb(27, 31, 36)' };
  const DARK = { background: 'rgb(21, 24, 28)', text: 'rgb(230, 233, 237)' };
  const cases = [
    { name: 'light', system: 'light', config: 'auto', expected: LIGHT },
    { name: 'dark', system: 'dark', config: 'auto', expected: DARK },
    { name: 'config-dark-on-light-system', system: 'light', config: 'dark', expected: DARK },
    { name: 'config-light-on-dark-system', system: 'dark', config: 'light', expected: LIGHT },
  ] as const;

  async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
    const file = testInfo.outputPath(`${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    await testInfo.attach(name, { path: file, contentType: 'image/png' });
  }

  test('light and dark follow the system unless config.json fixes one; screenshots kept', async ({
    page,
    app,
    servers,
    emulator,
  }, testInfo) => {
    const seen: Record<string, string> = {};
    for (const { name, system, config, expected } of cases) {
      writeConfig(servers, { theme: { colorScheme: config } });
      await page.emulateMedia({ colorScheme: system });
      await emulator.reset();
      await app.open(servers.app + '/');
      await app.fill({ account: ACCOUNT, imeis: IMEIS, bearer: 'theme-bearer', session: 'theme-session' });
      await synchronize(app);
      const colours = await page.evaluate(() => {
        const body = getComputedStyle(document.body);
        return { background: body.backgroundColor, text: body.color, theme: document.documentElement.dataset.theme ?? null };
      });
      expect(colours, name).toEqual({ ...expected, theme: config === 'auto' ? null : config });
      seen[name] = colours.background;
      await screenshot(page, testInfo, name);
    }
    expect(seen.light).not.toBe(seen.dark);
  });

  test('theme properties from config.json reach the page', async ({ app, servers }) => {
    writeConfig(servers, { theme: { colorScheme: 'light', properties: { accent: '#0a58ca', '--fota-radius': '0px' } } });
    await app.open(servers.app + '/');
    const button = app.synchronizeButton;
    await expect(button).toHaveCSS('background-color', 'rgb(10, 88, 202)');
    await expect(button).toHaveCSS('border-top-left-radius', '0px');
  });

  test('framed, with results: axe-core finds no violation in the app or around it', async ({ page, servers }) => {
    const framed = await openPortal(page, servers, {
      credentials: { bearerToken: 'axe-bearer', sessionToken: 'axe-session', account: ACCOUNT },
    });
    await framed.fill({ imeis: IMEIS });
    await synchronize(framed);
    await expectAccessible(page, 'framed in the portal');
  });

  test('360 px wide: no horizontal page scroll, alone or framed', async ({ page, app, servers }, testInfo) => {
    await page.setViewportSize({ width: 360, height: 740 });
    const noHorizontalScroll = (target: Page | Frame) =>
      target.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

    await app.open(servers.app + '/');
    // A long unbroken entry makes a long problem line.
    await app.fill({ account: ACCOUNT, imeis: [...IMEIS, '9'.repeat(80)], bearer: 'narrow-bearer', session: 'narrow-session' });
    await synchronize(app);
    expect(await noHorizontalScroll(page), 'the page alone').toBe(true);
    await screenshot(page, testInfo, 'narrow');

    const framed = await openPortal(page, servers, {
      credentials: { bearerToken: 'narrow-bearer', sessionToken: 'narrow-session', account: ACCOUNT },
    });
    await framed.fill({ imeis: [...IMEIS, '9'.repeat(80)] });
    await synchronize(framed);
    expect(await noHorizontalScroll(appFrame(page)), 'the app in a 360 px portal').toBe(true);
    expect(await noHorizontalScroll(page), 'the portal').toBe(true);
    await screenshot(page, testInfo, 'narrow-framed');
  });
});

test.describe('inside a portal frame: copy, download, tokens before the app starts', () => {
  const credentials = { bearerToken: 'portal-bearer-K7f2', sessionToken: 'portal-session-Q9d4', account: ACCOUNT };

  /** The app framed as `frame` says, with a finished run of IMEIS on the portal's tokens. */
  async function framedRun(page: Page, servers: Servers, frame: PortalOptions['frame'] = {}): Promise<App> {
    const app = await openPortal(page, servers, { credentials, frame });
    await expect(app.providedByPortal).toHaveCount(2);
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    return app;
  }

  /**
   * Opens the portal with the app's WebAssembly held back, so that only the page's first script
   * runs; `post` runs in the portal meanwhile, and once `posts` messages reached the app's window
   * the app starts.
   */
  async function postBeforeStart(
    page: Page,
    servers: Servers,
    options: PortalOptions,
    post: (portal: PortalApi) => unknown,
    posts: number,
  ): Promise<App> {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/_bg\.wasm$/, async (route) => {
      await held;
      await route.continue();
    });
    const app = await openPortal(page, servers, { ...options, waitForForm: false });
    await expect
      .poll(() =>
        page
          .frame({ name: 'fota-sync' })
          ?.evaluate(() => typeof (window as unknown as { fotaSyncInbox?: unknown }).fotaSyncInbox)
          // The frame's first, blank document goes away as it navigates to the app.
          .catch(() => 'navigating'),
      )
      .toBe('function');
    await portalDo(page, post);
    await expect.poll(() => messagesAtApp(page)).toBe(posts);
    // The app has not started yet: its console is not there.
    await expect(app.synchronizeButton).toHaveCount(0);
    release();
    return app;
  }

  test('copy blocked by the frame: each Copy button shows its text selected beside "Press Ctrl+C", never a false "Copied"', async ({
    page,
    servers,
  }) => {
    await framedRun(page, servers);
    const root = page.frameLocator('#fota-sync');
    await root.getByText(/^Request log/).click();
    const box = root.getByRole('dialog', { name: 'Copy by hand' });
    const workbenchNote = root.locator('.workbench-note');
    const cases = [
      {
        button: root.locator('table.request-log').getByRole('button', { name: 'Copy as cURL' }).first(),
        note: workbenchNote,
        text: /^curl /,
        done: 'Copied the request as a cURL command',
      },
      { button: root.getByRole('button', { name: 'Copy rows' }), note: root.locator('.copy-note'), text: new RegExp(IMEIS[0]), done: 'Copied 3 rows' },
      {
        button: root.locator('ul.groups').getByRole('button', { name: 'Copy IMEIs' }).first(),
        note: workbenchNote,
        text: /^\d{15}\n/,
        done: 'Copied the ',
      },
    ];
    for (const { button, note, text, done } of cases) {
      await button.click();
      await expect(box).toBeVisible();
      await expect(note).toHaveText(/^Not copied: the browser did not allow it here\./);
      await expect(box).toContainText('Press Ctrl+C to copy.');
      const field = box.getByRole('textbox', { name: 'Copy by hand' });
      await expect(field).toHaveJSProperty('readOnly', true);
      await expect(field).toHaveValue(text);
      const selectedWhole = await field.evaluate(
        (f: HTMLTextAreaElement) => document.activeElement === f && f.selectionStart === 0 && f.selectionEnd === f.value.length,
      );
      expect(selectedWhole, 'the text is focused and selected whole').toBe(true);
      // The user's own copy is a real one: then, and only then, the note says so.
      await page.keyboard.press('Control+C');
      await expect(box).toBeHidden();
      await expect(note).toContainText(done);
    }
  });

  test('copy allowed by the frame (allow="clipboard-write"): the text is on the clipboard and no box opens', async ({
    page,
    context,
    servers,
  }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await framedRun(page, servers, { allow: 'clipboard-write' });
    const root = page.frameLocator('#fota-sync');
    await root.getByRole('button', { name: 'Copy rows' }).click();
    await expect(root.locator('.copy-note')).toHaveText('Copied 3 rows (tab-separated, with a header line).');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(IMEIS[0]);
    await expect(root.getByRole('dialog')).toHaveCount(0);
  });

  test('downloads in a frame sandboxed without allow-downloads: the file is offered to copy, with a link out of the portal', async ({
    page,
    servers,
  }) => {
    // Without allow-modals, Chromium drops alert(), confirm() and prompt() without a word: the
    // app must never need them. Each call is recorded here.
    await page.addInitScript((appOrigin) => {
      if (location.origin !== appOrigin) return;
      const w = window as unknown as { __modals: string[] } & Record<string, unknown>;
      w.__modals = [];
      for (const name of ['alert', 'confirm', 'prompt']) w[name] = () => void w.__modals.push(name);
    }, servers.app);
    const app = await framedRun(page, servers, { sandbox: 'allow-scripts allow-same-origin allow-forms' });
    await app.forgetTokens.click();
    await expect(app.providedByPortal).toHaveCount(0);
    await app.downloadButton.click();
    const box = page.frameLocator('#fota-sync').getByRole('dialog', { name: 'Did the file arrive?' });
    await expect(box).toBeVisible();
    await expect(box).toContainText('sandboxed frame of the portal');
    await expect(box).toContainText('Press Ctrl+C to copy.');
    // A text field holds its lines with LF ends, whatever the file has.
    await expect(box.getByRole('textbox')).toHaveValue(new RegExp(`^IMEI,[^\\n]*\\n${IMEIS[0]},`));
    const out = box.getByRole('link');
    await expect(out).toHaveAttribute('href', `${servers.app}/`);
    await expect(out).toHaveAttribute('target', '_blank');
    await expect(out).toHaveText(`${servers.app}/`);
    await box.getByRole('button', { name: 'Close' }).click();
    await expect(box).toBeHidden();
    expect(await appFrame(page).evaluate(() => (window as unknown as { __modals: string[] }).__modals)).toEqual([]);
  });

  test('downloads in a sandboxed frame that allows them: the file arrives, and the box asks in case it did not', async ({
    page,
    servers,
  }) => {
    const app = await framedRun(page, servers, { sandbox: 'allow-scripts allow-same-origin allow-forms allow-downloads' });
    const download = page.waitForEvent('download');
    await app.downloadButton.click();
    expect((await download).suggestedFilename()).toMatch(/^fota-sync-0000123456-00001-\d{8}T\d{6}Z\.csv$/);
    await expect(page.frameLocator('#fota-sync').getByRole('dialog', { name: 'Did the file arrive?' })).toBeVisible();
  });

  test('downloads in a frame without a sandbox: the file arrives and no box opens', async ({ page, servers }) => {
    const app = await framedRun(page, servers);
    const download = page.waitForEvent('download');
    await app.downloadButton.click();
    expect((await download).suggestedFilename()).toMatch(/\.csv$/);
    await expect(page.frameLocator('#fota-sync').getByRole('dialog')).toHaveCount(0);
  });

  test('tokens posted before the WebAssembly starts reach the token fields', async ({ page, servers, emulator }) => {
    const app = await postBeforeStart(
      page,
      servers,
      {},
      (portal) => portal.send({ bearerToken: 'early-bearer', sessionToken: 'early-session', account: '0000123456-00001' }),
      1,
    );
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.account).toHaveValue(ACCOUNT);
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const [call] = await emulator.syncCalls();
    expect([call.headers['authorization'], call.headers['vz-m2m-token']]).toEqual(['Bearer early-bearer', 'early-session']);
    // Ready is still announced, so a portal that waits for it can send (again).
    await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready', 'fota-sync:result']);
  });

  test('tokens posted at the frame load event are not lost', async ({ page, servers }) => {
    const app = await openPortal(page, servers, { frame: { postAtLoad: credentials } });
    await expect.poll(() => page.evaluate(() => (window as unknown as { portal: { postedAtLoad?: boolean } }).portal.postedAtLoad)).toBe(true);
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.account).toHaveValue(ACCOUNT);
  });

  test("before the app starts, a sibling frame's credentials are dropped and the parent's kept", async ({ page, servers, emulator }) => {
    const app = await postBeforeStart(
      page,
      servers,
      {},
      async (portal) => {
        await portal.openSibling({ bearerToken: 'sibling-bearer', sessionToken: 'sibling-session', account: '0000111111-00001', apiBaseUrl: '/elsewhere/api/fota/v3' });
        portal.send({ bearerToken: 'parent-bearer', sessionToken: 'parent-session', account: '0000123456-00001' });
      },
      2,
    );
    await expect(app.providedByPortal).toHaveCount(2);
    // The sibling's account, read first, would have stayed: the parent's fills an empty field only.
    await expect(app.account).toHaveValue(ACCOUNT);
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const [call] = await emulator.syncCalls();
    expect(call.headers['authorization']).toBe('Bearer parent-bearer');
  });

  test('a portal on a foreign origin posting before the app starts is not heard', async ({ page, servers, emulator }) => {
    const app = await postBeforeStart(
      page,
      servers,
      { portal: servers.foreign },
      (portal) => portal.send({ bearerToken: 'foreign-bearer', sessionToken: 'foreign-session', account: '0000111111-00001' }),
      1,
    );
    await expect(app.synchronizeButton).toBeVisible();
    await expect(app.providedByPortal).toHaveCount(0);
    await expect(app.account).toHaveValue('');
    await runOnTypedTokens(app, emulator);
  });

  test('a portal posting right after setting the frame src (before it navigates) gets ready and sends again', async ({ page, servers }) => {
    // The early post goes to the blank document the frame holds before it navigates, which the
    // browser drops; the answer to ready is what hands the tokens over.
    const app = await openPortal(page, servers, { credentials, frame: { postEarly: credentials } });
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.account).toHaveValue(ACCOUNT);
    await expect.poll(() => typesFromApp(page)).toEqual(['fota-sync:ready']);
  });
});

test.describe('frames and portal messages: what other embedded apps met', () => {
  const credentials = { bearerToken: 'portal-bearer-K7f2', sessionToken: 'portal-session-Q9d4', account: ACCOUNT };

  test('no navigator.clipboard (an http page, an old browser): Copy rows shows the box, nothing throws', async ({ page, servers }) => {
    await page.addInitScript((appOrigin) => {
      if (location.origin === appOrigin) Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined });
    }, servers.app);
    const app = await openPortal(page, servers, { credentials });
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const root = page.frameLocator('#fota-sync');
    await root.getByRole('button', { name: 'Copy rows' }).click();
    await expect(root.getByRole('dialog', { name: 'Copy by hand' })).toBeVisible();
    await expect(root.locator('.copy-note')).toHaveText(/^Not copied/);
  });

  test('storage refused in a third-party frame (SecurityError on every storage API): the handoff and a run still work', async ({
    page,
    servers,
    emulator,
  }) => {
    await page.addInitScript((appOrigin) => {
      if (location.origin !== appOrigin) return;
      for (const name of ['localStorage', 'sessionStorage', 'indexedDB']) {
        Object.defineProperty(window, name, {
          get() {
            throw new DOMException('Access is denied for this document.', 'SecurityError');
          },
        });
      }
    }, servers.app);
    const app = await openPortal(page, servers, { credentials });
    await expect(app.providedByPortal).toHaveCount(2);
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const [call] = await emulator.syncCalls();
    expect(call.headers['authorization']).toBe(`Bearer ${credentials.bearerToken}`);
    await expect(app.rows).toHaveCount(IMEIS.length);
  });

  test('the app never takes the focus on start: a portal scrolled to its top stays there', async ({ page, servers }) => {
    const app = await openPortal(page, servers, { credentials, frame: { below: 3000 } });
    await expect(app.providedByPortal).toHaveCount(2);
    expect(await page.evaluate(() => [scrollY, document.activeElement?.tagName])).toEqual([0, 'BODY']);
  });

  test('a frame sized very small: the copy box fits inside it, its field and Close reachable', async ({ page, servers }) => {
    const app = await openPortal(page, servers, { credentials, frame: { size: [320, 260] } });
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const root = page.frameLocator('#fota-sync');
    await root.getByRole('button', { name: 'Copy rows' }).click();
    const box = root.getByRole('dialog', { name: 'Copy by hand' });
    await expect(box).toBeVisible();
    const inside = await appFrame(page).evaluate(() => {
      const r = document.querySelector('dialog.copy-box')!.getBoundingClientRect();
      return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
    });
    expect(inside, 'the box lies within the 320 x 260 frame').toBe(true);
    await box.getByRole('button', { name: 'Close' }).click();
    await expect(box).toBeHidden();
  });

  test('credentials posted as JSON text are read as the same message', async ({ page, servers }) => {
    const app = await openPortal(page, servers);
    await portalDo(page, (portal) =>
      portal.post(JSON.stringify({ type: 'fota-sync:credentials', bearerToken: 'text-bearer', sessionToken: 'text-session', account: '0000123456-00001' })),
    );
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.account).toHaveValue(ACCOUNT);
  });

  test('credentials with extra fields JSON cannot hold (a BigInt, a cycle) are still read', async ({ page, servers }) => {
    const app = await openPortal(page, servers);
    await portalDo(page, (portal) => {
      const meta: Record<string, unknown> = { at: 10n };
      meta.self = meta;
      portal.post({ type: 'fota-sync:credentials', bearerToken: 'b-K7f2', sessionToken: 's-Q9d4', account: '0000123456-00001', meta });
    });
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.account).toHaveValue(ACCOUNT);
  });

  test("a message the app's own window posts (an extension's script in the frame) is not the parent's, even from an allowed origin", async ({
    page,
    servers,
    emulator,
  }) => {
    writeConfig(servers, { allowedParentOrigins: [servers.allowed, servers.app] });
    const app = await openPortal(page, servers);
    await appFrame(page).evaluate(() =>
      window.postMessage({ type: 'fota-sync:credentials', bearerToken: 'self-bearer', sessionToken: 'self-session', account: '0000111111-00001' }, '*'),
    );
    await expect.poll(() => messagesAtApp(page)).toBe(1);
    await portalDo(page, (portal) => portal.send({ bearerToken: 'parent-bearer', sessionToken: 'parent-session', account: '0000123456-00001' }));
    await expect(app.providedByPortal).toHaveCount(2);
    await expect(app.account).toHaveValue(ACCOUNT);
    await app.fill({ imeis: IMEIS });
    await synchronize(app);
    const [call] = await emulator.syncCalls();
    expect(call.headers['authorization']).toBe('Bearer parent-bearer');
  });
});
