/**
 * Properties every sampler must have whatever the reference says, with denoisers whose exact answer
 * is known in closed form (tolerances are stated per test; measured values in the comments).
 */
import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../random/torch-generator.js';
import { SD_V1_4_SCHEDULER_CONFIG as SD14 } from './config.js';
import { createScheduler, SCHEDULER_NAMES } from './index.js';
import { lmsCoefficient } from './lms.js';
import { alphasCumprod, floatTimesteps, interp, interpolatedSigmas, trainSigmas } from './schedule.js';
import type { Scheduler, SchedulerName } from './scheduler.js';
import { readF32, relativeL2 as relL2 } from '../../testing/reference-data.js';
import { dummyLoop } from '../../testing/scheduler-loop.js';

const here = (path: string): URL => new URL(path, import.meta.url);

const byT = trainSigmas(alphasCumprod(SD14));
const sigmaOf = (t: number): number => interp(t, byT); // the model's noise level for timestep t
// LCM and TCD are not ODE solvers (each step jumps to the consistency estimate of x0): fewstep-parity.test.ts
const DETERMINISTIC = SCHEDULER_NAMES.filter((n) => n !== 'euler_a' && n !== 'lcm' && n !== 'tcd');
/** Samplers whose x lives in variance-preserving space (x = alpha x0 + sigma_vp eps), the rest in sigma space (x = x0 + sigma eps). */
const VP = new Set<SchedulerName>(['pndm', 'ddim', 'dpmpp_2m', 'dpmpp_2m_karras', 'unipc']);
/** Noise level the last step lands on: sigma(0) for PNDM / DDIM (set_alpha_to_one false), 0 for the rest. */
const finalSigma = (name: SchedulerName): number => (name === 'pndm' || name === 'ddim' ? byT[0] : 0);

/** Runs the pipeline loop with `denoise(xIn, t, x)` as the model; returns the final x. */
function run(
  s: Scheduler,
  steps: number,
  x: Float32Array,
  denoise: (xIn: Float32Array, t: number, x: Float32Array) => Float32Array,
  noise = new TorchGenerator(1),
): Float32Array {
  s.setTimesteps(steps);
  let cur = x;
  for (const t of s.timesteps) cur = s.step(denoise(s.scaleModelInput(cur, t), t, cur), t, cur, noise);
  return cur;
}

describe('exact trajectory: a model that returns the true noise keeps every deterministic sampler on x_t = x0 + sigma_t eps', () => {
  // With eps constant, the probability-flow ODE is solved exactly by every consistent method
  // (Euler, DDIM, Heun, LMS's coefficients sum to sigma_next - sigma, PLMS's weights sum to 1,
  // DPM-Solver++ / UniPC with zero differences). The end point is therefore known exactly.
  // Tolerance 1e-5 relative (float32 rounding over the run; measured 5e-7 .. 2.1e-6).
  const x0 = readF32(here('../../../fixtures/refs/sched_sample0.f32')).map((v) => 2 * v - 1);
  const eps = new TorchGenerator(42).randn([x0.length]);
  for (const name of DETERMINISTIC) {
    for (const steps of [10, 25, 50]) {
      it(`${name}, ${steps} steps`, () => {
        const s = createScheduler(name, SD14);
        s.setTimesteps(steps);
        const sigmaStart = sigmaOf(s.timesteps[0]); // the karras schedule also starts at sigma(999)
        const onTrajectory = (sigma: number) =>
          VP.has(name)
            ? x0.map((v, i) => (v + sigma * eps[i]) / Math.sqrt(1 + sigma * sigma)) // alpha x0 + sigma_vp eps
            : x0.map((v, i) => v + sigma * eps[i]);
        const out = run(s, steps, onTrajectory(sigmaStart), () => eps);
        expect(relL2(out, onTrajectory(finalSigma(name)))).toBeLessThan(1e-5);
      });
    }
  }
});

