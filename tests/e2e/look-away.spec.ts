// Runs people leave and hand on: a desktop notification when a long run stops while the tab is
// hidden, asked for only when the user ticks the box; and the run as a printed report. The browser's own parts are observed, not replaced: the
// page's Notification constructor and permission prompt are wrapped to record their calls,
// `document.hidden` follows the test (headless pages are never hidden), and the page's clock can
// be moved forward so that a run of seconds lasts "over a minute".
import type { Locator, Page } from '@playwright/test';
import { validImeis } from './imei';
import { ACCOUNT, FORM_DEFAULTS, SUCCESS, expect, test, type App } from './app';
import type { Emulator } from './emulator';

const THREE = validImeis(3, 2_300);

interface Watched {
  notifications: { title: string; body: string }[];
  asked: number;
}

/** Before the app loads: records notifications and permission prompts, and lets the test hide the page and skew `Date.now`. */
async function watchNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    Object.assign(w, { __notifications: [], __asked: 0, __hidden: false, __skewMs: 0 });
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        (w.__notifications as unknown[]).push({ title, body: options?.body ?? '' });
      }
    }
    Object.defineProperty(Recorded, 'requestPermission', {
      value: (...args: []) => {
        w.__asked = (w.__asked as number) + 1;
        return Real.requestPermission(...args);
      },
    });
    window.Notification = Recorded;
    Object.defineProperty(Document.prototype, 'hidden', { get: () => w.__hidden, configurable: true });
    Object.defineProperty(Document.prototype, 'visibilityState', {
      get: () => (w.__hidden ? 'hidden' : 'visible'),
      configurable: true,
    });
    const now = Date.now;
    Date.now = () => now() + (w.__skewMs as number);
  });
}

async function watched(page: Page): Promise<Watched> {
  return page.evaluate(() => {
    const w = window as unknown as Record<string, unknown>;
    return { notifications: w.__notifications as Watched['notifications'], asked: w.__asked as number };
  });
}

/** The user looks at another tab (`hidden`) and, with `laterMs`, the page's clock moves on that much. */
async function lookAway(page: Page, laterMs = 0): Promise<void> {
  await page.evaluate((skew) => {
    Object.assign(window, { __hidden: true, __skewMs: skew });
    document.dispatchEvent(new Event('visibilitychange'));
  }, laterMs);
}

/**
 * Holds the sync requests while `hold()` is in force, until `release()`: the test, not the
 * machine's speed, decides whether a run ends before or after the page is hidden. `sent()`
 * counts the requests that reached the hold.
 */
async function holdAnswers(page: Page) {
  let open = () => {};
  let gate = Promise.resolve();
  let sent = 0;
  await page.route('**/firmware/*/devices', async (route) => {
    sent += 1;
    await gate;
    await route.continue();
  });
  return {
    hold: () => void (gate = new Promise<void>((resolve) => (open = resolve))),
    release: () => open(),
    sent: () => sent,
  };
}

function notifyBox(app: App) {
  return app.page.getByRole('checkbox', { name: 'Notify me when a long run ends' });
}

test.describe('a desktop notification when a long run stops out of sight', () => {
  test.use({ permissions: ['notifications'] });

  test('a long run that ends hidden is notified once, with its outcome', async ({ app }) => {
    await watchNotifications(app.page);
    const answers = await holdAnswers(app.page);
    answers.hold();
    await app.start({ imeis: THREE });
    const box = notifyBox(app);
    await expect(box).not.toBeChecked();
    await box.check();
    await expect(box).toBeChecked();
    expect((await watched(app.page)).asked, 'already granted: nothing to ask').toBe(0);
    await expect.poll(answers.sent).toBe(1);
    await lookAway(app.page, 61_000);
    answers.release();
    await app.expectRunOver({ devices: 3 });
    const heard = (await app.page.locator('#run-announcer').textContent()) ?? '';
    expect(heard).toMatch(/^Sync finished: 3 devices, /);
    const { notifications } = await watched(app.page);
    expect(notifications).toEqual([{ title: await app.page.title(), body: heard }]);
  });

  test('not for a short run, nor for a long one that ends in view', async ({ app }) => {
    await watchNotifications(app.page);
    const answers = await holdAnswers(app.page);
    answers.hold();
    await app.start({ imeis: THREE });
    await notifyBox(app).check();
    await expect(notifyBox(app)).toBeChecked();
    await expect.poll(answers.sent).toBe(1);
    await lookAway(app.page); // hidden, but the run lasts seconds
    answers.release();
    await app.expectRunOver({ devices: 3 });
    await app.page.evaluate(() => Object.assign(window, { __hidden: false }));
    answers.hold();
    await app.synchronize();
    await expect.poll(answers.sent).toBe(2);
    await app.page.evaluate(() => Object.assign(window, { __skewMs: 61_000 })); // over a minute, but watched to its end
    answers.release();
    await app.expectRunOver({ devices: 3 });
    await expect(app.page).toHaveTitle(/^Done/);
    expect((await watched(app.page)).notifications).toEqual([]);
  });
});

