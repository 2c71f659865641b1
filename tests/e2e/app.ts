// What every spec shares: the `test` with its fixtures (the emulator, the page object, and the
// checks that apply to every test: no uncaught error in any page, no Content-Security-Policy
// violation), and `App`, the one page object, for the app as a page or inside a portal's frame.
import { readFile } from 'node:fs/promises';
import { expect, test as base, type FrameLocator, type Locator, type Page } from '@playwright/test';
import { Emulator, type DocumentedDevice } from './emulator';
import { readAllRows, readTableRows } from './table-rows';

export { expect };

export const ACCOUNT = '0000123456-00001';
export const SUCCESS = 'FirmwareVersionUpdateSuccess';

/** How the project serves the app (playwright.config.ts sets it per project). */
export interface Deployment {
  /** Unset for the emulator alone (`e2e`); nginx's set-up in front of it otherwise. */
  proxy?: 'same-origin' | 'cors-proxy';
  /** The emulator's own URL, for its control API (`/_emulator/`). */
  controlUrl: string;
  /** The apiBaseUrl of the config.json the site serves. */
  apiBaseUrl: string;
  /** (nginx) where this nginx writes its access and error logs. */
  nginxLogDir?: string;
  /** (cors-proxy) the same site on an origin the proxy does not allow, with a trailing slash. */
  foreignUrl?: string;
}

/** The Content-Security-Policy violations the browser reported during a test. */
export interface CspWatch {
  /** Returns and clears the violations reported so far (for a test that causes one on purpose). */
  take(): string[];
  /**
   * From now on, violations matching `pattern` are expected: they are collected in the returned
   * list instead of failing the test (for a request the policy refuses, however many tries it takes).
   */
  expect(pattern: RegExp): string[];
  /** Console messages from the browser that mention the Content Security Policy. */
  readonly console: string[];
}

interface Fixtures {
  emulator: Emulator;
  app: App;
  pageErrors: string[];
  csp: CspWatch;
  /** Every console message of every page and frame, in order. */
  consoleMessages: string[];
}

export const test = base.extend<Fixtures, { deployment: Deployment }>({
  deployment: [{ controlUrl: '', apiBaseUrl: 'api/fota/v3' }, { option: true, scope: 'worker' }],

  // A reset emulator for every test, whether it asks for the emulator or not (a fault a test
  // left behind must not answer the next one); control calls go to its own URL.
  emulator: [
    async ({ request, deployment }, use) => {
      const emulator = new Emulator(request, deployment.controlUrl || undefined);
      await emulator.reset();
      await use(emulator);
    },
    { auto: true },
  ],

  app: async ({ page }, use) => {
    await use(new App(page));
  },

  // A panic in the app (`RuntimeError: unreachable`) or any uncaught error, in any page or frame,
  // fails the test that caused it, by name.
  pageErrors: [
    async ({ context }, use) => {
      const errors: string[] = [];
      context.on('weberror', (error) => errors.push(String(error.error())));
      await use(errors);
      expect(errors, 'errors thrown in the page').toEqual([]);
    },
    { auto: true },
  ],

  // Any `securitypolicyviolation`, in any page or frame, fails the test, unless the test expects it.
  csp: [
    async ({ context }, use) => {
      let violations: string[] = [];
      const expected: [RegExp, string[]][] = [];
      const consoleMentions: string[] = [];
      await context.exposeBinding('__fotaReportViolation', ({ frame }, text: string) => {
        const report = `${frame.url()}: ${text}`;
        const expecting = expected.find(([pattern]) => pattern.test(report));
        if (expecting) expecting[1].push(report);
        else violations.push(report);
      });
      await context.addInitScript(() => {
        document.addEventListener(
          'securitypolicyviolation',
          (e) => {
            const report = (window as unknown as { __fotaReportViolation: (t: string) => void }).__fotaReportViolation;
            void report(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
          },
          true,
        );
      });
      context.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) consoleMentions.push(message.text());
      });
      await use({
        take() {
          const taken = violations;
          violations = [];
          return taken;
        },
        expect(pattern) {
          const list: string[] = [];
          expected.push([pattern, list]);
          return list;
        },
        console: consoleMentions,
      });
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],

  consoleMessages: async ({ context }, use) => {
    const messages: string[] = [];
    context.on('console', (message) => messages.push(message.text()));
    await use(messages);
  },
});

