/**
 * Seeds as the surfaces pick them: RANDOM_SEED (-1) means "random", drawn from
 * crypto.getRandomValues (never Math.random: the engine itself never picks a seed, and nothing
 * pretends to be reproducible when it is not); a batch counts up from its first seed as
 * AUTOMATIC1111 does, so each image of a batch can be regenerated alone.
 */
import { MAX_SEED, RANDOM_SEED } from './request.js';

export { RANDOM_SEED };

type FillRandom = (array: Uint32Array) => Uint32Array;

const cryptoFill: FillRandom = (array) => crypto.getRandomValues(array);

/** A uniformly random seed in [0, 2^32), the range A1111 draws from. */
export function randomSeed(fill: FillRandom = cryptoFill): number {
  return fill(new Uint32Array(1))[0];
}

/** The seed a field asks for: its value, or a fresh random one for RANDOM_SEED. */
export function resolveSeed(field: number, fill: FillRandom = cryptoFill): number {
  return field === RANDOM_SEED ? randomSeed(fill) : field;
}

/** Seeds for a batch: first, first+1, … (wrapping to 0 past MAX_SEED). */
export function batchSeeds(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (first + i) % (MAX_SEED + 1));
}
