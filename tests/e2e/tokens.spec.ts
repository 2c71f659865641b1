// Tokens as people paste them: with the `Bearer` scheme or a whole `Authorization:` header line
// copied from Postman or curl, spaces and line breaks around; sent clean, with a note saying
// what was removed. A token with whitespace or a character no token has inside is refused
// before anything is sent. The emulator checks the headers as a gateway does, and its request
// log shows what arrived. (Portal-provided tokens: embed.spec.ts.)
import type { Page } from '@playwright/test';
import { ACCOUNT, expect, expectRunOver, fillForm, open, test } from './app';
import { validImeis } from './imei';

const IMEIS = validImeis(2, 3_000);
/** A JWT-shaped bearer token, as ThingSpace's OAuth endpoint hands them out. */
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmb3RhLWUyZSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const SESSION = 'b3e1c5a2-7f4d-4e8a-9c6b-2d0f1e3a5b7c';

function bearerNote(page: Page) {
  return page.locator('#bearer-token-note');
}

function sessionNote(page: Page) {
  return page.locator('#session-token-note');
}

/** Opens the app, fills the form with these tokens as typed, and presses Synchronize. */
async function submit(page: Page, bearer: string, session: string): Promise<void> {
  await open(page);
  await fillForm(page, { imeis: IMEIS, bearer, session });
  await page.getByRole('button', { name: 'Synchronize' }).click();
}

const NOTE = '“Bearer” was removed from the start of the bearer token: the app adds what is needed.';

test.describe('pasted bearer tokens are sent as Authorization: Bearer <token>', () => {
  const cases: { name: string; pasted: string; note: string | RegExp }[] = [
    { name: '"Bearer eyJ…"', pasted: `Bearer ${JWT}`, note: NOTE },
    {
      name: '"bearer  eyJ…" (lower case, two spaces)',
      pasted: `bearer  ${JWT}`,
      note: '“bearer” was removed from the start of the bearer token: the app adds what is needed.',
    },
    {
      name: '"Authorization: Bearer eyJ…" (a header line from curl)',
      pasted: `Authorization: Bearer ${JWT}`,
      note: '“Authorization:” and “Bearer” were removed from the start of the bearer token: the app adds what is needed.',
    },
    { name: 'spaces and a tab around "Bearer eyJ…"', pasted: `  \t Bearer ${JWT}  \t`, note: NOTE },
    { name: 'line breaks around "Bearer eyJ…"', pasted: `\r\n Bearer ${JWT}\n`, note: NOTE },
    { name: '"Bearer Bearer eyJ…" (pasted twice)', pasted: `Bearer Bearer ${JWT}`, note: /^“Bearer” and “Bearer” were removed/ },
  ];
  for (const { name, pasted, note } of cases) {
    test(name, async ({ page, emulator }) => {
      await submit(page, pasted, SESSION);
      await expect(bearerNote(page)).toHaveText(note);
      await expectRunOver(page);
      await expect(page.getByRole('alert')).toHaveCount(0);
      const calls = await emulator.syncCalls();
      expect(calls.map((c) => [c.status, c.headers['authorization'], c.headers['vz-m2m-token']])).toEqual([
        [200, `Bearer ${JWT}`, SESSION],
      ]);
      // The field keeps what was pasted (the browser's single-line field turns line breaks into
      // spaces); only what is sent is cleaned.
      const kept = await page.getByLabel('Bearer token', { exact: true }).inputValue();
      expect(kept.replace(/\s+/g, ' ').trim()).toBe(pasted.replace(/\s+/g, ' ').trim());
    });
  }

  test('a bare token gets no note; spaces around a session token go without one', async ({ page, emulator }) => {
    await submit(page, ` ${JWT} `, `  ${SESSION}\t`);
    await expectRunOver(page);
    await expect(bearerNote(page)).toHaveText('');
    await expect(sessionNote(page)).toHaveText('');
    const [call] = await emulator.syncCalls();
    expect([call.headers['authorization'], call.headers['vz-m2m-token']]).toEqual([`Bearer ${JWT}`, SESSION]);
  });

  test('"VZ-M2M-Token: …" pasted as the session token', async ({ page, emulator }) => {
    await submit(page, JWT, `VZ-M2M-Token: ${SESSION}`);
    await expect(sessionNote(page)).toHaveText(
      '“VZ-M2M-Token:” was removed from the start of the session token: the app adds what is needed.',
    );
    await expectRunOver(page);
    const [call] = await emulator.syncCalls();
    expect([call.status, call.headers['vz-m2m-token']]).toEqual([200, SESSION]);
  });

  test('the note goes when the token is pasted again without the scheme', async ({ page }) => {
    await open(page);
    const field = page.getByLabel('Bearer token', { exact: true });
    await field.fill(`Bearer ${JWT}`);
    await expect(bearerNote(page)).toHaveText(NOTE);
    await field.fill(JWT);
    await expect(bearerNote(page)).toHaveText('');
  });
});

