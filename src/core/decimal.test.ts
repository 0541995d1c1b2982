/** Decimal-only numbers (issue 25, smaller: `0x80`, `1e3` and ` 128` were accepted). */
import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal } from './decimal.js';

describe('parseDecimal', () => {
  it('reads plain decimals', () => {
    expect(['20', '-1', '+3', '7.5', '.5', '5.', '0'].map(parseDecimal)).toEqual([20, -1, 3, 7.5, 0.5, 5, 0]);
  });
  it('refuses what Number() also takes', () => {
    expect(['0x80', '1e3', ' 128', '128 ', '', '0b1', 'Infinity', 'NaN', '1_000', '.', '-'].map(parseDecimal)).toEqual(Array(11).fill(null));
  });
});

describe('formatDecimal', () => {
  it('writes decimal digits that parseDecimal reads back exactly', () => {
    const values = [20, -1, 7.5, 0.75, 1e-7, -2.5e-9, 1.2345e-12, 5e-324, 1e21, 9007199254740991, 2 ** 70, -0.1];
    const texts = values.map(formatDecimal);
    expect(texts.slice(0, 6)).toEqual(['20', '-1', '7.5', '0.75', '0.0000001', '-0.0000000025']);
    expect(texts[8]).toBe('1000000000000000000000');
    for (const [i, text] of texts.entries()) expect(parseDecimal(text), text).toBe(values[i]);
  });
  it('leaves NaN and Infinity as String() writes them (parseDecimal refuses them)', () => {
    expect([NaN, Infinity].map(formatDecimal)).toEqual(['NaN', 'Infinity']);
  });
});
