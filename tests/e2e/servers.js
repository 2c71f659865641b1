// The suite's servers, each started and stopped by Playwright (`webServer` in playwright.config.ts):
//   node servers.js emulator           the debug emulator serving dist/ on a free 127.0.0.1 port
//   node servers.js nginx same-origin  deploy/'s same-origin nginx (site and /api/fota/ on one origin)
//   node servers.js nginx cors-proxy   deploy/'s static site and CORS proxy on two origins, and the
//                                      same site on a third origin the proxy does not allow
// nginx is rendered from deploy/'s templates by deploy/render.sh, with the emulator
// (E2E_EMULATOR_URL) as its upstream instead of ThingSpace, and runs in the foreground with its own
// prefix under the system's temporary directory (no root, no system nginx) and its logs in
// E2E_NGINX_LOG_DIR.
//
// Once it listens, each prints one line with its URLs; the config's `wait.stdout` reads them into
// the environment of the run. Each stops what it started when Playwright stops it (SIGTERM) or
// goes away (this process's stdin closes). Plain CommonJS, so that the config and emulator.ts
// share its paths.
'use strict';

const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Cargo's target directory, as cargo finds it from the repository root. */
const TARGET_DIR = path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR || 'target');
/** The emulator binary: `E2E_EMULATOR_BIN`, or the debug build `.ci/test` makes first. */
const EMULATOR_BIN = process.env.E2E_EMULATOR_BIN || path.join(TARGET_DIR, 'debug', 'fota-emulator');
/** The release build to serve: `E2E_DIST_DIR`, or `dist/` as `.ci/test build` leaves it. */
const DIST_DIR = process.env.E2E_DIST_DIR || path.join(REPO_ROOT, 'dist');
const NGINX_BIN = process.env.NGINX_BIN || '/usr/sbin/nginx';

module.exports = { REPO_ROOT, EMULATOR_BIN, DIST_DIR, NGINX_BIN };

/** A reason to stop, for the person running the suite. */
function fail(message) {
  throw new Error(message);
}

function needBuild() {
  if (!fs.existsSync(path.join(DIST_DIR, 'index.html'))) {
    fail(`${DIST_DIR} has no build: run the build layer first (.ci/test build e2e), or set E2E_DIST_DIR`);
  }
}

/** What this process started, stopped once on the way out. */
const children = [];
let tempDir = '';
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM'); // nginx: fast shutdown, workers included; the emulator: at once
        }),
    ),
  );
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  process.exit(code);
}


/** Starts a child whose exit ends this process (with its status, unless we are stopping anyway). */
function start(command, args, stdio) {
  const child = spawn(command, args, { stdio });
  children.push(child);
  child.on('error', (error) => {
    process.stderr.write(`servers.js: ${command}: ${error.message}\n`);
    void stop(1);
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    // Playwright signals the whole process group at once: a child may stop before our handler runs.
    const stopped = code === 0 || signal === 'SIGTERM' || signal === 'SIGINT';
    if (!stopped) process.stderr.write(`servers.js: ${path.basename(command)} exited (${signal ?? code})\n`);
    void stop(stopped ? 0 : code || 1);
  });
  return child;
}

function emulator() {
  if (!fs.existsSync(EMULATOR_BIN)) {
    fail(`no emulator at ${EMULATOR_BIN}: run \`cargo build -p fota-emulator\`, or set E2E_EMULATOR_BIN`);
  }
  needBuild();
  // It prints "fota-emulator listening on http://127.0.0.1:PORT" on stdout, and is otherwise quiet.
  start(EMULATOR_BIN, ['--port', '0', '--serve-dir', DIST_DIR], ['ignore', 'inherit', 'inherit']);
}

