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

export const test = base.extend<{ emulator: Emulator }>({
  emulator: async ({ request }, use) => {
    const emulator = new Emulator(request);
    await emulator.reset();
    await use(emulator);
  },
});

/** The keys of config.json a test may change (README, "Configuration"). */
export interface ConfigOverrides {
  requestTimeoutMs?: number;
  batchSize?: number;
  concurrency?: number;
  maxAttempts?: number;
}

/** Serves this page the deployment's config.json with `overrides` on top (call before `open`). */
export async function useConfig(page: Page, overrides: ConfigOverrides): Promise<void> {
  await page.route('**/config.json', async (route) => {
    const response = await route.fetch();
    const served = response.ok() ? ((await response.json()) as Record<string, unknown>) : {};
    await route.fulfill({ response, json: { ...served, ...overrides } });
  });
}

export interface FormInput {
  account?: string;
  imeis?: string[];
  bearer?: string;
  session?: string;
}

export async function open(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Synchronize' })).toBeVisible();
}

export async function fillForm(page: Page, input: FormInput & { imeis: string[] }): Promise<void> {
  await page.getByRole('textbox', { name: 'Account', exact: true }).fill(input.account ?? ACCOUNT);
  await page.getByRole('textbox', { name: 'IMEIs', exact: true }).fill(input.imeis.join('\n'));
  await page.getByLabel('Bearer token', { exact: true }).fill(input.bearer ?? 'bearer-e2e');
  await page.getByLabel('Session token', { exact: true }).fill(input.session ?? 'session-e2e');
}

export async function synchronize(page: Page, input: FormInput & { imeis: string[] }): Promise<void> {
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
export async function expectFormUsable(page: Page, input: FormInput & { imeis: string[] }): Promise<void> {
  await expect(page.getByRole('textbox', { name: 'Account', exact: true })).toHaveValue(input.account ?? ACCOUNT);
  await expect(page.getByRole('textbox', { name: 'IMEIs', exact: true })).toHaveValue(input.imeis.join('\n'));
  await expect(page.getByLabel('Bearer token', { exact: true })).toHaveValue(input.bearer ?? 'bearer-e2e');
  await expect(page.getByLabel('Session token', { exact: true })).toHaveValue(input.session ?? 'session-e2e');
  await expect(page.getByRole('button', { name: 'Synchronize' })).toBeEnabled();
}
