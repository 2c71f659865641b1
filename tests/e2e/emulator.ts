// The FOTA emulator's control API (tests/emulator/README.md), on the origin that serves the app.
import { expect, type APIRequestContext } from '@playwright/test';

/** One entry of `GET /_emulator/requests`. */
export interface LoggedRequest {
  seq: number;
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

const ENDPOINT = /^\/api\/fota\/v3\/firmware\/[^/]+\/devices(\?.*)?$/;

export class Emulator {
  constructor(private readonly api: APIRequestContext) {}

  /** Clears fault rules, the request log, latency and counters. */
  async reset(): Promise<void> {
    const response = await this.api.post('/_emulator/reset');
    expect(response.status(), 'POST /_emulator/reset').toBe(204);
  }

  async requests(): Promise<LoggedRequest[]> {
    const response = await this.api.get('/_emulator/requests');
    expect(response.ok(), 'GET /_emulator/requests').toBeTruthy();
    return (await response.json()) as LoggedRequest[];
  }

  /** The Synchronize calls received, in arrival order. */
  async syncCalls(): Promise<LoggedRequest[]> {
    return (await this.requests()).filter((r) => r.method === 'PUT' && ENDPOINT.test(r.path));
  }

  /** The `deviceList` of each Synchronize call, in arrival order. */
  async sentDeviceLists(): Promise<string[][]> {
    return (await this.syncCalls()).map((r) => (JSON.parse(r.body) as { deviceList: string[] }).deviceList);
  }

  /** What the emulator answers for this IMEI. */
  async outcome(imei: string): Promise<DocumentedDevice> {
    const response = await this.api.get(`/_emulator/outcomes/${imei}`);
    expect(response.ok(), `GET /_emulator/outcomes/${imei}`).toBeTruthy();
    return (await response.json()) as DocumentedDevice;
  }
}
