/**
 * DPM-Solver++(2M): second-order multistep exponential integrator in log-SNR time
 * lambda = log(alpha / sigma), on the data prediction x0 (algorithm "dpmsolver++", midpoint form):
 *   h = lambda_next - lambda,  D0 = x0_i,  D1 = (x0_i - x0_{i-1}) / r,  r = h_prev / h
 *   x_next = (sigma_next / sigma) x - alpha_next (e^-h - 1) D0 - 0.5 alpha_next (e^-h - 1) D1
 * with alpha = 1 / sqrt(1 + s^2), sigma = s alpha for the schedule's noise level s. The first step
 * (no history yet) and the last (lower_order_final, to s = 0) are first order (D1 dropped).
 * `karras: true` spaces the noise levels as Karras et al. (rho = 7) and rounds the matching timesteps.
 *
 * Source: diffusers `DPMSolverMultistepScheduler` with solver_order 2 (its defaults)
 * (src/diffusers/schedulers/scheduling_dpmsolver_multistep.py); Lu et al. 2022, "DPM-Solver++",
 * https://arxiv.org/abs/2211.01095, Algorithm 2.
 */
import { timestepSpacingFor } from './config.js';
import {
  alphasCumprod,
  f32,
  indexForTimestep,
  interpolatedSigmas,
  karrasSigmas,
  multistepTimesteps,
  roundHalfEven,
  sigmaToT,
  trainSigmas,
  addNoiseIndex,
  checkBeginIndex,
} from './schedule.js';
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

export class DpmSolverMultistepScheduler implements Scheduler {
  readonly name: SchedulerName;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  timesteps: readonly number[] = [];
  readonly #config: SchedulerConfig;
  readonly #karras: boolean;
  #sigmas: Float32Array = new Float32Array(0);
  #stepIndex: number | null = null;
  #beginIndex: number | null = null;
  #previousX0: Float32Array | null = null; // data prediction of the previous step (null: first step, first order)

  constructor(config: SchedulerConfig, options: { karras?: boolean } = {}) {
    this.#config = config;
    this.#karras = options.karras ?? false;
    this.name = this.#karras ? 'dpmpp_2m_karras' : 'dpmpp_2m';
  }

  setTimesteps(numInferenceSteps: number): void {
    const spacing = timestepSpacingFor(this.name, this.#config);
    const timesteps = multistepTimesteps(this.#config, spacing, numInferenceSteps); // also validates the count
    const byT = trainSigmas(alphasCumprod(this.#config));
    if (this.#karras) {
      const sigmas = karrasSigmas(byT, numInferenceSteps);
      const logSigmas = byT.map(Math.log);
      this.timesteps = sigmas.map((s) => roundHalfEven(sigmaToT(s, logSigmas)));
      this.#sigmas = Float32Array.from([...sigmas, 0]);
    } else {
      this.timesteps = timesteps;
      this.#sigmas = interpolatedSigmas(byT, timesteps);
    }
    this.#stepIndex = null;
    this.#beginIndex = null;
    this.#previousX0 = null;
  }

  setBeginIndex(index: number): void {
    this.#beginIndex = checkBeginIndex(index, this.timesteps.length, 'DpmSolverMultistepScheduler');
  }

  /** alpha x + sigma n at the noise level s of the step: alpha = 1 / sqrt(1 + s^2), sigma = s alpha. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const i = addNoiseIndex(this.#stepIndex, this.#beginIndex, () => multistepStartIndex(this.timesteps, timestep));
    return addVpNoise(original, noise, this.#sigmas[i]);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.timesteps.length === 0) throw new Error('DpmSolverMultistepScheduler: call setTimesteps before step.');
    const i = (this.#stepIndex ??= this.#beginIndex ?? multistepStartIndex(this.timesteps, timestep));
    const x0 = dataPrediction(this.#config, this.#sigmas[i], modelOutput, sample);
    const next = alphaSigmaLambda(this.#sigmas[i + 1]);
    const cur = alphaSigmaLambda(this.#sigmas[i]);
    const h = f32(next.lambda - cur.lambda); // +Infinity on the last step (sigma_next = 0)
    const ratio = f32(next.sigma / cur.sigma);
    const phi = f32(next.alpha * f32(f32(Math.exp(-h)) - 1)); // alpha_next (e^-h - 1)
    const lowerOrderFinal = i === this.timesteps.length - 1; // final sigma 0: always first order
    const prevX0 = this.#previousX0;
    let out: Float32Array;
    if (prevX0 === null || lowerOrderFinal) {
      out = sample.map((x, k) => ratio * x - phi * x0[k]);
    } else {
      const hPrev = f32(cur.lambda - alphaSigmaLambda(this.#sigmas[i - 1]).lambda);
      const invR = f32(1 / f32(hPrev / h));
      out = sample.map((x, k) => {
        const d1 = invR * (x0[k] - prevX0[k]);
        return ratio * x - phi * x0[k] - 0.5 * phi * d1;
      });
    }
    this.#previousX0 = x0;
    this.#stepIndex = i + 1;
    return out;
  }
}
