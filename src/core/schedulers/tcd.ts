/**
 * TCD (trajectory consistency distillation): like LCM it predicts x0 at each step, but moves along
 * the DDIM trajectory to an intermediate timestep s = floor((1 - gamma) t_prev) and, with gamma =
 * `eta` > 0, forward-noises from s back up to t_prev with fresh generator noise (strategic stochastic
 * sampling). gamma = 0 is deterministic:
 *   x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t),   x_s = sqrt(a_s) x0 + sqrt(1 - a_s) eps
 *   x_prev = sqrt(a_prev / a_s) x_s + sqrt(1 - a_prev / a_s) z   (not on the last step)
 * The timesteps are LCM's (`original_inference_steps` of the distillation schedule).
 *
 * Source: diffusers `TCDScheduler` (src/diffusers/schedulers/scheduling_tcd.py); Zheng et al. 2024,
 * "Trajectory Consistency Distillation", https://arxiv.org/abs/2402.19159, Algorithm 4.
 */
import { InvalidRequestError } from '../errors.js';
import type { NoiseSource } from '../random/noise-source.js';
import { ConsistencyScheduler } from './consistency-scheduler.js';
import { alphaPredictOriginal } from './consistency-scheduler.js';
import { f32 } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';

export class TcdScheduler extends ConsistencyScheduler {
  readonly name = 'tcd' as const;
  readonly #eta: number;

  /** `eta` is TCD's gamma, as diffusers' pipelines pass `eta` to `step` (their default 0). */
  constructor(config: SchedulerConfig, eta = 0) {
    super(config, 'TcdScheduler');
    if (!(eta >= 0 && eta <= 1)) throw new InvalidRequestError(`TcdScheduler: eta (gamma) must be from 0 to 1 (got ${eta}).`);
    this.#eta = eta;
  }

  /** `noise` is required when eta > 0 and more than one step remains. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    const i = this.takeStepIndex(timestep);
    const last = i === this.timesteps.length - 1;
    const prevTimestep = last ? 0 : this.timesteps[i + 1];
    const s = Math.floor(f32(f32(1 - this.#eta) * prevTimestep)); // torch: float32 product, floor to long
    const aT = this.alphasCumprod[timestep];
    const aPrev = this.alphaAt(prevTimestep);
    const aS = this.alphasCumprod[s];
    const v = this.config.predictionType === 'v_prediction';
    const sqrtAT = f32(Math.sqrt(aT));
    const sqrtBT = f32(Math.sqrt(f32(1 - aT)));
    const x0 = alphaPredictOriginal(this.config, aT, modelOutput, sample, false);
    const sqrtAS = f32(Math.sqrt(aS));
    const sqrtBS = f32(Math.sqrt(f32(1 - aS)));
    const noised = sample.map((x, k) => {
      const eps = v ? sqrtAT * modelOutput[k] + sqrtBT * x : modelOutput[k];
      return sqrtAS * x0[k] + sqrtBS * eps;
    });
    if (this.#eta === 0 || last) return noised;
    if (!noise) throw new Error(`${this.label}.step needs a NoiseSource (the generator) when eta > 0.`);
    const z = noise.randn([sample.length]);
    const ratio = f32(aPrev / aS);
    const keep = f32(Math.sqrt(ratio));
    const add = f32(Math.sqrt(f32(1 - ratio)));
    return noised.map((x, k) => keep * x + add * z[k]);
  }
}
