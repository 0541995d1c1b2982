/**
 * The schedule constants and timestep lists, against values derived by hand from diffusers' formulas
 * (each expected list says how it was derived) and against torch where float32 rounding matters.
 */
import { describe, expect, it } from 'vitest';
import { SD_V1_4_SCHEDULER_CONFIG as SD14 } from './config.js';
import { createScheduler } from './index.js';
import {
  alphasCumprod,
  betas,
  floatTimesteps,
  indexForTimestep,
  integerTimesteps,
  interp,
  karrasSigmas,
  linspace,
  multistepTimesteps,
  roundHalfEven,
  sigmaToT,
  trainSigmas,
} from './schedule.js';

const byT = trainSigmas(alphasCumprod(SD14));

describe('betas, alphas_cumprod, sigmas (float32, printed by torch 2.13 CPU)', () => {
  // torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=float32)**2, torch.cumprod(1 - betas),
  // ((1 - ac) / ac) ** 0.5, values printed with .item(). betas and alphas_cumprod: bit-exact.
  // sigmas: within 1 ulp. torch's x86 float32 sqrt is not correctly rounded (t = 0: exact root
  // 0.029167533511..., torch returns the float above, 0.0291675347...; 190 of the 1000 training sigmas
  // differ by 1 ulp); we keep IEEE sqrt, a 1e-7 relative difference.
  const expected: [number, number, number, number][] = [
    [0, 0.0008499999530613422, 0.9991499781608582, 0.02916753478348255],
    [1, 0.0008546985918655992, 0.9982960224151611, 0.04131447896361351],
    [499, 0.0048037925735116005, 0.27766942977905273, 1.6128870248794556],
    [500, 0.004814953543245792, 0.27633246779441833, 1.6182796955108643],
    [998, 0.01198237482458353, 0.004716695751994848, 14.526281356811523],
    [999, 0.011999999172985554, 0.00466009508818388, 14.614646911621094],
  ];
  const b = betas(SD14);
  const ac = alphasCumprod(SD14);
  for (const [t, beta, alphaCumprod, sigma] of expected) {
    it(`t = ${t}`, () => {
      expect(b[t]).toBe(beta);
      expect(ac[t]).toBe(alphaCumprod);
      expect(Math.abs(byT[t] - sigma)).toBeLessThanOrEqual(sigma * 2 ** -23); // 1 ulp
    });
  }

  it('linear betas: torch.linspace(0.0001, 0.02, 1000, dtype=float32)', () => {
    const linear = betas({ ...SD14, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });
    expect([0, 1, 499, 500, 999].map((i) => linear[i])).toEqual([
      9.999999747378752e-5, 0.00011991991777904332, 0.010040040127933025, 0.010059959255158901, 0.019999999552965164,
    ]);
  });
});

describe('numpy helpers', () => {
  it('np.round rounds halves to even', () => {
    expect([0.5, 1.5, 2.5, 499.5, 500.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 500, 500, -0, 2, 3]);
  });
  it('np.linspace puts stop exactly at the end and handles num = 1', () => {
    expect(linspace(0, 999, 4)).toEqual([0, 333, 666, 999]);
    expect(linspace(0, 999, 1)).toEqual([0]);
  });
  it('np.interp over integer grid points', () => {
    expect(interp(2, [0, 10, 20, 30])).toBe(20);
    expect(interp(2.25, [0, 10, 20, 30])).toBe(22.5);
    expect(interp(-1, [5, 6])).toBe(5);
    expect(interp(9, [5, 6])).toBe(6);
  });
  it('index_for_timestep takes the second of a repeated timestep', () => {
    expect(indexForTimestep([901, 801, 801, 701], 801)).toBe(2);
    expect(indexForTimestep([901, 801, 801, 701], 901)).toBe(0);
    expect(indexForTimestep([901, 801], 5)).toBe(-1);
  });
});

