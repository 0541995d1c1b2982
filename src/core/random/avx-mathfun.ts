/**
 * Scalar, bit-faithful float32 versions of the two vector functions torch's x86 CPU build uses in
 * `normal_fill_16_AVX2` (aten/src/ATen/native/cpu/avx_mathfun.h: `log256_ps`, `sincos256_ps`, Giovanni
 * Garberoglio's AVX port of Julien Pommier's sse_mathfun, itself the Cephes `logf` / `sinf` / `cosf`
 * polynomials). They are not correctly rounded, so a libm `log`/`cos` rounded to float differs from
 * torch's output in the last bit for about a third of the samples; these reproduce it exactly.
 *
 * Every `fround` is one float32 instruction. `fma` marks a multiply followed by an add that GCC
 * contracts into one fused multiply-add when it compiles these intrinsics with -mfma (its default
 * -ffp-contract=fast); which pairs are fused was settled by comparing with torch's output for 7 seeds
 * x 1024 samples (fixtures/refs, fixtures/shapes-refs): this choice matches all of them bit for bit.
 * `fma` computes a*b exactly in double and rounds the sum twice (double, then float32); that differs
 * from a true fused operation only when the double sum lands exactly on a float32 tie (~2^-29).
 */

const f32 = Math.fround;
const fma = (a: number, b: number, c: number): number => f32(a * b + c);

const scratch = new DataView(new ArrayBuffer(4));
function floatBits(x: number): number {
  scratch.setFloat32(0, x);
  return scratch.getInt32(0);
}
function bitsToFloat(bits: number): number {
  scratch.setInt32(0, bits);
  return scratch.getFloat32(0);
}

const MIN_NORM_POS = bitsToFloat(0x00800000);
const HALF_BITS = floatBits(0.5);
// biome-ignore lint/correctness/noPrecisionLoss: avx_mathfun.h's constant as written, rounded to float32 by f32()
const SQRTHF = f32(0.707106781186547524);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f32);
const LOG_Q1 = f32(-2.1219444e-4);
const LOG_Q2 = f32(0.693359375);

/** `log256_ps` for one lane; x > 0 (torch passes 1 - u with u in [0, 1), so x is in (0, 1]). */
export function avxLogf(input: number): number {
  let x = Math.max(f32(input), MIN_NORM_POS);
  const bits = floatBits(x);
  // x = m * 2^e with m in [0.5, 1)
  let e = f32((bits >>> 23) - 127 + 1);
  x = bitsToFloat((bits & ~0x7f800000) | HALF_BITS);
  // if (x < SQRTHF) { e -= 1; x = x + x - 1 } else { x = x - 1 }
  const below = x < SQRTHF;
  const tmp = below ? x : 0;
  if (below) e = f32(e - 1);
  x = f32(f32(x - 1) + tmp);
  const z = f32(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < LOG_P.length; k++) y = fma(y, x, LOG_P[k]);
  y = f32(y * x);
  y = fma(y, z, f32(e * LOG_Q1));
  y = f32(y - f32(z * 0.5));
  x = f32(x + y);
  return fma(e, LOG_Q2, x);
}

const MINUS_DP1 = f32(-0.78515625);
// biome-ignore lint/correctness/noPrecisionLoss: avx_mathfun.h's constant as written, rounded to float32 by f32()
const MINUS_DP2 = f32(-2.4187564849853515625e-4);
// biome-ignore lint/correctness/noPrecisionLoss: avx_mathfun.h's constant as written, rounded to float32 by f32()
const MINUS_DP3 = f32(-3.77489497744594108e-8);
const SIN_P0 = f32(-1.9515295891e-4);
const SIN_P1 = f32(8.3321608736e-3);
const SIN_P2 = f32(-1.6666654611e-1);
const COS_P0 = f32(2.443315711809948e-5);
const COS_P1 = f32(-1.388731625493765e-3);
const COS_P2 = f32(4.166664568298827e-2);
const FOUR_OVER_PI = f32(1.27323954473516);

/** `sincos256_ps` for one lane: [sin x, cos x]. Accurate for |x| < 8192 (torch passes [0, 2 pi)). */
export function avxSinCosf(input: number): [sin: number, cos: number] {
  let x = Math.abs(f32(input));
  // octant j = (trunc(x * 4/pi) + 1) & ~1, then x -= j * pi/4 in three float parts (Cody-Waite)
  const j = ((Math.trunc(f32(x * FOUR_OVER_PI)) + 1) & ~1) | 0;
  const y = f32(j);
  x = fma(y, MINUS_DP1, x);
  x = fma(y, MINUS_DP2, x);
  x = fma(y, MINUS_DP3, x);
  const sinNegative = input < 0 !== ((j & 4) !== 0);
  const cosNegative = (~(j - 2) & 4) !== 0;
  const useSinPolyForSin = (j & 2) === 0;

  const z = f32(x * x);
  let cosPoly = fma(COS_P0, z, COS_P1);
  cosPoly = fma(cosPoly, z, COS_P2);
  cosPoly = f32(cosPoly * z);
  cosPoly = fma(cosPoly, z, -f32(z * 0.5));
  cosPoly = f32(cosPoly + 1);
  let sinPoly = fma(SIN_P0, z, SIN_P1);
  sinPoly = fma(sinPoly, z, SIN_P2);
  sinPoly = f32(sinPoly * z);
  sinPoly = fma(sinPoly, x, x);

  const s = useSinPolyForSin ? sinPoly : cosPoly;
  const c = useSinPolyForSin ? cosPoly : sinPoly;
  return [sinNegative ? -s : s, cosNegative ? -c : c];
}
