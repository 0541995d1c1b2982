/**
 * The shared state of the schedulers that work on alphas_cumprod directly (PNDM, DDIM, LCM, TCD), as
 * diffusers' share it: alphas_cumprod and the final alpha (`set_alpha_to_one`), `add_noise` as
 * sqrt(a_t) x + sqrt(1 - a_t) n at a training timestep, no input scaling, and the begin index
 * (read only by the samplers that keep a step index, LCM and TCD; PNDM and DDIM step by timestep).
 *
 * Source: diffusers `DDIMScheduler` / `PNDMScheduler` / `LCMScheduler` (`__init__`, `add_noise`,
 * `set_begin_index`), src/diffusers/schedulers/scheduling_ddim.py.
 */
import { InvalidRequestError } from '../errors.js';
import type { NoiseSource } from '../random/noise-source.js';
import { addAlphaNoise, alphasCumprod, checkBeginIndex } from './schedule.js';
import type { Scheduler, SchedulerConfig, SchedulerName } from './scheduler.js';

export abstract class AlphaScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  timesteps: readonly number[] = [];
  protected readonly config: SchedulerConfig;
  protected readonly alphasCumprod: Float32Array;
  /** a_prev past the end of the chain: 1 with `set_alpha_to_one`, else alphas_cumprod[0]. */
  protected readonly finalAlphaCumprod: number;
  protected beginIndex: number | null = null;
  protected readonly label: string;

  /** `label` names the scheduler in error messages. */
  constructor(config: SchedulerConfig, label: string) {
    this.config = config;
    this.label = label;
    this.alphasCumprod = alphasCumprod(config);
    this.finalAlphaCumprod = config.setAlphaToOne ? 1 : this.alphasCumprod[0];
  }

  abstract setTimesteps(numInferenceSteps: number): void;

  setBeginIndex(index: number): void {
    this.beginIndex = checkBeginIndex(index, this.timesteps.length, this.label);
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    if (!Number.isInteger(timestep) || timestep < 0 || timestep >= this.alphasCumprod.length) {
      throw new InvalidRequestError(`${this.label}.addNoise: timestep must be an integer training timestep (got ${timestep}).`);
    }
    return addAlphaNoise(original, noise, this.alphasCumprod[timestep]);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  abstract step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): Float32Array;

  /** a_t for a training timestep, or the final alpha for a negative one (past the end of the chain). */
  protected alphaAt(timestep: number): number {
    return timestep >= 0 ? this.alphasCumprod[timestep] : this.finalAlphaCumprod;
  }
}
