/**
 * add_noise and mid-schedule starts (img2img, inpainting) against diffusers, for all nine samplers.
 *
 * Reference: testdata/diffusers-add-noise.json + .f32, made by testdata/make_diffusers_add_noise.py
 * (diffusers 0.40.0.dev0, torch 2.13 CPU): 10 and 25 steps x strengths 0.3 / 0.5 / 0.75 / 1.0, SD v1.4's
 * scheduler settings. Each case replays the pipelines' use of the scheduler with a dummy model that
 * mixes neighbouring cells (so every intermediate add_noise value reaches the final result):
 * the sliced timesteps and begin index, the start latents add_noise(x0, noise, timesteps[:1]), the
 * img2img loop, and the 4-channel inpainting loop that re-noises the kept cells after every step.
 *
 * Tolerances (measured over all 72 cases in brackets): start latents max abs 1e-6 [4.8e-7, 1 ulp],
 * loop results rel-L2 1e-5 as the scheduler loops in fixture-parity.test.ts [img2img 3.7e-7, inpainting
 * 2.9e-7], per-step sums of the re-noised kept latents within 1e-5 relative + 1e-5 absolute [3.0e-6].
 */
import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../random/torch-generator.js';
import { SD_V1_4_SCHEDULER_CONFIG as SD14 } from './config.js';
import { createScheduler, SCHEDULER_NAMES } from './index.js';
import type { Scheduler, SchedulerName } from './scheduler.js';
import { readF32, readJson, relativeL2 as relL2 } from '../../testing/reference-data.js';
import { f32 } from './schedule.js';

const here = (path: string): URL => new URL(path, import.meta.url);

interface Case {
  scheduler: SchedulerName;
  steps: number;
  strength: number;
  seed: number;
  timesteps: number[];
  begin_index: number | null;
  init_noise_sigma: number;
  keep_sums: number[];
  start: number;
  img2img: number;
  inpaint: number;
}

const { cases, length } = readJson<{ cases: Case[]; length: number }>(here('./testdata/diffusers-add-noise.json'));
const all = readF32(here('./testdata/diffusers-add-noise.f32'));
const ref = (offset: number) => all.subarray(offset, offset + length);
const x0 = readF32(here('../../../fixtures/refs/sched_sample0.f32')).map((v) => f32(v * 2) - 1); // (1, 4, 8, 8)
const W = 8;
const mask = Float32Array.from({ length }, (_, i) => (i % W < 5 ? 1 : 0)); // repaint columns 0-4

/** eps = x_in * t / (t + 1) + 0.05 * roll(x_in, 1, -1), float32 per op as torch. */
function dummyModel(xIn: Float32Array, t: number): Float32Array {
  return xIn.map((v, i) => {
    const rolled = xIn[i % W === 0 ? i + W - 1 : i - 1];
    return f32(f32(f32(v * t) / f32(t + 1)) + f32(f32(0.05) * rolled));
  });
}

/** The pipelines' start: setTimesteps, t_start from the strength, setBeginIndex, the sliced schedule. */
function prepare(name: SchedulerName, steps: number, strength: number): { s: Scheduler; timesteps: readonly number[] } {
  const s = createScheduler(name, SD14);
  s.setTimesteps(steps);
  const tStart = Math.max(steps - Math.min(Math.floor(steps * strength), steps), 0);
  s.setBeginIndex(tStart * s.order);
  return { s, timesteps: s.timesteps.slice(tStart * s.order) };
}

function sum(values: Float32Array): number {
  return values.reduce((acc, v) => acc + v, 0);
}

describe('add_noise and mid-schedule starts vs diffusers (testdata/diffusers-add-noise.json)', () => {
  it('covers every sampler at four strengths (lcm and tcd: fewstep-parity.test.ts)', () => {
    expect(new Set(cases.map((c) => c.scheduler))).toEqual(new Set(SCHEDULER_NAMES.filter((n) => n !== 'lcm' && n !== 'tcd')));
    expect(new Set(cases.map((c) => c.strength))).toEqual(new Set([0.3, 0.5, 0.75, 1]));
  });

  for (const c of cases) {
    describe(`${c.scheduler}, ${c.steps} steps, strength ${c.strength}`, () => {
      it('slices the schedule and starts from add_noise(x0, noise, timesteps[0])', () => {
        const { s, timesteps } = prepare(c.scheduler, c.steps, c.strength);
        expect(timesteps).toEqual(c.timesteps);
        const noise = new TorchGenerator(c.seed).randn([1, 4, 8, 8]);
        const start = s.addNoise(x0, noise, timesteps[0]);
        let maxAbs = 0;
        ref(c.start).forEach((v, i) => (maxAbs = Math.max(maxAbs, Math.abs(v - start[i]))));
        expect(maxAbs).toBeLessThanOrEqual(1e-6);
      });

      it('img2img loop from the start latents', () => {
        const { s, timesteps } = prepare(c.scheduler, c.steps, c.strength);
        const generator = new TorchGenerator(c.seed);
        const noise = generator.randn([1, 4, 8, 8]); // the generator's first draw; euler_a draws on from it
        let x = s.addNoise(x0, noise, timesteps[0]);
        for (const t of timesteps) x = s.step(dummyModel(s.scaleModelInput(x, t), t), t, x, generator);
        expect(relL2(x, ref(c.img2img))).toBeLessThanOrEqual(1e-5);
      });

      it('inpainting loop: kept cells re-noised to the next timestep after every step', () => {
        const { s, timesteps } = prepare(c.scheduler, c.steps, c.strength);
        const generator = new TorchGenerator(c.seed);
        const noise = generator.randn([1, 4, 8, 8]);
        expect(s.initNoiseSigma).toBe(c.init_noise_sigma);
        let x = c.strength === 1 ? noise.map((v) => v * s.initNoiseSigma) : s.addNoise(x0, noise, timesteps[0]);
        const keepSums: number[] = [];
        for (const [i, t] of timesteps.entries()) {
          x = s.step(dummyModel(s.scaleModelInput(x, t), t), t, x, generator);
          let keep: Float32Array = x0;
          if (i < timesteps.length - 1) {
            keep = s.addNoise(x0, noise, timesteps[i + 1]);
            keepSums.push(sum(keep));
          }
          const stepped = x;
          x = stepped.map((v, k) => f32(f32(1 - mask[k]) * keep[k]) + f32(mask[k] * v));
        }
        expect(keepSums.length).toBe(c.keep_sums.length);
        keepSums.forEach((v, i) => expect(Math.abs(v - c.keep_sums[i])).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(c.keep_sums[i])));
        expect(relL2(x, ref(c.inpaint))).toBeLessThanOrEqual(1e-5);
      });
    });
  }

  it('refuses a begin index outside the schedule', () => {
    const s = createScheduler('euler', SD14);
    s.setTimesteps(10);
    expect(() => s.setBeginIndex(10)).toThrow(/begin index must be an integer from 0 to 9/);
  });
});