test.describe('what cannot be a token is refused, and nothing is sent', () => {
  const INSIDE = 'has a space or line break inside it. Copy it again in one piece and paste it.';
  const cases: { name: string; bearer: string; session: string; message: string }[] = [
    { name: 'a space inside the bearer token', bearer: `Bearer ${JWT.slice(0, 20)} ${JWT.slice(20)}`, session: SESSION, message: `The bearer token ${INSIDE}` },
    // The single-line field turns a pasted line break into a space.
    { name: 'a line break inside the bearer token', bearer: `${JWT.slice(0, 20)}\r\n${JWT.slice(20)}`, session: SESSION, message: `The bearer token ${INSIDE}` },
    { name: 'a tab inside the bearer token', bearer: `${JWT.slice(0, 20)}\t${JWT.slice(20)}`, session: SESSION, message: `The bearer token ${INSIDE}` },
    { name: 'a non-breaking space inside the bearer token', bearer: `${JWT.slice(0, 20)}\u00a0${JWT.slice(20)}`, session: SESSION, message: `The bearer token ${INSIDE}` },
    { name: 'a space inside the session token', bearer: JWT, session: `${SESSION.slice(0, 8)} ${SESSION.slice(8)}`, message: `The session token ${INSIDE}` },
    {
      name: 'a zero-width space inside the bearer token',
      bearer: `${JWT.slice(0, 20)}\u200b${JWT.slice(20)}`,
      session: SESSION,
      message: 'The bearer token contains “\u200b” (U+200B), which no token has. Copy it again from its source and paste it.',
    },
    { name: '"Bearer" and nothing else', bearer: 'Bearer ', session: SESSION, message: 'Paste the bearer token.' },
  ];
  for (const { name, bearer, session, message } of cases) {
    test(name, async ({ page, emulator }) => {
      await submit(page, bearer, session);
      const alert = page.getByRole('alert');
      await expect(alert).toContainText('Please check the form:');
      await expect(alert.getByRole('listitem')).toHaveText([message]);
      // The same words under the field, as soon as it was pasted.
      const note = bearer === JWT ? sessionNote(page) : bearerNote(page);
      await expect(note).toHaveText(message);
      // Refused before sending: the alert is there, and the emulator never heard of it.
      expect(await emulator.syncCalls()).toEqual([]);
      await expect(page.getByRole('button', { name: 'Synchronize' })).toBeEnabled();
      await expect(page.getByRole('textbox', { name: 'Account', exact: true })).toHaveValue(ACCOUNT);
    });
  }

  test('fixed in place, the same form sends the clean token', async ({ page, emulator }) => {
    await submit(page, `Bearer ${JWT.slice(0, 20)} ${JWT.slice(20)}`, SESSION);
    await expect(page.getByRole('alert')).toContainText(`The bearer token ${INSIDE}`);
    await page.getByLabel('Bearer token', { exact: true }).fill(`Bearer ${JWT}`);
    await page.getByRole('button', { name: 'Synchronize' }).click();
    await expectRunOver(page);
    await expect(page.getByRole('alert')).toHaveCount(0);
    const calls = await emulator.syncCalls();
    expect(calls.map((c) => [c.status, c.headers['authorization']])).toEqual([[200, `Bearer ${JWT}`]]);
  });
});
