/** Decimal-only numbers (issue 25, smaller: `0x80`, `1e3` and ` 128` were accepted). */
import { describe, expect, it } from 'vitest';
import { parseDecimal } from './decimal.js';

describe('parseDecimal', () => {
  it('reads plain decimals', () => {
    expect(['20', '-1', '+3', '7.5', '.5', '5.', '0'].map(parseDecimal)).toEqual([20, -1, 3, 7.5, 0.5, 5, 0]);
  });
  it('refuses what Number() also takes', () => {
    expect(['0x80', '1e3', ' 128', '128 ', '', '0b1', 'Infinity', 'NaN', '1_000', '.', '-'].map(parseDecimal)).toEqual(Array(11).fill(null));
  });
});
