// How the suite and the benchmark start Debian's Chromium: as root, headless, without a GPU,
// and without the background traffic that would reach for the internet. Plain CommonJS, so that
// both playwright.config.ts and bench/bench.js (plain Node) can load it.
'use strict';

module.exports = {
  CHROMIUM_ARGS: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
