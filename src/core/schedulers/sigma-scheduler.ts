/**
 * The shared state of the samplers that work in sigma space (Euler, Euler a, LMS, Heun), as
 * diffusers' k-diffusion-style schedulers share it: the sigma schedule, the step index found from
 * the first timestep (or the begin index), `add_noise` as x + sigma n, and `scale_model_input` as
 * x / sqrt(sigma^2 + 1). A subclass is its `step` (and any history it keeps in `reset`).
 *
 * Source: diffusers `EulerDiscreteScheduler` and siblings (`_init_step_index`, `set_begin_index`,
 * `add_noise`, `scale_model_input`), src/diffusers/schedulers/scheduling_euler_discrete.py.
 */
import type { NoiseSource } from '../random/noise-source.js';
import { timestepSpacingFor } from './config.js';
import { addNoiseIndex, addSigmaNoise, checkBeginIndex, firstStepIndex, scaleBySigma, sigmaSchedule } from './schedule.js';
import type { Scheduler, SchedulerConfig, SchedulerName } from './scheduler.js';

export abstract class SigmaScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  timesteps: readonly number[] = [];
  initNoiseSigma = 1;
  readonly order: number = 1;
  protected readonly config: SchedulerConfig;
  /** Noise level per schedule entry, plus a final 0. */
  protected sigmas: Float32Array = new Float32Array(0);
  protected stepIndex: number | null = null;
  #beginIndex: number | null = null;
  readonly #label: string;

  /** `label` names the scheduler in error messages. */
  constructor(config: SchedulerConfig, label: string) {
    this.config = config;
    this.#label = label;
  }

  setTimesteps(numInferenceSteps: number): void {
    const s = sigmaSchedule(this.config, timestepSpacingFor(this.name, this.config), numInferenceSteps);
    this.timesteps = s.timesteps;
    this.sigmas = s.sigmas;
    this.initNoiseSigma = s.initNoiseSigma;
    this.stepIndex = null;
    this.#beginIndex = null;
    this.reset();
  }

  /** Clears a subclass's per-run history; called by `setTimesteps`. */
  protected reset(): void {}

  setBeginIndex(index: number): void {
    this.#beginIndex = checkBeginIndex(index, this.timesteps.length, this.#label);
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const i = addNoiseIndex(this.stepIndex, this.#beginIndex, () => firstStepIndex(this.timesteps, timestep, this.#label));
    return addSigmaNoise(original, noise, this.sigmas[i]);
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    return scaleBySigma(sample, this.sigmas[this.index(timestep)]);
  }

  abstract step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array;

  /** The current step index, found from `timestep` (or the begin index) on the first call. */
  protected index(timestep: number): number {
    return (this.stepIndex ??= this.#beginIndex ?? firstStepIndex(this.timesteps, timestep, this.#label));
  }
}
