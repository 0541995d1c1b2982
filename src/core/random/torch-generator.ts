/**
 * `torch.Generator().manual_seed(seed)` + `torch.randn(shape, generator=g)` on CPU, float32,
 * reproduced sample for sample, so a seed gives the same picture here as in diffusers.
 *
 * Source of the algorithm (PyTorch, read from github.com/pytorch/pytorch):
 * - aten/src/ATen/CPUGeneratorImpl.cpp: `manual_seed` resets the cached normal samples and builds a
 *   fresh mt19937 from the seed; `random()` is one mt19937 draw, `random64()` is
 *   `(first << 32) | second`.
 * - aten/src/ATen/core/MT19937RNGEngine.h: the seed is truncated to its low 32 bits (mt19937.ts).
 * - aten/src/ATen/core/TransformationHelper.h `uniform_real`: float uses `(random() & (2^24-1)) * 2^-24`,
 *   double uses `(random64() & (2^53-1)) * 2^-53`.
 * - aten/src/ATen/native/cpu/DistributionTemplates.h `normal_kernel`: a contiguous float tensor with
 *   numel >= 16 goes through `normal_fill`: one float uniform per element, then Box-Muller in blocks
 *   of 16 (`u1 = 1 - data[j]`, `u2 = data[j + 8]`, `r = sqrt(-2 log u1)`, `theta = 2 pi u2`,
 *   `data[j] = r cos theta`, `data[j + 8] = r sin theta`); when numel % 16 != 0 the last 16 uniforms
 *   are drawn again and the last 16 values recomputed. Smaller tensors go element by element through
 *   `normal_distribution<double>` (core/DistributionsHelper.h): two double uniforms u1, u2,
 *   `r = sqrt(-2 log1p(-u2))`, `theta = 2 pi u1`, returns `r cos theta` and caches `r sin theta` in the
 *   generator for its next scalar draw. That cache is generator state: it survives between calls.
 *
 * The 16-wide blocks follow torch's x86-64 build, `normal_fill_16_AVX2`, in float32 steps with
 * torch's own polynomial log/sincos (avx-mathfun.ts): bit-identical to torch on x86 for the fixture
 * seeds. torch builds without AVX2 (e.g. aarch64 / Apple silicon) run `normal_fill_16` with libm's
 * logf/cosf/sinf instead and differ from x86 torch (and from this) by about 1 ulp in some samples.
 */
import { InvalidRequestError } from '../errors.js';
import { avxLogf, avxSinCosf } from './avx-mathfun.js';
import { Mt19937 } from './mt19937.js';
import type { NoiseSource } from './noise-source.js';

const TWO_POW_M24 = 2 ** -24;
const TWO_POW_M53 = 2 ** -53;
const TWO_POW_32 = 2 ** 32;
const TWO_PI = 2 * Math.PI;
const TWO_PI_F32 = Math.fround(TWO_PI);
const f32 = Math.fround;

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);

export class TorchGenerator implements NoiseSource {
  readonly seed: bigint;
  readonly #engine: Mt19937;
  /** torch's `next_double_normal_sample_`: the sine half of the last scalar Box-Muller pair. */
  #nextDoubleNormal: number | null = null;

  /**
   * Like `torch.Generator().manual_seed(seed)`: any integer in [-2^63, 2^64); negative seeds wrap
   * to uint64 as torch does, and only the low 32 bits reach mt19937 (so 2^32 + 5 behaves like 5).
   */
  constructor(seed: number | bigint) {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
      throw new InvalidRequestError(`Seed must be an integer (got ${seed}); pass a bigint for seeds beyond 2^53.`);
    }
    const big = BigInt(seed);
    if (big < INT64_MIN || big > UINT64_MAX) {
      throw new InvalidRequestError(`Seed ${big} is outside torch's range [-2^63, 2^64 - 1].`);
    }
    this.seed = BigInt.asUintN(64, big);
    this.#engine = new Mt19937(Number(BigInt.asUintN(32, big)));
  }

  /** `torch.randn(shape, generator=this)` (float32, CPU); continues this generator's stream. */
  randn(shape: readonly number[]): Float32Array {
    let numel = 1;
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new InvalidRequestError(`randn: bad shape [${shape.join(', ')}].`);
      numel *= d;
    }
    const out = new Float32Array(numel);
    if (numel >= 16) this.#normalFill(out);
    else for (let i = 0; i < numel; i++) out[i] = this.#normalDouble();
    return out;
  }

  /** One float uniform in [0, 1): 24 random bits (exact in float32). */
  #uniformFloat(): number {
    return (this.#engine.nextUint32() & 0xffffff) * TWO_POW_M24;
  }

  /** One double uniform in [0, 1): the low 53 bits of random64() = (hi << 32) | lo. */
  #uniformDouble(): number {
    const hi = this.#engine.nextUint32();
    const lo = this.#engine.nextUint32();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) * TWO_POW_M53;
  }

  /** normal_fill: uniforms for all elements first, then Box-Muller over blocks of 16. */
  #normalFill(data: Float32Array): void {
    const n = data.length;
    for (let i = 0; i < n; i++) data[i] = this.#uniformFloat();
    for (let i = 0; i + 16 <= n; i += 16) boxMuller16(data, i);
    if (n % 16 !== 0) {
      const start = n - 16;
      for (let i = 0; i < 16; i++) data[start + i] = this.#uniformFloat();
      boxMuller16(data, start);
    }
  }

  /** normal_distribution<double>(0, 1) with the generator-held cache of the second sample. */
  #normalDouble(): number {
    if (this.#nextDoubleNormal !== null) {
      const cached = this.#nextDoubleNormal;
      this.#nextDoubleNormal = null;
      return cached;
    }
    const u1 = this.#uniformDouble();
    const u2 = this.#uniformDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = TWO_PI * u1;
    this.#nextDoubleNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/**
 * normal_fill_16_AVX2 on data[i .. i+16): pairs (j, j+8). theta = float(2 pi) * u2 in float32, and
 * log / sincos are torch's AVX polynomials (avx-mathfun.ts); mean 0 and std 1 leave the fmadd exact.
 */
function boxMuller16(data: Float32Array, i: number): void {
  for (let j = i; j < i + 8; j++) {
    const u1 = f32(1 - data[j]); // [0, 1) -> (0, 1] for the log
    const u2 = data[j + 8];
    const radius = f32(Math.sqrt(f32(-2 * avxLogf(u1))));
    const [sin, cos] = avxSinCosf(f32(TWO_PI_F32 * u2));
    data[j] = f32(radius * cos);
    data[j + 8] = f32(radius * sin);
  }
}
