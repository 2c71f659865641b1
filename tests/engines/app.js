// The app through WebDriver, the same in every engine: the controls by id or visible text, the
// verbs the cases use, and `until`, the one way a case waits (for a positive event, polled).
'use strict';

const { By, Key } = require('selenium-webdriver');
const { readAllRows, readTableRows } = require('../e2e/table-rows');

/** Polls `check` (an async function returning a truthy value when done) until `timeout` ms. */
async function until(check, timeout, what) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error.message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A `//button` whose text is exactly `text`. */
/** The button a user sees with this text (the app keeps some buttons in the page, hidden). */
const button = (text) => By.xpath(`//button[normalize-space()=${JSON.stringify(text)}][not(ancestor-or-self::*[@hidden])]`);

/**
 * What the page shows, read in one script (a WebDriver call per cell would take minutes). The
 * table holds only the rows in view (and a few around): `rows` are those, `rowCount` is how many
 * the table says it has (`aria-rowcount`, without the header); `readAll` scrolls for the rest.
 */
function readPage() {
  const text = (el) => (el ? el.textContent.trim() : null);
  // What a user sees: controls and list items the app keeps in the page while hidden (by the
  // hidden attribute or by its style) are left out.
  const shown = (el) => el.checkVisibility();
  const summary = {};
  for (const dt of document.querySelectorAll('dl[aria-label="Summary"] dt')) summary[text(dt)] = text(dt.nextElementSibling);
  const buttons = Array.from(document.querySelectorAll('button'))
    .filter(shown)
    .map((b) => ({ text: text(b), disabled: b.disabled }));
  const table = document.querySelector('table.results');
  return {
    progress: text(document.querySelector('section[aria-label="Run summary"] p.progress')),
    alert: text(document.querySelector('[role="alert"]')),
    summary,
    buttons,
    rowCount: Number(table?.getAttribute('aria-rowcount') ?? '1') - 1,
    rows: Array.from(document.querySelectorAll('table.results tbody tr'), (tr) => {
      const cell = (name) => text(tr.querySelector(`td.${name}`)) ?? '';
      const box = tr.getBoundingClientRect();
      return { imei: cell('imei'), status: cell('status'), reason: cell('reason'), firmware: cell('firmware'), shown: box.height > 0 };
    }),
    values: Object.fromEntries(
      ['account', 'imeis', 'bearer-token', 'session-token', 'api-base-url'].map((id) => [id, document.getElementById(id)?.value ?? null]),
    ),
    imeiCount: text(document.getElementById('imei-count')),
    problems: Array.from(document.querySelectorAll('ul[aria-label="Problems"] li')).filter(shown).map(text),
    body: document.body.innerText,
  };
}

/**
 * The stored-runs section as a user sees it (null when the page has none): its note, the offer to
 * resume (its line, empty when none), the History summary line, each finished run's line, the
 * read-only line of a stored run on screen, and each comparison group's line (`label · count`).
 */
function readStored() {
  const section = document.querySelector('section[aria-label="Stored runs"]');
  if (!section) return null;
  const text = (el) => (el && el.checkVisibility() ? el.textContent.trim() : '');
  return {
    shown: section.checkVisibility(),
    note: text(section.querySelector('[role="status"]')),
    resume: text(section.querySelector('.resume p')),
    history: section.querySelector('summary')?.textContent.trim() ?? '',
    items: Array.from(section.querySelectorAll('.history-list li > span'), (span) => span.textContent.trim()),
    readOnly: text(section.querySelector('.read-only')),
    comparison: Array.from(section.querySelectorAll('[aria-label="Comparison"] li > span')).filter((el) => el.checkVisibility()).map(text),
  };
}

/**
 * A part of the table read (the e2e suite's reader, ../e2e/table-rows.js), run with
 * executeAsyncScript: the first argument is the part, the last WebDriver's callback.
 */
const READ_TABLE_PART = `const done = arguments[arguments.length - 1];
(${readTableRows})(document.querySelector('table.results'), arguments[0]).then(done);`;

class App {
  constructor(driver) {
    this.driver = driver;
  }

  /** Everything on screen at once (see readPage). */
  read() {
    return this.driver.executeScript(readPage);
  }

  /** What `read` gives, with every row of the table in `rows` (scrolled through). */
  async readAll() {
    const page = await this.read();
    // In parts of a few seconds each: the whole table at once can take longer than WebDriver's
    // script timeout when the machine is busy (table-rows.js). A minute with no row drawn before
    // it gives up: its callers wait minutes for a run, and a slow engine can draw nothing for tens
    // of seconds and then go on.
    page.rows = await readAllRows((part) => this.driver.executeAsyncScript(READ_TABLE_PART, part), 60_000);
    return page;
  }

