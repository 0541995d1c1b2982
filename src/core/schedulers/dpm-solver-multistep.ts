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
import { MultistepScheduler, alphaSigmaLambda, dataPrediction } from './multistep-scheduler.js';
import { alphasCumprod, f32, interpolatedSigmas, karrasSigmas, multistepTimesteps, roundHalfEven, sigmaToT, trainSigmas } from './schedule.js';
import type { SchedulerConfig, SchedulerName } from './scheduler.js';

export class DpmSolverMultistepScheduler extends MultistepScheduler {
  readonly name: SchedulerName;
  readonly #karras: boolean;
  #previousX0: Float32Array | null = null; // data prediction of the previous step (null: first step, first order)

  constructor(config: SchedulerConfig, options: { karras?: boolean } = {}) {
    super(config, 'DpmSolverMultistepScheduler');
    this.#karras = options.karras ?? false;
    this.name = this.#karras ? 'dpmpp_2m_karras' : 'dpmpp_2m';
  }

  setTimesteps(numInferenceSteps: number): void {
    const spacing = timestepSpacingFor(this.name, this.config);
    const timesteps = multistepTimesteps(this.config, spacing, numInferenceSteps); // also validates the count
    const byT = trainSigmas(alphasCumprod(this.config));
    if (this.#karras) {
      const sigmas = karrasSigmas(byT, numInferenceSteps);
      const logSigmas = byT.map(Math.log);
      this.setSchedule(
        sigmas.map((s) => roundHalfEven(sigmaToT(s, logSigmas))),
        Float32Array.from([...sigmas, 0]),
      );
    } else {
      this.setSchedule(timesteps, interpolatedSigmas(byT, timesteps));
    }
  }

  protected override reset(): void {
    this.#previousX0 = null;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const i = this.index(timestep);
    const x0 = dataPrediction(this.config, this.sigmas[i], modelOutput, sample);
    const next = alphaSigmaLambda(this.sigmas[i + 1]);
    const cur = alphaSigmaLambda(this.sigmas[i]);
    const h = f32(next.lambda - cur.lambda); // +Infinity on the last step (sigma_next = 0)
    const ratio = f32(next.sigma / cur.sigma);
    const phi = f32(next.alpha * f32(f32(Math.exp(-h)) - 1)); // alpha_next (e^-h - 1)
    const lowerOrderFinal = i === this.timesteps.length - 1; // final sigma 0: always first order
    const prevX0 = this.#previousX0;
    let out: Float32Array;
    if (prevX0 === null || lowerOrderFinal) {
      out = sample.map((x, k) => ratio * x - phi * x0[k]);
    } else {
      const hPrev = f32(cur.lambda - alphaSigmaLambda(this.sigmas[i - 1]).lambda);
      const invR = f32(1 / f32(hPrev / h));
      out = sample.map((x, k) => {
        const d1 = invR * (x0[k] - prevX0[k]);
        return ratio * x - phi * x0[k] - 0.5 * phi * d1;
      });
    }
    this.#previousX0 = x0;
    this.stepIndex = i + 1;
    return out;
  }
}
