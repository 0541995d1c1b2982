/**
 * The scheduler-only loop of the scheduler tests, with diffusers' dummy denoiser from its own
 * scheduler tests (tools/make_fixtures.py "sched"), and a NoiseSource for samplers that must not draw.
 */
import type { NoiseSource } from '../core/random/noise-source.js';
import type { Scheduler } from '../core/schedulers/scheduler.js';

const f32 = Math.fround;

/**
 * x = sample0 * init_noise_sigma, then per timestep x_in = scale_model_input(x, t),
 * eps = x_in * t / (t + 1) (float32 tensor ops, in this order), x = step(eps, t, x).
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