describe('Gaussian data: convergence to the exact ODE solution as steps grow', () => {
  // Data x0 ~ N(0, I): the ideal denoiser is x0_hat = x / (sigma^2 + 1) (sigma space), i.e.
  // eps = x sigma / (sigma^2 + 1), and the probability-flow ODE has the closed-form solution
  // x(sigma) = x(sigma_T) sqrt(sigma^2 + 1) / sqrt(sigma_T^2 + 1). Karras: the model only sees the
  // rounded timestep, so its sigma is off by < 1 timestep, as in a real pipeline.
  // Measured rel-L2 at 10 / 25 / 50 steps, bounds at 50 steps about 2x the measurement:
  const BOUND_AT_50: Record<string, number> = {
    pndm: 1.2e-3, // 7.3e-3 / 2.1e-3 / 5.7e-4
    ddim: 5.5e-2, // 1.2e-1 / 5.1e-2 / 2.6e-2 (first order)
    lms: 2e-4, // 1.7e-2 / 8.9e-4 / 1.0e-4
    euler: 5.5e-2, // 1.4e-1 / 5.5e-2 / 2.8e-2 (first order)
    heun: 1e-3, // 2.6e-2 / 3.1e-3 / 4.0e-4
    dpmpp_2m: 1.5e-2, // 5.3e-2 / 1.6e-2 / 7.5e-3 (dominated by the final first-order jump from sigma(t_min) to 0)
    dpmpp_2m_karras: 3e-3, // 5.4e-2 / 7.2e-3 / 1.3e-3
    unipc: 1.6e-2, // 4.6e-2 / 1.6e-2 / 8.2e-3 (same final jump)
  };
  const noise = new TorchGenerator(7).randn([1, 4, 32, 32]);
  for (const name of DETERMINISTIC) {
    it(name, () => {
      const errors = [10, 25, 50].map((steps) => {
        const s = createScheduler(name, SD14);
        s.setTimesteps(steps);
        const sigmaT = sigmaOf(s.timesteps[0]);
        const x = noise.map((v) => v * s.initNoiseSigma);
        // x_in is unit-scaled in both spaces: x_sigma = x_in sqrt(1 + sigma^2)
        const out = run(s, steps, x, (xIn, t) => {
          const sg = sigmaOf(t);
          return xIn.map((v) => (v * Math.sqrt(1 + sg * sg) * sg) / (sg * sg + 1));
        });
        const xSigmaT = VP.has(name) ? Math.sqrt(1 + sigmaT * sigmaT) : 1; // x_sigma(T) per unit of x
        const sEnd = finalSigma(name);
        const scale = (xSigmaT * Math.sqrt(sEnd * sEnd + 1)) / Math.sqrt(sigmaT * sigmaT + 1) / (VP.has(name) ? Math.sqrt(1 + sEnd * sEnd) : 1);
        return relL2(
          out,
          x.map((v) => v * scale),
        );
      });
      expect(errors[1]).toBeLessThan(errors[0]);
      expect(errors[2]).toBeLessThan(errors[1]);
      expect(errors[2]).toBeLessThan(BOUND_AT_50[name]);
    });
  }
});

describe('Euler a with an ideal denoiser for a single point x0', () => {
  // eps = (x - x0) / sigma makes x0_hat = x0 at every step: the last step (sigma_up = sigma_down = 0)
  // must land on x0 whatever noise was added, and after each earlier step (x - x0) must have standard
  // deviation sigma_next (sigma_down^2 + sigma_up^2 = sigma_next^2). 16384 samples: std within 3%.
  it('ends at x0 and keeps the noise level on schedule', () => {
    const n = 4 * 64 * 64;
    const x0 = new TorchGenerator(3).randn([n]).map((v) => 0.5 * v);
    const s = createScheduler('euler_a', SD14);
    s.setTimesteps(25);
    const ts = s.timesteps;
    const sigmas = interpolatedSigmas(byT, floatTimesteps(SD14, 'linspace', 25));
    const noise = new TorchGenerator(11);
    let x: Float32Array = new TorchGenerator(5).randn([n]).map((v, i) => x0[i] + v * s.initNoiseSigma);
    ts.forEach((t, k) => {
      s.scaleModelInput(x, t);
      const eps = x.map((v, i) => (v - x0[i]) / sigmas[k]);
      x = s.step(eps, t, x, noise);
      if (k < ts.length - 1) {
        const std = Math.sqrt(x.reduce((acc, v, i) => acc + (v - x0[i]) ** 2, 0) / n);
        expect(Math.abs(std / sigmas[k + 1] - 1)).toBeLessThan(0.03);
      }
    });
    expect(relL2(x, x0)).toBeLessThan(1e-5);
  });
});

