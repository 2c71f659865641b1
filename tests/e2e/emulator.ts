// The FOTA emulator's control API (tests/emulator/README.md), at the emulator's own URL, and
// `launchEmulator` for a spec that needs an emulator of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { expect, type APIRequestContext } from '@playwright/test';
import { DIST_DIR, EMULATOR_BIN } from './servers';

export { DIST_DIR, EMULATOR_BIN };

/** One entry of `GET /_emulator/requests`. */
export interface LoggedRequest {
  seq: number;
  /** Arrival, RFC 3339 UTC. */
  time: string;
  method: string;
  /** Includes the query string. */
  path: string;
  account: string | null;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The raw request body. */
  body: string;
  /** Null while in flight, and for `drop`/`hang` faults. */
  status: number | null;
  fault: string | null;
}

/** A device entry as the documented 200 answer carries it (`GET /_emulator/outcomes/{imei}`). */
export interface DocumentedDevice {
  deviceId: string;
  status: string;
  Reason: string;
  firmwareVersion: string;
  VersionUpdateTime: string;
}

/** A fault rule as `POST /_emulator/faults` takes it (tests/emulator/README.md, "Fault rules"). */
export interface FaultRule {
  /** A fault kind, or an HTTP status for a `status` fault. */
  kind: string | number;
  times?: number;
  skip?: number;
  share?: number;
  account?: string;
  status?: number;
  body?: string;
  contentType?: string;
  /** Sent verbatim as `Retry-After`. */
  retryAfter?: string;
  /** `Retry-After` as an HTTP-date this many seconds ahead; negative for a date in the past. */
  retryAfterDate?: number;
  /** The form of a `Retry-After` HTTP-date (RFC 9110 §5.6.7); `imf` by default. */
  retryAfterFormat?: 'imf' | 'rfc850' | 'asctime';
  /** `answer`: the recorded answer `tests/fixtures/answers/<file>.http` to replay. */
  file?: string;
  ms?: number;
  jitterMs?: number;
  every?: number;
  count?: number;
  /** `variant`: the field names of the 200 answer. */
  keys?: 'sdk' | 'documented';
  time?: 'rfc3339' | 'go' | 'empty' | 'go-zero' | 'go-zero-lmt';
  /** `variant`: failed devices answer `null` reason, firmware version and time. */
  nulls?: boolean;
  /** `variant`: `deviceId` as a JSON number. */
  numericId?: boolean;
}

/** One entry of `GET /_emulator/faults`. */
export interface FaultState {
  id: number;
  rule: FaultRule;
  seen: number;
  applied: number;
}

const ENDPOINT = /^\/api\/fota\/v3\/firmware\/[^/]+\/devices(\?.*)?$/;
/** The endpoint at the root or under a `--mount` path. */
const ENDPOINT_ANYWHERE = /^(\/[A-Za-z0-9._~-]+)*\/api\/fota\/v3\/firmware\/[^/]+\/devices(\?.*)?$/;

/** `GET /_emulator/rate-limit`: the limit (`null`: none) and its counts since it was set. */
export interface RateLimitState {
  limit: { rps: number; burst: number } | null;
  admitted: number;
  throttled: number;
}

export class Emulator {
  /**
   * `controlUrl`: the emulator's own URL (the `deployment` option's, for the suite's emulator);
   * without one, control calls go to the request context's base URL.
   */
  constructor(
    private readonly api: APIRequestContext,
    private readonly controlUrl?: string,
  ) {}

  private url(path: string): string {
    return this.controlUrl ? new URL(path, this.controlUrl).href : path;
  }

  /** Clears fault rules, the request log, latency and counters. */
  async reset(): Promise<void> {
    const response = await this.api.post(this.url('/_emulator/reset'));
    expect(response.status(), 'POST /_emulator/reset').toBe(204);
  }

  async requests(): Promise<LoggedRequest[]> {
    const response = await this.api.get(this.url('/_emulator/requests'));
    expect(response.ok(), 'GET /_emulator/requests').toBeTruthy();
    return (await response.json()) as LoggedRequest[];
  }

  /** The Synchronize calls received, in arrival order. */
  async syncCalls(): Promise<LoggedRequest[]> {
    return (await this.requests()).filter((r) => r.method === 'PUT' && ENDPOINT.test(r.path));
  }

