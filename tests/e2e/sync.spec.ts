// What a user sees and what the backend receives, for the documented answers of
// Synchronize Device Firmware, with the release build against the emulator.
import { ACCOUNT, SUCCESS, expect, test, type App, type FormFields } from './app';
import { validImeis, withWrongCheckDigit } from './imei';

const INACTIVE_ACCOUNT = '0000999999-00001';
const IMEIS = ['490154203237518', '356938035643809', '353879234252633'];

/** Opens the app and synchronizes this file's three devices unless a test names others. */
const start = (app: App, input: FormFields = {}) => app.start({ ...input, imeis: input.imeis ?? IMEIS });

test.describe('form', () => {
  // Behind the CORS proxy, config.json names the proxy instead (nginx.spec.ts checks it there).
  test('has the labelled fields, the configured base URL and hidden tokens', { tag: '@same-origin-api' }, async ({ app, emulator }) => {
    await app.open();
    await expect(app.account).toBeEditable();
    await expect(app.imeis).toBeEditable();
    await expect(app.allowBadCheckDigit).not.toBeChecked();
    // Prefilled from config.json.
    await expect(app.baseUrl).toHaveValue('api/fota/v3');

    for (const [field, show] of [
      [app.bearer, app.showBearer],
      [app.session, app.showSession],
    ]) {
      await field.fill('s3cret');
      await expect(field).toHaveAttribute('type', 'password');
      await show.click();
      await expect(field).toHaveAttribute('type', 'text');
      await expect(field).toHaveValue('s3cret');
    }
    expect(await emulator.syncCalls()).toHaveLength(0);
  });

  test('Enter in a field synchronizes, as the button does, without leaving the page', async ({ page, app, emulator }) => {
    await app.open();
    await app.fillForm({ imeis: IMEIS });
    const url = page.url();
    // Enter in the IMEI list starts a new line, not a run.
    await app.imeis.press('Control+End');
    await app.imeis.press('Enter');
    await expect(app.imeis).toHaveValue(`${IMEIS.join('\n')}\n`);
    await app.session.press('Enter');
    await app.expectRunOver({ devices: IMEIS.length });
    // One run: the one Enter in the session token started.
    expect(await emulator.syncCalls()).toHaveLength(1);
    expect(page.url()).toBe(url);
    await app.expectFormKept({ imeis: `${IMEIS.join('\n')}\n` });
  });

  test('validates IMEIs live, naming each problem and its position', async ({ page, app }) => {
    await app.open();
    await app.imeis.fill(
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
    const problems = app.problems;
    await expect(problems).toHaveCount(4);
    await expect(problems.filter({ hasText: 'Entry 2 (line 2): "12345" is not 15 digits' })).toHaveCount(1);
    await expect(problems.filter({ hasText: /Entry 4 \(line 4\).*duplicate of entry 1/ })).toHaveCount(1);
    await expect(problems.filter({ hasText: /Entry 5 \(line 5\).*contains non-digits/ })).toHaveCount(1);
    await expect(problems.filter({ hasText: /Entry 6 \(line 6\).*Luhn check digit is wrong/ })).toHaveCount(1);

    await app.imeis.fill(IMEIS[2]);
    await expect(page.getByText('1 valid, unique IMEI', { exact: true })).toBeVisible();
    await expect(problems).toHaveCount(0);
  });
});

test.describe('documented success', () => {
  test('three devices: one call, a row each in input order, a summary that adds up', async ({ page, app, emulator }) => {
    await start(app);
    await expect(app.rows).toHaveCount(3);

    const expected = await Promise.all(IMEIS.map((imei) => emulator.outcome(imei)));
    await expect(await app.column('IMEI')).toHaveText(IMEIS);
    await expect(await app.column('Status')).toHaveText(expected.map((d) => d.status));
    await expect(await app.column('Firmware version')).toHaveText(expected.map((d) => d.firmwareVersion));
    await expect(await app.column('Reason')).toHaveText(expected.map((d) => d.Reason));

    await expect(page.getByText(`Account ${ACCOUNT}`)).toBeVisible();
    const succeeded = expected.filter((d) => d.status === SUCCESS).length;
    await expect(app.summaryValue('Total')).toHaveText('3');
    await expect(app.summaryValue('Succeeded')).toHaveText(String(succeeded));
    await expect(app.summaryValue('Failed')).toHaveText(String(3 - succeeded));
    await expect(app.summaryValue('No result')).toHaveText('0');

    const calls = await emulator.syncCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].path).toBe(`/api/fota/v3/firmware/${ACCOUNT}/devices`);
    expect(calls[0].headers['authorization']).toBe('Bearer bearer-e2e');
    expect(calls[0].headers['vz-m2m-token']).toBe('session-e2e');
    expect(calls[0].headers['content-type']).toContain('application/json');
    expect(JSON.parse(calls[0].body)).toEqual({ deviceList: IMEIS });
    await expect(app.alert).toHaveCount(0);
  });

  test('250 devices go out as exactly three calls of 100, 100 and 50', async ({ app, emulator }) => {
    test.setTimeout(60_000); // typing and rendering 250 rows is slow on a busy 2-core machine
    const imeis = validImeis(250);
    await start(app, { imeis });
    await expect(app.summaryValue('Total')).toHaveText('250');
    await expect(app.summaryValue('Waiting')).toHaveCount(0, { timeout: 20_000 });
    const { rows } = await app.expectTableMatchesDownload(imeis.length);
    expect(rows.map((r) => r.imei)).toEqual(imeis);

    // Batches may run concurrently: the calls can arrive in any order.
    const byFirstImei = (a: string[], b: string[]) => imeis.indexOf(a[0]) - imeis.indexOf(b[0]);
    const lists = (await emulator.sentDeviceLists()).sort(byFirstImei);
    expect(lists).toEqual([imeis.slice(0, 100), imeis.slice(100, 200), imeis.slice(200)]);
  });

  test('invalid entries are never sent', async ({ page, app, emulator }) => {
    const input = [IMEIS[0], '12345', IMEIS[1], withWrongCheckDigit(IMEIS[2]), 'abc', IMEIS[0], IMEIS[2]];
    await start(app, { imeis: input });
    // The account name comes from the answer: the call is over.
    await expect(page.getByText(`Account ${ACCOUNT}`)).toBeVisible();
    expect(await emulator.sentDeviceLists()).toEqual([IMEIS]);
  });
});

