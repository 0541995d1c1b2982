/**
 * The state the sigma-space samplers (sigma-scheduler.ts) and the multistep solvers
 * (multistep-scheduler.ts) share, as diffusers' schedulers share `_step_index` / `_begin_index`:
 * the schedule (timesteps and one noise level each, plus a final 0), the step index found from the
 * first timestep or the begin index, and `set_begin_index`. A family says where a timestep starts
 * (`startIndex`) and how noise is added; a sampler is its `step`.
 *
 * Source: diffusers `EulerDiscreteScheduler._init_step_index`, `set_begin_index`
 * (src/diffusers/schedulers/scheduling_euler_discrete.py) and their multistep twins.
 */
import type { NoiseSource } from '../random/noise-source.js';
import { addNoiseIndex, checkBeginIndex } from './schedule.js';
import type { Scheduler, SchedulerConfig, SchedulerName } from './scheduler.js';

export abstract class SigmaState implements Scheduler {
  abstract readonly name: SchedulerName;
  abstract readonly initNoiseSigma: number;
  abstract readonly order: number;
  timesteps: readonly number[] = [];
  protected readonly config: SchedulerConfig;
  /** Noise level per schedule entry, plus a final 0. */
  protected sigmas: Float32Array = new Float32Array(0);
  protected stepIndex: number | null = null;
  #beginIndex: number | null = null;
  protected readonly label: string;

  /** `label` names the scheduler in error messages. */
  constructor(config: SchedulerConfig, label: string) {
    this.config = config;
    this.label = label;
  }

  abstract setTimesteps(numInferenceSteps: number): void;
  abstract addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
  abstract scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  abstract step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array;

  /** Where a run that starts at `timestep` starts in the schedule. */
  protected abstract startIndex(timestep: number): number;

  /** Clears a subclass's per-run history; called whenever a new schedule is installed. */
  protected reset(): void {}

  /** Installs a new schedule and clears the step state and the subclass's history. */
  protected setSchedule(timesteps: readonly number[], sigmas: Float32Array): void {
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.stepIndex = null;
    this.#beginIndex = null;
    this.reset();
  }

  setBeginIndex(index: number): void {
    this.#beginIndex = checkBeginIndex(index, this.timesteps.length, this.label);
  }

  /** The noise level add_noise uses for `timestep`: the current step's, else the begin index's, else its start. */
  protected noiseSigma(timestep: number): number {
    return this.sigmas[addNoiseIndex(this.stepIndex, this.#beginIndex, () => this.startIndex(timestep))];
  }

  /** The current step index, found from `timestep` (or the begin index) on the first call. */
  protected index(timestep: number): number {
    return (this.stepIndex ??= this.#beginIndex ?? this.startIndex(timestep));
  }
}
