/** Number flags are decimal only (issue 25, smaller): `--steps 0x80`, `--guidance 1e3`, `--width " 128"` are refused. */
import { describe, expect, it } from 'vitest';
import { intFlag, numberFlag } from './args.js';

describe('numberFlag and intFlag', () => {
  it.each(['0x80', '1e3', ' 128', '128 ', 'Infinity', ''])('refuses %j', (value) => {
    expect(() => numberFlag(value, 'steps')).toThrow(/--steps must be a decimal number/);
    expect(() => intFlag(value, 'seed')).toThrow(/--seed must be an integer/);
  });
  it('reads decimals', () => {
    expect([numberFlag('7.5', 'guidance'), numberFlag('-1', 'seed'), numberFlag('128', 'width'), intFlag('42', 'seed')]).toEqual([7.5, -1, 128, 42]);
  });
});