describe('timestep spacings (hand-derived from the diffusers formulas)', () => {
  it('PNDM / DDIM leading: arange(10) * (1000 // 10) + steps_offset 1, descending', () => {
    expect(integerTimesteps(SD14, 'leading', 10)).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
  });
  it('DDIM linspace: round(linspace(0, 999, 10)) = 111 k; trailing: round(arange(1000, 0, -100)) - 1', () => {
    expect(integerTimesteps(SD14, 'linspace', 10)).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    expect(integerTimesteps(SD14, 'trailing', 10)).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
  });
  it('Euler family linspace, float32: 999 - 41.625 k for 25 steps (999 / 24 = 41.625 exactly)', () => {
    expect(floatTimesteps(SD14, 'linspace', 25)).toEqual(Array.from({ length: 25 }, (_, k) => 999 - 41.625 * k));
    const fifty = floatTimesteps(SD14, 'linspace', 50);
    // 999 / 49 is not a float: each value is float32(k * 999 / 49), computed in float64 like numpy
    expect(fifty).toEqual(Array.from({ length: 50 }, (_, k) => (k === 49 ? 0 : Math.fround(((49 - k) * 999) / 49))));
  });
  it('DPM-Solver / UniPC linspace: round(99.9 k) for k = 10..1, 499.5 rounds to even 500', () => {
    expect(multistepTimesteps(SD14, 'linspace', 10)).toEqual([999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
  });
  it('DPM-Solver / UniPC linspace, 25 steps: round(39.96 k) for k = 25..1', () => {
    // np.round(np.linspace(0, 999, 26))[::-1][:-1]; 519.48 -> 519, 479.52 -> 480
    expect(multistepTimesteps(SD14, 'linspace', 25)).toEqual([
      999, 959, 919, 879, 839, 799, 759, 719, 679, 639, 599, 559, 519, 480, 440, 400, 360, 320, 280, 240, 200, 160, 120, 80, 40,
    ]);
  });
  it('DPM-Solver leading: arange(11) * (1000 // 11 = 90), descending, last (0) dropped, + 1', () => {
    expect(multistepTimesteps(SD14, 'leading', 10)).toEqual([901, 811, 721, 631, 541, 451, 361, 271, 181, 91]);
  });
  it('rejects step counts outside 1..num_train_timesteps', () => {
    for (const n of [0, -1, 1.5, 1001, Number.NaN]) expect(() => integerTimesteps(SD14, 'leading', n)).toThrow(/numInferenceSteps/);
  });
});

describe('schedulers diffusers does not cover in the fixtures: timesteps and sigmas by hand', () => {
  it('lms: Euler-family linspace, 10 steps, init sigma = sigma_max', () => {
    const s = createScheduler('lms', SD14);
    s.setTimesteps(10);
    expect(s.timesteps).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    expect(s.initNoiseSigma).toBe(14.614646911621094); // torch sigmas.max(), as in fixtures/refs/schedulers.json (euler)
  });

  it('heun: every timestep but the first twice (19 model calls for 10 steps)', () => {
    const s = createScheduler('heun', SD14);
    s.setTimesteps(10);
    expect(s.timesteps).toEqual([999, 888, 888, 777, 777, 666, 666, 555, 555, 444, 444, 333, 333, 222, 222, 111, 111, 0, 0]);
    s.setTimesteps(25);
    expect(s.timesteps).toHaveLength(49);
    expect(s.timesteps.slice(0, 5)).toEqual([999, 957.375, 957.375, 915.75, 915.75]);
  });

  it('unipc: DPM-style linspace', () => {
    const s = createScheduler('unipc', SD14);
    s.setTimesteps(10);
    expect(s.timesteps).toEqual([999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
    expect(s.initNoiseSigma).toBe(1);
  });

  it('Euler-family sigmas at the 10-step timesteps: np.interp of the training sigmas', () => {
    // float64 sigmas of the exact schedule (numpy, betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2,
    // sigma = sqrt((1 - ac) / ac), np.interp at 999, 888, ..., 0); ours come from the float32 schedule,
    // whose rounding moves them by up to 1.3e-5 relative (most at small t, where 1 - ac is tiny)
    const expected = [14.614641229, 7.839882873, 4.609174134, 2.918307115, 1.950161471, 1.344927783, 0.932357967, 0.624976918, 0.368657745, 0.029167158];
    floatTimesteps(SD14, 'linspace', 10).forEach((t, i) => expect(Math.abs(interp(t, byT) / expected[i] - 1)).toBeLessThan(2e-5));
  });

  it('dpmpp_2m_karras: Karras sigmas (rho 7) over [sigma(0), sigma(999)], timesteps = round(sigma_to_t)', () => {
    // Derived in float64 numpy from the paper's formula, independently of diffusers' code:
    //   ks = (smax^(1/7) + linspace(0, 1, n) * (smin^(1/7) - smax^(1/7)))^7
    //   t  = np.interp(log ks, log sigma(t), t)   (log-sigma is increasing in t)
    const sigmas10 = [14.614641, 9.102928, 5.478392, 3.168603, 1.749417, 0.914072, 0.446918, 0.201398, 0.08191, 0.029167];
    karrasSigmas(byT, 10).forEach((s, i) => expect(Math.abs(s / sigmas10[i] - 1)).toBeLessThan(2e-5));
    const s = createScheduler('dpmpp_2m_karras', SD14);
    s.setTimesteps(10);
    // fractional t: 999, 916.284, 815.045, 687.153, 523.198, 327.146, 145.938, 40.856, 6.732, 0
    expect(s.timesteps).toEqual([999, 916, 815, 687, 523, 327, 146, 41, 7, 0]);
    s.setTimesteps(25);
    // 499.998 -> 500 is the closest call to a rounding boundary
    expect(s.timesteps).toEqual([999, 970, 938, 905, 868, 829, 786, 739, 687, 630, 568, 500, 427, 352, 278, 207, 146, 96, 59, 34, 18, 9, 4, 1, 0]);
  });

  it('sigma_to_t inverts the training sigmas and clamps at both ends', () => {
    const logSigmas = byT.map(Math.log);
    // log_sigmas are float32 (np.log of a float32 array), the query log is float64: t within 1e-4
    expect(sigmaToT(byT[500], logSigmas)).toBeCloseTo(500, 4);
    expect(sigmaToT(Math.sqrt(byT[500] * byT[501]), logSigmas)).toBeCloseTo(500.5, 4); // log-midpoint
    expect(sigmaToT(1e-4, logSigmas)).toBe(0);
    expect(sigmaToT(100, logSigmas)).toBe(999);
  });
});
