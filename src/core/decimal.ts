/**
 * Numbers as a person writes them: decimal digits with an optional sign and point (`20`, `-1`, `7.5`,
 * `.5`). JavaScript's Number() also takes `0x80`, `1e3`, `0b1`, `Infinity` and surrounding spaces,
 * which a flag or a PNG's settings never mean; those are refused (null) instead. formatDecimal writes
 * a number so that parseDecimal reads it back (String() writes `1e-7` and `1e+21`).
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

/** The value of a plain decimal number, or null for anything else. */
export function parseDecimal(text: string): number | null {
  return DECIMAL.test(text) ? Number(text) : null;
}

/** `value` in decimal digits, never in exponent form (`1e-7` -> `0.0000001`); parseDecimal reads back the same number. NaN / Infinity as String() writes them. */
export function formatDecimal(value: number): string {
  const text = String(value);
  const at = text.indexOf('e');
  if (at < 0) return text;
  const sign = text.startsWith('-') ? '-' : '';
  const [whole, fraction = ''] = text.slice(sign.length, at).split('.');
  const digits = whole + fraction;
  const point = whole.length + Number(text.slice(at + 1)); // where the decimal point goes in `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
