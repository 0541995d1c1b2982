import { describe, expect, it } from 'vitest';
import { MAX_SEED } from './request.js';
import { batchSeeds, RANDOM_SEED, randomSeed, resolveSeed } from './seed.js';

describe('seeds', () => {
  const fixed = (value: number) => (array: Uint32Array) => array.fill(value);

  it('draws a random seed from crypto (a 32-bit unsigned integer)', () => {
    expect(randomSeed(fixed(4_000_000_000))).toBe(4_000_000_000);
    const seed = randomSeed();
    expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
  });

  it('-1 means random; any other value is used as it is', () => {
    expect(resolveSeed(RANDOM_SEED, fixed(7))).toBe(7);
    expect(resolveSeed(42, fixed(7))).toBe(42);
    expect(resolveSeed(0, fixed(7))).toBe(0);
  });

  it('a batch counts up from its first seed, wrapping past MAX_SEED', () => {
    expect(batchSeeds(10, 3)).toEqual([10, 11, 12]);
    expect(batchSeeds(MAX_SEED, 2)).toEqual([MAX_SEED, 0]);
  });
});
