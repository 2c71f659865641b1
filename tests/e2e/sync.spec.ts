// What a user sees and what the backend receives, for the documented answers of
// Synchronize Device Firmware, with the release build against the emulator.
import {
  ACCOUNT,
  Results,
  SUCCESS,
  downloadResults,
  expect,
  expectTableShows,
  open,
  summaryValue,
  synchronize as submit,
  test,
  type FormInput,
} from './app';
import { validImeis, withWrongCheckDigit } from './imei';
import type { Page } from '@playwright/test';

const INACTIVE_ACCOUNT = '0000999999-00001';
const IMEIS = ['490154203237518', '356938035643809', '353879234252633'];

/** The shared `synchronize`, with this file's three devices unless a test names others. */
const synchronize = (page: Page, input: FormInput = {}) => submit(page, { ...input, imeis: input.imeis ?? IMEIS });

async function expectFormKept(page: Page, input: Required<Pick<FormInput, 'account' | 'bearer' | 'session'>>) {
  await expect(page.getByRole('textbox', { name: 'Account', exact: true })).toHaveValue(input.account);
  await expect(page.getByRole('textbox', { name: 'IMEIs', exact: true })).toHaveValue(IMEIS.join('\n'));
  await expect(page.getByLabel('Bearer token', { exact: true })).toHaveValue(input.bearer);
  await expect(page.getByLabel('Session token', { exact: true })).toHaveValue(input.session);
}

test.describe('form', () => {
  test('has the labelled fields, the configured base URL and hidden tokens', async ({ page, emulator }) => {
    await open(page);
    await expect(page.getByRole('textbox', { name: 'Account', exact: true })).toBeEditable();
    await expect(page.getByRole('textbox', { name: 'IMEIs', exact: true })).toBeEditable();
    await expect(page.getByRole('checkbox', { name: 'Include IMEIs that fail only the check digit' })).not.toBeChecked();
    // Prefilled from config.json.
    await expect(page.getByRole('textbox', { name: 'API base URL', exact: true })).toHaveValue('api/fota/v3');

    for (const [label, button] of [
      ['Bearer token', 'Show bearer token'],
      ['Session token', 'Show session token'],
    ]) {
      const field = page.getByLabel(label, { exact: true });
      await field.fill('s3cret');
      await expect(field).toHaveAttribute('type', 'password');
      await page.getByRole('button', { name: button }).click();
      await expect(field).toHaveAttribute('type', 'text');
      await expect(field).toHaveValue('s3cret');
    }
    expect(await emulator.syncCalls()).toHaveLength(0);
  });

  test('validates IMEIs live, naming each problem and its position', async ({ page }) => {
    await open(page);
    const imeis = page.getByRole('textbox', { name: 'IMEIs', exact: true });
    await imeis.fill(
      [
        IMEIS[0], // 1: valid
        '12345', // 2: too short
        IMEIS[1], // 3: valid
        IMEIS[0], // 4: duplicate of entry 1
        '35693803564380X', // 5: non-digit
        withWrongCheckDigit(IMEIS[2]), // 6: Luhn
      ].join('\n'),
    );
    await expect(page.getByText('2 valid, unique IMEIs')).toBeVisible();
    const problems = page.getByRole('list', { name: 'Problems' }).getByRole('listitem');
    await expect(problems).toHaveCount(4);
    await expect(problems.filter({ hasText: 'Entry 2 (line 2): "12345" is not 15 digits' })).toHaveCount(1);
    await expect(problems.filter({ hasText: /Entry 4 \(line 4\).*duplicate of entry 1/ })).toHaveCount(1);
    await expect(problems.filter({ hasText: /Entry 5 \(line 5\).*contains non-digits/ })).toHaveCount(1);
    await expect(problems.filter({ hasText: /Entry 6 \(line 6\).*Luhn check digit is wrong/ })).toHaveCount(1);

    await imeis.fill(IMEIS[2]);
    await expect(page.getByText('1 valid, unique IMEI', { exact: true })).toBeVisible();
    await expect(problems).toHaveCount(0);
  });
});

