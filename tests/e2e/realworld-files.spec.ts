// Files as spreadsheets and tools really export them (tests/fixtures/real-world/): each one
// imported byte for byte through the file input, its problems named by the file and the file's
// own line, exactly its devices sent; suggested IMEIs sent only once accepted; typed lines
// keep their own line numbers beside imported ones.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FORM_DEFAULTS, expect, test, type App } from './app';
import { luhnCheckDigit } from './imei';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'real-world');

type Kind =
  | 'scientific-notation'
  | 'check-digit'
  | 'missing-check-digit'
  | 'imeisv'
  | 'non-digits'
  | 'length'
  | 'duplicate';

interface ExpectedProblem {
  line: number;
  kind: Kind;
  text: string;
  suggestion?: string;
}

interface ExpectedFile {
  file: string;
  column: string | null;
  devices: string[];
  problems: ExpectedProblem[];
}

const EXPECTED = (
  JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as { files: ExpectedFile[] }
).files;

function fixture(name: string): ExpectedFile {
  const found = EXPECTED.find((f) => f.file === name);
  if (!found) throw new Error(`${name} is not in expected.json`);
  return found;
}

/** What the problem list says of an entry of this kind, after `"text" `. */
function message(problem: ExpectedProblem): string | RegExp {
  switch (problem.kind) {
    case 'scientific-notation':
      return 'is a number Excel rounded when it saved the file (scientific notation): the rest of the IMEI is not in this file. Re-export the column formatted as Text';
    case 'check-digit':
      return `Luhn check digit is wrong (expected ${luhnCheckDigit(problem.text.slice(0, 14))})`;
    case 'missing-check-digit':
      return `has 14 digits: an IMEI without its check digit? With it: ${problem.suggestion}`;
    case 'imeisv':
      return `has 16 digits: an IMEISV (IMEI and software version)? Its IMEI is ${problem.suggestion}`;
    case 'non-digits':
      return 'contains non-digits';
    case 'length':
      return `is not 15 digits (it has ${problem.text.length})`;
    case 'duplicate':
      return /^is a duplicate of entry \d+$/;
  }
}

/** One item of the problem list, taken apart. */
interface ShownProblem {
  entry: number;
  place: string;
  text: string;
  says: string;
}

async function shownProblems(app: App): Promise<ShownProblem[]> {
  return (await app.problems.allTextContents()).map((item) => {
    const match = /^Entry (\d+) \((.+?)\): "(.*)" (.*)$/s.exec(item);
    expect(match, `a problem item: ${item}`).not.toBeNull();
    const [, entry, place, text, says] = match!;
    return { entry: Number(entry), place, text, says };
  });
}

