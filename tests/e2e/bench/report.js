// What the benchmarks share for their reports: medians, milliseconds, a Markdown table.
'use strict';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');

/** Prints `rows` (arrays of strings) under `header` as a Markdown table, columns padded. */
function printTable(header, rows) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  console.log();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}

/**
 * `count` distinct valid IMEIs, as tests/e2e/imei.ts makes them: `prefix`, a counter filling the
 * 14 digits of the body, and the Luhn check digit.
 */
function validImeis(count, prefix = '35693810') {
  const width = 14 - prefix.length;
  return Array.from({ length: count }, (_, i) => {
    const body = `${prefix}${String(i).padStart(width, '0')}`;
    let sum = 0;
    for (let k = 0; k < 14; k++) {
      let d = Number(body[13 - k]);
      if (k % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return body + ((10 - (sum % 10)) % 10);
  });
}

module.exports = { median, ms, printTable, validImeis };
