/**
 * The shared state of the samplers that work in sigma space (Euler, Euler a, LMS, Heun), as
 * diffusers' k-diffusion-style schedulers share it: the sigma schedule, the step index found from
 * the first timestep (or the begin index), `add_noise` as x + sigma n, and `scale_model_input` as
 * x / sqrt(sigma^2 + 1). A subclass is its `step` (and any history it keeps in `reset`).
 *
 * Source: diffusers `EulerDiscreteScheduler` and siblings (`_init_step_index`, `set_begin_index`,
 * `add_noise`, `scale_model_input`), src/diffusers/schedulers/scheduling_euler_discrete.py.
 */
import { timestepSpacingFor } from './config.js';
import { addSigmaNoise, firstStepIndex, scaleBySigma, sigmaSchedule } from './schedule.js';
import { SigmaState } from './sigma-state.js';

export abstract class SigmaScheduler extends SigmaState {
  initNoiseSigma = 1;
  readonly order: number = 1;

  setTimesteps(numInferenceSteps: number): void {
    const s = sigmaSchedule(this.config, timestepSpacingFor(this.name, this.config), numInferenceSteps);
    this.initNoiseSigma = s.initNoiseSigma;
    this.setSchedule(s.timesteps, s.sigmas);
  }

  protected startIndex(timestep: number): number {
    return firstStepIndex(this.timesteps, timestep, this.label);
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addSigmaNoise(original, noise, this.noiseSigma(timestep));
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    return scaleBySigma(sample, this.sigmas[this.index(timestep)]);
  }
}
