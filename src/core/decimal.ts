/**
 * Numbers as a person writes them: decimal digits with an optional sign and point (`20`, `-1`, `7.5`,
 * `.5`). JavaScript's Number() also takes `0x80`, `1e3`, `0b1`, `Infinity` and surrounding spaces,
 * which a flag or a PNG's settings never mean; those are refused (null) instead.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

/** The value of a plain decimal number, or null for anything else. */
export function parseDecimal(text: string): number | null {
  return DECIMAL.test(text) ? Number(text) : null;
}
