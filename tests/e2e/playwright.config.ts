// End-to-end tests: the release build (dist/) in Debian's Chromium, one Playwright project per way
// the app is served, each project's servers started and stopped by Playwright (`webServer`,
// through servers.js):
//   e2e             dist/ served by the emulator itself (one origin); every spec but nginx.spec.ts
//   e2e-nginx-same  deploy/'s same-origin nginx in front of the emulator (site and /api/fota/ on
//                   one origin)
//   e2e-nginx-cors  deploy/'s static site on one nginx origin and its CORS proxy on another, so
//                   the browser preflights; plus the same site on an origin the proxy does not allow
// The nginx projects run the specs whose outcome a proxy could change (what gateways send must
// reach the app the same through it) and nginx.spec.ts. Tags leave out what does not apply:
//   @body-only        fault cases that differ from another only in the answer's body, which
//                     nginx passes through untouched (the e2e project covers them)
//   @same-origin-api  needs config.json's default apiBaseUrl, a path on the site's own origin
//   @cors-proxy       needs deploy/'s separate CORS proxy
// Run: `bash .ci/test build e2e` (or e2e-nginx-same, e2e-nginx-cors); or, after `trunk build
// --release` and `cargo build -p fota-emulator`, `npx playwright test --project e2e` here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';
import type { Deployment } from './app';
import { CHROMIUM_ARGS } from './chromium';
import { DIST_DIR } from './servers';

/** The specs the nginx projects run. */
const NGINX_SPECS = ['sync.spec.ts', 'faults.spec.ts', 'realworld-answers.spec.ts', 'tokens.spec.ts', 'nginx.spec.ts'];

// Where the servers are: each server's `wait.stdout` below puts its URLs in the environment once
// it listens, before any worker starts (workers load this file again, and see them).
const env = process.env;
const emulatorUrl = env.E2E_EMULATOR_URL ?? '';

/** The apiBaseUrl of dist/config.json, as the emulator and same-origin nginx serve it. */
function configuredApiBaseUrl(): string {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(DIST_DIR, 'config.json'), 'utf8')) as { apiBaseUrl?: string };
    return config.apiBaseUrl ?? 'api/fota/v3';
  } catch {
    return 'api/fota/v3'; // no build yet: the servers say so when they start
  }
}

/** nginx's logs, beside the project's screenshots and traces (kept after the run). */
const nginxLogDir = (project: string) => path.join(__dirname, 'test-results', project, 'nginx-logs');

type WebServer = Extract<NonNullable<PlaywrightTestConfig['webServer']>, unknown[]>[number];

