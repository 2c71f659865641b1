// Luhn-valid IMEIs for tests: 15 digits, the last a Luhn check digit over the first 14.

/** The Luhn check digit for a string of 14 digits. */
export function luhnCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // From the right of the full 15-digit number, every second digit (the body's last, ...) doubles.
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** A valid IMEI from a 14-digit body. */
export function imeiFrom(body: string): string {
  if (!/^\d{14}$/.test(body)) throw new Error(`IMEI body must be 14 digits, got "${body}"`);
  return body + luhnCheckDigit(body);
}

/** `count` distinct valid IMEIs, deterministic: 35693810 followed by a 6-digit counter. */
export function validImeis(count: number, start = 0): string[] {
  return Array.from({ length: count }, (_, i) => imeiFrom(`35693810${String(start + i).padStart(6, '0')}`));
}

/** The same IMEI with a wrong check digit (fails only the Luhn check). */
export function withWrongCheckDigit(imei: string): string {
  const last = Number(imei[14]);
  return imei.slice(0, 14) + ((last + 1) % 10);
}
