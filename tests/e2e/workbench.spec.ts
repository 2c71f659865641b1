// The results table as a workbench (issue 12): find an IMEI, sort by any column, the filters
// combined with "Showing N of M devices", Copy rows as tab-separated text, stale firmware marked,
// and the JSON download of the whole result set.
import { readFile } from 'node:fs/promises';
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
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download JSON' }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^fota-sync-${ACCOUNT}-\\d{8}T\\d{6}Z\\.json$`));
  const text = await readFile(await download.path(), 'utf8');
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
  expect(json.devices.map((d) => d.imei)).toEqual(DEVICES);
  const rows = await app.tableRows();
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
