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
 * Image-to-image starts part-way, as diffusers' img2img and inpaint pipelines do:
 *
 *   scheduler.setTimesteps(numInferenceSteps)
 *   const begin = tStart * scheduler.order; scheduler.setBeginIndex(begin)
 *   x = scheduler.addNoise(imageLatents, noise, scheduler.timesteps[begin])
 *   for (const t of scheduler.timesteps.slice(begin)) ...
 *
 * One algorithm per file. Arrays are flat float32 latents (any shape; the schedulers are
 * element-wise). `step` returns a new array and never mutates its inputs.
 */
import type { NoiseSource } from '../random/noise-source.js';

export type SchedulerName = 'pndm' | 'ddim' | 'lms' | 'euler' | 'euler_a' | 'heun' | 'dpmpp_2m' | 'dpmpp_2m_karras' | 'unipc' | 'lcm' | 'tcd';

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
  /**
   * Optional: true when the scheduler_config.json sets `timestep_spacing` itself. diffusers'
   * `OtherScheduler.from_config(pipe.scheduler.config)` passes every key the file set (it drops only
   * defaulted ones), so every class then takes that spacing.
   */
  timestepSpacingSet?: boolean;
  /**
   * Optional: DDIM's `clip_sample` (x0 clamped to [-1, 1]). Absent: DDIM's diffusers default, true
   * (what `DDIMScheduler.from_config` of a file without the key, e.g. a PNDM file, gives).
   */
  clipSample?: boolean;
  /** Optional: LCM's and TCD's `original_inference_steps`, the distillation schedule's length. Absent: 50. */
  originalInferenceSteps?: number;
  /** Optional: LCM's `timestep_scaling` in the boundary condition. Absent: 10. */
  timestepScaling?: number;
}

/** Per-request settings diffusers' pipelines pass to `step`: `eta` (DDIM's eta, TCD's gamma; default 0). */
export interface SchedulerOptions {
  eta?: number;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** Timesteps of the current schedule, in the order the model is called (duplicates allowed: PNDM, Heun). */
  readonly timesteps: readonly number[];
  readonly initNoiseSigma: number;
  /** diffusers' `order`: entries of `timesteps` per inference step (Heun 2, the rest 1). */
  readonly order: number;
  /** Resets the schedule (and the begin index) for a new run. */
  setTimesteps(numInferenceSteps: number): void;
  /**
   * diffusers' `set_begin_index`: the run starts at `timesteps[index]` (img2img), so the sigma-space
   * and multistep samplers take their step index from it instead of searching for the timestep.
   * PNDM and DDIM have no step index in diffusers; for them this only bounds-checks.
   */
  setBeginIndex(index: number): void;
  /**
   * diffusers' `add_noise` for one sample: `original` noised to the level of `timestep`
   * (sqrt(a_t) x + sqrt(1 - a_t) n for PNDM / DDIM, x + sigma n in sigma space, alpha x + sigma n for
   * DPM-Solver / UniPC). As in diffusers, once a begin index is set the sigma-space and multistep
   * samplers ignore `timestep` and use the current step index (the begin index before the first step).
   */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /** `noise` is required by the samplers that draw between steps (euler_a, lcm, ddim and tcd with eta > 0), ignored by the rest. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array;
}
