// What people paste into the IMEI field, as mail, chat, PDF viewers, word processors and
// right-to-left locales put it on the clipboard: invisible characters, full-width and
// other-script digits, fancy dashes and quotes, labels, other scripts' separators. Each is pasted
// through the real clipboard; the devices sent are the plain IMEIs a person sees.
import { FORM_DEFAULTS, expect, test } from './app';
import { validImeis } from './imei';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

/** `imei` written with the digits whose zero is `zero` (U+FF10 full-width, U+0660 Arabic-Indic, ...). */
const inDigits = (imei: string, zero: number) =>
  [...imei].map((d) => String.fromCodePoint(zero + Number(d))).join('');

const IMEIS = validImeis(26, 500);

/** One line per kind: the text pasted, and the IMEIs a person sees in it. */
const KINDS: [string, string, string[]][] = [
  ['left-to-right marks around (Outlook, RTL locales)', `\u200e${IMEIS[0]}\u200e`, [IMEIS[0]]],
  ['directional isolates (Teams)', `\u2066${IMEIS[1]}\u2069`, [IMEIS[1]]],
  ['embedding and pop directional formatting', `\u202a${IMEIS[2]}\u202c`, [IMEIS[2]]],
  ['a soft hyphen inside (PDF)', `${IMEIS[3].slice(0, 7)}\u00ad${IMEIS[3].slice(7)}`, [IMEIS[3]]],
  ['a word joiner inside', `${IMEIS[4].slice(0, 8)}\u2060${IMEIS[4].slice(8)}`, [IMEIS[4]]],
  ['a variation selector after a digit', `${IMEIS[5].slice(0, 3)}\ufe0f${IMEIS[5].slice(3)}`, [IMEIS[5]]],
  ['a zero-width space inside', `${IMEIS[6].slice(0, 5)}\u200b${IMEIS[6].slice(5)}`, [IMEIS[6]]],
  ['a byte-order mark in front', `\ufeff${IMEIS[7]}`, [IMEIS[7]]],
  ['full-width digits (Japanese input)', inDigits(IMEIS[8], 0xff10), [IMEIS[8]]],
  ['Arabic-Indic digits', inDigits(IMEIS[9], 0x0660), [IMEIS[9]]],
  ['Persian digits in isolates', `\u2067${inDigits(IMEIS[10], 0x06f0)}\u2069`, [IMEIS[10]]],
  ['Devanagari digits', inDigits(IMEIS[11], 0x0966), [IMEIS[11]]],
  ['a no-break space between two', `${IMEIS[12]}\u00a0${IMEIS[13]}`, [IMEIS[12], IMEIS[13]]],
  ['a narrow no-break space and a line separator', `${IMEIS[14]}\u202f${IMEIS[15]}\u2028`, [IMEIS[14], IMEIS[15]]],
  ['NEL and a full-width comma', `${IMEIS[16]}\u0085${IMEIS[17]}\uff0c`, [IMEIS[16], IMEIS[17]]],
  ['an Arabic comma', `${IMEIS[18]}\u060c${IMEIS[19]}`, [IMEIS[18], IMEIS[19]]],
  ['label groups with en dashes (Word)', `${IMEIS[20].slice(0, 2)}\u2013${IMEIS[20].slice(2, 8)}\u2013${IMEIS[20].slice(8, 14)}\u2013${IMEIS[20][14]}`, [IMEIS[20]]],
  ['curly quotes (Word, Outlook)', `\u201c${IMEIS[21]}\u201d`, [IMEIS[21]]],
  ['an IMEI: label (a phone\'s *#06# screen)', `IMEI: ${IMEIS[22]}`, [IMEIS[22]]],
  ['Excel\'s apostrophe after a direction mark', `\u200e'${IMEIS[23]}`, [IMEIS[23]]],
  ['a zero-width space between two whole IMEIs', `${IMEIS[24]}\u200b${IMEIS[25]}`, [IMEIS[24], IMEIS[25]]],
];

test('invisible characters, other digits, dashes, quotes and labels: a real paste sends the IMEIs a person sees', async ({ app, emulator }) => {
  await app.open();
  const text = KINDS.map(([, pasted]) => pasted).join('\n');
  await app.pasteFromClipboard(text);
  await expect(app.imeis).toHaveValue(text);
  const expected = KINDS.flatMap(([, , imeis]) => imeis);
  await expect(app.imeiCount).toHaveText(`${expected.length} valid, unique IMEIs`);
  await expect(app.problems).toHaveCount(0);

  await app.fill(FORM_DEFAULTS);
  await app.synchronize();
  await app.expectRunOver({ devices: expected.length });
  expect((await emulator.sentDeviceLists()).flat()).toEqual(expected);
});

test('a look-alike letter is named with its code point; the problem quotes what a person sees', async ({ app }) => {
  await app.open();
  const withCyrillicO = `${IMEIS[0].slice(0, 7)}\u041e${IMEIS[0].slice(8)}`;
  const wrongDigit = `\u200e${inDigits(IMEIS[1].slice(0, 14), 0xff10)}${inDigits(String((Number(IMEIS[1][14]) + 1) % 10), 0xff10)}\u200e`;
  await app.pasteFromClipboard(`${withCyrillicO}\n${wrongDigit}\n${IMEIS[2]}`);
  await expect(app.imeiCount).toHaveText('1 valid, unique IMEI');
  await expect(app.problems).toHaveText([
    `Entry 1 (line 1): "${withCyrillicO}" contains non-digits: “О” (U+041E) is not a digit`,
    `Entry 2 (line 2): "${wrongDigit.replaceAll('\u200e', '')}" Luhn check digit is wrong (expected ${IMEIS[1][14]})`,
  ]);
});
