/** Test helpers for reference data dumped by diffusers (raw little-endian float32 files) and error metrics. */
import { readFileSync } from 'node:fs';

/** `path`: a file path, or a URL such as `new URL('./testdata/x.f32', import.meta.url)`. */
export function readF32(path: string | URL): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function readJson<T>(path: string | URL): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return Number.isNaN(max) ? Infinity : max;
}

/** A pipeline result's final latents (rel L2) and image (max abs) against reference arrays, logged under `label`. */
export function resultParity(
  label: string,
  result: { latents: ArrayLike<number>; image: ArrayLike<number> },
  latents: ArrayLike<number>,
  image: ArrayLike<number>,
): { latents: number; image: number } {
  const error = { latents: relativeL2(result.latents, latents), image: maxAbsDiff(result.image, image) };
  console.log(`${label}: final latents rel L2 ${error.latents.toExponential(2)}, image max abs ${error.image.toExponential(2)}`);
  return error;
}

/** ||a - b|| / ||b|| (b is the reference). */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  const r = Math.sqrt(num / den);
  return Number.isNaN(r) ? Infinity : r;
}
