// config.json as operators really leave it: one bad key costs only that key (the note names it
// and the file), a hand-edited file is read, and a web page, a missing file or broken JSON is
// named in plain words. Each test serves its own config.json through a route, on top of the
// deployment's apiBaseUrl.
import type { Page } from '@playwright/test';
import { expect, test, type App } from './app';
import { validImeis } from './imei';

/** Parser words that must never reach a user. */
const PARSER_WORDS = /expected value|line \d+ column \d+|EOF|invalid type|unexpected/i;

/**
 * Serves config.json as `body(apiBaseUrl)` with `status` and `contentType`: `apiBaseUrl` is the
 * deployment's own with a trailing slash, so that the field shows whether it was used.
 */
async function serveConfig(
  page: Page,
  body: (apiBaseUrl: string) => string,
  { status = 200, contentType = 'application/json' } = {},
): Promise<string> {
  let used = '';
  await page.route('**/config.json', async (route) => {
    const response = await route.fetch();
    const served = response.ok() ? ((await response.json()) as { apiBaseUrl?: string }) : {};
    used = `${served.apiBaseUrl ?? 'api/fota/v3'}/`;
    await route.fulfill({ status, contentType, body: body(used) });
  });
  const served = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/config.json'));
  return new Promise((resolve) => {
    void served.then(() => resolve(used));
  });
}

const note = (app: App) => app.page.locator('.config-note');

/** Synchronizes `count` devices; the sizes of the requests the emulator received, largest first (they run in parallel). */
async function synchronize(app: App, emulator: { sentDeviceLists(): Promise<string[][]> }, count: number) {
  await app.fillForm({ imeis: validImeis(count, 900) });
  await app.synchronize();
  await app.expectRunOver({ devices: count });
  return (await emulator.sentDeviceLists()).map((l) => l.length).sort((a, b) => b - a);
}

test('one bad key costs only that key: the valid apiBaseUrl applies and the note names the bad keys', async ({ page, app, emulator }) => {
  const used = serveConfig(
    page,
    (url) => `{
  "apiBaseUrl": "${url}",
  "batchSize": "50",
  "requestTimeoutMs": 30000.0,
  "concurrency": 2,
  "allowedParentOrigins": "https://portal.example.com",
  "maxAttempts": -1,
  "historyLimt": 5
}`,
  );
  await app.open();
  const apiBaseUrl = await used;
  await expect(app.baseUrl).toHaveValue(apiBaseUrl);
  await expect(note(app)).toContainText('config.json');
  await expect(note(app)).toContainText('batchSize must be a whole number from 1 to 100, not the text "50"');
  await expect(note(app)).toContainText('maxAttempts must be a whole number from 1 to 10, not -1');
  await expect(note(app)).toContainText('allowedParentOrigins should be a list');
  await expect(note(app)).toContainText('historyLimt is not a known key (did you mean historyLimit?)');
  await expect(note(app)).not.toContainText('requestTimeoutMs');
  await expect(note(app)).not.toHaveText(PARSER_WORDS);
  // batchSize fell back to 100 devices a request; the requests went to the configured base URL.
  expect(await synchronize(app, emulator, 150)).toEqual([100, 50]);
});

test('a hand-edited file (byte-order mark, CRLF, comments, trailing comma) is read whole', async ({ page, app, emulator }) => {
  const used = serveConfig(
    page,
    (url) => `\ufeff{\r\n  // the proxy in front of ThingSpace\r\n  "apiBaseUrl": "${url}",\r\n  /* smaller requests */\r\n  "batchSize": 40,\r\n}\r\n`,
  );
  await app.open();
  await expect(app.baseUrl).toHaveValue(await used);
  await expect(note(app)).toHaveCount(0);
  expect(await synchronize(app, emulator, 90)).toEqual([40, 40, 10]);
});

for (const { name, status, contentType, body, says } of [
  {
    name: "a single-page host's HTML fallback (200 text/html)",
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: '<!doctype html><html><head><title>FOTA Sync</title></head><body></body></html>',
    says: 'config.json came back as a web page (HTML), not the file',
  },
  {
    name: 'a 404',
    status: 404,
    contentType: 'text/plain',
    body: 'Not Found',
    says: 'config.json was not found beside the app (HTTP 404)',
  },
  {
    name: 'broken JSON',
    status: 200,
    contentType: 'application/json',
    body: "{\n  \"apiBaseUrl\": 'https://proxy.example.com'\n}",
    says: 'config.json is not valid JSON at line 2, column 17: JSON writes text in double quotes',
  },
]) {
  test(`${name} is named in plain words, and the defaults apply`, async ({ page, app }) => {
    const served = serveConfig(page, () => body, { status, contentType });
    await app.open();
    await served;
    await expect(note(app)).toContainText(says);
    await expect(note(app)).toContainText('Using the built-in defaults.');
    await expect(note(app)).not.toHaveText(PARSER_WORDS);
    await expect(app.baseUrl).toHaveValue('api/fota/v3');
  });
}
