/**
 * The scheduler contract, after diffusers' SchedulerMixin: the pipeline owns the loop
 *
 *   scheduler.setTimesteps(numInferenceSteps)
 *   x = noise * scheduler.initNoiseSigma
 *   for (const t of scheduler.timesteps) {
 *     const xIn = scheduler.scaleModelInput(x, t)
 *     const eps = model(xIn, t)
 *     x = scheduler.step(eps, t, x, noise)
 *   }
 *
 * One algorithm per file. Arrays are flat float32 latents (any shape; the schedulers are
 * element-wise). `step` returns a new array and never mutates its inputs.
 */
import type { NoiseSource } from '../random/noise-source.js';

export type SchedulerName =
  | 'pndm'
  | 'ddim'
  | 'lms'
  | 'euler'
  | 'euler_a'
  | 'heun'
  | 'dpmpp_2m'
  | 'dpmpp_2m_karras'
  | 'unipc';

/** diffusers' scheduler_config.json, camel-cased where we read it; SD v1.4's values are the defaults. */
export interface SchedulerConfig {
  numTrainTimesteps: number; // 1000
  betaStart: number; // 0.00085
  betaEnd: number; // 0.012
  betaSchedule: 'scaled_linear' | 'linear';
  predictionType: 'epsilon' | 'v_prediction';
  setAlphaToOne: boolean; // false
  skipPrkSteps: boolean; // true
  stepsOffset: number; // 1
  timestepSpacing: 'leading' | 'trailing' | 'linspace';
  /**
   * Optional (added later, backward compatible): diffusers `_class_name` of the scheduler_config.json
   * this came from. `timestepSpacing` is then that class's setting, and a scheduler of another class
   * uses its own diffusers default instead (see config.ts `timestepSpacingFor`). Absent: the
   * config's `timestepSpacing` applies to every scheduler.
   */
  className?: string;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** Timesteps of the current schedule, in the order the model is called (duplicates allowed: PNDM, Heun). */
  readonly timesteps: readonly number[];
  readonly initNoiseSigma: number;
  setTimesteps(numInferenceSteps: number): void;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /** `noise` is required by ancestral samplers (euler_a) and ignored by the rest. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array;
}
