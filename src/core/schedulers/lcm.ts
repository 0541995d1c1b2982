/**
 * LCM: multistep sampling of a latent consistency model. Each step maps x_t to the model's estimate
 * of x0 through the consistency boundary condition, then (but for the last step) noises it again to
 * the next timestep with fresh noise from the generator:
 *   x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t),   denoised = c_out(t) x0 + c_skip(t) x_t
 *   c_skip = s_d^2 / ((10 t)^2 + s_d^2),  c_out = 10 t / sqrt((10 t)^2 + s_d^2),  s_d = 0.5
 *   x_prev = sqrt(a_prev) denoised + sqrt(1 - a_prev) z
 * The timesteps are `n` of the `original_inference_steps` (50) evenly spaced training steps the model
 * was distilled on: [k - 1, 2k - 1, ..., T - 1] (k = T // 50), reversed, indices floor(linspace(0, 50, n)).
 * `timestep_spacing` is in the config but, as in diffusers, not read.
 *
 * Source: diffusers `LCMScheduler` (src/diffusers/schedulers/scheduling_lcm.py); Luo et al. 2023,
 * "Latent Consistency Models", https://arxiv.org/abs/2310.04378, Algorithm 3.
 */
import type { NoiseSource } from '../random/noise-source.js';
import { alphaPredictOriginal, ConsistencyScheduler } from './consistency-scheduler.js';
import { f32 } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';

const SIGMA_DATA = 0.5;

/** c_skip and c_out of the consistency boundary condition at training timestep t (float32, as torch). */
export function boundaryScalings(t: number, timestepScaling: number): { cSkip: number; cOut: number } {
  const scaled = f32(t * timestepScaling);
  const denom = f32(f32(scaled * scaled) + SIGMA_DATA ** 2);
  return { cSkip: f32(SIGMA_DATA ** 2 / denom), cOut: f32(scaled / f32(Math.sqrt(denom))) };
}

export class LcmScheduler extends ConsistencyScheduler {
  readonly name = 'lcm' as const;

  constructor(config: SchedulerConfig) {
    super(config, 'LcmScheduler');
  }

  /** `noise` is required unless there is one step: diffusers draws randn of the sample's shape between steps. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    const i = this.takeStepIndex(timestep);
    const last = i === this.timesteps.length - 1;
    const prevTimestep = last ? timestep : this.timesteps[i + 1];
    const aT = this.alphasCumprod[timestep];
    const aPrev = this.alphaAt(prevTimestep);
    const { cSkip, cOut } = boundaryScalings(timestep, this.config.timestepScaling ?? 10);
    const x0 = alphaPredictOriginal(this.config, aT, modelOutput, sample, this.config.clipSample ?? false);
    const denoised = sample.map((x, k) => cOut * x0[k] + cSkip * x);
    if (last) return denoised; // no noise after the last step (and none at all for one-step sampling)
    if (!noise) throw new Error(`${this.label}.step needs a NoiseSource (the generator).`);
    const z = noise.randn([sample.length]);
    const sqrtAPrev = f32(Math.sqrt(aPrev));
    const sqrtBPrev = f32(Math.sqrt(f32(1 - aPrev)));
    return denoised.map((d, k) => sqrtAPrev * d + sqrtBPrev * z[k]);
  }
}
