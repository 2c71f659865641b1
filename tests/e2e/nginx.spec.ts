// The deploy/ nginx configurations, as a browser and a curious client see them: headers, caching,
// compression, the Content-Security-Policy, CORS for the allow-list only, and no token in the
// logs. In the nginx projects only (playwright.config.ts), whose `deployment` option says:
//   proxy        same-origin | cors-proxy
//   nginxLogDir  where this nginx writes its access and error logs
//   apiBaseUrl   the apiBaseUrl of the config.json nginx serves
//   foreignUrl   (cors-proxy) the same site on an origin the proxy does not allow
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIResponse } from '@playwright/test';
import { validImeis } from './imei';
import { ACCOUNT, expect, test as base } from './app';
import { DIST_DIR } from './emulator';
import { NGINX_BIN, REPO_ROOT } from './servers';

const IMEIS = validImeis(3, 950);
const ENDPOINT = `/api/fota/v3/firmware/${ACCOUNT}/devices`;

/** nginx's logs, in the deployment's log directory. */
class NginxLogs {
  constructor(private readonly dir: string) {}

  private files(): string[] {
    return fs
      .readdirSync(this.dir)
      .filter((name) => name.endsWith('.log'))
      .map((name) => path.join(this.dir, name));
  }

  /** Every log, concatenated. */
  all(): string {
    return this.files()
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');
  }

  /** How far each log has got, for `since`. */
  mark(): Map<string, number> {
    return new Map(this.files().map((file) => [file, fs.statSync(file).size]));
  }

  /** What nginx logged after `mark`, every log concatenated. */
  since(mark: Map<string, number>): string {
    return this.files()
      .map((file) => fs.readFileSync(file).subarray(mark.get(file) ?? 0).toString('utf8'))
      .join('\n');
  }
}

const test = base.extend<{ logs: NginxLogs }>({
  logs: async ({ deployment }, use) => {
    expect(deployment.nginxLogDir, 'the deployment has nginx logs').toBeTruthy();
    await use(new NginxLogs(deployment.nginxLogDir!));
  },
});

/** The API's origin, as the Content-Security-Policy must name it ('' when on the page's own). */
function apiOrigin(apiBaseUrl: string): string {
  return /^https?:\/\//.test(apiBaseUrl) ? new URL(apiBaseUrl).origin : '';
}

function accessControlHeaders(response: APIResponse): string[] {
  return Object.keys(response.headers()).filter((name) => name.startsWith('access-control-'));
}

