/**
 * Shared by the scheduler tests (not shipped code): reading reference arrays, the relative L2
 * error, and the scheduler-only loop with diffusers' dummy denoiser from its own scheduler tests.
 */
import { readFileSync } from 'node:fs';
import type { NoiseSource } from '../random/noise-source.js';
import type { Scheduler } from './scheduler.js';

export const f32 = Math.fround;

/** Raw little-endian float32 file (the reference format), relative to this folder. */
export function readF32(relativePath: string): Float32Array {
  const bytes = readFileSync(new URL(relativePath, import.meta.url));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function readJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, import.meta.url), 'utf8')) as T;
}

/** ||a - b|| / ||b|| in float64. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/**
 * The loop of tools/make_fixtures.py ("sched"): x = sample0 * init_noise_sigma, then per timestep
 * x_in = scale_model_input(x, t), eps = x_in * t / (t + 1) (float32 tensor ops, in this order), x = step(eps, t, x).
 */
export function dummyLoop(scheduler: Scheduler, numInferenceSteps: number, sample0: Float32Array, noise?: NoiseSource): Float32Array {
  scheduler.setTimesteps(numInferenceSteps);
  let x: Float32Array = sample0.map((v) => v * scheduler.initNoiseSigma);
  for (const t of scheduler.timesteps) {
    const xIn = scheduler.scaleModelInput(x, t);
    const eps = xIn.map((v) => f32(f32(v * t) / f32(t + 1)));
    x = scheduler.step(eps, t, x, noise);
  }
  return x;
}

/** A NoiseSource that must not be called (deterministic schedulers). */
export const NO_NOISE: NoiseSource = {
  randn() {
    throw new Error('this scheduler should not draw noise');
  },
};