/** The field's entries, as the app counts them: one per non-blank line here (imports give one a line). */
async function fieldEntries(app: App): Promise<string[]> {
  return (await app.imeis.inputValue())
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * The problems on screen are `expected`, in order, each named `(<file> line <N>)` with its
 * entry's text; each entry number points at that entry in the field.
 */
async function expectProblems(app: App, file: string, expected: ExpectedProblem[]): Promise<void> {
  await expect(app.problems).toHaveCount(expected.length);
  await expectFileProblems(app, file, expected, 0, 0);
}

/**
 * The `expected.length` problem items from `skip` on are `expected` (the file's), as `expectProblems` checks them,
 * with entry numbers past the `offset` entries typed before the file's. A duplicate names an
 * earlier entry.
 */
async function expectFileProblems(
  app: App,
  file: string,
  expected: ExpectedProblem[],
  skip: number,
  offset: number,
): Promise<void> {
  const shown = (await shownProblems(app)).slice(skip, skip + expected.length);
  expect(shown).toHaveLength(expected.length);
  const entries = await fieldEntries(app);
  for (const [i, problem] of expected.entries()) {
    const item = shown[i];
    const where = `problem ${i + 1} of ${file}: ${JSON.stringify(item)}`;
    expect(item.place, where).toBe(`${file} line ${problem.line}`);
    expect(item.text, where).toBe(problem.text);
    const says = message(problem);
    if (typeof says === 'string') expect(item.says, where).toBe(says);
    else expect(item.says, where).toMatch(says);
    expect(item.entry, where).toBeGreaterThan(offset);
    expect(entries[item.entry - 1], `${where}: entry ${item.entry} in the field`).toBe(problem.text);
    if (problem.kind === 'duplicate') {
      const first = Number(/\d+$/.exec(item.says)![0]);
      expect(first, where).toBeLessThan(item.entry);
    }
  }
  const order = shown.map((p) => p.entry);
  expect(order, 'entries in file order').toEqual([...order].sort((a, b) => a - b));
}

/** The import note: how many lines came from which column of which file. */
function importNote(expected: ExpectedFile): string {
  const lines = expected.devices.length + expected.problems.length;
  const from = expected.column === null ? expected.file : `the “${expected.column}” column of ${expected.file}`;
  return `Added ${lines} ${lines === 1 ? 'line' : 'lines'} from ${from}.`;
}

function countLine(n: number): string {
  return n === 1 ? '1 valid, unique IMEI' : `${n} valid, unique IMEIs`;
}

/** Fills the rest of the form, leaving the IMEI field untouched, presses Synchronize and waits for the end. */
async function synchronizeAsIs(app: App): Promise<void> {
  await app.fill(FORM_DEFAULTS);
  await app.synchronize();
  await app.expectRunOver();
}

/** Every device sent, in the order sent (one request: the fixtures hold under 100 each). */
async function sent(emulator: { sentDeviceLists(): Promise<string[][]> }): Promise<string[]> {
  const lists = await emulator.sentDeviceLists();
  expect(lists, 'one request').toHaveLength(1);
  return lists[0];
}

test.describe('real-world files: every fixture imports as expected.json says, and sends exactly its devices', () => {
  for (const expected of EXPECTED) {
    test(expected.file, async ({ page, app, emulator }) => {
      await app.open();
      await app.importFile(path.join(FIXTURES, expected.file));
      await expect(page.getByText(importNote(expected), { exact: true })).toBeVisible();
      await expect(app.imeiCount).toHaveText(countLine(expected.devices.length));
      await expectProblems(app, expected.file, expected.problems);
      expect(await fieldEntries(app)).toHaveLength(expected.devices.length + expected.problems.length);

      await synchronizeAsIs(app);
      expect(await sent(emulator)).toEqual(expected.devices);
      await expect(await app.column('IMEI')).toHaveText(expected.devices);
      // The problems still name the file after the run.
      await expectProblems(app, expected.file, expected.problems);
    });
  }
});

test.describe('suggested IMEIs', () => {
  for (const name of ['label-formats.csv', 'utf8-bom-no-header.txt', 'utf16be-bom.csv']) {
    // utf8-bom-no-header.txt has CR LF line ends, which the field holds as LF.
    test(`${name}: sent only once accepted, in place of their entries`, async ({ app, emulator }) => {
      const expected = fixture(name);
      const suggested = expected.problems.filter((p) => p.suggestion);
      const suggestions = suggested.map((p) => p.suggestion!);
      expect(suggestions.length).toBeGreaterThan(0);
      await app.open();
      await app.importFile(path.join(FIXTURES, name));
      await expect(app.imeiCount).toHaveText(countLine(expected.devices.length));

      const button = app.useSuggested(suggestions.length);
      await button.click();
      await expect(button).toHaveCount(0);
      const all = expected.devices.length + suggestions.length;
      await expect(app.imeiCount).toHaveText(countLine(all));
      // The other problems stay, still named by the file's lines.
      await expectProblems(app, name, expected.problems.filter((p) => !p.suggestion));
      // Each suggestion took its entry's place in the field.
      const entries = await fieldEntries(app);
      for (const p of suggested) expect(entries, `${p.text} replaced`).not.toContain(p.text);
      for (const s of suggestions) expect(entries).toContain(s);
      expect(entries).toHaveLength(expected.devices.length + expected.problems.length);

      await synchronizeAsIs(app);
      const devices = await sent(emulator);
      expect(devices).toHaveLength(all);
      // In field order: the file's devices in theirs, the suggestions in theirs.
      expect(devices.filter((d) => expected.devices.includes(d))).toEqual(expected.devices);
      expect(devices.filter((d) => suggestions.includes(d))).toEqual(suggestions);
    });
  }

  test('nothing suggested is sent while the button is not pressed', async ({ app, emulator }) => {
    const expected = fixture('headerless-multicolumn.csv');
    await app.open();
    await app.importFile(path.join(FIXTURES, expected.file));
    await expect(app.useSuggested(2)).toBeVisible();
    await synchronizeAsIs(app);
    const devices = await sent(emulator);
    expect(devices).toEqual(expected.devices);
    for (const p of expected.problems) if (p.suggestion) expect(devices).not.toContain(p.suggestion);
    // Still offered after the run.
    await expect(app.useSuggested(2)).toBeVisible();
  });
});

test.describe('typed and imported entries together', () => {
  // Notepad's CR LF line ends: the field holds them as LF, and the file's names stay.
  test('a line typed after a CRLF list keeps the file\'s names on its entries', async ({ app }) => {
    const expected = fixture('utf8-bom-no-header.txt');
    await app.open();
    await app.importFile(path.join(FIXTURES, expected.file));
    await expectProblems(app, expected.file, expected.problems);
    const before = await app.imeis.inputValue();
    await app.imeis.fill(`${before}abc\n`);
    await expect(app.problems).toHaveCount(expected.problems.length + 1);
    await expect(app.problems.last()).toHaveText(/\(line 8\): "abc" contains non-digits$/);
    await expectFileProblems(app, expected.file, expected.problems, 0, 0);
  });

  test('typed lines keep "(line N)", the file\'s lines are named by the file', async ({ page, app, emulator }) => {
    const expected = fixture('label-formats.csv');
    const typed = ['12345', '490154203237518', '356938035643809'];
    await app.open();
    await app.imeis.fill(typed.join('\n'));
    await app.importFile(path.join(FIXTURES, expected.file));
    await expect(page.getByText(importNote(expected), { exact: true })).toBeVisible();
    await expect(app.imeis).toHaveValue(new RegExp(`^${typed.join('\n')}\n`));

    // 490154203237518 is typed and in the file (line 9): the file's is a duplicate of the typed one.
    const typedValid = typed.slice(1);
    const fromFile = expected.devices.filter((d) => !typedValid.includes(d));
    expect(fromFile).toHaveLength(expected.devices.length - 1);
    await expect(app.imeiCount).toHaveText(countLine(typedValid.length + fromFile.length));

    // The file's own problems, their entries counted after the typed ones, and the new duplicate.
    const duplicate: ExpectedProblem = { line: 9, kind: 'duplicate', text: '490154203237518' };
    const fileProblems = [...expected.problems, duplicate];
    await expect(app.problems).toHaveCount(1 + fileProblems.length);
    const shown = await shownProblems(app);
    expect(shown[0]).toEqual({ entry: 1, place: 'line 1', text: '12345', says: 'is not 15 digits (it has 5)' });
    expect(shown.slice(1).map((p) => p.place)).toEqual(fileProblems.map((p) => `${expected.file} line ${p.line}`));
    expect(shown.at(-1)).toEqual({ entry: typed.length + 8, place: `${expected.file} line 9`, text: '490154203237518', says: 'is a duplicate of entry 2' });
    await expectFileProblems(app, expected.file, fileProblems, 1, typed.length);

    // A line typed after the import is named by the field's own line.
    const before = await app.imeis.inputValue();
    await app.imeis.fill(`${before}abc\n`);
    const lines = before.split('\n').length;
    await expect(app.problems.last()).toHaveText(new RegExp(`^Entry \\d+ \\(line ${lines}\\): "abc" contains non-digits$`));
    await expect(app.problems.first()).toHaveText('Entry 1 (line 1): "12345" is not 15 digits (it has 5)');
    // The file's entries are still named by the file.
    await expect(app.problems).toHaveCount(1 + fileProblems.length + 1);
    await expectFileProblems(app, expected.file, fileProblems, 1, typed.length);

    await synchronizeAsIs(app);
    expect(await sent(emulator)).toEqual([...typedValid, ...fromFile]);
  });
});

test.describe('typed as labels and spreadsheets write them', () => {
  test('="…", a leading apostrophe and dash groups are IMEIs; the rest is explained', async ({ app, emulator }) => {
    await app.open();
    await app.imeis.fill(
      ['="356938100000018"', "'356938100000026", '35-693810-000003-4', '3.56938E+14', '3569381000000430', '35693810000006'].join('\n'),
    );
    await expect(app.imeiCount).toHaveText('3 valid, unique IMEIs');
    await expect(app.problems).toHaveText([
      'Entry 4 (line 4): "3.56938E+14" is a number Excel rounded when it saved the file (scientific notation): the rest of the IMEI is not in this file. Re-export the column formatted as Text',
      'Entry 5 (line 5): "3569381000000430" has 16 digits: an IMEISV (IMEI and software version)? Its IMEI is 356938100000042',
      'Entry 6 (line 6): "35693810000006" has 14 digits: an IMEI without its check digit? With it: 356938100000067',
    ]);
    await expect(app.useSuggested(2)).toBeVisible();
    await synchronizeAsIs(app);
    expect(await sent(emulator)).toEqual(['356938100000018', '356938100000026', '356938100000034']);
  });
});
