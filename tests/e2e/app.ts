// What the specs share: the emulator fixture, driving the form, reading the results, and a
// config.json override for one test.
import { expect, test as base, type Locator, type Page } from '@playwright/test';
import { Emulator } from './emulator';

export { expect };

export const ACCOUNT = '0000123456-00001';
export const SUCCESS = 'FirmwareVersionUpdateSuccess';

/**
 * What serves the app: unset for the emulator itself (`.ci/test e2e`), `same-origin` or
 * `cors-proxy` for nginx in front of it (`.ci/test e2e-nginx-same`, `e2e-nginx-cors`).
 */
export const PROXY = process.env.E2E_PROXY as 'same-origin' | 'cors-proxy' | undefined;

export const test = base.extend<{ emulator: Emulator; pageErrors: string[] }>({
  emulator: async ({ request }, use) => {
    const emulator = new Emulator(request);
    await emulator.reset();
    await use(emulator);
  },
  // A panic in the app (`RuntimeError: unreachable`) or any uncaught error fails the test that
  // caused it, by name.
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await use(errors);
      expect(errors, 'errors thrown in the page').toEqual([]);
    },
    { auto: true },
  ],
});

/** The keys of config.json a test may change (README, "Configuration"). */
export interface ConfigOverrides {
  requestTimeoutMs?: number;
  batchSize?: number;
  concurrency?: number;
  maxAttempts?: number;
  /** Where requests go: a path on this site or a URL on another origin. */
  apiBaseUrl?: string;
}

/** Serves this page the deployment's config.json with `overrides` on top (call before `open`). */
export async function useConfig(page: Page, overrides: ConfigOverrides): Promise<void> {
  await page.route('**/config.json', async (route) => {
    const response = await route.fetch();
    const served = response.ok() ? ((await response.json()) as Record<string, unknown>) : {};
    await route.fulfill({ response, json: { ...served, ...overrides } });
  });
}

/**
 * `useConfig`, then `open`, then the route is removed once config.json is served. While a page
 * has any route, Playwright intercepts its requests and answers CORS preflights itself (with
 * `Access-Control-Allow-Origin` for any origin), so a test of what a real preflight refusal does
 * must open the page this way.
 */
export async function openWithConfig(page: Page, overrides: ConfigOverrides): Promise<void> {
  await useConfig(page, overrides);
  const served = page.waitForResponse((response) => new URL(response.url()).pathname.endsWith('/config.json'));
  await open(page);
  await served;
  await page.unroute('**/config.json');
}

export interface FormInput {
  account?: string;
  /** A list, one per line, or the field's text as it is. */
  imeis?: string[] | string;
  bearer?: string;
  session?: string;
  /** Typed over the configured API base URL when given. */
  baseUrl?: string;
}

const imeiText = (imeis: string[] | string) => (Array.isArray(imeis) ? imeis.join('\n') : imeis);

export async function open(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Synchronize' })).toBeVisible();
}

export async function fillForm(page: Page, input: FormInput & Required<Pick<FormInput, 'imeis'>>): Promise<void> {
  await page.getByRole('textbox', { name: 'Account', exact: true }).fill(input.account ?? ACCOUNT);
  await page.getByRole('textbox', { name: 'IMEIs', exact: true }).fill(imeiText(input.imeis));
  await page.getByLabel('Bearer token', { exact: true }).fill(input.bearer ?? 'bearer-e2e');
  await page.getByLabel('Session token', { exact: true }).fill(input.session ?? 'session-e2e');
  if (input.baseUrl !== undefined) {
    await page.getByRole('textbox', { name: 'API base URL', exact: true }).fill(input.baseUrl);
  }
}

export async function synchronize(page: Page, input: FormInput & Required<Pick<FormInput, 'imeis'>>): Promise<void> {
  await open(page);
  await fillForm(page, input);
  await page.getByRole('button', { name: 'Synchronize' }).click();
}

/** The results table, with cells looked up by column header. */
export class Results {
  readonly table: Locator;
  readonly rows: Locator;

  constructor(page: Page) {
    this.table = page.getByRole('table');
    this.rows = this.table.locator('tbody tr');
  }