test.describe('documented success', () => {
  test('three devices: one call, a row each in input order, a summary that adds up', async ({ page, emulator }) => {
    await synchronize(page);
    const results = new Results(page);
    await expect(results.rows).toHaveCount(3);

    const expected = await Promise.all(IMEIS.map((imei) => emulator.outcome(imei)));
    await expect(await results.column('IMEI')).toHaveText(IMEIS);
    await expect(await results.column('Status')).toHaveText(expected.map((d) => d.status));
    await expect(await results.column('Firmware version')).toHaveText(expected.map((d) => d.firmwareVersion));
    await expect(await results.column('Reason')).toHaveText(expected.map((d) => d.Reason));

    await expect(page.getByText(`Account ${ACCOUNT}`)).toBeVisible();
    const succeeded = expected.filter((d) => d.status === SUCCESS).length;
    await expect(summaryValue(page, 'Total')).toHaveText('3');
    await expect(summaryValue(page, 'Succeeded')).toHaveText(String(succeeded));
    await expect(summaryValue(page, 'Failed')).toHaveText(String(3 - succeeded));
    await expect(summaryValue(page, 'No result')).toHaveText('0');

    const calls = await emulator.syncCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].path).toBe(`/api/fota/v3/firmware/${ACCOUNT}/devices`);
    expect(calls[0].headers['authorization']).toBe('Bearer bearer-e2e');
    expect(calls[0].headers['vz-m2m-token']).toBe('session-e2e');
    expect(calls[0].headers['content-type']).toContain('application/json');
    expect(JSON.parse(calls[0].body)).toEqual({ deviceList: IMEIS });
    await expect(page.getByRole('alert')).toHaveCount(0);
  });

  test('250 devices go out as exactly three calls of 100, 100 and 50', async ({ page, emulator }) => {
    test.setTimeout(60_000); // typing and rendering 250 rows is slow on a busy 2-core machine
    const imeis = validImeis(250);
    await synchronize(page, { imeis });
    await expect(summaryValue(page, 'Total')).toHaveText('250');
    await expect(summaryValue(page, 'Waiting')).toHaveCount(0, { timeout: 20_000 });
    const { rows } = await downloadResults(page);
    expect(rows.map((r) => r.imei)).toEqual(imeis);
    await expectTableShows(page, rows);

    // Batches may run concurrently: the calls can arrive in any order.
    const byFirstImei = (a: string[], b: string[]) => imeis.indexOf(a[0]) - imeis.indexOf(b[0]);
    const lists = (await emulator.sentDeviceLists()).sort(byFirstImei);
    expect(lists).toEqual([imeis.slice(0, 100), imeis.slice(100, 200), imeis.slice(200)]);
  });

  test('invalid entries are never sent', async ({ page, emulator }) => {
    const input = [IMEIS[0], '12345', IMEIS[1], withWrongCheckDigit(IMEIS[2]), 'abc', IMEIS[0], IMEIS[2]];
    await synchronize(page, { imeis: input });
    // The account name comes from the answer: the call is over.
    await expect(page.getByText(`Account ${ACCOUNT}`)).toBeVisible();
    expect(await emulator.sentDeviceLists()).toEqual([IMEIS]);
  });
});

test.describe('documented errors keep the form and explain', () => {
  test('inactive account', async ({ page, emulator }) => {
    const input = { account: INACTIVE_ACCOUNT, bearer: 'bearer-e2e', session: 'session-e2e' };
    await synchronize(page, input);
    await expect(page.getByRole('alert')).toContainText('INVALID_PARAMETER: Inactive account');
    await expectFormKept(page, input);
    expect((await emulator.syncCalls()).map((c) => c.status)).toEqual([400]);
  });

  test('invalid bearer token', async ({ page }) => {
    const input = { account: ACCOUNT, bearer: 'invalid', session: 'session-e2e' };
    await synchronize(page, input);
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('900901');
    await expect(alert).toContainText(/bearer token/i);
    await expectFormKept(page, input);
  });

  test('expired session token', async ({ page }) => {
    const input = { account: ACCOUNT, bearer: 'bearer-e2e', session: 'expired' };
    await synchronize(page, input);
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('REQUEST_FAILED.SessionToken.Expired');
    await expect(alert).toContainText(/session token/i);
    await expectFormKept(page, input);
  });

  test('unreachable base URL', async ({ page, emulator }) => {
    const baseUrl = 'http://127.0.0.1:9/api'; // nothing listens on port 9
    await synchronize(page, { baseUrl });
    const alert = page.getByRole('alert');
    // Allow for the app's retries with back-off before it gives up. Another origin than the
    // page's: the app probes it, and nothing answers there.
    await expect(alert).toContainText(`Nothing answered at ${baseUrl}/firmware/${ACCOUNT}/devices`, { timeout: 20_000 });
    await expect(await new Results(page).column('Reason')).toHaveText(Array(IMEIS.length).fill('No server answered (after 4 tries)'));
    await expect(page.getByRole('textbox', { name: 'API base URL', exact: true })).toHaveValue(baseUrl);
    expect(await emulator.syncCalls()).toHaveLength(0);
  });
});
