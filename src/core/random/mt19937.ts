/**
 * The 32-bit Mersenne Twister exactly as PyTorch's CPU generator runs it
 * (aten/src/ATen/core/MT19937RNGEngine.h, after Matsumoto & Nishimura's mt19937ar-cok.c):
 * `init_with_uint32` keeps only the seed's low 32 bits, and the state is regenerated lazily on the
 * first draw (`left = 1`), which yields the same stream as the reference mt19937.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class Mt19937 {
  readonly #state = new Uint32Array(N);
  #next = N;

  /** `seedLow32` must already be reduced to [0, 2^32): torch discards the seed's high bits here. */
  constructor(seedLow32: number) {
    const s = this.#state;
    s[0] = seedLow32 >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      // 1812433253 * prev + i in uint32 arithmetic; Math.imul keeps the low 32 bits of the product.
      s[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** Next uint32 of the stream (torch's `CPUGeneratorImpl::random()`). */
  nextUint32(): number {
    if (this.#next >= N) this.#twist();
    let y = this.#state[this.#next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  #twist(): void {
    const s = this.#state;
    for (let i = 0; i < N; i++) {
      const y = (s[i] & UPPER_MASK) | (s[(i + 1) % N] & LOWER_MASK);
      s[i] = s[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.#next = 0;
  }
}
