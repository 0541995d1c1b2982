/**
 * UniPC (bh2, order 2, data prediction): a multistep predictor (UniP) plus a corrector (UniC) that
 * re-uses the model call of the next step, in log-SNR time lambda = log(alpha / sigma):
 *   predictor  x_next = (sigma_next / sigma) x - alpha_next phi1 m_i - alpha_next B(h) rho_p D1
 *   corrector  x_i    = (sigma_i / sigma_{i-1}) x_{i-1} - alpha_i phi1 m_{i-1}
 *                      - alpha_i B(h) (rho_c0 D1 + rho_c1 (m_i - m_{i-1}))
 * with phi1 = B(h) = expm1(-h) (bh2), D1 = (m_prev - m) / r, r = (lambda_prev - lambda) / h, rho_p = 1/2,
 * and rho_c from the 2x2 system R rho_c = b (order 1: rho_c1 = 1/2). Orders ramp up from 1 and the
 * last step is first order (lower_order_final).
 *
 * Source: diffusers `UniPCMultistepScheduler` with its defaults (solver_order 2, bh2, predict_x0)
 * (src/diffusers/schedulers/scheduling_unipc_multistep.py); Zhao et al. 2023, "UniPC: A Unified
 * Predictor-Corrector Framework for Fast Sampling of Diffusion Models", https://arxiv.org/abs/2302.04867,
 * Algorithms 2 and 3.
 */
import { timestepSpacingFor } from './config.js';
import { MultistepScheduler, alphaSigmaLambda, dataPrediction } from './multistep-scheduler.js';
import { alphasCumprod, f32, interpolatedSigmas, multistepTimesteps, trainSigmas } from './schedule.js';
import type { SchedulerConfig } from './scheduler.js';

const SOLVER_ORDER = 2;

/**
 * Coefficients of the bh2 update from noise level sFrom to sTo, shared by predictor and corrector:
 * x_to = ratio x_from - a (m0 + residual),  ratio = sigma_to / sigma_from,  a = alpha_to expm1(-h).
 */
function bh2(sFrom: number, sTo: number): { h: number; ratio: number; a: number } {
  const from = alphaSigmaLambda(sFrom);
  const to = alphaSigmaLambda(sTo);
  const h = f32(to.lambda - from.lambda); // +Infinity on the last step (sTo = 0): a = -1, x_to = m0
  return { h, ratio: f32(to.sigma / from.sigma), a: f32(to.alpha * f32(Math.expm1(-h))) };
}

export class UniPcMultistepScheduler extends MultistepScheduler {
  readonly name = 'unipc' as const;
  #modelOutputs: Float32Array[] = []; // data predictions, oldest first, at most SOLVER_ORDER
  #lastSample: Float32Array | null = null; // the sample the last predictor started from
  #lowerOrderNums = 0;
  #thisOrder = 1;

  constructor(config: SchedulerConfig) {
    super(config, 'UniPcMultistepScheduler');
  }

  setTimesteps(numInferenceSteps: number): void {
    const timesteps = multistepTimesteps(this.config, timestepSpacingFor(this.name, this.config), numInferenceSteps);
    this.setSchedule(timesteps, interpolatedSigmas(trainSigmas(alphasCumprod(this.config)), timesteps));
  }

  protected override reset(): void {
    this.#modelOutputs = [];
    this.#lastSample = null;
    this.#lowerOrderNums = 0;
    this.#thisOrder = 1;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const i = this.index(timestep);
    const m = dataPrediction(this.config, this.sigmas[i], modelOutput, sample);
    let x = sample;
    if (i > 0 && this.#lastSample !== null) x = this.#correct(i, m, this.#lastSample, this.#thisOrder);
    this.#modelOutputs = [...this.#modelOutputs, m].slice(-SOLVER_ORDER);
    this.#thisOrder = Math.min(SOLVER_ORDER, this.timesteps.length - i, this.#lowerOrderNums + 1);
    this.#lastSample = x;
    const prev = this.#predict(i, x, this.#thisOrder);
    this.#lowerOrderNums = Math.min(this.#lowerOrderNums + 1, SOLVER_ORDER);
    this.stepIndex = i + 1;
    return prev;
  }

  /** UniP from sigmas[i] to sigmas[i + 1]; order 2 adds rho_p = 1/2 times D1 = (m_{i-1} - m_i) / r1. */
  #predict(i: number, x: Float32Array, order: number): Float32Array {
    const outs = this.#modelOutputs;
    const m0 = outs[outs.length - 1];
    const { h, ratio, a } = bh2(this.sigmas[i], this.sigmas[i + 1]);
    if (order === 1 || outs.length < 2) return x.map((v, k) => ratio * v - a * m0[k]);
    const mPrev = outs[0];
    const r1 = f32(f32(alphaSigmaLambda(this.sigmas[i - 1]).lambda - alphaSigmaLambda(this.sigmas[i]).lambda) / h);
    return x.map((v, k) => ratio * v - a * (m0[k] + 0.5 * ((mPrev[k] - m0[k]) / r1)));
  }

  /** UniC: redo step i - 1 (from lastSample) with the new data prediction mT at sigmas[i] in the mix. */
  #correct(i: number, mT: Float32Array, lastSample: Float32Array, order: number): Float32Array {
    const outs = this.#modelOutputs; // not shifted yet: the last entry is m_{i-1}
    const m0 = outs[outs.length - 1];
    const { h, ratio, a } = bh2(this.sigmas[i - 1], this.sigmas[i]);
    if (order === 1 || outs.length < 2) return lastSample.map((v, k) => ratio * v - a * (m0[k] + 0.5 * (mT[k] - m0[k])));
    // b_k = h_phi_k k! / B(h) with hh = -h, B(h) = expm1(hh), h_phi_1 = B(h) / hh - 1, h_phi_2 = h_phi_1 / hh - 1/2
    const hh = -h;
    const bH = f32(Math.expm1(hh));
    const hPhi1 = f32(f32(bH / hh) - 1);
    const hPhi2 = f32(f32(hPhi1 / hh) - 0.5);
    const b1 = f32(hPhi1 / bH);
    const b2 = f32(f32(hPhi2 * 2) / bH);
    // R rho = b with R = [[1, 1], [r1, 1]] (rows r^0, r^1 of r = [r1, 1]), r1 = (lambda_{i-2} - lambda_{i-1}) / h
    const r1 = f32(f32(alphaSigmaLambda(this.sigmas[i - 2]).lambda - alphaSigmaLambda(this.sigmas[i - 1]).lambda) / h);
    const rho0 = (b2 - b1) / (r1 - 1);
    const rho1 = b1 - rho0;
    const mPrev = outs[0];
    return lastSample.map((v, k) => ratio * v - a * (m0[k] + rho0 * ((mPrev[k] - m0[k]) / r1) + rho1 * (mT[k] - m0[k])));
  }
}