/** Started in this order; `node servers.js` (see there) prints the line `wait.stdout` reads. */
const SERVERS = {
  emulator: {
    name: 'emulator',
    command: `"${process.execPath}" servers.js emulator`,
    wait: { stdout: /fota-emulator listening on (?<E2E_EMULATOR_URL>http:\/\/127\.0\.0\.1:\d+)/ },
  },
  'nginx-same': {
    name: 'nginx-same',
    command: `"${process.execPath}" servers.js nginx same-origin`,
    env: { E2E_NGINX_LOG_DIR: nginxLogDir('e2e-nginx-same') },
    wait: { stdout: /\(same-origin\): site (?<E2E_NGINX_SAME_URL>http:\/\/127\.0\.0\.1:\d+)\// },
  },
  'nginx-cors': {
    name: 'nginx-cors',
    command: `"${process.execPath}" servers.js nginx cors-proxy`,
    env: { E2E_NGINX_LOG_DIR: nginxLogDir('e2e-nginx-cors') },
    wait: {
      stdout:
        /\(cors-proxy\): site (?<E2E_NGINX_CORS_URL>http:\/\/127\.0\.0\.1:\d+)\/, CORS proxy (?<E2E_NGINX_CORS_PROXY_URL>http:\/\/127\.0\.0\.1:\d+)\/, not-allowed site (?<E2E_NGINX_CORS_FOREIGN_URL>http:\/\/127\.0\.0\.1:\d+)\//,
    },
  },
} satisfies Record<string, WebServer>;

type ProjectConfig = NonNullable<PlaywrightTestConfig<object, { deployment: Deployment }>['projects']>[number];

const PROJECTS: (ProjectConfig & { name: string; servers: (keyof typeof SERVERS)[] })[] = [
  {
    name: 'e2e',
    servers: ['emulator'],
    testIgnore: 'nginx.spec.ts',
    use: {
      baseURL: `${emulatorUrl}/`,
      deployment: { controlUrl: emulatorUrl, apiBaseUrl: configuredApiBaseUrl() },
    },
  },
  {
    name: 'e2e-nginx-same',
    servers: ['emulator', 'nginx-same'],
    testMatch: NGINX_SPECS,
    grepInvert: /@body-only|@cors-proxy/,
    metadata: { serverLogDir: nginxLogDir('e2e-nginx-same') },
    use: {
      baseURL: `${env.E2E_NGINX_SAME_URL}/`,
      deployment: {
        proxy: 'same-origin',
        controlUrl: emulatorUrl,
        apiBaseUrl: configuredApiBaseUrl(),
        nginxLogDir: nginxLogDir('e2e-nginx-same'),
      },
    },
  },
  {
    name: 'e2e-nginx-cors',
    servers: ['emulator', 'nginx-cors'],
    testMatch: NGINX_SPECS,
    grepInvert: /@body-only|@same-origin-api/,
    metadata: { serverLogDir: nginxLogDir('e2e-nginx-cors') },
    use: {
      baseURL: `${env.E2E_NGINX_CORS_URL}/`,
      deployment: {
        proxy: 'cors-proxy',
        controlUrl: emulatorUrl,
        apiBaseUrl: `${env.E2E_NGINX_CORS_PROXY_URL}/api/fota/v3`,
        nginxLogDir: nginxLogDir('e2e-nginx-cors'),
        foreignUrl: `${env.E2E_NGINX_CORS_FOREIGN_URL}/`,
      },
    },
  },
];

/**
 * Whether `--project` selects this project (every project when none is named), matched as
 * Playwright matches it: case-insensitive, `*` a wildcard. Playwright starts every `webServer`
 * whatever the selection; this starts only those the selected projects use, so that the e2e
 * project needs no nginx.
 */
function selected(name: string): boolean {
  const wanted: string[] = [];
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--project=')) wanted.push(argv[i].slice('--project='.length));
    else if (argv[i] === '--project') while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) wanted.push(argv[++i]);
  }
  const matches = (pattern: string) =>
    new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i').test(name);
  return wanted.length === 0 || wanted.some(matches);
}

const used = new Set(PROJECTS.filter((p) => selected(p.name)).flatMap((p) => p.servers));

export default defineConfig<object, { deployment: Deployment }>({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: 'test-results',
  fullyParallel: false,
  // One browser at a time: the emulator's request log and fault rules are shared state.
  workers: 1,
  retries: 0,
  forbidOnly: !!env.CI,
  timeout: 30_000,
  // A bound on a whole project's run, not a pace: the e2e project's ~260 tests take 10 to 13
  // minutes on a loaded 2-core machine (10 minutes cut it off at test 196 once).
  globalTimeout: 30 * 60_000,
  expect: { timeout: 10_000 },
  reporter: [
    ['list'],
    ['junit', { outputFile: 'test-results/junit.xml' }],
    ['json', { outputFile: 'test-results/results.json' }],
    ['./server-logs.ts'],
  ],
  use: {
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: env.CHROMIUM_BIN ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
  },
  projects: PROJECTS.map(({ servers: _, ...project }) => ({ ...project, outputDir: `test-results/${project.name}` })),
  webServer: (Object.keys(SERVERS) as (keyof typeof SERVERS)[])
    .filter((name) => used.has(name))
    .map((name) => ({
      ...SERVERS[name],
      stdout: 'pipe',
      stderr: 'pipe',
      timeout: 30_000,
      gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    })),
});
