// The adaptive pace (the default `pacing`) against an account the emulator rate limits: the run
// slows down when the server throttles, says so on its progress line, and gets every device
// through with few requests throttled.
import { ACCOUNT, expect, test } from './app';
import { validImeis } from './imei';

// Thousands of rows on a busy 2-core machine: allow for it, but every wait stays bounded.
test.describe.configure({ timeout: 90_000 });

test('throttled by the server, the run slows down, says why, and gets every device through', async ({ app, emulator }) => {
  // 50 requests against 20 a second with a burst of 5, 50 ms each: about 2.5 s at the server's rate.
  const imeis = validImeis(5_000, 95_000);
  await emulator.setLatency(50);
  await emulator.setRateLimit(20, 5);
  await app.open();
  await app.fill({ account: ACCOUNT });
  await app.pasteImeis(imeis.join('\n'));
  await expect(app.imeiCount).toHaveText(`${imeis.length} valid, unique IMEIs`);
  await app.fill({ bearer: 'bearer-pace', session: 'session-pace' });
  await app.synchronize();

  await expect(app.progress).toContainText(/pace 1 at a time, \d+\.\d requests\/s, slowed down: the server throttled/, {
    timeout: 30_000,
  });
  await app.expectRunOver({ devices: imeis.length, timeout: 60_000 });
  // Every device answered: none in error, none left unsent.
  const counts = await app.summaryCounts();
  expect(counts.Succeeded + counts.Failed + counts['No result']).toBe(imeis.length);
  const limiter = await emulator.rateLimit();
  expect(limiter.admitted, 'one admitted request per batch').toBe(imeis.length / 100);
  expect(limiter.throttled, 'the server throttled').toBeGreaterThan(0);
  // At a fixed pace of 4 in flight, about two of every three requests are throttled.
  expect(limiter.throttled * 4, `${limiter.throttled} of ${limiter.admitted + limiter.throttled} throttled`).toBeLessThan(
    limiter.admitted + limiter.throttled,
  );
});
