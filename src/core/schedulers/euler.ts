/**
 * Euler: first-order solver of the probability-flow ODE in sigma space (k-diffusion's `sample_euler`,
 * no churn),  d = (x - x0) / sigma,  x_next = x + d (sigma_next - sigma),
 * with x0 = x - sigma eps from the noise prediction.
 *
 * Source: diffusers `EulerDiscreteScheduler` (src/diffusers/schedulers/scheduling_euler_discrete.py);
 * Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models",
 * https://arxiv.org/abs/2206.00364, Algorithm 2 with S_churn = 0.
 */
import { f32 } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';
import { SigmaScheduler } from './sigma-scheduler.js';

/** x0 predicted from the model output at noise level sigma (epsilon or v prediction), sigma space. */
export function predictOriginal(config: SchedulerConfig, sigma: number, modelOutput: Float32Array, sample: Float32Array): Float32Array {
  if (config.predictionType === 'epsilon') return sample.map((x, i) => x - sigma * modelOutput[i]);
  const s2 = f32(f32(sigma * sigma) + 1);
  const cOut = f32(-sigma / f32(Math.sqrt(s2)));
  return sample.map((x, i) => modelOutput[i] * cOut + x / s2);
}

export class EulerDiscreteScheduler extends SigmaScheduler {
  readonly name = 'euler' as const;

  constructor(config: SchedulerConfig) {
    super(config, 'EulerDiscreteScheduler');
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const i = this.index(timestep);
    const sigma = this.sigmas[i];
    const dt = f32(this.sigmas[i + 1] - sigma);
    const x0 = predictOriginal(this.config, sigma, modelOutput, sample);
    this.stepIndex = i + 1;
    return sample.map((x, k) => x + ((x - x0[k]) / sigma) * dt);
  }
}
