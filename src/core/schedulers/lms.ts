/**
 * K-LMS: linear multistep (Adams-Bashforth) in sigma space over the last `order` derivatives
 * d = (x - x0) / sigma, each weighted by the integral of its Lagrange basis polynomial over the step:
 *   x_next = x + sum_k c_k d_{i-k},  c_k = integral from sigma_i to sigma_{i+1} of
 *            prod_{j != k} (tau - sigma_{i-j}) / (sigma_{i-k} - sigma_{i-j}) dtau
 * The order ramps up 1, 2, 3, 4 over the first steps. diffusers integrates with scipy's `quad`; the
 * integrand is a polynomial of degree order - 1 <= 3, which 4-point Gauss-Legendre integrates exactly.
 *
 * Source: diffusers `LMSDiscreteScheduler` (src/diffusers/schedulers/scheduling_lms_discrete.py);
 * k-diffusion (github.com/crowsonkb/k-diffusion, k_diffusion/sampling.py `sample_lms`,
 * `linear_multistep_coeff`).
 */
import { predictOriginal } from './euler.js';
import type { SchedulerConfig } from './scheduler.js';
import { SigmaScheduler } from './sigma-scheduler.js';

const ORDER = 4;

// 4-point Gauss-Legendre on [-1, 1]: exact for polynomials up to degree 7
const GL_NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GL_WEIGHTS = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/** c_k for the step from sigmas[i] to sigmas[i + 1] using the `order` latest sigmas (k = 0 is the current one). */
export function lmsCoefficient(sigmas: ArrayLike<number>, order: number, i: number, k: number): number {
  const basis = (tau: number): number => {
    let prod = 1;
    for (let j = 0; j < order; j++) {
      if (j !== k) prod *= (tau - sigmas[i - j]) / (sigmas[i - k] - sigmas[i - j]);
    }
    return prod;
  };
  const [a, b] = [sigmas[i], sigmas[i + 1]];
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  return half * GL_NODES.reduce((sum, x, n) => sum + GL_WEIGHTS[n] * basis(mid + half * x), 0);
}

export class LmsDiscreteScheduler extends SigmaScheduler {
  readonly name = 'lms' as const;
  #derivatives: Float32Array[] = []; // oldest first, at most ORDER

  constructor(config: SchedulerConfig) {
    super(config, 'LmsDiscreteScheduler');
  }

  protected override reset(): void {
    this.#derivatives = [];
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const i = this.index(timestep);
    const sigma = this.sigmas[i];
    const x0 = predictOriginal(this.config, sigma, modelOutput, sample);
    this.#derivatives = [...this.#derivatives, sample.map((x, k) => (x - x0[k]) / sigma)].slice(-ORDER);
    const order = Math.min(i + 1, ORDER);
    const d = this.#derivatives;
    // coeffs[k] weighs the derivative k steps back, d[d.length - 1 - k]; a chain started part-way
    // (img2img) has fewer derivatives than `order`, and diffusers' zip then uses only those
    const coeffs = Array.from({ length: Math.min(order, d.length) }, (_, k) => lmsCoefficient(this.sigmas, order, i, k));
    this.stepIndex = i + 1;
    return sample.map((x, n) => coeffs.reduce((acc, c, k) => acc + c * d[d.length - 1 - k][n], x));
  }
}