test.describe('the static site', () => {
  test('types, caching, compression and security headers', async ({ request, deployment }) => {
    const index = await request.get('/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(index.status()).toBe(200);
    const headers = index.headers();
    expect(headers['content-type']).toMatch(/^text\/html/);
    expect(headers['cache-control']).toBe('no-cache');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    const csp = headers['content-security-policy'].split(';').map((d) => d.trim().replace(/\s+/g, ' '));
    expect(csp).toEqual([
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self'",
      `connect-src 'self'${apiOrigin(deployment.apiBaseUrl) ? ` ${apiOrigin(deployment.apiBaseUrl)}` : ''}`,
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "object-src 'none'",
    ]);

    const config = await request.get('config.json');
    expect(config.headers()['cache-control']).toBe('no-store');
    expect(config.headers()['content-type']).toMatch(/^application\/json/);
    expect(((await config.json()) as { apiBaseUrl: string }).apiBaseUrl).toBe(deployment.apiBaseUrl);

    // Every asset the page loads, by the hashed names index.html gives it.
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]);
    const expectedTypes: [RegExp, RegExp][] = [
      [/_bg\.wasm$/, /^application\/wasm$/],
      [/\.js$/, /^application\/javascript/],
      [/\.css$/, /^text\/css/],
      [/\.svg$/, /^image\/svg\+xml/],
    ];
    for (const [pattern] of expectedTypes) {
      expect(assets.filter((a) => pattern.test(a)), `an asset matching ${pattern} in ${assets}`).not.toHaveLength(0);
    }
    for (const asset of assets) {
      expect(asset, 'hashed name').toMatch(/-[0-9a-f]{8,16}(_bg)?\.[a-z]+$/);
      const response = await request.get(asset, { headers: { 'Accept-Encoding': 'gzip' } });
      const h = response.headers();
      expect(response.status(), asset).toBe(200);
      const type = expectedTypes.find(([pattern]) => pattern.test(asset));
      if (type) expect(h['content-type'], asset).toMatch(type[1]);
      expect(h['cache-control'], asset).toBe('public, max-age=31536000, immutable');
      expect(h['content-encoding'], asset).toBe('gzip');
      expect(h['vary'], asset).toContain('Accept-Encoding');
      expect(h['x-content-type-options'], asset).toBe('nosniff');
    }
  });

  test('brotli and gzip come from the files the build made, not compressed on the fly', async ({ request }) => {
    const html = await (await request.get('/')).text();
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]);
    expect(assets.filter((a) => a.endsWith('_bg.wasm')), 'the wasm in index.html').toHaveLength(1);
    // The page itself (nginx's `index`), and every asset it names.
    for (const [url, file] of [['/', 'index.html'], ...assets.map((a) => [a, a])]) {
      for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz']]) {
        const response = await request.get(url, { headers: { 'Accept-Encoding': encoding } });
        const h = response.headers();
        expect(response.status(), `${url} (${encoding})`).toBe(200);
        expect(h['content-encoding'], `${url} (${encoding})`).toBe(encoding);
        // The precompressed file's exact length: on-the-fly compression sends no Content-Length.
        expect(h['content-length'], `${url} (${encoding})`).toBe(String(fs.statSync(path.join(DIST_DIR, file + suffix)).size));
        expect(h['vary'], `${url} (${encoding})`).toContain('Accept-Encoding');
      }
    }
  });

  test('a load asks once for config.json and once for the wasm: the app takes both preloads', async ({
    page,
    app,
    logs,
    consoleMessages,
  }) => {
    const mark = logs.mark();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    const wasmEncoding = page.waitForResponse(/_bg\.wasm$/).then((r) => r.headerValue('content-encoding'));
    await app.open();
    await expect(app.imeis).toBeEnabled();
    // Chromium asks for brotli, also on plain http to 127.0.0.1.
    expect(await wasmEncoding).toBe('br');
    expect(requested.filter((p) => p.endsWith('/config.json')), 'config.json requests').toHaveLength(1);
    expect(requested.filter((p) => p.endsWith('_bg.wasm')), 'wasm requests').toHaveLength(1);
    // nginx's side of it: one GET each in this load.
    const gets = logs.since(mark).split('\n').filter((line) => line.includes('"GET /'));
    expect(gets.filter((line) => line.includes('"GET /config.json ')), 'config.json in the access log').toHaveLength(1);
    expect(gets.filter((line) => /_bg\.wasm /.test(line)), 'the wasm in the access log').toHaveLength(1);
    // Chromium says so when a preload is found but not used ("A preload for '…' is found, but is
    // not used because the request credentials mode does not match"). Not its note that the wasm
    // preload's `integrity` is ignored for `as="fetch"` (Trunk writes it; crbug.com/981419).
    expect(consoleMessages.filter((m) => /preload/i.test(m) && /not used/i.test(m))).toEqual([]);
  });

  test('without the brotli module, render.sh leaves brotli out and nginx accepts the rest', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fota-nginx-no-brotli-'));
    try {
      for (const sub of ['conf.d', 'fota-sync', 'sites-enabled', 'temp']) {
        fs.mkdirSync(path.join(dir, sub));
        if (sub === 'conf.d' || sub === 'fota-sync') fs.cpSync(path.join(REPO_ROOT, 'deploy', 'nginx', sub), path.join(dir, sub), { recursive: true });
      }
      // As on a machine without libnginx-mod-http-brotli-static (FOTA_BROTLI_STATIC=auto).
      const env = { ...process.env, FOTA_NGINX_MODULES_DIR: path.join(dir, 'no-modules'), FOTA_LOG_DIR: dir };
      const render = (template: string, file: string, extra: Record<string, string> = {}) => {
        const text = execFileSync(path.join(REPO_ROOT, 'deploy', 'render.sh'), [template], { env: { ...env, ...extra }, encoding: 'utf8' });
        fs.writeFileSync(path.join(dir, file), text);
        return text;
      };
      const main = render('nginx.conf', 'nginx.conf');
      const site = render('same-origin', 'sites-enabled/fota-sync.conf', {
        FOTA_LISTEN: '127.0.0.1:9',
        FOTA_DIST: DIST_DIR,
        FOTA_UPSTREAM: 'http://127.0.0.1:9',
      });
      expect(main).not.toMatch(/^\s*load_module/m);
      expect(site).not.toMatch(/^\s*brotli_static/m);
      expect(site).toContain('# brotli_static off (FOTA_BROTLI_STATIC=auto');
      const check = spawnSync(NGINX_BIN, ['-t', '-q', '-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], {
        encoding: 'utf8',
      });
      expect(check.status, `nginx -t: ${check.stderr}`).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the app runs under its Content-Security-Policy without a violation', async ({ app, emulator, deployment, csp }) => {
    await app.start({ imeis: IMEIS });
    await app.expectRunOver();
    const documented = await Promise.all(IMEIS.map((imei) => emulator.outcome(imei)));
    await expect(await app.column('Status')).toHaveText(documented.map((d) => d.status));
    await expect(app.baseUrl).toHaveValue(deployment.apiBaseUrl);
    // Reported as an event, or only in the console.
    expect([...csp.take(), ...csp.console]).toEqual([]);
  });
});

