/**
 * schedulerProgress against diffusers' progress bar. Reference: the calls (len(timesteps) that run), the
 * total and the 0-based calls where the bar updates, printed by testdata/print_diffusers_progress.py
 * (diffusers at /work/diffusers, SD v1.4 scheduler config) and copied here; exact integers.
 */
import { describe, expect, it } from 'vitest';
import { SD_V1_4_SCHEDULER_CONFIG } from './config.js';
import { createScheduler, SCHEDULER_NAMES } from './index.js';
import { schedulerProgress } from './progress.js';

const range = (from: number, to: number, by = 1) => Array.from({ length: Math.floor((to - from) / by) + 1 }, (_, k) => from + k * by);
/** diffusers' get_timesteps: t_start for strength (engine/img2img.ts startStep; core does not import the engine). */
const startStep = (n: number, strength: number) => Math.max(n - Math.min(Math.floor(n * strength), n), 0);
/** The 1-based step each call completes, from the calls where diffusers' bar updates. */
const stepsAt = (calls: number, updates: number[]) => Array.from({ length: calls }, (_, i) => (updates.includes(i) ? updates.indexOf(i) + 1 : null));

describe("schedulerProgress: step k of N as diffusers' progress bar counts (print_diffusers_progress.py)", () => {
  it.each([
    // [case, calls, steps that run, order, calls where diffusers' bar updates]
    ['PNDM 20 (21 calls, first step repeated)', 21, 20, 1, range(1, 20)],
    ['PNDM 20, strength 0.75 (16 calls)', 16, 15, 1, range(1, 15)],
    ['PNDM 1 (1 call)', 1, 1, 1, [0]],
    ['PNDM 7, strength 0.3 (3 calls)', 3, 2, 1, [1, 2]],
    ['Euler / DDIM 20', 20, 20, 1, range(0, 19)],
    ['Euler / DDIM 20, strength 0.75', 15, 15, 1, range(0, 14)],
    ['Heun / DPM2 10 (19 calls)', 19, 10, 2, [...range(1, 17, 2), 18]],
    ['Heun / DPM2 20 (39 calls)', 39, 20, 2, [...range(1, 37, 2), 38]],
    ['Heun / DPM2 20, strength 0.75 (29 calls)', 29, 15, 2, [...range(1, 27, 2), 28]],
    ['Heun / DPM2 10, strength 0.5 (9 calls)', 9, 5, 2, [1, 3, 5, 7, 8]],
    ['Heun / DPM2 1 (1 call)', 1, 1, 2, [0]],
    ['Heun / DPM2 2 (3 calls)', 3, 2, 2, [1, 2]],
  ])('%s', (_, calls, steps, order, updates) => {
    const progress = schedulerProgress(calls, steps, order);
    expect(progress.totalSteps).toBe(steps);
    expect(progress.stepAfterCall).toEqual(stepsAt(calls, updates));
  });

  it('rejects counts that are not positive integers', () => {
    expect(() => schedulerProgress(0, 1, 1)).toThrow(RangeError);
    expect(() => schedulerProgress(3, 0, 1)).toThrow(RangeError);
    expect(() => schedulerProgress(3, 2, 0)).toThrow(RangeError);
  });
});

describe('every sampler here: its calls complete exactly the steps that run, counting 1..N in order, the last call the last step', () => {
  for (const name of SCHEDULER_NAMES) {
    it(name, () => {
      const scheduler = createScheduler(name, SD_V1_4_SCHEDULER_CONFIG);
      for (const n of [1, 2, 3, 10, 20, 25]) {
        for (const strength of [1, 0.75, 0.5, 0.3]) {
          scheduler.setTimesteps(n);
          if (startStep(n, strength) >= n) continue; // refused up front (engine/image-request.ts): runs no step
          const begin = startStep(n, strength) * scheduler.order;
          const runs = n - startStep(n, strength);
          const { totalSteps, stepAfterCall } = schedulerProgress(scheduler.timesteps.length - begin, runs, scheduler.order);
          expect(totalSteps, `${name} ${n} steps, strength ${strength}`).toBe(runs);
          expect(stepAfterCall.filter((k) => k !== null)).toEqual(range(1, runs));
          expect(stepAfterCall.at(-1)).toBe(runs);
        }
      }
    });
  }
});