/** The keys of config.json a test may change (README, "Configuration"). */
export interface ConfigOverrides {
  requestTimeoutMs?: number;
  batchSize?: number;
  concurrency?: number;
  maxAttempts?: number;
  /** `adaptive` (the default): a `Retry-After` holds every send; `fixed`: only its batch's. */
  pacing?: 'adaptive' | 'fixed';
  /** Where requests go: a path on this site or a URL on another origin. */
  apiBaseUrl?: string;
  /** Finished runs kept in IndexedDB; 0 stores nothing. */
  historyLimit?: number;
}

/** The form's fields; each one given is filled. */
export interface FormFields {
  account?: string;
  /** A list, one per line, or the field's text as it is. */
  imeis?: string[] | string;
  bearer?: string;
  session?: string;
  /** Typed over the configured API base URL. */
  baseUrl?: string;
}

/** The form as most tests fill it: the account and tokens below unless given. */
export const FORM_DEFAULTS = { account: ACCOUNT, bearer: 'bearer-e2e', session: 'session-e2e' } as const;

const imeiText = (imeis: string[] | string) => (Array.isArray(imeis) ? imeis.join('\n') : imeis);

/** One device as the results report it. */
export interface ResultRow {
  imei: string;
  status: string;
  reason: string;
  firmware: string;
  updated: string;
}

/** A row's cells as the table shows them as text: all but Updated (a `<time>` with a local time). */
export type ShownRow = Omit<ResultRow, 'updated'>;

/** `row` (from the table or the CSV) reduced to what the table shows as text. */
export function shownCells({ imei, status, reason, firmware }: ShownRow): ShownRow {
  return { imei, status, reason, firmware };
}

/** A file for the file input: a path on disk (its exact bytes), or a name and contents. */
export type ImportedFile = string | { name: string; mimeType: string; buffer: Buffer };

/**
 * The app, as a user sees it: one locator per control, and the verbs the specs use. `root` is the
 * page, or a portal's frame holding the app (`page.frameLocator(...)`); what needs the page itself
 * (opening, config.json, downloads) needs a page.
 */
export class App {
  readonly account: Locator;
  readonly imeis: Locator;
  readonly allowBadCheckDigit: Locator;
  /** The file input, "Add IMEIs from a file". */
  readonly fileInput: Locator;
  readonly imeiCount: Locator;
  /** The list of problems under the IMEI field, and its items. */
  readonly problemList: Locator;
  readonly problems: Locator;
  readonly bearer: Locator;
  readonly session: Locator;
  readonly showBearer: Locator;
  readonly showSession: Locator;
  readonly bearerNote: Locator;
  readonly sessionNote: Locator;
  readonly rememberTokens: Locator;
  readonly forgetTokens: Locator;
  readonly useOwnTokens: Locator;
  readonly usePortalTokens: Locator;
  /** "Provided by the portal", once per token field. */
  readonly providedByPortal: Locator;
  readonly baseUrl: Locator;
  readonly synchronizeButton: Locator;
  readonly cancelButton: Locator;
  readonly retryFailedButton: Locator;
  readonly resumeButton: Locator;
  /** The one message of the form: a list of problems, or a failure in plain words. */
  readonly alert: Locator;
  /** The alert's headline, in plain words. */
  readonly alertHeadline: Locator;
  /** The alert's raw line, as the server said it. */
  readonly alertRaw: Locator;
  /** The alert's list of what to fix in the form. */
  readonly alertItems: Locator;
  readonly summaryList: Locator;
  readonly progressBar: Locator;
  /** The run's progress line ("… of … devices, … retries, finished in …"). */
  readonly progress: Locator;
  readonly downloadButton: Locator;
  readonly onlyUnsuccessful: Locator;
  readonly table: Locator;
  /** The rows in the DOM: those in view and a few around (see `tableRows` for all). */
  readonly rows: Locator;
  /** "Showing N of M devices", above the table. */
  readonly rowsShown: Locator;

