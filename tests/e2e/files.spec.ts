// IMEIs added from a file, and the results downloaded as CSV: the way a fleet's list comes in
// from a spreadsheet and the outcome goes back to one.
import { ACCOUNT, expect, expectDocumented, test, type App } from './app';
import { expectAccessible } from './axe';
import { validImeis } from './imei';

/** Adds a file of this name and text through the file input. */
async function addFile(app: App, name: string, text: string): Promise<void> {
  await app.importFile({ name, mimeType: name.endsWith('.csv') ? 'text/csv' : 'text/plain', buffer: Buffer.from(text) });
}

test.describe('adding IMEIs from a file', () => {
  test("a CSV's IMEI column is added after what was typed", async ({ page, app }) => {
    await app.open();
    const [typed, ...listed] = validImeis(4, 1_300);
    await app.imeis.fill(typed);
    const csv = ['Name,IMEI,Notes', ...listed.map((imei, i) => `Truck ${i + 1},${imei},"front, left"`)].join('\r\n');
    await addFile(app, 'fleet.csv', csv);

    await expect(page.getByText('Added 3 lines from the “IMEI” column of fleet.csv.')).toBeVisible();
    await expect(app.imeis).toHaveValue(`${[typed, ...listed].join('\n')}\n`);
    await expect(app.imeiCount).toHaveText('4 valid, unique IMEIs');
    await expect(app.problemList).toHaveCount(0);
  });

  test('a plain list is added as it is, and its problems are named', async ({ page, app }) => {
    await app.open();
    const imeis = validImeis(2, 1_310);
    await addFile(app, 'list.txt', `${imeis[0]}\n12345\n${imeis[1]}\n`);

    await expect(page.getByText('Added 3 lines from list.txt.')).toBeVisible();
    await expect(app.imeiCount).toHaveText('2 valid, unique IMEIs');
    // An imported entry is named by its file and the file's own line.
    await expect(app.problems).toHaveText([
      'Entry 2 (list.txt line 2): "12345" is not 15 digits (it has 5)',
    ]);
  });

  test('a file without IMEIs says so and leaves the field as it was', async ({ page, app }) => {
    await app.open();
    const [typed] = validImeis(1, 1_320);
    await app.imeis.fill(typed);
    await addFile(app, 'empty.csv', '\r\n \r\n');

    await expect(page.getByText('empty.csv has no IMEIs. Nothing was added.', { exact: true })).toBeVisible();
    await expect(app.imeis).toHaveValue(typed);
    await expect(app.imeiCount).toHaveText('1 valid, unique IMEI');
  });
});

test.describe('a file dropped on or pasted into the IMEI field', () => {
  /** A DataTransfer in the page holding one file, as a drag from the desktop or a copied file carries. */
  async function transferOf(page: import('@playwright/test').Page, name: string, text: string) {
    return page.evaluateHandle(
      ([fileName, content]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([content], fileName, { type: 'text/csv' }));
        return transfer;
      },
      [name, text] as const,
    );
  }

  test('dropped: added like a chosen file, with the field marked while it is dragged over', async ({ page, app }) => {
    await app.open();
    const [typed, ...listed] = validImeis(3, 1_400);
    await app.imeis.fill(typed);
    const dataTransfer = await transferOf(page, 'dropped.csv', `IMEI\r\n${listed.join('\r\n')}\r\n`);
    // The whole field (label, hints and box) takes the drop and is outlined while dragged over.
    const field = page.locator('.field.imeis');
    await app.imeis.dispatchEvent('dragover', { dataTransfer });
    await expect(field).toHaveClass(/drop-target/);
    await app.imeis.dispatchEvent('drop', { dataTransfer });
    await expect(page.getByText('Added 2 lines from the “IMEI” column of dropped.csv.')).toBeVisible();
    await expect(app.imeis).toHaveValue(`${[typed, ...listed].join('\n')}\n`);
    await expect(field).not.toHaveClass(/drop-target/);
    await expect(app.imeiCount).toHaveText('3 valid, unique IMEIs');
  });

  test('pasted: a copied file is imported, pasted text stays text', async ({ page, app }) => {
    await app.open();
    const imeis = validImeis(2, 1_410);
    await app.imeis.focus();
    await transferOf(page, 'copied.txt', `${imeis.join('\n')}\n`).then((transfer) =>
      app.imeis.evaluate((field, clipboardData) => {
        field.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
      }, transfer),
    );
    await expect(page.getByText('Added 2 lines from copied.txt.')).toBeVisible();
    await expect(app.imeiCount).toHaveText('2 valid, unique IMEIs');
    // A paste of text carries no file: the app leaves it to the browser (the event is not cancelled).
    const cancelled = await app.imeis.evaluate((field) => {
      const clipboardData = new DataTransfer();
      clipboardData.setData('text/plain', '490154203237518');
      const event = new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true });
      field.dispatchEvent(event);
      return event.defaultPrevented;
    });
    expect(cancelled).toBe(false);
  });
});

