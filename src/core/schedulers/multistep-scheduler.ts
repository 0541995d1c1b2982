/**
 * The shared state of the multistep solvers in variance-preserving space (DPM-Solver++, UniPC), as
 * diffusers' share it: noise levels per timestep, the step index (from the first timestep, or the
 * begin index; a timestep missing from the schedule counts as the last step), `add_noise` as
 * alpha x + sigma n, and no input scaling. A subclass sets its schedule and is its `step`.
 *
 * Source: diffusers `DPMSolverMultistepScheduler` / `UniPCMultistepScheduler` (`_init_step_index`,
 * `set_begin_index`, `add_noise`), src/diffusers/schedulers/scheduling_dpmsolver_multistep.py.
 */
import { f32, indexForTimestep } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';
import { SigmaState } from './sigma-state.js';

/** alpha_t, sigma_t and lambda_t = log alpha_t - log sigma_t for noise level s (float32, as torch). */
export function alphaSigmaLambda(s: number): { alpha: number; sigma: number; lambda: number } {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(s * s) + 1))));
  const sigma = f32(s * alpha);
  return { alpha, sigma, lambda: f32(f32(Math.log(alpha)) - f32(Math.log(sigma))) };
}

/** x0 from the model output in variance-preserving space (epsilon or v prediction). */
export function dataPrediction(config: SchedulerConfig, s: number, modelOutput: Float32Array, sample: Float32Array): Float32Array {
  const { alpha, sigma } = alphaSigmaLambda(s);
  if (config.predictionType === 'v_prediction') return sample.map((x, i) => alpha * x - sigma * modelOutput[i]);
  return sample.map((x, i) => (x - sigma * modelOutput[i]) / alpha);
}

/** alpha x + sigma n for noise level s (DPM-Solver's and UniPC's add_noise), float32 per op as torch. */
export function addVpNoise(original: Float32Array, noise: Float32Array, s: number): Float32Array {
  if (original.length !== noise.length) throw new Error(`addNoise: original has ${original.length} values, noise ${noise.length}.`);
  const { alpha, sigma } = alphaSigmaLambda(s);
  return original.map((x, i) => f32(alpha * x) + f32(sigma * noise[i]));
}

/** Where a multistep chain starts; diffusers takes a timestep missing from the schedule as the last step. */
export function multistepStartIndex(timesteps: readonly number[], timestep: number): number {
  const index = indexForTimestep(timesteps, timestep);
  return index < 0 ? timesteps.length - 1 : index;
}

export abstract class MultistepScheduler extends SigmaState {
  readonly initNoiseSigma = 1;
  readonly order = 1;

  protected startIndex(timestep: number): number {
    return multistepStartIndex(this.timesteps, timestep);
  }

  /** alpha x + sigma n at the noise level s of the step: alpha = 1 / sqrt(1 + s^2), sigma = s alpha. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addVpNoise(original, noise, this.noiseSigma(timestep));
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** The current step index (found on the first call); throws before `setTimesteps`. */
  protected override index(timestep: number): number {
    if (this.timesteps.length === 0) throw new Error(`${this.label}: call setTimesteps before step.`);
    return super.index(timestep);
  }
}