test('asked only after the tick; refused, the box stays unticked and says why', async ({ app, emulator }) => {
  // No permission granted to this context: headless Chromium refuses without a prompt.
  await watchNotifications(app.page);
  await emulator.setLatency(1_000);
  await app.start({ imeis: THREE });
  expect((await watched(app.page)).asked, 'nothing asked at load or at the start').toBe(0);
  await notifyBox(app).click();
  await expect.poll(async () => (await watched(app.page)).asked, { message: 'asked at the tick' }).toBe(1);
  await expect(app.page.getByText('Notifications are off: this browser, its settings or the portal')).toBeVisible();
  await expect(notifyBox(app)).not.toBeChecked();
  await lookAway(app.page, 61_000);
  await app.expectRunOver({ devices: 3 });
  expect((await watched(app.page)).notifications).toEqual([]);
});

for (const { name, init } of [
  {
    name: 'no Notifications API (iOS Safari outside a home-screen app)',
    init: () => Reflect.deleteProperty(window, 'Notification'),
  },
  {
    name: 'a prompt that answers through a callback and returns no promise (Safari before 15)',
    init: () => {
      Object.defineProperty(Notification, 'requestPermission', { value: (callback?: (p: string) => void) => void callback?.('denied') });
    },
  },
]) {
  test(`${name}: the box says notifications are off, and nothing breaks`, async ({ app, emulator }) => {
    await app.page.addInitScript(init);
    await emulator.setLatency(500);
    await app.start({ imeis: THREE });
    await notifyBox(app).click();
    await expect(app.page.getByText('Notifications are off: this browser, its settings or the portal')).toBeVisible();
    await expect(notifyBox(app)).not.toBeChecked();
    await app.expectRunOver({ devices: 3 }); // and the pageErrors fixture hears no error
  });
}

test.describe('Print report', () => {
  const DEVICES = validImeis(40, 2_400);

  /** Records window.print() instead of opening the browser's dialog, which would hold the page. */
  async function recordPrints(page: Page): Promise<void> {
    await page.addInitScript(() => {
      Object.assign(window, { __prints: 0 });
      window.print = () => Object.assign(window, { __prints: (window as unknown as { __prints: number }).__prints + 1 });
    });
  }

  const prints = (app: App) => app.page.evaluate(() => (window as unknown as { __prints: number }).__prints);

  async function notSucceeded(emulator: Emulator, devices: string[]): Promise<string[]> {
    const documented = await Promise.all(devices.map((imei) => emulator.outcome(imei)));
    return devices.filter((_, i) => documented[i].status !== SUCCESS);
  }

  const printedImeis = (app: App) => app.table.locator('tbody tr td.imei');
  const beforePrint = (app: App) => app.page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));

  test('the button prints the heading, summary, groups and versions, then the devices that did not succeed; no form, no token', async ({ app, emulator }) => {
    await recordPrints(app.page);
    await app.start({ imeis: DEVICES });
    await app.expectRunOver({ devices: DEVICES.length });
    // A view of the user's own on screen: the print ignores it, and it comes back after.
    await app.page.getByLabel('Find IMEI').fill(DEVICES[7]);
    await expect(app.rowsShown).toContainText('Showing 1 of 40');
    await app.page.getByRole('button', { name: 'Print report' }).click();
    await expect.poll(() => prints(app)).toBe(1);
    // The stub fired no beforeprint, as a refused print does not: the screen's view stays.
    await expect(printedImeis(app)).toHaveText([DEVICES[7]]);
    await app.page.emulateMedia({ media: 'print' });
    await beforePrint(app);
    const heading = app.page.locator('.report-head');
    await expect(heading.getByRole('heading', { name: 'FOTA Sync report' })).toBeVisible();
    await expect(heading).toContainText(`Account ${ACCOUNT} · sent to `);
    await expect(heading).toContainText(/started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC · ended /);
    await expect(heading).toContainText('Listed below: the devices that did not succeed.');
    const top = async (locator: Locator) => (await locator.boundingBox())?.y ?? NaN;
    expect(await top(heading), 'the heading above the summary').toBeLessThan(await top(app.page.getByRole('region', { name: 'Run summary' })));
    const failed = await notSucceeded(emulator, DEVICES);
    expect(failed.length, 'the list has failures to print').toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(DEVICES.length);
    await expect(printedImeis(app)).toHaveText(failed);
    for (const left of [app.page.locator('form.sync-form'), app.page.getByRole('button', { name: 'Download CSV' }), app.page.getByRole('button', { name: 'Print report' })]) {
      await expect(left).toBeHidden();
    }
    for (const kept of ['Run summary', 'Outcomes', 'Firmware versions']) {
      await expect(app.page.getByRole('region', { name: kept })).toBeVisible();
    }
    // The print is over: the screen's view is back.
    await app.page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    await app.page.emulateMedia({ media: 'screen' });
    await expect(printedImeis(app)).toHaveText([DEVICES[7]]);
    await expect(heading).toBeHidden();
  });

  test("the browser's own print (Ctrl+P) gives the same, every row of a long list, through a resize; ticked, every device", async ({ app, emulator }) => {
    const many = validImeis(300, 2_600);
    await app.start({ imeis: many });
    await app.expectRunOver({ devices: many.length });
    await app.page.emulateMedia({ media: 'print' });
    await beforePrint(app);
    const failed = await notSucceeded(emulator, many);
    await expect(printedImeis(app)).toHaveText(failed);
    // A redraw while printing (the page's size changes) keeps the printed list.
    await app.page.setViewportSize({ width: 700, height: 500 });
    await expect(app.page.locator('.report-head')).toContainText('Listed below: the devices that did not succeed.');
    await expect(printedImeis(app)).toHaveText(failed);
    await app.page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    await app.page.emulateMedia({ media: 'screen' });
    await app.page.getByRole('checkbox', { name: 'Print every device' }).check();
    await app.page.emulateMedia({ media: 'print' });
    await beforePrint(app);
    await expect(app.page.locator('.report-head')).toContainText('Listed below: every device.');
    await expect(printedImeis(app)).toHaveText(many);
  });

  test('Ctrl+P with no run prints the page without a report heading', async ({ app }) => {
    await app.open();
    await app.page.emulateMedia({ media: 'print' });
    await beforePrint(app);
    await expect(app.page.locator('.report-head')).toBeHidden();
  });
});