  /** The Synchronize calls received at the root or under any `--mount` path, in arrival order. */
  async syncCallsAnywhere(): Promise<LoggedRequest[]> {
    return (await this.requests()).filter((r) => r.method === 'PUT' && ENDPOINT_ANYWHERE.test(r.path));
  }

  /** The `deviceList` of each Synchronize call, in arrival order. */
  async sentDeviceLists(): Promise<string[][]> {
    return (await this.syncCalls()).map((r) => (JSON.parse(r.body) as { deviceList: string[] }).deviceList);
  }

  /** What the emulator answers for this IMEI. */
  async outcome(imei: string): Promise<DocumentedDevice> {
    const response = await this.api.get(this.url(`/_emulator/outcomes/${imei}`));
    expect(response.ok(), `GET /_emulator/outcomes/${imei}`).toBeTruthy();
    return (await response.json()) as DocumentedDevice;
  }

  /** Adds a fault rule; returns its id. */
  async addFault(rule: FaultRule): Promise<number> {
    const response = await this.api.post(this.url('/_emulator/faults'), { data: rule });
    expect(response.status(), `POST /_emulator/faults ${JSON.stringify(rule)}: ${await response.text()}`).toBe(201);
    return ((await response.json()) as { id: number }).id;
  }

  /** Delays every answer of the endpoint by `ms` (plus up to `jitterMs`), until the next reset. */
  async setLatency(ms: number, jitterMs = 0): Promise<void> {
    const response = await this.api.put(this.url('/_emulator/latency'), { data: { ms, jitterMs } });
    expect(response.ok(), `PUT /_emulator/latency ${ms}`).toBeTruthy();
  }

  /**
   * Limits each account to `rps` requests a second with a burst of `burst` (a token bucket, full
   * now), until the next reset; returns the limiter's counts, at 0.
   */
  async setRateLimit(rps: number, burst: number): Promise<RateLimitState> {
    const response = await this.api.put(this.url('/_emulator/rate-limit'), { data: { rps, burst } });
    expect(response.ok(), `PUT /_emulator/rate-limit ${rps}/${burst}: ${await response.text()}`).toBeTruthy();
    return (await response.json()) as RateLimitState;
  }

  /** The rate limit in force and the requests it let through and throttled since it was set. */
  async rateLimit(): Promise<RateLimitState> {
    const response = await this.api.get(this.url('/_emulator/rate-limit'));
    expect(response.ok(), 'GET /_emulator/rate-limit').toBeTruthy();
    return (await response.json()) as RateLimitState;
  }

  /** Moves the fleet to firmware release `release` (0: as at start): about a third of the devices report another version. */
  async setRelease(release: number): Promise<void> {
    const response = await this.api.put(this.url('/_emulator/release'), { data: { release } });
    expect(response.ok(), `PUT /_emulator/release ${release}`).toBeTruthy();
  }

  /** What the emulator answers for each of these IMEIs, a few requests at a time. */
  async outcomes(imeis: string[]): Promise<DocumentedDevice[]> {
    const found: DocumentedDevice[] = new Array(imeis.length);
    let next = 0;
    const worker = async () => {
      while (next < imeis.length) {
        const i = next++;
        found[i] = await this.outcome(imeis[i]);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return found;
  }

  /** The fault rules in force, with how often each was seen and applied. */
  async faults(): Promise<FaultState[]> {
    const response = await this.api.get(this.url('/_emulator/faults'));
    expect(response.ok(), 'GET /_emulator/faults').toBeTruthy();
    return (await response.json()) as FaultState[];
  }
}

/** An emulator process a spec started for itself. */
export interface LaunchedEmulator {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `fota-emulator --port 0 ARGS...` on 127.0.0.1 and waits for its "listening on" line.
 * The emulator's output is kept for the error if it fails to start.
 */
export async function launchEmulator(args: string[]): Promise<LaunchedEmulator> {
  if (!fs.existsSync(EMULATOR_BIN)) {
    throw new Error(`no emulator at ${EMULATOR_BIN}: run \`cargo build -p fota-emulator\` or set E2E_EMULATOR_BIN`);
  }
  const child: ChildProcess = spawn(EMULATOR_BIN, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail('it did not say where it listens within 10 s'), 10_000);
    function fail(why: string) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`fota-emulator ${args.join(' ')}: ${why}\n${output}`));
    }
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /fota-emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code) => fail(`exited with ${code}`));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A worker that ends without its teardown (a crash, a timeout) takes its emulator with it.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  void exited.then(() => process.off('exit', orphan));
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
