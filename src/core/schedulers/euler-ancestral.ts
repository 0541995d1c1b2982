/**
 * Euler ancestral ("Euler a"): an Euler step down to sigma_down, then fresh noise of size sigma_up,
 * so that sigma_down^2 + sigma_up^2 = sigma_next^2 (k-diffusion's `sample_euler_ancestral`, eta = 1):
 *   sigma_up = sqrt(sigma_next^2 (sigma^2 - sigma_next^2) / sigma^2),  sigma_down = sqrt(sigma_next^2 - sigma_up^2)
 *   x_next = x + d (sigma_down - sigma) + sigma_up * noise,  d = (x - x0) / sigma
 * Noise is drawn every step, the last one included, exactly as diffusers draws it from the generator.
 *
 * Source: diffusers `EulerAncestralDiscreteScheduler`
 * (src/diffusers/schedulers/scheduling_euler_ancestral_discrete.py); k-diffusion
 * (github.com/crowsonkb/k-diffusion, k_diffusion/sampling.py `get_ancestral_step`).
 */
import type { NoiseSource } from '../random/noise-source.js';
import { predictOriginal } from './euler.js';
import { f32 } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';
import { SigmaScheduler } from './sigma-scheduler.js';

export class EulerAncestralDiscreteScheduler extends SigmaScheduler {
  readonly name = 'euler_a' as const;

  constructor(config: SchedulerConfig) {
    super(config, 'EulerAncestralDiscreteScheduler');
  }

  /** `noise` is required: diffusers draws randn of the sample's shape (numel) from the generator each step. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    const i = this.index(timestep);
    if (!noise) throw new Error('EulerAncestralDiscreteScheduler.step needs a NoiseSource (the generator).');
    const sigma = this.sigmas[i];
    const sigmaNext = this.sigmas[i + 1];
    const s2 = f32(sigma * sigma);
    const next2 = f32(sigmaNext * sigmaNext);
    const sigmaUp = f32(Math.sqrt(f32(f32(next2 * f32(s2 - next2)) / s2)));
    const sigmaDown = f32(Math.sqrt(f32(next2 - f32(sigmaUp * sigmaUp))));
    const dt = f32(sigmaDown - sigma);
    const x0 = predictOriginal(this.config, sigma, modelOutput, sample);
    const z = noise.randn([sample.length]); // torch.randn(shape) depends only on numel: same values as (1, 4, h, w)
    this.stepIndex = i + 1;
    return sample.map((x, k) => x + ((x - x0[k]) / sigma) * dt + z[k] * sigmaUp);
  }
}