  /** Every row's cell under `header`, in row order. */
  async column(header: string): Promise<Locator> {
    const headers = (await this.table.locator('thead th').allTextContents()).map((h) => h.trim());
    const index = headers.indexOf(header);
    expect(index, `column "${header}" among ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(0);
    return this.rows.locator(`:scope > :is(th, td):nth-child(${index + 1})`);
  }
}

/** The count beside `term` in the run's summary (Total, Succeeded, Failed, No result, ...). */
export function summaryValue(page: Page, term: string): Locator {
  return page.locator(`dl[aria-label="Summary"] dt:text-is("${term}") + dd`);
}

/** The first run of the page is over (allowing for retries with back-off): nothing waits. */
export async function expectRunOver(page: Page): Promise<void> {
  const progress = page.locator('section[aria-label="Run summary"] [role="status"]');
  await expect(progress).toContainText('finished in', { timeout: 20_000 });
  await expect(summaryValue(page, 'Waiting')).toHaveCount(0);
}

/** Everything typed is still there and Synchronize can be pressed again. */
export async function expectFormUsable(
  page: Page,
  input: FormInput & Required<Pick<FormInput, 'imeis'>>,
): Promise<void> {
  await expect(page.getByRole('textbox', { name: 'Account', exact: true })).toHaveValue(input.account ?? ACCOUNT);
  await expect(page.getByRole('textbox', { name: 'IMEIs', exact: true })).toHaveValue(imeiText(input.imeis));
  await expect(page.getByLabel('Bearer token', { exact: true })).toHaveValue(input.bearer ?? 'bearer-e2e');
  await expect(page.getByLabel('Session token', { exact: true })).toHaveValue(input.session ?? 'session-e2e');
  await expect(page.getByRole('button', { name: 'Synchronize' })).toBeEnabled();
}

/** One device as the results report it. */
export interface ResultRow {
  imei: string;
  status: string;
  reason: string;
  firmware: string;
  updated: string;
}

/** Reads RFC 4180 CSV: quoted fields, doubled quotes, CRLF line ends. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field === '' && record.length === 0, 'the CSV ends with CRLF').toBeTruthy();
  return records;
}

/** Presses "Download CSV" and returns the file's name, text and rows (its header checked). */
export async function downloadResults(page: Page): Promise<{ name: string; text: string; rows: ResultRow[] }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(await download.path(), 'utf8');
  const records = parseCsv(text);
  expect(records[0]).toEqual(['IMEI', 'Status', 'Reason', 'Firmware version', 'Updated (UTC)']);
  const rows = records.slice(1).map(([imei, status, reason, firmware, updated]) => ({ imei, status, reason, firmware, updated }));
  return { name: download.suggestedFilename(), text, rows };
}

/** Every row of the results table, read in one go (a locator per cell would take minutes for thousands). */
export async function tableRows(page: Page): Promise<Omit<ResultRow, 'updated'>[]> {
  return page.locator('table.results tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const cell = (name: string) => tr.querySelector(`td.${name}`)?.textContent?.trim() ?? '';
      return { imei: cell('imei'), status: cell('status'), reason: cell('reason'), firmware: cell('firmware') };
    }),
  );
}

/**
 * The table on screen holds every one of `rows` (the whole run, as the CSV download has it), in
 * order, each cell as the download says.
 */
export async function expectTableShows(page: Page, rows: ResultRow[]): Promise<void> {
  // A large run's rows are added a few hundred per frame, and may still be coming in.
  await expect(page.locator('table.results tbody tr')).toHaveCount(rows.length, { timeout: 20_000 });
  // Changed rows are drawn at the next frame.
  const expected = rows.map(({ imei, status, reason, firmware }) => ({ imei, status, reason, firmware }));
  await expect(async () => expect(await tableRows(page)).toEqual(expected)).toPass({ timeout: 5_000 });
}

/** The run's progress line ("… of … devices, … retries, finished in …"). */
export function progressLine(page: Page): Locator {
  return page.locator('section[aria-label="Run summary"] [role="status"]');
}

/** The alert's two parts: the headline in plain words, and the raw line as the server said it. */
export function alertParts(page: Page): { alert: Locator; headline: Locator; raw: Locator } {
  const alert = page.getByRole('alert');
  return { alert, headline: alert.locator('.headline'), raw: alert.locator('.raw') };
}

/** The IMEI field. */
export function imeiField(page: Page): Locator {
  return page.getByRole('textbox', { name: 'IMEIs', exact: true });
}

/** The problem list's items under the IMEI field. */
export function problemItems(page: Page): Locator {
  return page.getByRole('list', { name: 'Problems' }).getByRole('listitem');
}

/** Adds a file from disk through the real file input: the app reads its exact bytes. */
export async function importFile(page: Page, filePath: string): Promise<void> {
  await page.getByLabel('Add IMEIs from a file', { exact: true }).setInputFiles(filePath);
}

/**
 * Makes the app's backoff jitter (`Math.random`) always `value` in this page, so that the wait
 * before a retry is what the server and the retry floor ask for, not a lucky draw (call before
 * `open`). With 0 the backoff is 0 and only `Retry-After` and the 250 ms floor remain.
 */
export async function pinJitter(page: Page, value: number): Promise<void> {
  await page.addInitScript((v) => {
    Math.random = () => v;
  }, value);
}

/** Milliseconds between the arrivals of two logged requests. */
export function gapMs(first: { time: string }, second: { time: string }): number {
  return Date.parse(second.time) - Date.parse(first.time);
}

/** Milliseconds between each logged request and the next. */
export function gapsMs(calls: { time: string }[]): number[] {
  return calls.slice(1).map((call, i) => gapMs(calls[i], call));
}
