// Accessibility as a gate: an axe-core scan (WCAG 2.2 A and AA, and axe's best practices) of every
// state a user meets, in light and dark; the whole job done with the keyboard alone, with a visible
// focus at every step; what a screen reader hears (progress politely and seldom, the end of a run
// once, an error once); Windows high contrast (`forced-colors: active`); reflow at 320 px and at
// 200 % zoom without horizontal scrolling. The framed state is scanned in embed.spec.ts, with the
// portal fixture around the app.
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { ACCOUNT, App, FORM_DEFAULTS, expect, test } from './app';
import { expectAccessible } from './axe';
import { validImeis, withWrongCheckDigit } from './imei';

const FOUR = validImeis(4);

/** The states of the page a user meets, each reached from a freshly opened app. */
const STATES: Record<string, (app: App, emulator: import('./emulator').Emulator) => Promise<void>> = {
  empty: async () => {},
  'problems listed': async (app) => {
    await app.fill({ imeis: [FOUR[0], withWrongCheckDigit(FOUR[1]), '12345', '35693810000000'] });
    await expect(app.problems.first()).toBeVisible();
  },
  'form errors': async (app) => {
    await app.synchronize();
    await expect(app.alertItems.first()).toBeVisible();
  },
  running: async (app, emulator) => {
    await emulator.setLatency(60_000);
    await app.fillForm({ imeis: FOUR });
    await app.synchronize();
    await expect(app.cancelButton).toBeVisible();
    await expect(app.rows).toHaveCount(FOUR.length);
  },
  results: async (app, emulator) => {
    await emulator.addFault({ kind: 500, skip: 1, times: 9 });
    await app.useConfig({ batchSize: 2, maxAttempts: 1 });
    await app.start({ imeis: FOUR });
    await app.expectRunOver({ devices: FOUR.length });
    await app.onlyUnsuccessful.check();
  },
  paused: async (app, emulator) => {
    await emulator.addFault({ kind: 'session_expired', times: 1 });
    await app.fillForm({ imeis: FOUR });
    await app.synchronize();
    await expect(app.resumeButton).toBeVisible();
  },
  'history and a comparison': async (app, emulator) => {
    await app.fillForm({ imeis: FOUR });
    await app.synchronize();
    await app.expectRunOver();
    await emulator.setRelease(1);
    await app.synchronize();
    await app.expectRunOver();
    const stored = app.root.getByRole('region', { name: 'Stored runs' });
    await stored.locator('summary').click();
    await stored.getByRole('button', { name: /^Compare with the previous run/ }).click();
    await expect(app.root.getByRole('region', { name: 'Comparison' }).locator('li').first()).toBeVisible();
  },
  // The results as printed (look-away.spec.ts): the report's heading and every listed row.
  'print report': async (app, emulator) => {
    await STATES.results(app, emulator);
    await app.page.emulateMedia({ media: 'print' });
    await app.page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    await expect(app.root.getByRole('heading', { name: 'FOTA Sync report' })).toBeVisible();
  },
  'run error': async (app, emulator) => {
    // A 404 ends the run with an error (a 401 would pause it for a new token instead).
    await emulator.addFault({ kind: 404 });
    await app.start({ imeis: FOUR });
    await expect(app.alertHeadline).toBeVisible();
    await app.expectRunOver();
  },
};

test.describe('axe-core finds no violation', () => {
  for (const scheme of ['light', 'dark'] as const) {
    for (const [state, reach] of Object.entries(STATES)) {
      test(`${state}, ${scheme}`, async ({ page, app, emulator }) => {
        await page.emulateMedia({ colorScheme: scheme });
        if (state === 'results' || state === 'print report') await reach(app, emulator); // opens with its own config
        else {
          await app.open();
          await reach(app, emulator);
        }
        await expectAccessible(page, `${state}, ${scheme}`);
      });
    }
  }

  test('results at 360 px wide', async ({ page, app, emulator }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await STATES.results(app, emulator);
    await expectAccessible(page, 'results at 360 px');
  });
});

/** The focused element, and whether it shows a focus indicator a sighted keyboard user can see. */
async function focusShown(page: Page): Promise<{ name: string; visible: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { name: 'nothing (body)', visible: false };
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const name = `${el.tagName.toLowerCase()}#${el.id} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`;
    return { name, visible: el.matches(':focus-visible') && outline };
  });
}

