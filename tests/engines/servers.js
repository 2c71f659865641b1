// The servers every engine's cases share, each on a free 127.0.0.1 port, started once per run:
//   emulator  fota-emulator serving dist/ (the e2e suite's binary and build, ../e2e/servers.js)
//             under the strict policy: connect-src 'self' only, frame-ancestors the portal
//   site      the origin the browser opens: passes everything through to the emulator, adds
//             `report-uri /csp-reports` to its Content-Security-Policy and collects the reports
//             (every engine sends them: no listener in the page needed), serves config.json
//             with a case's overrides on top, /engines-throw.js, a script that throws, and, when
//             a case asks for a storage fault, the page with storage-fault.js first in its head;
//             /engines-blank.html is a page of the site's origin without the app (to clear its
//             storage while no page of the app holds the database open)
//   portal    tests/e2e/fixtures (portal.html, portal.js): a parent page on an origin of its own
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { DIST_DIR, EMULATOR_BIN } = require('../e2e/servers');

const REPORT_PATH = '/csp-reports';
const THROW_PATH = '/engines-throw.js';
const STORAGE_FAULT_PATH = '/engines-storage-fault.js';
const BLANK_PATH = '/engines-blank.html';

/** Listens on a free loopback port; resolves to the origin, `http://127.0.0.1:PORT`. */
async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Serves the files of `dir` by name. */
function staticServer(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  return http.createServer((request, response) => {
    const name = path.basename(new URL(request.url, 'http://x').pathname);
    const file = path.join(dir, name);
    if (!name || !fs.existsSync(file)) return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': `${types[path.extname(name)] ?? 'application/octet-stream'}; charset=utf-8` });
    response.end(fs.readFileSync(file));
  });
}

/** Starts fota-emulator with `args`; resolves to its URL and a stop function. */
function startEmulator(args) {
  if (!fs.existsSync(EMULATOR_BIN)) throw new Error(`no emulator at ${EMULATOR_BIN}: cargo build -p fota-emulator, or set E2E_EMULATOR_BIN`);
  if (!fs.existsSync(path.join(DIST_DIR, 'index.html'))) throw new Error(`no build in ${DIST_DIR}: .ci/test build, or set E2E_DIST_DIR`);
  const child = spawn(EMULATOR_BIN, ['--port', '0', '--serve-dir', DIST_DIR, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`fota-emulator did not start in 10 s: ${output}`)), 10_000);
    child.on('exit', (code) => reject(new Error(`fota-emulator exited (${code}): ${output}`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        stop: () => new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', done), child.kill('SIGTERM')))),
      });
    });
  });
}

/** The site in front of the emulator (see the top of this file). */
function siteServer(upstream) {
  const site = {
    /** The CSP reports received since the last `reset`, parsed. */
    reports: [],
    /** Keys set over dist/config.json for the next page load. */
    config: {},
    /** The storage fault of the next page loads (storage-fault.js), or null. */
    storageFault: null,
  };
  const target = new URL(upstream);
  site.server = http.createServer(async (request, response) => {
    if (request.method === 'POST' && request.url === REPORT_PATH) {
      const body = (await readBody(request)).toString('utf8');
      try {
        site.reports.push(JSON.parse(body));
      } catch {
        site.reports.push({ unparsed: body });
      }
      return response.writeHead(204).end();
    }
    if (request.url === THROW_PATH) {
      // A page script that throws and rejects, for the check that the error watch hears each engine.
      response.writeHead(200, { 'content-type': 'text/javascript' });
      return response.end("setTimeout(() => { throw new Error('thrown by the test'); });\nPromise.reject(new Error('rejected by the test'));\n");
    }
    if (request.url === BLANK_PATH) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return response.end('<!DOCTYPE html><title>blank</title>');
    }
    if (request.url === STORAGE_FAULT_PATH || request.url.startsWith(`${STORAGE_FAULT_PATH}?`)) {
      response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      return response.end(fs.readFileSync(path.join(__dirname, 'storage-fault.js')));
    }
    const body = await readBody(request);
    const pathname = new URL(request.url, upstream).pathname;
    const page = request.method === 'GET' && (pathname === '/' || pathname === '/index.html');
    const fault = page ? site.storageFault : null;
    // The page is rewritten only when a fault goes in: asked for uncompressed, then.
    const headers = { ...request.headers };
    if (fault) delete headers['accept-encoding'];
    const forward = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers, agent: false },
      async (answer) => {
        const headers = { ...answer.headers };
        const csp = headers['content-security-policy'];
        if (csp) headers['content-security-policy'] = `${csp}; report-uri ${REPORT_PATH}`;
        if (fault && answer.statusCode === 200) {
          const html = (await readBody(answer)).toString('utf8');
          const script = `<script src="${STORAGE_FAULT_PATH}?fault=${encodeURIComponent(fault)}"></script>`;
          const text = html.replace(/<head[^>]*>/i, (head) => head + script);
          if (text === html) return response.writeHead(500).end('storage fault: the page has no <head>');
          headers['content-length'] = String(Buffer.byteLength(text));
          headers['cache-control'] = 'no-store';
          delete headers.etag;
          response.writeHead(200, headers).end(text);
          return;
        }
        if (request.method === 'GET' && pathname === '/config.json' && answer.statusCode === 200) {
          const config = { ...JSON.parse((await readBody(answer)).toString('utf8')), ...site.config };
          const text = JSON.stringify(config);
          headers['content-length'] = String(Buffer.byteLength(text));
          delete headers.etag;
          response.writeHead(200, headers).end(text);
          return;
        }
        response.writeHead(answer.statusCode, headers);
        answer.pipe(response);
      },
    );
    forward.on('error', (error) => response.destroy(error));
    forward.end(body);
  });
  return site;
}

/**
 * Starts the portal, the emulator and the site. Resolves to { site, portal, emulator, reports(),
 * setConfig(overrides), setStorageFault(name), reset(), stop() }: URLs without a trailing slash.
 */
async function startServers() {
  const portalServer = staticServer(path.join(__dirname, '..', 'e2e', 'fixtures'));
  const portal = await listen(portalServer);
  let emulator;
  try {
    emulator = await startEmulator(['--csp-connect-src', "'self'", '--frame-ancestors', portal]);
  } catch (error) {
    portalServer.close(); // nothing may keep the run alive
    throw error;
  }
  const site = siteServer(emulator.url);
  const siteUrl = await listen(site.server);
  const defaults = { allowedParentOrigins: [portal] };
  site.config = { ...defaults };
  const servers = {
    site: siteUrl,
    portal,
    emulator: emulator.url,
    /** The CSP reports received since the last reset. */
    reports: () => site.reports,
    /** config.json for the next page load: dist/'s, the portal allowed, and `overrides`. */
    setConfig: (overrides) => (site.config = { ...defaults, ...overrides }),
    /** The next page loads run storage-fault.js with `name` (quota, refused) first; null: none. */
    setStorageFault: (name) => (site.storageFault = name),
    reset() {
      site.reports = [];
      site.config = { ...defaults };
      site.storageFault = null;
    },
    async stop() {
      for (const server of [site.server, portalServer]) server.closeAllConnections();
      await Promise.all([site.server, portalServer].map((s) => new Promise((resolve) => s.close(resolve))));
      await emulator.stop();
    },
  };
  return servers;
}

module.exports = { startServers, BLANK_PATH, THROW_PATH };
