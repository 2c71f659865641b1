// How each engine starts: its WebDriver server (a child process on a free 127.0.0.1 port) and the
// capabilities of a session. Everything else is shared. Paths come from the environment
// (.ci/versions.env) with Debian's locations as defaults; Selenium is only the WebDriver client
// here (sessions are created on a server this file starts), so Selenium Manager never runs and
// nothing is downloaded.
'use strict';

const fs = require('node:fs');
const nodePath = require('node:path');
const { Capabilities } = require('selenium-webdriver');
const { Executor, HttpClient } = require('selenium-webdriver/http');
const { DriverService } = require('selenium-webdriver/remote');
const { WebDriver } = require('selenium-webdriver/lib/webdriver');
const { CHROMIUM_ARGS } = require('../e2e/chromium');

const env = process.env;
const path = (name, fallback) => env[name] || fallback;

/** name -> { driver: executable, capabilities(): W3C capabilities, version(): browser's own words } */
const ENGINES = {
  chromium: {
    driver: path('CHROMEDRIVER_BIN', '/usr/bin/chromedriver'),
    browser: path('CHROMIUM_BIN', '/usr/bin/chromium'),
    capabilities(downloads) {
      return {
        browserName: 'chrome',
        'goog:chromeOptions': {
          binary: this.browser,
          // Headful, on xvfb-run's display: headless Chromium 156 (Debian) stopped drawing frames
          // mid-case in every run of this layer here (timers ran, no requestAnimationFrame
          // for minutes), so that a table that draws on frames never showed its rows.
          // docs/TESTING.md has the bisect.
          args: CHROMIUM_ARGS,
          prefs: { 'download.default_directory': downloads, 'download.prompt_for_download': false },
        },
      };
    },
    /**
     * Puts the app's page out of view as a user does, and back. Xvfb has no window manager, so a
     * headful Chromium cannot minimize (its driver answers "failed to change window state"); a new
     * tab in front hides the app's page as a background tab.
     */
    async putAside(driver) {
      const app = await driver.getWindowHandle();
      await driver.switchTo().newWindow('tab');
      return async () => {
        await driver.close();
        await driver.switchTo().window(app);
      };
    },
  },
  firefox: {
    driver: path('GECKODRIVER_BIN', `${env.HOME}/.cargo/bin/geckodriver`),
    browser: path('FIREFOX_BIN', '/usr/bin/firefox-esr'),
    capabilities(downloads) {
      return {
        browserName: 'firefox',
        'moz:firefoxOptions': {
          binary: this.browser,
          args: ['-headless'],
          // Closed network: no update checks, telemetry, or remote settings at start.
          prefs: {
            'app.update.disabledForTesting': true,
            'browser.safebrowsing.update.enabled': false,
            'datareporting.policy.dataSubmissionEnabled': false,
            'network.connectivity-service.enabled': false,
            'network.captive-portal-service.enabled': false,
            'browser.download.folderList': 2,
            'browser.download.dir': downloads,
            'browser.download.useDownloadDir': true,
            'browser.download.always_ask_before_handling_new_types': false,
          },
        },
      };
    },
  },
  // WebKitGTK's MiniBrowser has no headless mode: it needs an X display (xvfb-run in .ci/test).
  webkit: {
    driver: path('WEBKIT_DRIVER_BIN', '/usr/bin/WebKitWebDriver'),
    browser: path('MINIBROWSER_BIN', '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'),
    capabilities() {
      return { 'webkitgtk:browserOptions': { binary: this.browser, args: ['--automation'] } };
    },
    /**
     * MiniBrowser saves into GLib's download directory: XDG_DOWNLOAD_DIR in user-dirs.dirs.
     * Accelerated compositing off: under Xvfb there is no GPU, and WebKitGTK's compositor on
     * software GL (llvmpipe) drew 2 frames a second here (requestAnimationFrame counted in the
     * page; 46 without it, as Chromium's 54 and Firefox's 43), so that every wait for a frame (the
     * results table draws a screen per frame) took 25 times as long as in the other engines.
     */
    environment(downloads) {
      const config = nodePath.join(downloads, '.config');
      fs.mkdirSync(config, { recursive: true });
      fs.writeFileSync(nodePath.join(config, 'user-dirs.dirs'), `XDG_DOWNLOAD_DIR="${downloads}"\n`);
      return { ...env, XDG_CONFIG_HOME: config, WEBKIT_DISABLE_COMPOSITING_MODE: '1' };
    },
  },
};

/**
 * One window size everywhere, tall enough for the whole test portal (its frame is 1400 px):
 * WebKitWebDriver does not scroll the parent page to an element inside a frame, so a click there
 * must land inside the window as it is.
 */
const WINDOW = { x: 0, y: 0, width: 1280, height: 1600 };

/**
 * Where each driver's output (and its browser's) goes: Firefox writes its own scripts' errors
 * there on every navigation, which would bury the test report. The page's own errors are caught
 * in the page (App.errors).
 */
const LOG_DIR = nodePath.join(__dirname, 'test-results');

/** The engines to run: ENGINES env (comma-separated names), or all three. */
function selectedEngines() {
  const names = (env.ENGINES || Object.keys(ENGINES).join(',')).split(',').filter(Boolean);
  for (const name of names) if (!ENGINES[name]) throw new Error(`unknown engine '${name}' (${Object.keys(ENGINES).join(', ')})`);
  return names;
}

/** The window minimized, as a user puts the app aside; then restored to WINDOW. */
async function minimize(driver) {
  await driver.manage().window().minimize();
  return () => driver.manage().window().setRect(WINDOW);
}

/**
 * Starts `name`'s WebDriver server and a session on it, its downloads saved in the folder
 * `downloads`. Returns the driver, what the session reports (browserName, browserVersion), and
 * `stop()` (quits the session, then the server).
 */
async function startEngine(name, downloads) {
  const engine = ENGINES[name];
  for (const file of [engine.driver, engine.browser]) {
    if (!fs.existsSync(file)) throw new Error(`${name}: no ${file} (.ci/setup installs it; or set the path, see drivers.js)`);
  }
  // MiniBrowser, and Chromium here (headful: see ENGINES.chromium), need an X display.
  if (name !== 'firefox' && !env.DISPLAY) throw new Error(`${name}: needs an X display: run under xvfb-run -a`);
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const log = nodePath.join(LOG_DIR, `${name}-driver.log`);
  const logFd = fs.openSync(log, 'w');
  const builder = new DriverService.Builder(engine.driver).setLoopback(true).setStdio(['ignore', logFd, logFd]);
  if (engine.environment) builder.setEnvironment(engine.environment(downloads));
  const service = builder.build();
  let driver;
  try {
    const url = await service.start(30_000);
    driver = await WebDriver.createSession(new Executor(new HttpClient(url)), new Capabilities(engine.capabilities(downloads)));
    await driver.manage().window().setRect(WINDOW);
    const caps = await driver.getCapabilities();
    return {
      driver,
      version: `${caps.get('browserName')} ${caps.get('browserVersion')}`,
      /** Hides the app's page (minimized, or behind a tab); resolves to a function that brings it back. */
      putAside: () => (engine.putAside ?? minimize)(driver),
      async stop() {
        await driver.quit().catch(() => {});
        await service.kill();
      },
    };
  } catch (error) {
    await service.kill();
    error.message += `\n${name}'s driver log (${log}):\n${fs.readFileSync(log, 'utf8').split('\n').slice(-20).join('\n')}`;
    throw error;
  } finally {
    fs.closeSync(logFd); // the driver has its own copy
  }
}

module.exports = { ENGINES, WINDOW, selectedEngines, startEngine };