/** Presses Tab (Shift+Tab with `back`) until `target` has the focus; each stop shows its focus. */
async function tabTo(page: Page, target: import('@playwright/test').Locator, back = false): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const focus = await focusShown(page);
    expect(focus.visible, `focus visible on ${focus.name}`).toBe(true);
  }
  throw new Error(`Tab never reached ${target}`);
}

test('the whole job with the keyboard alone, the focus visible at every step', async ({ page, app, emulator }) => {
  const devices = validImeis(6);
  await app.open();
  // Fill: the account first, the IMEIs typed, then a file through the file input's own dialog.
  await tabTo(page, app.account);
  await page.keyboard.type(ACCOUNT);
  await tabTo(page, app.imeis);
  await page.keyboard.type(devices.slice(0, 3).join('\n'));
  await tabTo(page, app.fileInput);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
  await chooser.setFiles({ name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from(`IMEI\r\n${devices.slice(3).join('\r\n')}\r\n`) });
  await expect(app.imeiCount).toContainText('6');
  await tabTo(page, app.bearer);
  await page.keyboard.type(FORM_DEFAULTS.bearer);
  await tabTo(page, app.session);
  await page.keyboard.type(FORM_DEFAULTS.session);

  // Synchronize with Enter; a slow server, so Cancel can be reached: the focus moves to it.
  await emulator.setLatency(60_000);
  await tabTo(page, app.synchronizeButton);
  await page.keyboard.press('Enter');
  await expect(app.cancelButton).toBeFocused();
  expect((await focusShown(page)).visible, 'focus visible on Cancel').toBe(true);
  await page.keyboard.press('Enter');
  await app.expectRunOver({ devices: devices.length });
  // Cancel is gone: the focus is on Synchronize, not lost to the page.
  await expect(app.synchronizeButton).toBeFocused();

  // Retry failed (every device was cancelled), then the filter and the download.
  await emulator.setLatency(0);
  await tabTo(page, app.retryFailedButton);
  await page.keyboard.press('Enter');
  await app.expectRunOver({ devices: devices.length });
  // Every cancelled device was sent this time (the emulator answers each as it documents it).
  await expect(app.summaryValue('Not sent')).toHaveCount(0);
  expect((await emulator.sentDeviceLists()).flat().sort()).toEqual(expect.arrayContaining([...devices].sort()));
  await tabTo(page, app.onlyUnsuccessful);
  await page.keyboard.press('Space');
  await expect(app.onlyUnsuccessful).toBeChecked();
  await tabTo(page, app.downloadButton, true);
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  const csv = await readFile(await download.path(), 'utf8');
  for (const imei of devices) expect(csv).toContain(imei);
});

