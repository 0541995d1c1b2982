/**
 * DDIM, deterministic (eta = 0): predict x0 from the noise, then move to the previous timestep
 * along the same noise direction,
 *   x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t),   x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps
 * with a = alphas_cumprod. x0 is clamped to [-1, 1] with clip_sample (diffusers' DDIM default; SD v1.4's
 * file sets it false).
 *
 * Source: diffusers `DDIMScheduler` (src/diffusers/schedulers/scheduling_ddim.py); Song et al. 2020,
 * "Denoising Diffusion Implicit Models", https://arxiv.org/abs/2010.02502, eq. 12.
 */
import { AlphaScheduler } from './alpha-scheduler.js';
import { timestepSpacingFor } from './config.js';
import { f32, integerTimesteps } from './schedule.js';
import type { SchedulerConfig, SchedulerName } from './scheduler.js';

export class DdimScheduler extends AlphaScheduler {
  readonly name: SchedulerName = 'ddim';
  #stepRatio = 0;

  constructor(config: SchedulerConfig) {
    super(config, 'DdimScheduler');
  }

  setTimesteps(numInferenceSteps: number): void {
    this.timesteps = integerTimesteps(this.config, timestepSpacingFor(this.name, this.config), numInferenceSteps);
    this.#stepRatio = Math.floor(this.config.numTrainTimesteps / numInferenceSteps);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.timesteps.length === 0) throw new Error('DdimScheduler: call setTimesteps before step.');
    const prevTimestep = timestep - this.#stepRatio;
    const aT = this.alphasCumprod[timestep];
    const aPrev = this.alphaAt(prevTimestep);
    const sqrtA = f32(Math.sqrt(aT));
    const sqrtB = f32(Math.sqrt(f32(1 - aT)));
    const sqrtAPrev = f32(Math.sqrt(aPrev));
    const dirCoeff = f32(Math.sqrt(f32(1 - aPrev))); // sqrt(1 - a_prev - std_dev^2), std_dev = 0 at eta = 0
    const v = this.config.predictionType === 'v_prediction';
    const clip = this.config.clipSample ?? true; // diffusers' DDIM default when the config does not say
    return sample.map((x, i) => {
      const m = modelOutput[i];
      const raw = v ? sqrtA * x - sqrtB * m : (x - sqrtB * m) / sqrtA;
      const x0 = clip ? Math.min(1, Math.max(-1, raw)) : raw;
      const eps = v ? sqrtA * m + sqrtB * x : m;
      return sqrtAPrev * x0 + dirCoeff * eps;
    });
  }
}
