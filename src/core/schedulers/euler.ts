/**
 * Euler: first-order solver of the probability-flow ODE in sigma space (k-diffusion's `sample_euler`,
 * no churn),  d = (x - x0) / sigma,  x_next = x + d (sigma_next - sigma),
 * with x0 = x - sigma eps from the noise prediction.
 *
 * Source: diffusers `EulerDiscreteScheduler` (src/diffusers/schedulers/scheduling_euler_discrete.py);
 * Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models",
 * https://arxiv.org/abs/2206.00364, Algorithm 2 with S_churn = 0.
 */
import { timestepSpacingFor } from './config.js';
import { addNoiseIndex, addSigmaNoise, checkBeginIndex, f32, firstStepIndex, scaleBySigma, sigmaSchedule } from './schedule.js';
import type { Scheduler, SchedulerConfig } from './scheduler.js';

/** x0 predicted from the model output at noise level sigma (epsilon or v prediction), sigma space. */
export function predictOriginal(config: SchedulerConfig, sigma: number, modelOutput: Float32Array, sample: Float32Array): Float32Array {
  if (config.predictionType === 'epsilon') return sample.map((x, i) => x - sigma * modelOutput[i]);
  const s2 = f32(f32(sigma * sigma) + 1);
  const cOut = f32(-sigma / f32(Math.sqrt(s2)));
  return sample.map((x, i) => modelOutput[i] * cOut + x / s2);
}

export class EulerDiscreteScheduler implements Scheduler {
  readonly name = 'euler' as const;
  timesteps: readonly number[] = [];
  initNoiseSigma = 1;
  readonly order = 1;
  readonly #config: SchedulerConfig;
  #sigmas: Float32Array = new Float32Array(0);
  #stepIndex: number | null = null;
  #beginIndex: number | null = null;

  constructor(config: SchedulerConfig) {
    this.#config = config;
  }

  setTimesteps(numInferenceSteps: number): void {
    const s = sigmaSchedule(this.#config, timestepSpacingFor(this.name, this.#config), numInferenceSteps);
    this.timesteps = s.timesteps;
    this.#sigmas = s.sigmas;
    this.initNoiseSigma = s.initNoiseSigma;
    this.#stepIndex = null;
    this.#beginIndex = null;
  }

  setBeginIndex(index: number): void {
    this.#beginIndex = checkBeginIndex(index, this.timesteps.length, 'EulerDiscreteScheduler');
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const i = addNoiseIndex(this.#stepIndex, this.#beginIndex, () => firstStepIndex(this.timesteps, timestep, 'EulerDiscreteScheduler'));
    return addSigmaNoise(original, noise, this.#sigmas[i]);
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    return scaleBySigma(sample, this.#sigmas[this.#index(timestep)]);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const i = this.#index(timestep);
    const sigma = this.#sigmas[i];
    const dt = f32(this.#sigmas[i + 1] - sigma);
    const x0 = predictOriginal(this.#config, sigma, modelOutput, sample);
    this.#stepIndex = i + 1;
    return sample.map((x, k) => x + ((x - x0[k]) / sigma) * dt);
  }

  #index(timestep: number): number {
    return (this.#stepIndex ??= this.#beginIndex ?? firstStepIndex(this.timesteps, timestep, 'EulerDiscreteScheduler'));
  }
}