/** Records every change to the page's live regions, by region, with the time it happened. */
async function recordAnnouncements(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: { region: string; text: string; at: number }[] = [];
    (window as unknown as { __announcements: typeof log }).__announcements = log;
    const live = (node: Node | null): Element | null =>
      node instanceof Element
        ? node.closest('[aria-live], [role="status"], [role="alert"]')
        : (node?.parentElement?.closest('[aria-live], [role="status"], [role="alert"]') ?? null);
    new MutationObserver((mutations) => {
      const changed = new Set<Element>();
      for (const m of mutations) {
        const region = live(m.target) ?? [...m.addedNodes].map((n) => (n instanceof Element ? n.matches('[aria-live], [role="status"], [role="alert"]') ? n : n.querySelector('[aria-live], [role="status"], [role="alert"]') : null)).find(Boolean);
        if (region) changed.add(region);
      }
      for (const region of changed) {
        const name = region.id || region.getAttribute('role') || region.className;
        log.push({ region: name, text: region.textContent?.trim() ?? '', at: performance.now() });
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

async function announcements(page: Page): Promise<{ region: string; text: string; at: number }[]> {
  return page.evaluate(() => (window as unknown as { __announcements: { region: string; text: string; at: number }[] }).__announcements);
}

test('a screen reader hears progress seldom, the end of a run once and an error once', async ({ page, app, emulator }) => {
  await recordAnnouncements(page);
  const devices = validImeis(400);
  await emulator.setLatency(150);
  await app.useConfig({ batchSize: 10, concurrency: 1 });
  await app.open();
  await expect(page, 'no run: the app name alone').toHaveTitle('FOTA Sync');
  await app.fillForm();
  await app.pasteImeis(devices.join('\n'));
  await app.synchronize();
  await app.expectRunOver({ devices: devices.length, timeout: 30_000 });
  const announcer = page.locator('#run-announcer');
  await expect(announcer).toContainText(`Sync finished: ${devices.length} devices`);
  const heard = (await announcements(page)).filter((a) => a.region === 'run-announcer' && a.text !== '');
  const finished = heard.filter((a) => a.text.startsWith('Sync finished'));
  expect(finished, 'the end announced once').toHaveLength(1);
  const during = heard.filter((a) => !a.text.startsWith('Sync finished'));
  // The run takes about 40 × 150 ms = 6 s: a progress line at the start and at most every 5 s.
  expect(during.length, JSON.stringify(during)).toBeGreaterThanOrEqual(1);
  for (let i = 1; i < during.length; i++) expect(during[i].at - during[i - 1].at).toBeGreaterThanOrEqual(4_900);
  // The visible progress line, which changes every frame, is not a live region.
  await expect(app.progress).not.toHaveAttribute('role', /./);
  await expect(app.progress).not.toHaveAttribute('aria-live', /./);

  // A batch fails for good while the others go on: the alert is written once, when the error
  // comes, not again at every later answer; the end names the errors among the counts.
  await emulator.setLatency(20);
  await emulator.addFault({ kind: 500, skip: 3, times: 1 });
  await app.page.unroute('**/config.json');
  await app.useConfig({ batchSize: 10, concurrency: 1, maxAttempts: 1 });
  await app.page.reload(); // the recorder, an init script, starts afresh with the page
  await expect(app.synchronizeButton).toBeVisible();
  await app.fillForm();
  await app.pasteImeis(devices.join('\n'));
  const before = (await announcements(page)).length;
  await app.synchronize();
  await app.expectRunOver({ devices: devices.length, timeout: 30_000 });
  await expect(app.alertHeadline).toBeVisible();
  await expect(announcer).toContainText(`Sync finished: ${devices.length} devices`);
  await expect(announcer).toContainText('10 errors');
  await expect(page).toHaveTitle('Done with errors · FOTA Sync');
  const later = (await announcements(page)).slice(before);
  expect(later.filter((a) => a.region === 'alert'), JSON.stringify(later)).toHaveLength(1);
  expect(later.filter((a) => a.region === 'run-announcer' && a.text.startsWith('Sync finished')), JSON.stringify(later)).toHaveLength(1);
});

test('Windows high contrast keeps every control visible', async ({ page, app, emulator }) => {
  await page.emulateMedia({ forcedColors: 'active' });
  await emulator.addFault({ kind: 500, skip: 1, times: 9 });
  await app.useConfig({ batchSize: 2, maxAttempts: 1 });
  await app.start({ imeis: FOUR });
  await app.expectRunOver({ devices: FOUR.length });
  const invisible = await page.evaluate(() =>
    [...document.querySelectorAll('button, input, textarea, select, progress')]
      .filter((el) => {
        // A file input is drawn as its button.
        const s = getComputedStyle(el, (el as HTMLInputElement).type === 'file' ? '::file-selector-button' : null);
        if ((el as HTMLInputElement).type === 'checkbox' || el.tagName === 'PROGRESS') return s.visibility === 'hidden';
        const bordered = ['Top', 'Right', 'Bottom', 'Left'].every(
          (side) => parseFloat(s.getPropertyValue(`border-${side.toLowerCase()}-width`)) > 0 && s.getPropertyValue(`border-${side.toLowerCase()}-style`) !== 'none',
        );
        return !bordered && !el.closest('.visually-hidden');
      })
      .map((el) => `${el.tagName.toLowerCase()}#${el.id} ${el.textContent?.trim() ?? ''}`),
  );
  expect(invisible, 'controls without a border in forced colours').toEqual([]);
  await expectAccessible(page, 'forced colours');
});

for (const { width, label } of [
  { width: 320, label: '320 px wide' },
  { width: 640, label: '1280 px at 200 % zoom' },
]) {
  test(`reflows without horizontal scrolling at ${label}`, async ({ page, app, emulator }) => {
    await page.setViewportSize({ width, height: 720 });
    await emulator.addFault({ kind: 404 });
    await app.start({ imeis: [...FOUR, '9'.repeat(80)] });
    await app.expectRunOver();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'pixels of horizontal page scroll').toBeLessThanOrEqual(0);
  });
}