test.describe('tokens', () => {
  test('pass through untouched and never reach the logs', async ({ app, emulator, logs }) => {
    // Distinctive, so that any trace of them in a log is found.
    const bearer = `bearer-LOGCHECK-${Date.now()}-b7f3`;
    const session = `session-LOGCHECK-${Date.now()}-5c1e`;
    const mark = logs.mark();
    // A dropped connection makes nginx write an error-log line about this very request.
    await emulator.addFault({ kind: 'drop', times: 1 });
    await app.start({ imeis: IMEIS, bearer, session });
    await app.expectRunOver();
    await expect(app.alert).toHaveCount(0);

    const calls = await emulator.syncCalls();
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.headers['authorization']).toBe(`Bearer ${bearer}`);
      expect(call.headers['vz-m2m-token']).toBe(session);
    }

    // This run's lines, to show logging works; then every log from the start, for the tokens.
    const run = logs.since(mark);
    expect(run).toContain(`"PUT ${ENDPOINT} HTTP/1.1" 200`);
    expect(run).toContain('upstream prematurely closed connection');
    const all = logs.all();
    for (const secret of [bearer, session, 'LOGCHECK', 'Bearer ']) {
      expect(all.includes(secret), `"${secret}" in nginx's logs`).toBe(false);
    }
  });
});

test.describe('same origin', { tag: '@same-origin-api' }, () => {
  test('the API is a path on the site: no preflight', async ({ app, emulator, logs }) => {
    const mark = logs.mark();
    await app.start({ imeis: IMEIS });
    await app.expectRunOver();
    expect(await emulator.syncCalls()).toHaveLength(1);
    const run = logs.since(mark);
    expect(run).toContain(`"PUT ${ENDPOINT} HTTP/1.1" 200`);
    expect(run).not.toContain('"OPTIONS ');
  });
});

