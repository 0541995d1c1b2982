/**
 * The consistency-model family (LCM, TCD) on the alpha base: the `original_inference_steps`
 * distillation schedule they sample, x0 from the model output, and the step index both keep.
 *
 * Source: diffusers `LCMScheduler` / `TCDScheduler` `set_timesteps` and `_init_step_index`
 * (src/diffusers/schedulers/scheduling_lcm.py, scheduling_tcd.py).
 */
import { InvalidRequestError } from '../errors.js';
import { AlphaScheduler } from './alpha-scheduler.js';
import { f32 } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';

/**
 * The training timesteps LCM and TCD sample, descending: `n` of the `originalSteps` distillation
 * steps (diffusers' `set_timesteps` with strength 1).
 */
export function consistencyTimesteps(config: SchedulerConfig, numInferenceSteps: number, label: string): number[] {
  const originalSteps = config.originalInferenceSteps ?? 50;
  const T = config.numTrainTimesteps;
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > originalSteps) {
    throw new InvalidRequestError(
      `${label}: numInferenceSteps must be an integer from 1 to original_inference_steps (${originalSteps}) (got ${numInferenceSteps}).`,
    );
  }
  const k = Math.floor(T / originalSteps);
  const origin = Array.from({ length: originalSteps }, (_, i) => (originalSteps - i) * k - 1); // reversed
  const step = originalSteps / numInferenceSteps; // np.linspace(0, len, n, endpoint=False) = i * step
  return Array.from({ length: numInferenceSteps }, (_, i) => origin[Math.floor(i * step)]);
}

/** x0 from the model output at a_t (epsilon or v prediction), optionally clamped to [-1, 1]. */
export function alphaPredictOriginal(config: SchedulerConfig, aT: number, modelOutput: Float32Array, sample: Float32Array, clip: boolean): Float32Array {
  const sqrtA = f32(Math.sqrt(aT));
  const sqrtB = f32(Math.sqrt(f32(1 - aT)));
  const v = config.predictionType === 'v_prediction';
  return sample.map((x, i) => {
    const raw = v ? sqrtA * x - sqrtB * modelOutput[i] : (x - sqrtB * modelOutput[i]) / sqrtA;
    return clip ? Math.min(1, Math.max(-1, raw)) : raw;
  });
}

export abstract class ConsistencyScheduler extends AlphaScheduler {
  #stepIndex: number | null = null;

  setTimesteps(numInferenceSteps: number): void {
    this.timesteps = consistencyTimesteps(this.config, numInferenceSteps, this.label);
    this.#stepIndex = null;
    this.beginIndex = null;
  }

  /** The index of `timestep`'s step (the begin index, else its place in the schedule), advanced past it. */
  protected takeStepIndex(timestep: number): number {
    if (this.timesteps.length === 0) throw new Error(`${this.label}: call setTimesteps before step.`);
    const i = (this.#stepIndex ??= this.beginIndex ?? this.#find(timestep));
    this.#stepIndex = i + 1;
    return i;
  }

  #find(timestep: number): number {
    const index = this.timesteps.indexOf(timestep);
    if (index < 0) throw new InvalidRequestError(`${this.label}: timestep ${timestep} is not in the schedule; pass one of scheduler.timesteps.`);
    return index;
  }
}