  /** The stored-runs section (see readStored). */
  stored() {
    return this.driver.executeScript(readStored);
  }

  /**
   * Presses the button `text` of the stored-runs section (or the one whose text starts so, with
   * `startsWith`); with `item`, the one in the line of the history or of the comparison that
   * starts with `item`. Opens the History first if it is closed.
   */
  async clickStored(text, { item, startsWith = false } = {}) {
    const section = await this.driver.findElement(By.css('section[aria-label="Stored runs"]'));
    const details = await section.findElement(By.css('details'));
    if ((await details.getAttribute('open')) === null) await section.findElement(By.css('summary')).click();
    const within = item === undefined ? '' : `//li[starts-with(normalize-space(span), ${JSON.stringify(item)})]`;
    const label = startsWith ? `starts-with(normalize-space(), ${JSON.stringify(text)})` : `normalize-space()=${JSON.stringify(text)}`;
    await section.findElement(By.xpath(`.${within}//button[${label}][not(ancestor-or-self::*[@hidden])]`)).click();
  }

  /** Waits until the form is there: the app started. */
  async ready(timeout = 30_000) {
    await until(async () => (await this.read()).buttons.some((b) => b.text === 'Synchronize'), timeout, 'the form');
  }

  /** Opens the app and, once it is there, keeps every uncaught error and rejection (`errors`). */
  async open(url) {
    await this.driver.get(url);
    await this.ready();
    await this.watchErrors();
  }

  /** Reloads the page, as a user does; once the app is there again, keeps its errors as `open` does. */
  async reload() {
    await this.driver.navigate().refresh();
    await this.ready();
    await this.watchErrors();
  }

  /** Keeps every uncaught error and rejection of the page from now on (`errors`). */
  async watchErrors() {
    await this.driver.executeScript(() => {
      window.__fotaErrors = [];
      addEventListener('error', (e) => window.__fotaErrors.push(String(e.error ?? e.message)));
      addEventListener('unhandledrejection', (e) => window.__fotaErrors.push(String(e.reason)));
    });
  }

  /** The uncaught errors since `open` (a panic in the app is `RuntimeError: unreachable`). */
  errors() {
    return this.driver.executeScript(() => window.__fotaErrors ?? []);
  }

  /** Types `value` into the field `id` as a user does (keys, not a script). */
  async type(id, value) {
    const field = await this.driver.findElement(By.id(id));
    // Clicked first, as a user does: WebKit lets a script (and so WebKitWebDriver's send keys)
    // focus a field in a cross-origin frame only after the user interacted with that frame.
    await field.click();
    await field.clear();
    await field.sendKeys(value);
  }

  /** Puts a long list into the IMEI field in one input event, as a paste does. */
  async paste(text) {
    await this.driver.executeScript(
      (value) => {
        const field = document.getElementById('imeis');
        field.value = value;
        field.dispatchEvent(new Event('input', { bubbles: true }));
      },
      text,
    );
  }

  /** Account, IMEIs (a list: typed if short, pasted if long) and, unless null, the tokens. */
  async fill({ account, imeis, bearer, session }) {
    if (account !== undefined) await this.type('account', account);
    if (imeis.length > 20) await this.paste(imeis.join('\n'));
    // Enter between lines, as a user presses it: WebKitWebDriver types a '\n' as a key that
    // inserts nothing.
    else await this.type('imeis', imeis.join(Key.ENTER));
    if (bearer !== null) await this.type('bearer-token', bearer);
    if (session !== null) await this.type('session-token', session);
  }

  async click(text) {
    await this.driver.findElement(button(text)).click();
  }

  /** Adds a file through the real file input (WebDriver sends the file's path). */
  async importFile(file) {
    await this.driver.findElement(By.id('imei-file')).sendKeys(file);
  }

  /**
   * The run is over: "finished in", nothing Waiting, no Cancel, Synchronize enabled, and `devices`
   * rows. Returns what the page shows then.
   */
  async runOver(devices, timeout = 30_000) {
    return until(
      async () => {
        const page = await this.read();
        const over =
          /finished in/.test(page.progress ?? '') &&
          !('Waiting' in page.summary) &&
          !page.buttons.some((b) => b.text === 'Cancel') &&
          page.buttons.some((b) => b.text === 'Synchronize' && !b.disabled) &&
          page.rowCount === devices &&
          // Rows are redrawn at the next frame, after the summary.
          !page.rows.some((r) => r.status === 'Waiting') &&
          page.summary.Total === String(devices);
        if (over) return this.readAll();
        // Not over yet: what it shows, for the timeout's message.
        const { progress, summary, alert } = page;
        throw new Error(JSON.stringify({ progress, summary, alert, rows: page.rowCount }));
      },
      timeout,
      `the run of ${devices} devices to end`,
    );
  }
}

module.exports = { App, until };
