/**
 * The shared state of the multistep solvers in variance-preserving space (DPM-Solver++, UniPC), as
 * diffusers' share it: noise levels per timestep, the step index (from the first timestep, or the
 * begin index; a timestep missing from the schedule counts as the last step), `add_noise` as
 * alpha x + sigma n, and no input scaling. A subclass sets its schedule and is its `step`.
 *
 * Source: diffusers `DPMSolverMultistepScheduler` / `UniPCMultistepScheduler` (`_init_step_index`,
 * `set_begin_index`, `add_noise`), src/diffusers/schedulers/scheduling_dpmsolver_multistep.py.
 */
import type { NoiseSource } from '../random/noise-source.js';
import { addNoiseIndex, checkBeginIndex, f32, indexForTimestep } from './schedule.js';
import type { Scheduler, SchedulerConfig, SchedulerName } from './scheduler.js';

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

export abstract class MultistepScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  timesteps: readonly number[] = [];
  protected readonly config: SchedulerConfig;
  /** Noise level per timestep, plus a final 0. */
  protected sigmas: Float32Array = new Float32Array(0);
  protected stepIndex: number | null = null;
  #beginIndex: number | null = null;
  readonly #label: string;

  /** `label` names the scheduler in error messages. */
  constructor(config: SchedulerConfig, label: string) {
    this.config = config;
    this.#label = label;
  }

  abstract setTimesteps(numInferenceSteps: number): void;

  /** Installs a new schedule and clears the step state and the subclass's history (`reset`). */
  protected setSchedule(timesteps: readonly number[], sigmas: Float32Array): void {
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.stepIndex = null;
    this.#beginIndex = null;
    this.reset();
  }

  protected abstract reset(): void;

  setBeginIndex(index: number): void {
    this.#beginIndex = checkBeginIndex(index, this.timesteps.length, this.#label);
  }

  /** alpha x + sigma n at the noise level s of the step: alpha = 1 / sqrt(1 + s^2), sigma = s alpha. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const i = addNoiseIndex(this.stepIndex, this.#beginIndex, () => multistepStartIndex(this.timesteps, timestep));
    return addVpNoise(original, noise, this.sigmas[i]);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  abstract step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array;

  /** The current step index (found on the first call); throws before `setTimesteps`. */
  protected index(timestep: number): number {
    if (this.timesteps.length === 0) throw new Error(`${this.#label}: call setTimesteps before step.`);
    return (this.stepIndex ??= this.#beginIndex ?? multistepStartIndex(this.timesteps, timestep));
  }
}
