// Tokens as people paste them: with the `Bearer` scheme or a whole `Authorization:` header line
// copied from Postman or curl, spaces and line breaks around; sent clean, with a note saying
// what was removed. A token with whitespace or a character no token has inside is refused
// before anything is sent. The emulator checks the headers as a gateway does, and its request
// log shows what arrived. (Portal-provided tokens: embed.spec.ts.)
import { ACCOUNT, expect, test, type App } from './app';
import { validImeis } from './imei';

const IMEIS = validImeis(2, 3_000);
/** A JWT-shaped bearer token, as ThingSpace's OAuth endpoint hands them out. */
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmb3RhLWUyZSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const SESSION = 'b3e1c5a2-7f4d-4e8a-9c6b-2d0f1e3a5b7c';

/** Opens the app, fills the form with these tokens as typed, and presses Synchronize. */
const start = (app: App, bearer: string, session: string) => app.start({ imeis: IMEIS, bearer, session });

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
    test(name, async ({ app, emulator }) => {
      await start(app, pasted, SESSION);
      await expect(app.bearerNote).toHaveText(note);
      await app.expectRunOver();
      await expect(app.alert).toHaveCount(0);
      const calls = await emulator.syncCalls();
      expect(calls.map((c) => [c.status, c.headers['authorization'], c.headers['vz-m2m-token']])).toEqual([
        [200, `Bearer ${JWT}`, SESSION],
      ]);
      // The field keeps what was pasted (the browser's single-line field turns line breaks into
      // spaces); only what is sent is cleaned.
      const kept = await app.bearer.inputValue();
      expect(kept.replace(/\s+/g, ' ').trim()).toBe(pasted.replace(/\s+/g, ' ').trim());
    });
  }

  test('a bare token gets no note; spaces around a session token go without one', async ({ app, emulator }) => {
    await start(app, ` ${JWT} `, `  ${SESSION}\t`);
    await app.expectRunOver();
    await expect(app.bearerNote).toHaveText('');
    await expect(app.sessionNote).toHaveText('');
    const [call] = await emulator.syncCalls();
    expect([call.headers['authorization'], call.headers['vz-m2m-token']]).toEqual([`Bearer ${JWT}`, SESSION]);
  });

  test('"VZ-M2M-Token: …" pasted as the session token', async ({ app, emulator }) => {
    await start(app, JWT, `VZ-M2M-Token: ${SESSION}`);
    await expect(app.sessionNote).toHaveText(
      '“VZ-M2M-Token:” was removed from the start of the session token: the app adds what is needed.',
    );
    await app.expectRunOver();
    const [call] = await emulator.syncCalls();
    expect([call.status, call.headers['vz-m2m-token']]).toEqual([200, SESSION]);
  });

  test('the note goes when the token is pasted again without the scheme', async ({ app }) => {
    await app.open();
    await app.bearer.fill(`Bearer ${JWT}`);
    await expect(app.bearerNote).toHaveText(NOTE);
    await app.bearer.fill(JWT);
    await expect(app.bearerNote).toHaveText('');
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
    test(name, async ({ app, emulator }) => {
      await start(app, bearer, session);
      await expect(app.alert).toContainText('Please check the form:');
      await expect(app.alertItems).toHaveText([message]);
      // The same words under the field, as soon as it was pasted.
      const note = bearer === JWT ? app.sessionNote : app.bearerNote;
      await expect(note).toHaveText(message);
      // Refused before sending: the alert is there, and the emulator never heard of it.
      expect(await emulator.syncCalls()).toEqual([]);
      await expect(app.synchronizeButton).toBeEnabled();
      await expect(app.account).toHaveValue(ACCOUNT);
    });
  }

  test('fixed in place, the same form sends the clean token', async ({ app, emulator }) => {
    await start(app, `Bearer ${JWT.slice(0, 20)} ${JWT.slice(20)}`, SESSION);
    await expect(app.alert).toContainText(`The bearer token ${INSIDE}`);
    await app.bearer.fill(`Bearer ${JWT}`);
    await app.synchronize();
    await app.expectRunOver();
    await expect(app.alert).toHaveCount(0);
    const calls = await emulator.syncCalls();
    expect(calls.map((c) => [c.status, c.headers['authorization']])).toEqual([[200, `Bearer ${JWT}`]]);
  });
});