  constructor(readonly root: Page | FrameLocator) {
    this.account = root.getByRole('textbox', { name: 'Account', exact: true });
    this.imeis = root.getByRole('textbox', { name: 'IMEIs', exact: true });
    this.allowBadCheckDigit = root.getByRole('checkbox', { name: 'Include IMEIs that fail only the check digit' });
    this.fileInput = root.getByLabel('Add IMEIs from a file', { exact: true });
    this.imeiCount = root.locator('#imei-count');
    this.problemList = root.getByRole('list', { name: 'Problems' });
    this.problems = this.problemList.getByRole('listitem');
    this.bearer = root.getByLabel('Bearer token', { exact: true });
    this.session = root.getByLabel('Session token', { exact: true });
    this.showBearer = root.getByRole('button', { name: 'Show bearer token' });
    this.showSession = root.getByRole('button', { name: 'Show session token' });
    this.bearerNote = root.locator('#bearer-token-note');
    this.sessionNote = root.locator('#session-token-note');
    this.rememberTokens = root.getByRole('checkbox', { name: 'Remember tokens in this tab' });
    this.forgetTokens = root.getByRole('button', { name: 'Forget tokens' });
    this.useOwnTokens = root.getByRole('button', { name: 'Use my own tokens' });
    this.usePortalTokens = root.getByRole('button', { name: "Use the portal's tokens" });
    this.providedByPortal = root.getByText('Provided by the portal', { exact: true });
    this.baseUrl = root.getByRole('textbox', { name: 'API base URL', exact: true });
    this.synchronizeButton = root.getByRole('button', { name: 'Synchronize' });
    this.cancelButton = root.getByRole('button', { name: 'Cancel' });
    this.retryFailedButton = root.getByRole('button', { name: 'Retry failed' });
    this.resumeButton = root.getByRole('button', { name: 'Resume' });
    this.alert = root.getByRole('alert');
    this.alertHeadline = this.alert.locator('.headline');
    this.alertRaw = this.alert.locator('.raw');
    this.alertItems = this.alert.getByRole('listitem');
    this.summaryList = root.locator('dl[aria-label="Summary"]');
    this.progressBar = root.getByRole('progressbar', { name: 'Run progress' });
    this.progress = root.locator('section[aria-label="Run summary"] p.progress');
    this.downloadButton = root.locator('section[aria-label="Run summary"]').getByRole('button', { name: 'Download CSV' });
    this.onlyUnsuccessful = root.getByRole('checkbox', { name: 'Show only devices that did not succeed' });
    this.table = root.locator('table.results');
    this.rows = this.table.locator('tbody tr');
    this.rowsShown = root.locator('#rows-shown');
  }

  /** The page, for what a frame cannot do. */
  get page(): Page {
    if (!('goto' in this.root)) throw new Error('this needs the page, not a frame');
    return this.root;
  }

  /** "Use the suggested IMEI" or "Use the N suggested IMEIs". */
  useSuggested(count: number): Locator {
    const name = count === 1 ? 'Use the suggested IMEI' : `Use the ${count} suggested IMEIs`;
    return this.root.getByRole('button', { name, exact: true });
  }

  /** The count beside `term` in the run's summary (Total, Succeeded, Failed, No result, ...). */
  summaryValue(term: string): Locator {
    return this.summaryList.locator(`dt:text-is("${term}") + dd`);
  }

  // ---- Before opening (page only) ----