describe('LMS coefficients (4-point Gauss-Legendre) vs scipy.integrate.quad', () => {
  // scipy 1.17 quad(epsrel=1e-13) of the Lagrange basis products over the 10-step sigmas of diffusers'
  // LMSDiscreteScheduler (float32 values as listed), printed with repr. Tolerance 1e-12 relative.
  const sigmas = [
    14.614646911621094, 7.8398847579956055, 4.609176158905029, 2.9183084964752197, 1.950162410736084, 1.3449283838272095, 0.9323583841323853,
    0.6249772906303406, 0.36865851283073425, 0.02916753478348255, 0,
  ];
  const expected: Record<number, number[]> = {
    0: [-6.774762153625488],
    1: [-4.001029225524098, 0.7703206264335211],
    2: [-2.3260697568609303, 0.7271073345848793, -0.09190524015375823],
    3: [-1.4397606822747802, 0.5895695834928653, -0.12567389143482333, 0.0077189044776025525],
    8: [-0.9152063552082518, 0.9717290829908762, -0.47306130070272234, 0.07704759487284636],
    9: [-0.03168964187931702, 0.0049230511362572445, -0.0030013289823588893, 0.0006003849419361196],
  };
  for (const [i, coeffs] of Object.entries(expected)) {
    it(`step ${i}`, () => {
      const step = Number(i);
      coeffs.forEach((c, k) => {
        const ours = lmsCoefficient(sigmas, coeffs.length, step, k);
        expect(Math.abs(ours - c)).toBeLessThanOrEqual(1e-12 * Math.abs(c));
      });
      // the Lagrange basis sums to 1, so the coefficients sum to sigma_next - sigma
      const sum = coeffs.reduce((a, _, k) => a + lmsCoefficient(sigmas, coeffs.length, step, k), 0);
      expect(sum).toBeCloseTo(sigmas[step + 1] - sigmas[step], 12);
    });
  }
  it("those sigmas are the scheduler's own (within 1 ulp: torch's float32 sqrt, see schedule.test.ts)", () => {
    const ours = interpolatedSigmas(byT, floatTimesteps(SD14, 'linspace', 10));
    sigmas.forEach((v, i) => expect(Math.abs(ours[i] - v)).toBeLessThanOrEqual(v * 2 ** -23));
  });
});

describe('every scheduler at 10, 25 and 50 steps with the dummy denoiser', () => {
  // expected lengths: PNDM (PLMS) repeats its first step, Heun calls the model twice per step but the last
  const expectedLength = (name: SchedulerName, n: number) => (name === 'pndm' ? n + 1 : name === 'heun' ? 2 * n - 1 : n);
  const sample0 = readF32(here('../../../fixtures/refs/sched_sample0.f32'));
  for (const name of SCHEDULER_NAMES) {
    for (const steps of [10, 25, 50]) {
      it(`${name}, ${steps} steps: finite, ${expectedLength(name, steps)} timesteps, strictly decreasing noise`, () => {
        const s = createScheduler(name, SD14);
        const x = dummyLoop(s, steps, sample0, new TorchGenerator(0));
        expect(s.timesteps).toHaveLength(expectedLength(name, steps));
        expect(x.every(Number.isFinite)).toBe(true);
        const distinct = [...new Set(s.timesteps)];
        distinct.slice(1).forEach((t, i) => expect(t).toBeLessThan(distinct[i]));
      });
    }
  }
});
