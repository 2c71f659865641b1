// The results table as a workbench (issue 12): find an IMEI, sort by any column, the filters
// combined with "Showing N of M devices", Copy rows as tab-separated text, stale firmware marked,
// and the JSON download of the whole result set.
import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020';
import { ACCOUNT, SUCCESS, expect, test, type App } from './app';
import { validImeis } from './imei';

const DEVICES = validImeis(60, 2_000);

/** Runs DEVICES to the end against the documented emulator. */
async function synced(app: App): Promise<void> {
  await app.start({ imeis: DEVICES });
  await app.expectRunOver({ devices: DEVICES.length });
}

test('Find IMEI shows the rows whose IMEI holds the typed digits, and says how many of how many', async ({ page, app }) => {
  await synced(app);
  await expect(app.rowsShown).toHaveText(`Showing all ${DEVICES.length} devices`);
  const find = page.getByRole('searchbox', { name: 'Find IMEI' });
  const target = DEVICES[37];
  // The last six digits of one device: printed with a space, as a label might show them.
  await find.fill(`${target.slice(9, 12)} ${target.slice(12)}`);
  const holding = DEVICES.filter((imei) => imei.includes(target.slice(9)));
  await expect.poll(async () => (await app.tableRows()).map((r) => r.imei)).toEqual(holding);
  await expect(app.rowsShown).toHaveText(`Showing ${holding.length} of ${DEVICES.length} devices`);
  // A letter cannot be in an IMEI: nothing is shown, and clearing shows everything again.
  await find.fill('35x');
  await app.expectRowCount(0);
  await find.fill('');
  await app.expectRowCount(DEVICES.length);
});

test('sorting by a column: stable, both ways, aria-sort set, and combined with the filters', async ({ page, app }) => {
  await synced(app);
  const rows = await app.tableRows();
  const header = (name: string) => page.getByRole('columnheader', { name });
  const sortButton = (name: string) => header(name).getByRole('button');
  await expect(header('Status')).toHaveAttribute('aria-sort', 'none');

  await sortButton('Status').click();
  await expect(header('Status')).toHaveAttribute('aria-sort', 'ascending');
  const byStatus = [...rows].sort((a, b) => a.status.toLowerCase().localeCompare(b.status.toLowerCase()) || 0);
  // Stable: equal statuses keep the order entered (Array.prototype.sort is stable too).
  await expect.poll(async () => (await app.tableRows()).map((r) => r.imei)).toEqual(byStatus.map((r) => r.imei));

  await sortButton('Status').click();
  await expect(header('Status')).toHaveAttribute('aria-sort', 'descending');
  const statuses = [...new Set(byStatus.map((r) => r.status))].reverse();
  const descending = statuses.flatMap((s) => rows.filter((r) => r.status === s));
  await expect.poll(async () => (await app.tableRows()).map((r) => r.imei)).toEqual(descending.map((r) => r.imei));

  // Sorted and filtered at once: only the unsuccessful, still sorted.
  await app.onlyUnsuccessful.check();
  const unsuccessful = descending.filter((r) => r.status !== SUCCESS);
  await expect.poll(async () => (await app.tableRows()).map((r) => r.imei)).toEqual(unsuccessful.map((r) => r.imei));
  await expect(app.rowsShown).toHaveText(`Showing ${unsuccessful.length} of ${DEVICES.length} devices`);

  // A third press goes back to the order entered.
  await sortButton('Status').click();
  await expect(header('Status')).toHaveAttribute('aria-sort', 'none');
  await app.onlyUnsuccessful.uncheck();
  await expect.poll(async () => (await app.tableRows()).map((r) => r.imei)).toEqual(DEVICES);
});

