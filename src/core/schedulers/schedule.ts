/**
 * The noise schedule every scheduler starts from, reproduced with diffusers' own number types:
 * betas and alphas_cumprod as torch float32 tensors, sigmas through numpy float64 then float32,
 * and the numpy helpers diffusers uses to space timesteps (linspace, arange, round, interp).
 *
 * Source: diffusers `src/diffusers/schedulers/scheduling_*.py` (`__init__` and `set_timesteps`),
 * PyTorch `aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp` (linspace) and `cumprod` (CPU,
 * accumulates float32 in double), numpy `linspace` / `interp` / `round`.
 * Karras sigmas: Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative
 * Models", eq. 5 (rho = 7).
 */
import { InvalidRequestError } from '../errors.js';
import type { SchedulerConfig } from './scheduler.js';

export const f32 = Math.fround;

/**
 * `torch.linspace(start, end, n, dtype=float32)` on CPU: `start + step * i` for the first half and
 * `end - step * (n - 1 - i)` for the second, each rounded once (the x86 build fuses the
 * multiply-add; step * i is exact in double, so one double sum then one float rounding matches it).
 */
function torchLinspaceF32(startValue: number, endValue: number, n: number): Float32Array {
  const start = f32(startValue);
  const end = f32(endValue);
  const step = f32(f32(end - start) / (n - 1));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = i < n >> 1 ? start + step * i : end - step * (n - 1 - i);
  return out;
}

/** (numTrainTimesteps,) float32, like `self.betas` in every diffusers scheduler. */
export function betas(config: SchedulerConfig): Float32Array {
  const { betaStart, betaEnd, numTrainTimesteps: n } = config;
  if (config.betaSchedule === 'linear') return torchLinspaceF32(betaStart, betaEnd, n);
  // scaled_linear: torch.linspace(beta_start**0.5, beta_end**0.5, n, dtype=float32) ** 2
  const root = torchLinspaceF32(Math.sqrt(betaStart), Math.sqrt(betaEnd), n);
  return root.map((r) => r * r);
}

/** alphas_cumprod = cumprod(1 - betas), float32 values; torch's CPU cumprod accumulates in double. */
export function alphasCumprod(config: SchedulerConfig): Float32Array {
  const b = betas(config);
  const out = new Float32Array(b.length);
  let product = 1;
  for (let i = 0; i < b.length; i++) {
    product *= f32(1 - b[i]);
    out[i] = product;
  }
  return out;
}

/** sigma(t) = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5 for every training timestep, in float32 as torch computes it. */
export function trainSigmas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => Math.sqrt(f32(f32(1 - a) / a)));
}

// ---------------------------------------------------------------- numpy helpers

/** `np.round`: halves go to the even neighbour (499.5 -> 500, 0.5 -> 0). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `np.linspace(start, stop, num)` in float64: `i * step + start`, last element exactly `stop`. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => (num > 1 ? i * step : i * (stop - start)) + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** `np.arange(start, stop, step)` for float steps: ceil((stop - start) / step) values `start + i * step`. */
export function arange(start: number, stop: number, step: number): number[] {
  const count = Math.max(0, Math.ceil((stop - start) / step));
  return Array.from({ length: count }, (_, i) => start + i * step);
}

/** `np.interp(x, np.arange(len(fp)), fp)` in float64 (fp given as float32 values). */
export function interp(x: number, fp: ArrayLike<number>): number {
  const last = fp.length - 1;
  if (x <= 0) return fp[0];
  if (x >= last) return fp[last];
  const j = Math.floor(x);
  if (j === x) return fp[j];
  const slope = fp[j + 1] - fp[j];
  return slope * (x - j) + fp[j];
}

// ---------------------------------------------------------------- timestep spacings

type Spacing = SchedulerConfig['timestepSpacing'];

function checkSteps(config: SchedulerConfig, numInferenceSteps: number): void {
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > config.numTrainTimesteps) {
    throw new InvalidRequestError(`numInferenceSteps must be an integer from 1 to ${config.numTrainTimesteps} (got ${numInferenceSteps}).`);
  }
}