test.describe('a list too long to lay out', () => {
  // Chromium lays a textarea out line by line: with 300,000 lines every garbage collection of the
  // page took ~470 ms. Over 10,000 entries the list is kept in the field but not shown.
  test('is kept, counted, synchronized and added to, and shown when asked', async ({ page, app }) => {
    await app.open();
    const imeis = validImeis(10_001, 500_000);
    const text = imeis.join('\n');
    await app.pasteImeis(text);
    await expect(app.imeiCount).toHaveText('10001 valid, unique IMEIs');
    await expect(app.imeis).toBeHidden();
    const folded = page.getByText('Over 10,000 entries: kept as they are, not shown, so that the page stays quick.');
    await expect(folded).toBeVisible();

    // A file dropped on the folded field is added to the list, as on the box.
    const [more] = validImeis(1, 600_000);
    const dataTransfer = await page.evaluateHandle((content) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([content], 'more.txt', { type: 'text/plain' }));
      return transfer;
    }, `${more}\n`);
    await folded.dispatchEvent('dragover', { dataTransfer });
    await expect(page.locator('.field.imeis')).toHaveClass(/drop-target/);
    await folded.dispatchEvent('drop', { dataTransfer });
    await expect(page.getByText('Added 1 line from more.txt.')).toBeVisible();
    await expect(app.imeiCount).toHaveText('10002 valid, unique IMEIs');
    await expect(folded).toBeVisible();

    // Synchronize sends the folded list: every device ends with an outcome.
    await app.fill({ account: ACCOUNT, bearer: 'bearer-long', session: 'session-long' });
    await app.synchronize();
    await app.expectRunOver({ devices: 10_002, timeout: 60_000 });

    // Shown on request, exactly as it was pasted and added to, with the focus in it; the note goes.
    await page.getByRole('button', { name: 'Show the list' }).click();
    await expect(app.imeis).toBeVisible();
    await expect(app.imeis).toBeFocused();
    await expect(app.imeis).toHaveValue(`${text}\n${more}\n`);
    await expect(folded).toBeHidden();
  });

  test('a paste into the box that folds it moves the focus to "Show the list", which says why', async ({ page, app }) => {
    await app.open();
    const [typed, ...pasted] = validImeis(10_001, 800_000);
    await app.imeis.fill(`${typed}\n`);
    // A real paste at the caret: one trusted input event in the focused box. (Entries count,
    // whatever separates them: one line inserts in a moment, where Chromium's editing takes
    // over 30 s to insert 10,000 lines.)
    await page.keyboard.insertText(pasted.join(' '));
    await expect(app.imeiCount).toHaveText('10001 valid, unique IMEIs');
    await expect(app.imeis).toBeHidden();
    const show = page.getByRole('button', { name: 'Show the list' });
    await expect(show).toBeFocused();
    await expect(show).toHaveAccessibleDescription('Over 10,000 entries: kept as they are, not shown, so that the page stays quick.');
    await expectAccessible(page, 'a folded list');
    await page.keyboard.press('Enter');
    await expect(app.imeis).toBeFocused();
    await expect(app.imeis).toHaveValue(`${typed}\n${pasted.join(' ')}`);

    // Shown on request, then emptied: the next long paste folds again.
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await expect(app.imeiCount).toHaveText('0 valid, unique IMEIs');
    await page.keyboard.insertText(pasted.join(' '));
    await expect(app.imeiCount).toHaveText('10000 valid, unique IMEIs');
    await expect(app.imeis).toBeVisible();
    await page.keyboard.insertText(` ${typed}`);
    await expect(app.imeiCount).toHaveText('10001 valid, unique IMEIs');
    await expect(app.imeis).toBeHidden();
    await expect(show).toBeFocused();
  });

  test('up to 10,000 entries, the list stays in view', async ({ page, app }) => {
    await app.open();
    await app.pasteImeis(validImeis(10_000, 700_000).join('\n'));
    await expect(app.imeiCount).toHaveText('10000 valid, unique IMEIs');
    await expect(app.imeis).toBeVisible();
    await expect(page.getByRole('button', { name: 'Show the list' })).toBeHidden();
  });
});

test.describe('Download CSV', () => {
  test('every device with what the table shows; the file reads back as input', async ({ page, app, emulator }) => {
    const imeis = validImeis(3, 1_400);
    await app.start({ imeis });
    await app.expectRunOver();

    const { name, rows, text } = await app.expectTableMatchesDownload(imeis.length);
    expect(name).toMatch(new RegExp(`^fota-sync-${ACCOUNT}-\\d{8}T\\d{6}Z\\.csv$`));
    const documented = await Promise.all(imeis.map((imei) => emulator.outcome(imei)));
    expectDocumented(rows, documented);
    // The exact UTC time the table gives in each Updated cell's tooltip, as RFC 3339.
    const titles = await app.rows.locator('td.updated time').evaluateAll((times) =>
      times.map((t) => t.getAttribute('title') ?? ''),
    );
    expect(rows.map((r) => r.updated)).toEqual(
      titles.map((t) => (t ? t.replace(' ', 'T').replace(' UTC', 'Z') : '')),
    );
    expect(rows.some((r) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(r.updated))).toBeTruthy();

    // Straight back in: the IMEI column of the export is what a new run takes.
    await app.open();
    await addFile(app, name, text);
    await expect(page.getByText(`Added 3 lines from the “IMEI” column of ${name}.`)).toBeVisible();
    await expect(app.imeiCount).toHaveText('3 valid, unique IMEIs');
  });
});