/** `count` distinct TCP ports free on 127.0.0.1 right now. */
async function freePorts(count) {
  const servers = Array.from({ length: count }, () => net.createServer());
  await Promise.all(servers.map((s) => new Promise((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The last lines of every log in `dir`, for a failure message. */
function logTails(dir) {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .map((name) => `==> ${name} <==\n${fs.readFileSync(path.join(dir, name), 'utf8').split('\n').slice(-20).join('\n')}`)
    .join('\n');
}

async function nginx(mode) {
  if (mode !== 'same-origin' && mode !== 'cors-proxy') fail(`nginx: unknown set-up '${mode}' (same-origin, cors-proxy)`);
  if (!fs.existsSync(NGINX_BIN)) fail(`no nginx at ${NGINX_BIN} (Debian package nginx; .ci/setup installs it), or set NGINX_BIN`);
  needBuild();
  const upstream = process.env.E2E_EMULATOR_URL;
  if (!upstream) fail('E2E_EMULATOR_URL is not set: the emulator starts first (playwright.config.ts)');
  const logDir = process.env.E2E_NGINX_LOG_DIR;
  if (!logDir || !path.isAbsolute(logDir)) fail('E2E_NGINX_LOG_DIR must be an absolute path');
  fs.mkdirSync(logDir, { recursive: true });

  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `fota-nginx-${mode}-`));
  // Started by root, nginx's workers run as nobody: they must reach the prefix.
  fs.chmodSync(tempDir, 0o755);
  for (const sub of ['conf.d', 'fota-sync', 'sites-enabled', 'temp']) fs.mkdirSync(path.join(tempDir, sub));
  for (const sub of ['conf.d', 'fota-sync']) {
    const from = path.join(REPO_ROOT, 'deploy', 'nginx', sub);
    for (const file of fs.readdirSync(from).filter((name) => name.endsWith('.conf'))) {
      fs.copyFileSync(path.join(from, file), path.join(tempDir, sub, file));
    }
  }

  const [sitePort, proxyPort, foreignPort] = await freePorts(3);
  const site = `http://127.0.0.1:${sitePort}`;
  const proxy = `http://127.0.0.1:${proxyPort}`;
  const foreign = `http://127.0.0.1:${foreignPort}`;
  const render = (template, file, env = {}) => {
    const text = execFileSync(path.join(REPO_ROOT, 'deploy', 'render.sh'), [template], {
      env: { ...process.env, FOTA_LOG_DIR: logDir, FOTA_DIST: DIST_DIR, FOTA_UPSTREAM: upstream, ...env },
      encoding: 'utf8',
    });
    fs.writeFileSync(path.join(tempDir, file), text);
  };
  render('nginx.conf', 'nginx.conf');
  const ports = [sitePort];
  if (mode === 'same-origin') {
    render('same-origin', 'sites-enabled/fota-sync.conf', { FOTA_LISTEN: `127.0.0.1:${sitePort}` });
  } else {
    ports.push(proxyPort, foreignPort);
    // The deployment's own config.json, outside dist/: the API is the proxy's origin.
    const config = JSON.parse(fs.readFileSync(path.join(DIST_DIR, 'config.json'), 'utf8'));
    config.apiBaseUrl = `${proxy}/api/fota/v3`;
    const configJson = path.join(tempDir, 'config.json');
    fs.writeFileSync(configJson, `${JSON.stringify(config, null, 2)}\n`);
    fs.chmodSync(configJson, 0o644);
    const static_ = { FOTA_CONFIG_JSON: configJson, FOTA_CONNECT_SRC: proxy };
    render('static-site', 'sites-enabled/fota-sync-site.conf', { ...static_, FOTA_LISTEN: `127.0.0.1:${sitePort}` });
    // The same site on an origin the proxy does not allow.
    render('static-site', 'sites-enabled/fota-sync-foreign.conf', { ...static_, FOTA_LISTEN: `127.0.0.1:${foreignPort}` });
    render('cors-proxy', 'sites-enabled/fota-sync-proxy.conf', {
      ...static_,
      FOTA_LISTEN: `127.0.0.1:${proxyPort}`,
      FOTA_CORS_ORIGINS: site,
    });
  }

  const nginxProcess = start(
    NGINX_BIN,
    ['-p', `${tempDir}/`, '-c', path.join(tempDir, 'nginx.conf'), '-e', path.join(logDir, 'error.log'), '-g', 'daemon off;'],
    ['ignore', 'inherit', 'inherit'],
  );
  for (const port of ports) {
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (Date.now() > deadline || nginxProcess.exitCode !== null) {
        fail(`nginx (${mode}) did not start\n${logTails(logDir)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  // "nginx version: nginx/1.22.1", on stderr.
  const version = spawnSync(NGINX_BIN, ['-v'], { encoding: 'utf8' }).stderr.trim().split('/')[1] ?? '';
  const sites =
    mode === 'same-origin' ? `site ${site}/` : `site ${site}/, CORS proxy ${proxy}/, not-allowed site ${foreign}/`;
  process.stdout.write(`nginx ${version} (${mode}): ${sites}; upstream: emulator at ${upstream}\n`);
}

async function main([what, ...args]) {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop(0));
  // Playwright holds our stdin: it closes when Playwright ends, however it ends.
  process.stdin.on('end', () => stop(0));
  process.stdin.on('error', () => stop(0));
  process.stdin.resume();
  if (what === 'emulator' && args.length === 0) emulator();
  else if (what === 'nginx' && args.length === 1) await nginx(args[0]);
  else fail('usage: node servers.js emulator | nginx same-origin|cors-proxy');
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`servers.js: ${error.message}\n`);
    void stop(1);
  });
}
