/**
 * Heun: second-order (trapezoidal) solver of the probability-flow ODE in sigma space
 * (k-diffusion's `sample_heun`). Each step costs two model calls, so the schedule lists every
 * timestep but the first twice and the pipeline calls `step` once per entry:
 *   1st call at sigma:       d = (x - x0) / sigma,            x' = x + d (sigma_next - sigma)   (Euler predictor)
 *   2nd call at sigma_next:  d' = (x' - x0') / sigma_next,    x_next = x + (d + d') / 2 (sigma_next - sigma)
 * The last step goes to sigma = 0 and stays first order.
 *
 * Source: diffusers `HeunDiscreteScheduler` (src/diffusers/schedulers/scheduling_heun_discrete.py);
 * Karras et al. 2022, https://arxiv.org/abs/2206.00364, Algorithm 1.
 */
import { predictOriginal } from './euler.js';
import { f32 } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';
import { SigmaScheduler } from './sigma-scheduler.js';

export class HeunDiscreteScheduler extends SigmaScheduler {
  readonly name = 'heun' as const;
  override readonly order = 2;
  // state between the two calls of a step; null while in the first-order (predictor) call
  #first: { derivative: Float32Array; dt: number; sample: Float32Array } | null = null;

  constructor(config: SchedulerConfig) {
    super(config, 'HeunDiscreteScheduler');
  }

  /** Every sigma and timestep but the first twice: sigmas [s0, s1, s1, ..., s_{n-1}, s_{n-1}, 0]. */
  override setTimesteps(numInferenceSteps: number): void {
    super.setTimesteps(numInferenceSteps);
    const s = this.sigmas;
    const inner = [...s.slice(1, -1)];
    this.sigmas = Float32Array.from([s[0], ...inner.flatMap((v) => [v, v]), 0]);
    this.timesteps = [this.timesteps[0], ...this.timesteps.slice(1).flatMap((t) => [t, t])];
  }

  protected override reset(): void {
    this.#first = null;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const i = this.index(timestep);
    this.stepIndex = i + 1;
    const first = this.#first;
    if (first === null) {
      // predictor: an Euler step from sigma to sigma_next
      const sigma = this.sigmas[i];
      const dt = f32(this.sigmas[i + 1] - sigma);
      const x0 = predictOriginal(this.config, sigma, modelOutput, sample);
      const derivative = sample.map((x, k) => (x - x0[k]) / sigma);
      this.#first = { derivative, dt, sample: sample.slice() };
      return sample.map((x, k) => x + derivative[k] * dt);
    }
    // corrector: average the slopes at both ends, restart from the predictor's starting point
    const sigmaNext = this.sigmas[i];
    const x0 = predictOriginal(this.config, sigmaNext, modelOutput, sample);
    this.#first = null;
    return first.sample.map((x, k) => {
      const derivative = ((sample[k] - x0[k]) / sigmaNext + first.derivative[k]) / 2;
      return x + derivative * first.dt;
    });
  }
}