test.describe('the view in the address', () => {
  const DEVICES = validImeis(40, 2_500);
  const hash = (app: App) => app.page.evaluate(() => location.hash);
  const filter = (app: App) => app.page.getByRole('checkbox', { name: 'Show only devices that did not succeed' });
  const firmwareHeader = (app: App) => app.table.getByRole('columnheader', { name: 'Firmware version' });

  test('filter and sort go into the fragment; back and forward move between views; Find typing adds no entry', async ({ app }) => {
    await app.start({ imeis: DEVICES });
    await app.expectRunOver({ devices: DEVICES.length });
    expect(await hash(app), 'the default view: no fragment').toBe('');
    await filter(app).check();
    await expect.poll(() => hash(app)).toBe('#only=unsuccessful');
    const sort = firmwareHeader(app).getByRole('button');
    await sort.click();
    await sort.click();
    await expect(firmwareHeader(app)).toHaveAttribute('aria-sort', 'descending');
    await expect.poll(() => hash(app)).toBe('#only=unsuccessful&sort=firmware-desc');
    await app.page.getByLabel('Find IMEI').pressSequentially('3569');
    await expect.poll(() => hash(app)).toBe('#find=3569&only=unsuccessful&sort=firmware-desc');
    // Back: the typing replaced its entry, so the sort before it goes; then the ascending sort.
    await app.page.goBack();
    await expect(firmwareHeader(app)).toHaveAttribute('aria-sort', 'ascending');
    await expect(app.page.getByLabel('Find IMEI')).toHaveValue('');
    await app.page.goBack();
    await expect(firmwareHeader(app)).toHaveAttribute('aria-sort', 'none');
    await expect(filter(app)).toBeChecked();
    await app.page.goBack();
    await expect(filter(app)).not.toBeChecked();
    expect(await hash(app)).toBe('');
    await app.page.goForward();
    await expect(filter(app)).toBeChecked();
    await expect(app.rowsShown).not.toContainText('Showing 40 of 40');
  });

  test('a link reopens the same view of a stored run: a group of the workbench, reloaded', async ({ app, page }) => {
    await app.start({ imeis: DEVICES });
    await app.expectRunOver({ devices: DEVICES.length });
    const group = page.locator('ul.groups > li', { hasText: 'Device is offline' });
    await group.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => hash(app)).toBe(
      '#group=failed&status=FirmwareVersionUpdateFailed&reason=Device%20is%20offline',
    );
    const shown = (await app.tableRows()).map((r) => r.imei);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(DEVICES.length);
    await page.reload();
    const stored = page.getByRole('region', { name: 'Stored runs' });
    await stored.locator('summary').click();
    await stored.locator('.history-list li').first().getByRole('button', { name: 'Open' }).click();
    await expect(group.getByRole('button', { name: 'Show' })).toHaveAttribute('aria-pressed', 'true');
    await expect.poll(async () => (await app.tableRows()).map((r) => r.imei)).toEqual(shown);
  });

  test('what a link holds that the app does not know is named and left out', async ({ app }) => {
    await app.open('/#sort=colour&token=abc&only=unsuccessful');
    await expect(app.page.getByText("Left out of this link's view, not understood: sort=colour, token=abc.")).toBeVisible();
    await expect.poll(() => hash(app)).toBe('#only=unsuccessful');
    // What it did understand applies to the next run shown.
    await app.fillForm({ imeis: DEVICES });
    await app.synchronize();
    await app.expectRunOver();
    await expect(filter(app)).toBeChecked();
    await expect(app.rowsShown).toContainText(' of 40 devices');
    await expect(app.rowsShown).not.toContainText('Showing 40 of 40');
  });
});