test('Copy rows puts the rows in view on the clipboard as tab-separated text with a header', async ({ page, app, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await synced(app);
  await app.onlyUnsuccessful.check();
  const shown = await app.tableRows();
  await page.getByRole('button', { name: 'Copy rows' }).click();
  await expect(page.getByText(`Copied ${shown.length} rows (tab-separated, with a header line).`)).toBeVisible();
  const text = await page.evaluate(() => navigator.clipboard.readText());
  const lines = text.split('\n').filter((line) => line !== '');
  expect(lines[0].split('\t')).toEqual(['IMEI', 'Status', 'Reason', 'Firmware version', 'Updated (UTC)']);
  const cells = lines.slice(1).map((line) => line.split('\t'));
  expect(cells.every((c) => c.length === 5)).toBeTruthy();
  expect(cells.map(([imei, status, reason, firmware]) => ({ imei, status, reason, firmware }))).toEqual(shown);
});

test('firmware last updated long ago is marked in the table', async ({ app, emulator }) => {
  await synced(app);
  const documented = await emulator.outcomes(DEVICES);
  // staleAfterDays is 30 by default: a success updated more than 30 days ago is stale.
  const stale = documented
    .filter((d) => d.status === SUCCESS && d.VersionUpdateTime && Date.now() - Date.parse(d.VersionUpdateTime.replace(' +0000 UTC', 'Z').replace(' ', 'T')) > 30 * 86_400_000)
    .map((d) => d.deviceId);
  expect(stale.length).toBeGreaterThan(0);
  const marked = await app.table.evaluate(async (table) => {
    const wrap = table.closest('.table-wrap') as HTMLElement;
    wrap.scrollTop = 0;
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    return [...table.querySelectorAll('tbody tr.stale td.imei')].map((td) => td.textContent);
  });
  const inView = (await app.rows.locator('td.imei').allTextContents()).filter((imei) => stale.includes(imei));
  expect(marked).toEqual(inView);
  // Marked where the eye (and a screen reader reading generated content) meets it: beside the time.
  const mark = await app.table
    .locator('tbody tr.stale td.updated')
    .first()
    .evaluate((td) => getComputedStyle(td, '::after').content);
  expect(mark).toBe('" · stale"');
});

test('Download JSON: the whole result set, every device with its requests, the request log, no token', async ({ page, app, emulator }) => {
  await emulator.addFault({ kind: 503, times: 1 });
  await synced(app);
  // Read before the download, not after (App.expectTableMatchesDownload says why).
  const rows = await app.tableRows();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download JSON' }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^fota-sync-${ACCOUNT}-\\d{8}T\\d{6}Z\\.json$`));
  const text = await readFile(await download.path(), 'utf8');
  // The documented shape (tests/fixtures/result.schema.json, JSON Schema 2020-12), checked by Ajv.
  const schema = JSON.parse(await readFile(`${__dirname}/../fixtures/result.schema.json`, 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  expect(validate(JSON.parse(text)) ? [] : validate.errors, 'the JSON against its schema').toEqual([]);
  expect(text).not.toContain('bearer-e2e');
  expect(text).not.toContain('session-e2e');
  const json = JSON.parse(text) as {
    format: string;
    version: number;
    settings: Record<string, unknown>;
    summary: Record<string, number>;
    devices: { imei: string; outcome: string; status: string | null; requests: number }[];
    requests: { batch: number; attempt: number; devices: number; status: number | null; answer: string }[];
  };
  expect([json.format, json.version]).toEqual(['fota-sync-results', 1]);
  expect(json.settings.account).toBe(ACCOUNT);
  expect(json.settings.pacing, "config.json's pacing (the default)").toBe('adaptive');
  expect(json.devices.map((d) => d.imei)).toEqual(DEVICES);
  expect(json.devices.map((d) => d.status)).toEqual(rows.map((r) => r.status));
  expect(json.summary.total).toBe(DEVICES.length);
  expect(json.summary.succeeded).toBe(rows.filter((r) => r.status === SUCCESS).length);
  // One request of 60 devices, refused once with a 503 and sent again: two requests each.
  expect(json.requests.map((r) => [r.batch, r.attempt, r.devices, r.status])).toEqual([
    [0, 1, DEVICES.length, 503],
    [0, 2, DEVICES.length, 200],
  ]);
  expect(JSON.parse(json.requests[1].answer)).toHaveProperty('deviceFirmwarVersionList');
  expect(json.devices.every((d) => d.requests === 2)).toBeTruthy();
});

test.describe('the workbench panels', () => {
  /** The triage panel's groups as shown: label and count, largest first. */
  async function groupsShown(page: import('@playwright/test').Page): Promise<[string, number][]> {
    return page.locator('ul.groups > li').evaluateAll((items) =>
      items.map((li) => [
        li.querySelector('.group-label')?.textContent ?? '',
        Number((li.querySelector('.group-count')?.textContent ?? '').replace(/,/g, '')),
      ]),
    );
  }

  test('outcomes grouped by the server’s words, counted as the table counts them; Show filters', async ({ page, app, emulator }) => {
    await emulator.addFault({ kind: 500, skip: 0, times: 1 });
    await app.useConfig({ batchSize: 20, maxAttempts: 1, concurrency: 1 });
    await synced(app);
    const rows = await app.tableRows();
    const groups = await groupsShown(page);
    // Largest first, and they add up to every device.
    expect(groups.map(([, n]) => n)).toEqual([...groups.map(([, n]) => n)].sort((a, b) => b - a));
    expect(groups.reduce((sum, [, n]) => sum + n, 0)).toBe(DEVICES.length);
    const errors = rows.filter((r) => r.status === 'Error');
    expect(errors.map((r) => r.imei)).toEqual(DEVICES.slice(0, 20));
    const errorGroup = groups.find(([label]) => label.startsWith('Error: HTTP 500'));
    expect(errorGroup?.[1]).toBe(20);
    const succeeded = rows.filter((r) => r.status === SUCCESS).length;
    expect(groups.find(([label]) => label === 'Succeeded')?.[1]).toBe(succeeded);
    for (const [label, count] of groups.filter(([l]) => l.startsWith('Failed: '))) {
      const [status, reason] = label.slice('Failed: '.length).split(' — ');
      expect(rows.filter((r) => r.status === status && (reason === undefined || r.reason === reason)), label).toHaveLength(count);
    }

    // Show: only the group's rows; pressed again, all of them.
    const errorItem = page.locator('ul.groups > li', { hasText: 'Error: HTTP 500' });
    await errorItem.getByRole('button', { name: 'Show' }).click();
    await expect(errorItem.getByRole('button', { name: 'Show' })).toHaveAttribute('aria-pressed', 'true');
    await expect.poll(async () => (await app.tableRows()).map((r) => r.imei)).toEqual(errors.map((r) => r.imei));
    await expect(app.rowsShown).toHaveText(`Showing 20 of ${DEVICES.length} devices`);
    await errorItem.getByRole('button', { name: 'Show' }).click();
    await app.expectRowCount(DEVICES.length);
  });

  test('Sync again on a group sends exactly its devices and updates the same results', async ({ page, app, emulator }) => {
    await emulator.addFault({ kind: 500, skip: 1, times: 1 });
    await app.useConfig({ batchSize: 20, maxAttempts: 1, concurrency: 1 });
    await synced(app);
    const before = await app.tableRows();
    const failedBatch = before.filter((r) => r.status === 'Error').map((r) => r.imei);
    expect(failedBatch).toEqual(DEVICES.slice(20, 40));
    const calls = (await emulator.syncCalls()).length;
    await page.locator('ul.groups > li', { hasText: 'Error: HTTP 500' }).getByRole('button', { name: 'Sync again' }).click();
    await expect(app.progress).toContainText(`20 of 20 devices`);
    await app.expectRunOver({ devices: DEVICES.length });
    const sent = (await emulator.syncCalls()).slice(calls);
    expect(sent.flatMap((c) => JSON.parse(c.body).deviceList)).toEqual(failedBatch);
    const after = await app.tableRows();
    expect(after.filter((r) => r.status === 'Error')).toEqual([]);
    // The others kept their outcome; the retried ones have theirs now.
    expect(after.filter((r) => !failedBatch.includes(r.imei))).toEqual(before.filter((r) => !failedBatch.includes(r.imei)));
    expect((await groupsShown(page)).some(([label]) => label.startsWith('Error'))).toBe(false);
  });

  test('the firmware chart counts the successes per version; a bar filters the table', async ({ page, app }) => {
    await synced(app);
    const rows = await app.tableRows();
    const perVersion = new Map<string, number>();
    for (const r of rows.filter((r) => r.status === SUCCESS)) perVersion.set(r.firmware, (perVersion.get(r.firmware) ?? 0) + 1);
    const bars = await page.locator('ul.bars button.bar').evaluateAll((buttons) =>
      buttons.map((b) => [b.querySelector('.bar-label')?.textContent ?? '', b.querySelector('.bar-count')?.textContent ?? '']),
    );
    const total = bars.reduce((sum, [, count]) => sum + Number(count.replace(/[^\d]/g, '')), 0);
    expect(total).toBe([...perVersion.values()].reduce((a, b) => a + b, 0));
    const [label, count] = bars[0];
    if (!label.startsWith('Other')) expect(Number(count.replace(/[^\d]/g, ''))).toBe(perVersion.get(label));
    await page.locator('ul.bars button.bar').first().click();
    await expect(page.locator('ul.bars button.bar').first()).toHaveAttribute('aria-pressed', 'true');
    const shown = await app.tableRows();
    expect(shown.length).toBe(Number(count.replace(/[^\d]/g, '')));
    expect(shown.every((r) => r.status === SUCCESS)).toBe(true);
  });

  test('each panel is a region named by its heading, which assistive technology can jump to', async ({ page, app }) => {
    await synced(app);
    const panels = [
      ['Outcomes', page.locator('ul.groups > li').first()],
      ['Firmware versions', page.locator('ul.bars button.bar').first()],
      ['Evidence for support', page.getByText(/^Request log \(/)],
    ] as const;
    for (const [name, content] of panels) {
      const region = page.getByRole('region', { name, exact: true });
      await expect(region, name).toBeVisible();
      await expect(region.getByRole('heading', { name, exact: true })).toBeVisible();
      await expect(region.locator(content), name).toBeVisible();
    }
  });

  test("the request log keeps each answer, and Copy as cURL repeats the request with no token", async ({ page, app, context, emulator }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await synced(app);
    // One request, said in the singular.
    await page.getByText(/^Request log \(1 request\)$/).click();
    const row = page.locator('table.request-log tbody tr').first();
    await expect(row.locator('td').nth(4)).toHaveText('200');
    await row.getByRole('button', { name: 'Answer' }).click();
    await expect(page.locator('table.request-log pre')).toContainText('deviceFirmwarVersionList');
    await row.getByRole('button', { name: 'Copy as cURL' }).click();
    const command = await page.evaluate(() => navigator.clipboard.readText());
    expect(command).not.toContain('bearer-e2e');
    expect(command).not.toContain('session-e2e');
    expect(command).toContain('"Authorization: Bearer $THINGSPACE_BEARER_TOKEN"');
    expect(command).toContain('"VZ-M2M-Token: $THINGSPACE_SESSION_TOKEN"');
    // Run from a shell with the placeholders filled in, it gets the same answer as the app did.
    const { execFileSync } = await import('node:child_process');
    const answer = execFileSync('/bin/sh', ['-c', command], {
      env: { ...process.env, THINGSPACE_BEARER_TOKEN: 'bearer-e2e', THINGSPACE_SESSION_TOKEN: 'session-e2e' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'], // curl's progress meter goes to stderr
    });
    const shown = await page.locator('table.request-log pre').textContent();
    expect(JSON.parse(answer)).toEqual(JSON.parse(shown ?? ''));
    const calls = await emulator.syncCalls();
    expect(calls.at(-1)?.headers['authorization']).toBe('Bearer bearer-e2e');
  });
});

test('at 1280 px the Status and Updated columns are never cut', async ({ page, app, emulator }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await emulator.addFault({ kind: 500, times: 1 });
  await app.useConfig({ batchSize: 20, maxAttempts: 1, concurrency: 1 });
  await synced(app);
  const cut = await app.table.evaluate((table) =>
    [...table.querySelectorAll('tbody td.status, tbody td.updated, thead th')]
      .filter((cell) => cell.scrollWidth > cell.clientWidth + 1)
      .map((cell) => `${cell.className}: ${cell.textContent}`),
  );
  expect(cut, 'cells whose text does not fit').toEqual([]);
});

test('at 1280 × 800 the longest documented status is shown whole, in the default font and in a theme’s wider one', async ({ page, app }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await synced(app);
  for (const font of ['default', 'monospace']) {
    if (font !== 'default') await page.evaluate((f) => document.documentElement.style.setProperty('--fota-font', f), font);
    const cell = app.table.locator('tbody td.status', { hasText: SUCCESS }).first();
    await expect(cell).toHaveText(SUCCESS);
    const fits = await cell.evaluate((td) => ({ text: td.scrollWidth, cell: td.clientWidth }));
    expect(fits.text, `${font}: the text's width within the cell's ${fits.cell} px`).toBeLessThanOrEqual(fits.cell);
  }
});

test('README screenshots: the workbench in light and dark', async ({ page, app, emulator }, testInfo) => {
  // Kept current by this test: with README_SCREENSHOTS=1 it writes docs/screenshots/ too.
  await page.setViewportSize({ width: 1280, height: 1000 });
  await emulator.addFault({ kind: 500, skip: 1, times: 1 });
  await app.useConfig({ batchSize: 20, maxAttempts: 1, concurrency: 1 });
  await synced(app);
  const { mkdir } = await import('node:fs/promises');
  const path = await import('node:path');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const workbench = page.getByRole('region', { name: 'Workbench' });
    await expect(workbench.locator('ul.groups > li').first()).toBeVisible();
    const shot = await workbench.screenshot({ path: testInfo.outputPath(`workbench-${scheme}.png`) });
    expect(shot.length).toBeGreaterThan(10_000);
    if (process.env.README_SCREENSHOTS === '1') {
      const dir = path.join(__dirname, '..', '..', 'docs', 'screenshots');
      await mkdir(dir, { recursive: true });
      await workbench.screenshot({ path: path.join(dir, `workbench-${scheme}.png`) });
    }
  }
});