/**
 * Integer timesteps, descending, as PNDM / DDIM space them (`np.int64`):
 * leading `arange(n) * (T // n) + steps_offset`, linspace `linspace(0, T - 1, n).round()`,
 * trailing `round(arange(T, 0, -T / n)) - 1`.
 */
export function integerTimesteps(config: SchedulerConfig, spacing: Spacing, n: number): number[] {
  checkSteps(config, n);
  const T = config.numTrainTimesteps;
  if (spacing === 'leading') {
    const ratio = Math.floor(T / n);
    return Array.from({ length: n }, (_, i) => (n - 1 - i) * ratio + config.stepsOffset);
  }
  if (spacing === 'linspace')
    return linspace(0, T - 1, n)
      .map(roundHalfEven)
      .reverse();
  return arange(T, 0, -T / n).map((t) => roundHalfEven(t) - 1);
}

/**
 * Float32 timesteps, descending, as the sigma-based schedulers (Euler, Euler a, LMS, Heun) space them:
 * linspace `np.linspace(0, T - 1, n, dtype=float32)`, leading and trailing as above but in float32.
 */
export function floatTimesteps(config: SchedulerConfig, spacing: Spacing, n: number): number[] {
  if (spacing !== 'linspace') return integerTimesteps(config, spacing, n);
  checkSteps(config, n);
  return linspace(0, config.numTrainTimesteps - 1, n)
    .map(f32)
    .reverse();
}

/**
 * Integer timesteps, descending, as the multistep solvers (DPM-Solver, UniPC) space them: n + 1
 * points with the last (t = 0 end) dropped. linspace `linspace(0, T - 1, n + 1).round()[::-1][:-1]`,
 * leading `arange(n + 1) * (T // (n + 1))` reversed, last dropped, `+ steps_offset`; trailing as PNDM.
 */
export function multistepTimesteps(config: SchedulerConfig, spacing: Spacing, n: number): number[] {
  checkSteps(config, n);
  const T = config.numTrainTimesteps;
  if (spacing === 'linspace')
    return linspace(0, T - 1, n + 1)
      .map(roundHalfEven)
      .reverse()
      .slice(0, n);
  if (spacing === 'leading') {
    const ratio = Math.floor(T / (n + 1));
    return Array.from({ length: n }, (_, i) => (n - i) * ratio + config.stepsOffset);
  }
  return integerTimesteps(config, spacing, n);
}

// ---------------------------------------------------------------- sigmas

/** Sigmas at the given (possibly fractional) timesteps, `np.interp` over the training sigmas, plus a final 0; float32. */
export function interpolatedSigmas(sigmasByT: Float32Array, timesteps: readonly number[]): Float32Array {
  return Float32Array.from([...timesteps.map((t) => interp(t, sigmasByT)), 0]);
}

/**
 * Karras et al. (2022) eq. 5 with rho = 7 over [sigma_min, sigma_max] of the training schedule:
 * sigma_i = (sigma_max^(1/rho) + i / (n - 1) * (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, float64.
 */
export function karrasSigmas(sigmasByT: Float32Array, n: number): number[] {
  const rho = 7;
  const minInvRho = sigmasByT[0] ** (1 / rho);
  const maxInvRho = sigmasByT[sigmasByT.length - 1] ** (1 / rho);
  return linspace(0, 1, n).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}

/**
 * diffusers' `_sigma_to_t`: the fractional training timestep whose sigma is `sigma`, interpolating
 * linearly in log-sigma between the two neighbouring training timesteps (log_sigmas in float32, as np.log
 * of a float32 array gives).
 */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let count = 0; // training timesteps whose log-sigma is <= logSigma (log_sigmas ascend with t)
  while (count < logSigmas.length && logSigma - logSigmas[count] >= 0) count++;
  const low = Math.min(Math.max(count - 1, 0), logSigmas.length - 2);
  const w = Math.min(Math.max((logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1]), 0), 1);
  return (1 - w) * low + w * (low + 1);
}

/**
 * diffusers' `index_for_timestep`: where `t` sits in the schedule; the second match when it repeats
 * (so a pipeline that starts part-way, img2img, does not skip a Heun/PNDM pair). -1 when absent.
 */
