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
import { InvalidRequestError } from '../errors.js';
import type { NoiseSource } from '../random/noise-source.js';
import { AlphaScheduler } from './alpha-scheduler.js';
import { f32 } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';

const SIGMA_DATA = 0.5;

/**
 * The training timesteps LCM and TCD sample, descending: `n` of the `originalSteps` distillation
 * steps (diffusers' `set_timesteps` with strength 1).
 */
export function consistencyTimesteps(config: SchedulerConfig, numInferenceSteps: number, label: string): number[] {
  const originalSteps = config.originalInferenceSteps ?? 50;
  const T = config.numTrainTimesteps;
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > originalSteps) {
    throw new InvalidRequestError(
      `${label}: numInferenceSteps must be an integer from 1 to original_inference_steps (${originalSteps}) (got ${numInferenceSteps}).`,
    );
  }
  const k = Math.floor(T / originalSteps);
  const origin = Array.from({ length: originalSteps }, (_, i) => (originalSteps - i) * k - 1); // reversed
  const step = originalSteps / numInferenceSteps; // np.linspace(0, len, n, endpoint=False) = i * step
  return Array.from({ length: numInferenceSteps }, (_, i) => origin[Math.floor(i * step)]);
}

/** c_skip and c_out of the consistency boundary condition at training timestep t (float32, as torch). */
export function boundaryScalings(t: number, timestepScaling: number): { cSkip: number; cOut: number } {
  const scaled = f32(t * timestepScaling);
  const denom = f32(f32(scaled * scaled) + SIGMA_DATA ** 2);
  return { cSkip: f32(SIGMA_DATA ** 2 / denom), cOut: f32(scaled / f32(Math.sqrt(denom))) };
}

/** x0 from the model output at a_t (epsilon or v prediction), optionally clamped to [-1, 1]. */
export function alphaPredictOriginal(config: SchedulerConfig, aT: number, modelOutput: Float32Array, sample: Float32Array, clip: boolean): Float32Array {
  const sqrtA = f32(Math.sqrt(aT));
  const sqrtB = f32(Math.sqrt(f32(1 - aT)));
  const v = config.predictionType === 'v_prediction';
  return sample.map((x, i) => {
    const raw = v ? sqrtA * x - sqrtB * modelOutput[i] : (x - sqrtB * modelOutput[i]) / sqrtA;
    return clip ? Math.min(1, Math.max(-1, raw)) : raw;
  });
}

export class LcmScheduler extends AlphaScheduler {
  readonly name = 'lcm' as const;
  #stepIndex: number | null = null;

  constructor(config: SchedulerConfig) {
    super(config, 'LcmScheduler');
  }

  setTimesteps(numInferenceSteps: number): void {
    this.timesteps = consistencyTimesteps(this.config, numInferenceSteps, this.label);
    this.#stepIndex = null;
    this.beginIndex = null;
  }

  /** `noise` is required unless there is one step: diffusers draws randn of the sample's shape between steps. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    if (this.timesteps.length === 0) throw new Error(`${this.label}: call setTimesteps before step.`);
    const i = (this.#stepIndex ??= this.beginIndex ?? this.#find(timestep));
    const last = i === this.timesteps.length - 1;
    const prevTimestep = last ? timestep : this.timesteps[i + 1];
    const aT = this.alphasCumprod[timestep];
    const aPrev = this.alphaAt(prevTimestep);
    const { cSkip, cOut } = boundaryScalings(timestep, this.config.timestepScaling ?? 10);
    const x0 = alphaPredictOriginal(this.config, aT, modelOutput, sample, this.config.clipSample ?? false);
    const denoised = sample.map((x, k) => cOut * x0[k] + cSkip * x);
    this.#stepIndex = i + 1;
    if (last) return denoised; // no noise after the last step (and none at all for one-step sampling)
    if (!noise) throw new Error(`${this.label}.step needs a NoiseSource (the generator).`);
    const z = noise.randn([sample.length]);
    const sqrtAPrev = f32(Math.sqrt(aPrev));
    const sqrtBPrev = f32(Math.sqrt(f32(1 - aPrev)));
    return denoised.map((d, k) => sqrtAPrev * d + sqrtBPrev * z[k]);
  }

  #find(timestep: number): number {
    const index = this.timesteps.indexOf(timestep);
    if (index < 0) throw new InvalidRequestError(`${this.label}: timestep ${timestep} is not in the schedule; pass one of scheduler.timesteps.`);
    return index;
  }
}
