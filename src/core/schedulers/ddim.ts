/**
 * DDIM: predict x0 from the noise, then move to the previous timestep along the same noise
 * direction, plus fresh noise of size sigma_t(eta) (eta = 0: deterministic; eta = 1: DDPM),
 *   x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t)
 *   x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev - sigma_t^2) eps + sigma_t z
 *   sigma_t = eta sqrt((1 - a_prev) / (1 - a_t)) sqrt(1 - a_t / a_prev)
 * with a = alphas_cumprod and z drawn from the generator every step when eta > 0. x0 is clamped to
 * [-1, 1] with clip_sample (diffusers' DDIM default; SD v1.4's file sets it false).
 *
 * Source: diffusers `DDIMScheduler` (src/diffusers/schedulers/scheduling_ddim.py); Song et al. 2020,
 * "Denoising Diffusion Implicit Models", https://arxiv.org/abs/2010.02502, eq. 12.
 */
import { InvalidRequestError } from '../errors.js';
import type { NoiseSource } from '../random/noise-source.js';
import { AlphaScheduler } from './alpha-scheduler.js';
import { timestepSpacingFor } from './config.js';
import { f32, integerTimesteps } from './schedule.js';
import type { SchedulerConfig, SchedulerName } from './scheduler.js';

export class DdimScheduler extends AlphaScheduler {
  readonly name: SchedulerName = 'ddim';
  readonly #eta: number;
  #stepRatio = 0;

  /** `eta` as diffusers' pipelines pass it to `step` (their default 0). */
  constructor(config: SchedulerConfig, eta = 0) {
    super(config, 'DdimScheduler');
    if (!(eta >= 0 && eta <= 1)) throw new InvalidRequestError(`DdimScheduler: eta must be from 0 to 1 (got ${eta}).`);
    this.#eta = eta;
  }

  setTimesteps(numInferenceSteps: number): void {
    this.timesteps = integerTimesteps(this.config, timestepSpacingFor(this.name, this.config), numInferenceSteps);
    this.#stepRatio = Math.floor(this.config.numTrainTimesteps / numInferenceSteps);
  }

  /** `noise` is required when eta > 0: diffusers draws randn of the sample's shape every step. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    if (this.timesteps.length === 0) throw new Error('DdimScheduler: call setTimesteps before step.');
    const prevTimestep = timestep - this.#stepRatio;
    const aT = this.alphasCumprod[timestep];
    const aPrev = this.alphaAt(prevTimestep);
    const sqrtA = f32(Math.sqrt(aT));
    const sqrtB = f32(Math.sqrt(f32(1 - aT)));
    const sqrtAPrev = f32(Math.sqrt(aPrev));
    // sigma_t(eta), float32 per op as torch: eta * ((b_prev / b_t) * (1 - a_t / a_prev)) ** 0.5
    const variance = f32(f32(f32(1 - aPrev) / f32(1 - aT)) * f32(1 - f32(aT / aPrev)));
    const std = f32(this.#eta * f32(Math.sqrt(variance)));
    const dirCoeff = f32(Math.sqrt(f32(f32(1 - aPrev) - f32(std * std)))); // sqrt(1 - a_prev - std_dev^2)
    const v = this.config.predictionType === 'v_prediction';
    const clip = this.config.clipSample ?? true; // diffusers' DDIM default when the config does not say
    const out = sample.map((x, i) => {
      const m = modelOutput[i];
      const raw = v ? sqrtA * x - sqrtB * m : (x - sqrtB * m) / sqrtA;
      const x0 = clip ? Math.min(1, Math.max(-1, raw)) : raw;
      const eps = v ? sqrtA * m + sqrtB * x : m;
      return sqrtAPrev * x0 + dirCoeff * eps;
    });
    if (this.#eta === 0) return out;
    if (!noise) throw new Error('DdimScheduler.step needs a NoiseSource (the generator) when eta > 0.');
    const z = noise.randn([sample.length]);
    return out.map((x, i) => x + std * z[i]);
  }
}