  /** Serves this page the deployment's config.json with `overrides` on top (call before `open`). */
  async useConfig(overrides: ConfigOverrides): Promise<void> {
    await this.page.route('**/config.json', async (route) => {
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
  async openWithConfig(overrides: ConfigOverrides): Promise<void> {
    await this.useConfig(overrides);
    const served = this.page.waitForResponse((response) => new URL(response.url()).pathname.endsWith('/config.json'));
    await this.open();
    await served;
    await this.page.unroute('**/config.json');
  }

  /**
   * Makes the app's backoff jitter (`Math.random`) always `value` in this page, so that the wait
   * before a retry is what the server and the retry floor ask for, not a lucky draw (call before
   * `open`). With 0 the backoff is 0 and only `Retry-After` and the 250 ms floor remain.
   */
  async pinJitter(value: number): Promise<void> {
    await this.page.addInitScript((v) => {
      Math.random = () => v;
    }, value);
  }

  // ---- Verbs ----

  /** Opens the app at the page's base URL (or `url`) and waits for the form. */
  async open(url = '/'): Promise<void> {
    await this.page.goto(url);
    await expect(this.synchronizeButton).toBeVisible();
  }

  /** Fills exactly the fields given. */
  async fill(fields: FormFields): Promise<void> {
    if (fields.account !== undefined) await this.account.fill(fields.account);
    if (fields.imeis !== undefined) await this.imeis.fill(imeiText(fields.imeis));
    if (fields.bearer !== undefined) await this.bearer.fill(fields.bearer);
    if (fields.session !== undefined) await this.session.fill(fields.session);
    if (fields.baseUrl !== undefined) await this.baseUrl.fill(fields.baseUrl);
  }

  /** Fills the form: the account and tokens of `FORM_DEFAULTS` unless given, the IMEIs if given. */
  async fillForm(input: FormFields = {}): Promise<void> {
    await this.fill({ ...FORM_DEFAULTS, ...input });
  }

  /**
   * Puts `text` in the IMEI field in one input event, as a paste does. (Playwright's `fill` types
   * through Chromium's editing commands: over 15 s for 2,000 lines on a busy 2-core machine.)
   */
  async pasteImeis(text: string): Promise<void> {
    await this.imeis.evaluate((field: HTMLTextAreaElement, value) => {
      field.value = value;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    }, text);
  }

  /**
   * Pastes `text` into the IMEI field as a user does: onto the system clipboard, then Ctrl+V in
   * the field, at its end (the browser's own paste, with its own handling of what it pastes).
   * Needs the clipboard permissions (`test.use({ permissions: [...] })`, Chromium).
   */
  async pasteFromClipboard(text: string): Promise<void> {
    await this.page.evaluate((value) => navigator.clipboard.writeText(value), text);
    await this.imeis.focus();
    await this.imeis.press('Control+End');
    await this.imeis.press('ControlOrMeta+V');
  }

  /** Adds a file through the real file input: the app reads its exact bytes. */
  async importFile(file: ImportedFile): Promise<void> {
    await this.fileInput.setInputFiles(file);
  }

  /** Presses Synchronize. */
  async synchronize(): Promise<void> {
    await this.synchronizeButton.click();
  }

  /** Opens the app, fills the form (`fillForm`) and presses Synchronize. */
  async start(input: FormFields = {}): Promise<void> {
    await this.open();
    await this.fillForm(input);
    await this.synchronize();
  }

  // ---- What the app shows ----

  /**
   * The run on screen is over (allowing for retries with back-off): the progress line says
   * "finished in", nothing waits (in the summary and in the rows in view), Cancel is gone and
   * Synchronize can be pressed; with `devices`,
   * the table and the total hold that many.
   */
  async expectRunOver(options: { devices?: number; timeout?: number } = {}): Promise<void> {
    await expect(this.progress).toContainText('finished in', { timeout: options.timeout ?? 20_000 });
    await expect(this.summaryValue('Waiting')).toHaveCount(0);
    // The rows in view are redrawn at the frame after the summary.
    await expect(this.table.locator('tbody tr.waiting')).toHaveCount(0);
    await expect(this.cancelButton).toHaveCount(0);
    await expect(this.synchronizeButton).toBeEnabled();
    if (options.devices !== undefined) {
      await this.expectRowCount(options.devices);
      await expect(this.summaryValue('Total')).toHaveText(String(options.devices));
    }
  }

  /** Everything typed is still there (`fillForm`'s defaults unless given) and Synchronize can be pressed again. */
  async expectFormKept(input: FormFields & Required<Pick<FormFields, 'imeis'>>): Promise<void> {
    const kept = { ...FORM_DEFAULTS, ...input };
    await expect(this.account).toHaveValue(kept.account);
    await expect(this.imeis).toHaveValue(imeiText(kept.imeis));
    await expect(this.bearer).toHaveValue(kept.bearer);
    await expect(this.session).toHaveValue(kept.session);
    await expect(this.synchronizeButton).toBeEnabled();
  }

  /** The summary's counts as shown, by term (Total, Succeeded, Failed, No result, Error, Not sent, Waiting). */
  async summary(): Promise<Record<string, string>> {
    return this.summaryList.evaluate(
      (dl) =>
        Object.fromEntries(
          Array.from(dl.querySelectorAll('dt'), (dt) => [dt.textContent?.trim(), dt.nextElementSibling?.textContent?.trim()]),
        ) as Record<string, string>,
    );
  }

  /** The summary's counts as numbers, by term. */
  async summaryCounts(): Promise<Record<string, number>> {
    return Object.fromEntries(Object.entries(await this.summary()).map(([term, n]) => [term, Number(n)]));
  }

  /** The results table's column headers, in order. */
  async headers(): Promise<string[]> {
    return (await this.table.locator('thead th').allTextContents()).map((h) => h.trim());
  }

  /** Every row's cell under `header`, in row order. */
  async column(header: string): Promise<Locator> {
    const headers = await this.headers();
    const index = headers.indexOf(header);
    expect(index, `column "${header}" among ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(0);
    return this.rows.locator(`:scope > :is(th, td):nth-child(${index + 1})`);
  }

  /**
   * The table says it has `count` rows (`aria-rowcount`, the header row not counted): only the
   * rows in view are in the DOM, so `rows` counts those.
   */
  async expectRowCount(count: number, options: { timeout?: number } = {}): Promise<void> {
    await expect(this.table).toHaveAttribute('aria-rowcount', String(count + 1), options);
  }

  /**
   * Every row the table shows, in order, read as a user would: by scrolling the table from top
   * to bottom (only the rows in view are in the DOM), each row placed by its `aria-rowindex`
   * (`table-rows.js`, which the engines layer runs too).
   */
  async tableRows(): Promise<ShownRow[]> {
    const rows = await readAllRows((part) => this.table.evaluate(readTableRows, part));
    return rows.map(shownCells);
  }

  /** Once the table says it has `count` rows, every one of them, read as `tableRows` does. */
  async tableRowsOnceThere(count: number): Promise<ShownRow[]> {
    await this.expectRowCount(count, { timeout: 20_000 });
    return this.tableRows();
  }

  /**
   * The table on screen and the CSV download agree row for row: the table holds `count` rows,
   * each exactly as the file has it, in order. Returns the download, as `downloadResults`.
   *
   * The table is read before the file is downloaded, never after: reading it scrolls it, which
   * takes frames, and Debian's headless Chromium 156 has been seen to draw no frame at all from
   * just after a download on (docs/TESTING.md, "Frames after a download"). The reader waits for
   * the rows in view at each screen, however long the frames take on a busy machine.
   */
  async expectTableMatchesDownload(count: number): Promise<{ name: string; text: string; rows: ResultRow[] }> {
    const shown = await this.tableRowsOnceThere(count);
    const download = await this.downloadResults();
    expect(shown, 'the table on screen against the CSV download').toEqual(download.rows.map(shownCells));
    return download;
  }

  /** Presses "Download CSV" and returns the file's name, text and rows (its header checked). */
  async downloadResults(): Promise<{ name: string; text: string; rows: ResultRow[] }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.downloadButton.click()]);
    const text = await readFile(await download.path(), 'utf8');
    const records = parseCsv(text);
    expect(records[0]).toEqual(['IMEI', 'Status', 'Reason', 'Firmware version', 'Updated (UTC)']);
    const rows = records.slice(1).map(([imei, status, reason, firmware, updated]) => ({ imei, status, reason, firmware, updated }));
    return { name: download.suggestedFilename(), text, rows };
  }
}

/** Each row (from the table or the CSV) shows what the emulator documents for its device. */
export function expectDocumented(rows: ShownRow[], documented: DocumentedDevice[]): void {
  expect(rows.map((r) => [r.imei, r.status, r.reason, r.firmware])).toEqual(
    documented.map((d) => [d.deviceId, d.status, d.Reason, d.firmwareVersion]),
  );
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

/** Milliseconds between the arrivals of two logged requests. */
export function gapMs(first: { time: string }, second: { time: string }): number {
  return Date.parse(second.time) - Date.parse(first.time);
}

/** Milliseconds between each logged request and the next. */
export function gapsMs(calls: { time: string }[]): number[] {
  return calls.slice(1).map((call, i) => gapMs(calls[i], call));
}