test.describe('documented errors keep the form and explain', () => {
  test('inactive account', async ({ app, emulator }) => {
    const input = { account: INACTIVE_ACCOUNT, bearer: 'bearer-e2e', session: 'session-e2e' };
    await start(app, input);
    await expect(app.alert).toContainText('INVALID_PARAMETER: Inactive account');
    await app.expectFormKept({ ...input, imeis: IMEIS });
    expect((await emulator.syncCalls()).map((c) => c.status)).toEqual([400]);
  });

  test('invalid bearer token', async ({ app }) => {
    const input = { account: ACCOUNT, bearer: 'invalid', session: 'session-e2e' };
    await start(app, input);
    await expect(app.alert).toContainText('900901');
    await expect(app.alert).toContainText(/bearer token/i);
    // Paused for a new token; Cancel ends the run and leaves the form as typed.
    await app.cancelButton.click();
    await app.expectFormKept({ ...input, imeis: IMEIS });
  });

  test('expired session token', async ({ app }) => {
    const input = { account: ACCOUNT, bearer: 'bearer-e2e', session: 'expired' };
    await start(app, input);
    await expect(app.alert).toContainText('REQUEST_FAILED.SessionToken.Expired');
    await expect(app.alert).toContainText(/session token/i);
    await app.cancelButton.click();
    await app.expectFormKept({ ...input, imeis: IMEIS });
  });

  test('unreachable base URL', async ({ app, emulator, deployment, csp }) => {
    const baseUrl = 'http://127.0.0.1:9/api'; // nothing listens on port 9
    // Behind nginx the site's policy (connect-src) refuses the address before the network does:
    // the same message, and the browser reports the refusals.
    const refused = deployment.proxy ? csp.expect(/: connect-src blocked http:\/\/127\.0\.0\.1:9(\/|$)/) : [];
    await start(app, { baseUrl });
    // Allow for the app's retries with back-off before it gives up. Another origin than the
    // page's: the app probes it, and nothing answers there.
    await expect(app.alert).toContainText(`Nothing answered at ${baseUrl}/firmware/${ACCOUNT}/devices`, { timeout: 20_000 });
    await expect(await app.column('Reason')).toHaveText(Array(IMEIS.length).fill('No server answered (after 4 tries)'));
    await expect(app.baseUrl).toHaveValue(baseUrl);
    expect(await emulator.syncCalls()).toHaveLength(0);
    if (deployment.proxy) expect(refused, 'connect-src refusals').not.toHaveLength(0);
  });
});