test.describe('separate CORS proxy', { tag: '@cors-proxy' }, () => {
  const endpoint = (apiBaseUrl: string) => `${apiBaseUrl}/firmware/${ACCOUNT}/devices`;
  const preflight = (origin: string) => ({
    Origin: origin,
    'Access-Control-Request-Method': 'PUT',
    'Access-Control-Request-Headers': 'authorization,content-type,vz-m2m-token',
  });
  const put = (origin: string, bearer: string) => ({
    headers: { Origin: origin, Authorization: `Bearer ${bearer}`, 'VZ-M2M-Token': 'session-e2e', 'Content-Type': 'application/json' },
    data: JSON.stringify({ deviceList: IMEIS }),
  });

  test('the browser preflights, and nginx answers it without ThingSpace', async ({ app, emulator, logs }) => {
    const mark = logs.mark();
    await app.start({ imeis: IMEIS });
    await app.expectRunOver();
    await expect(app.alert).toHaveCount(0);
    expect(await emulator.syncCalls()).toHaveLength(1);
    const run = logs.since(mark);
    expect(run).toContain(`"OPTIONS ${ENDPOINT} HTTP/1.1" 204`);
    expect(run).toContain(`"PUT ${ENDPOINT} HTTP/1.1" 200`);
    expect((await emulator.requests()).filter((r) => r.method === 'OPTIONS')).toHaveLength(0);
  });

  test('CORS headers for the allowed origin only, errors included', async ({ request, emulator, baseURL, deployment }) => {
    const siteOrigin = () => new URL(baseURL!).origin;
    const foreignOrigin = () => new URL(deployment.foreignUrl!).origin;
    const url = endpoint(deployment.apiBaseUrl);
    const allowed = await request.fetch(url, { method: 'OPTIONS', headers: preflight(siteOrigin()) });
    expect(allowed.status()).toBe(204);
    expect(allowed.headers()).toMatchObject({
      'access-control-allow-origin': siteOrigin(),
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'Authorization, VZ-M2M-Token, Content-Type, Accept',
      'access-control-expose-headers': 'Retry-After, WWW-Authenticate',
      'access-control-max-age': '7200',
      vary: 'Origin',
    });

    const denied = await request.fetch(url, { method: 'OPTIONS', headers: preflight(foreignOrigin()) });
    expect(denied.status()).toBe(403);
    expect(accessControlHeaders(denied)).toEqual([]);

    // ThingSpace's 401 reaches the allowed origin readable, with Retry-After and its challenge exposed.
    const refused = await request.put(url, put(siteOrigin(), 'invalid'));
    expect(refused.status()).toBe(401);
    expect(refused.headers()['access-control-allow-origin']).toBe(siteOrigin());
    expect(refused.headers()['access-control-expose-headers']).toBe('Retry-After, WWW-Authenticate');
    expect(refused.headers()['access-control-allow-methods']).toBeUndefined();

    // So does nginx's own 502 when the upstream hangs up.
    await emulator.addFault({ kind: 'drop', times: 1 });
    const badGateway = await request.put(url, put(siteOrigin(), 'bearer-e2e'));
    expect(badGateway.status()).toBe(502);
    expect(badGateway.headers()['access-control-allow-origin']).toBe(siteOrigin());

    // Another origin gets the answer without any CORS header: its browser withholds it.
    const foreign = await request.put(url, put(foreignOrigin(), 'invalid'));
    expect(foreign.status()).toBe(401);
    expect(accessControlHeaders(foreign)).toEqual([]);
    expect(foreign.headers()['vary']).toBe('Origin');
  });

  test('a site on an origin not on the allow-list gets the CORS message', async ({ app, emulator, deployment, logs }) => {
    const imeis = IMEIS;
    await app.open(deployment.foreignUrl);
    await app.fillForm({ imeis });
    await app.synchronize();
    // Allow for the app's retries with back-off before it gives up. The app probes the proxy
    // without CORS, finds it answers, and so names CORS as the cause.
    await expect(app.alert).toContainText(
      `The server at ${endpoint(deployment.apiBaseUrl)} answered, but the browser withheld the answer: its CORS headers do not allow this site (${new URL(deployment.foreignUrl!).origin}). The proxy must answer the preflight (OPTIONS) with Access-Control-Allow-Origin: ${new URL(deployment.foreignUrl!).origin},`,
      { timeout: 20_000 },
    );
    await expect(await app.column('Reason')).toHaveText(
      Array(imeis.length).fill("Blocked by the browser: the proxy's CORS headers do not allow this site (after 4 tries)"),
    );
    expect(await emulator.syncCalls()).toHaveLength(0);
    expect(logs.all()).toContain(`"OPTIONS ${ENDPOINT} HTTP/1.1" 403`);
    // The form is as typed, ready for a corrected set-up.
    await expect(app.imeis).toHaveValue(imeis.join('\n'));
    await expect(app.synchronizeButton).toBeEnabled();
  });
});
