// The app's IndexedDB as a test reads and writes it (database `fota-sync`, stores `sets` and
// `columns`; src/idb.rs), and the records captured from released builds (tests/fixtures/stored/).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';

/** One record as a fixture keeps it: typed arrays as `{ $typed, values }`, NaN as "NaN". */
export interface FixtureRecord {
  store: 'sets' | 'columns';
  key: string;
  value: unknown;
}

/** A fixture of tests/fixtures/stored/. */
export interface StoredFixture {
  layout: number;
  sets: { finished: string; unfinished: string };
  records: FixtureRecord[];
}

export function storedFixture(name: string): StoredFixture {
  return JSON.parse(readFileSync(path.join(__dirname, '../fixtures/stored', name), 'utf8')) as StoredFixture;
}

/** Writes `records` into the app's database, as the page's own IndexedDB holds them. */
export async function putRecords(page: Page, records: FixtureRecord[]): Promise<void> {
  await page.evaluate(
    async (records) => {
      const revive = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(revive);
        if (v && typeof v === 'object') {
          const o = v as Record<string, unknown>;
          if (typeof o.$typed === 'string') {
            const values = (o.values as (number | string)[]).map((n) => (n === 'NaN' ? NaN : Number(n)));
            const types: Record<string, new (a: number[]) => unknown> = { Uint8Array, Uint32Array, Float64Array };
            return new types[o.$typed](values);
          }
          return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
        }
        return v;
      };
      // The app's database, version 1, its stores created if it is new.
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open('fota-sync', 1);
        r.onupgradeneeded = () => {
          r.result.createObjectStore('sets');
          r.result.createObjectStore('columns');
        };
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(['sets', 'columns'], 'readwrite');
        for (const r of records) tx.objectStore(r.store).put(revive(r.value), r.key);
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error);
      });
      db.close();
    },
    records,
  );
}

/** Every record of the app's database: `sets` values, and `columns` keys with their values. */
export async function database(
  page: Page,
): Promise<{ sets: Record<string, unknown>[]; columns: [string, Record<string, unknown>][]; texts: string[][] } | null> {
  return page.evaluate(async () => {
    // Opening a database that does not exist would create it: look first.
    if (!(await indexedDB.databases()).some((d) => d.name === 'fota-sync')) return null;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('fota-sync');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = (store: string, keys: boolean) =>
      new Promise<unknown[]>((resolve, reject) => {
        const s = db.transaction(store).objectStore(store);
        const r = keys ? s.getAllKeys() : s.getAll();
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const sets = (await all('sets', false)) as Record<string, unknown>[];
    const keys = (await all('columns', true)) as string[];
    const values = (await all('columns', false)) as Record<string, unknown>[];
    db.close();
    const columns = keys.map((k, i) => [k, values[i]] as [string, Record<string, unknown>]);
    // The texts of every record that has some (a set's columns, its steps): one UTF-8 array
    // and where each text ends. (The IMEIs are numbers.)
    const texts = values
      .filter((c) => c && c.textBytes instanceof Uint8Array)
      .map((c) => {
        const bytes = c.textBytes as Uint8Array;
        let start = 0;
        return Array.from(c.textEnds as Uint32Array, (end) => new TextDecoder().decode(bytes.subarray(start, (start = end))));
      });
    return { sets, columns, texts };
  });
}

/** The stored runs' devices done (total minus waiting). */
export async function storedDone(page: Page): Promise<number[]> {
  const db = await database(page);
  return (db?.sets ?? []).map((s) => Number(s.total) - Number(s.waiting));
}