export function indexForTimestep(timesteps: readonly number[], t: number): number {
  const first = timesteps.indexOf(t);
  if (first < 0) return -1;
  const second = timesteps.indexOf(t, first + 1);
  return second < 0 ? first : second;
}

// ---------------------------------------------------------------- sigma-space schedulers

/**
 * Timesteps and sigmas of the schedulers that work in sigma space (Euler, Euler a, LMS, Heun):
 * float32 timesteps, sigma(t) by `np.interp` over the training sigmas, a final sigma 0, and the
 * initial noise scale: sigma_max for linspace / trailing spacing, sqrt(sigma_max^2 + 1) for leading.
 */
export function sigmaSchedule(
  config: SchedulerConfig,
  spacing: Spacing,
  numInferenceSteps: number,
): { timesteps: number[]; sigmas: Float32Array; initNoiseSigma: number } {
  const timesteps = floatTimesteps(config, spacing, numInferenceSteps);
  const sigmas = interpolatedSigmas(trainSigmas(alphasCumprod(config)), timesteps);
  const max = Math.max(...sigmas);
  const initNoiseSigma = spacing === 'leading' ? f32(Math.sqrt(f32(f32(max * max) + 1))) : max;
  return { timesteps, sigmas, initNoiseSigma };
}

/** x / sqrt(sigma^2 + 1): the model sees a unit-variance input (k-diffusion's c_in). */
export function scaleBySigma(sample: Float32Array, sigma: number): Float32Array {
  const denom = f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
  return sample.map((x) => x / denom);
}

/** The step index a sigma-space scheduler starts from: where the pipeline's first timestep sits. */
export function firstStepIndex(timesteps: readonly number[], t: number, scheduler: string): number {
  if (timesteps.length === 0) throw new Error(`${scheduler}: call setTimesteps before scaleModelInput or step.`);
  const index = indexForTimestep(timesteps, t);
  if (index < 0) throw new InvalidRequestError(`${scheduler}: timestep ${t} is not in the schedule; pass one of scheduler.timesteps.`);
  return index;
}

// ---------------------------------------------------------------- add_noise (img2img, inpainting)

/** Throws unless `index` is a valid place to start in a schedule of `length` entries. */
export function checkBeginIndex(index: number, length: number, scheduler: string): number {
  if (length === 0) throw new Error(`${scheduler}: call setTimesteps before setBeginIndex.`);
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new InvalidRequestError(`${scheduler}: begin index must be an integer from 0 to ${length - 1} (got ${index}).`);
  }
  return index;
}

/**
 * The schedule index diffusers' `add_noise` reads for sigma-space and multistep samplers: without a
 * begin index, where `t` sits (`lookup`); with one, the current step index once the loop has begun
 * (inpainting's per-step re-noising), else the begin index (img2img's start).
 */
export function addNoiseIndex(stepIndex: number | null, beginIndex: number | null, lookup: () => number): number {
  if (beginIndex === null) return lookup();
  return stepIndex ?? beginIndex;
}

/** x + sigma n, float32 per op as torch: `original_samples + noise * sigma`. */
export function addSigmaNoise(original: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  checkSameLength(original, noise);
  return original.map((x, i) => x + f32(noise[i] * sigma));
}

/** sqrt(a_t) x + sqrt(1 - a_t) n with a = alphas_cumprod (DDPM's forward process, PNDM / DDIM), float32 per op as torch. */
export function addAlphaNoise(original: Float32Array, noise: Float32Array, alphaCumprod: number): Float32Array {
  checkSameLength(original, noise);
  const sqrtA = f32(Math.sqrt(alphaCumprod));
  const sqrtB = f32(Math.sqrt(f32(1 - alphaCumprod)));
  return original.map((x, i) => f32(sqrtA * x) + f32(sqrtB * noise[i]));
}

function checkSameLength(original: Float32Array, noise: Float32Array): void {
  if (original.length !== noise.length) throw new Error(`addNoise: original has ${original.length} values, noise ${noise.length}.`);
}
